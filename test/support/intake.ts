import type { Decision } from '#services/intake/core/request.js';
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
