import type { Decision } from '#services/intake/core/request.js';
import type { WebhookRequest } from '#services/intake/core/webhook.js';
import type { Publication } from '#shared/adapters/bus-publisher.js';

/** Every event a decision would publish, with its concrete detail-type. */
export function published(decision: Decision): { detailType: string; detail: Record<string, unknown> & { eventId: string } }[] {
  return decision.deliveries.flatMap((delivery) =>
    delivery.publications.map((publication: Publication) => ({
      detailType: publication.detailType ?? publication.contract.detailType,
      detail: publication.detail as Record<string, unknown> & { eventId: string },
    })),
  );
}

export { signed } from '../../local/signed-requests.js';

/** Posts a signed webhook to a running intake as the platform would: the answer's status and text. */
export async function postWebhook(httpUrl: string, request: WebhookRequest): Promise<{ status: number; text: string }> {
  const response = await fetch(`${httpUrl}${request.path}`, { method: 'POST', headers: request.headers as Record<string, string>, body: request.body });
  return { status: response.status, text: await response.text() };
}
