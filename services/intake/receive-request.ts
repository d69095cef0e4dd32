import type { Logger } from '@aws-lambda-powertools/logger';
import type { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { copyIn } from '#shared/languages.js';
import { unsubscribePath } from '#shared/unsubscribe.js';
import type { WebhookSecrets } from './core/platforms/common.js';
import { errorReply, type Reply } from './core/request.js';
import { page, unsubscribe } from './core/unsubscribe.js';
import { receiveWebhook } from './core/webhook.js';
import { publishAccepted } from './publish-accepted.js';

/** What intake needs around its decisions: the secrets it checks against, and the bus accepted events go on. */
export interface IntakePorts {
  readonly webhookSecrets: { current(now: number): Promise<WebhookSecrets> };
  readonly unsubscribeKey: { current(now: number): Promise<string> };
  readonly publisher: BusPublisher;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
}

/** An HTTP request as intake reads it, whatever carried it (API Gateway in AWS, the local gateway). */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** The query string without its `?`. */
  readonly query: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A JSON answer to a sender. */
export const jsonReply = (reply: Reply): HttpReply => ({
  status: reply.status,
  headers: { 'content-type': 'application/json', ...reply.headers },
  body: JSON.stringify(reply.body),
});

/**
 * One request to intake: a platform's webhook, or a person's unsubscribe link. Whatever is
 * accepted is on the bus before the answer says so; what could not be recorded gets an answer the
 * sender retries (429, 503), never a success.
 */
/**
 * `at.real` is the time that signatures and secrets are checked at (the senders' clocks are real);
 * `at.clock` is the time a person's own act (an unsubscribe) is recorded at: the same on AWS, the
 * moved clock of the local runtime after `nudge clock advance`, so the unsubscribe comes after what
 * the moved timers did. An event's time may be as late as either (samples are dated by the moved clock).
 */
export function receiveRequest(request: HttpRequest, ports: IntakePorts, at: { readonly real: number; readonly clock: number }): Promise<HttpReply> {
  return request.path === unsubscribePath ? receiveUnsubscribe(request, ports, at) : receiveWebhookOnce(request, ports, at);
}

/** An unsubscribe link or one-click request: the consent change is on the bus before the page says so. */
async function receiveUnsubscribe(request: HttpRequest, ports: IntakePorts, at: { readonly real: number; readonly clock: number }): Promise<HttpReply> {
  const token = new URLSearchParams(request.query).get('token') ?? undefined;
  const outcome = unsubscribe(request.method, token, await ports.unsubscribeKey.current(at.real), at.clock, request.headers['accept-language']);
  const html = (status: number, body: string): HttpReply => ({
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...outcome.headers },
    body,
  });
  if (outcome.status !== 200) {
    ports.logger.warn('Unsubscribe link refused');
    return html(outcome.status, outcome.html);
  }
  const published = await publishAccepted(outcome.decision, ports.publisher);
  if (published.kind === 'failed') {
    ports.logger.error('Could not record an unsubscribe', { error: published.cause as Error });
    const copy = copyIn(outcome.language);
    return html(503, page(outcome.language, copy.retryTitle, copy.retryText));
  }
  return html(200, outcome.html);
}

/** A platform's webhook: verified, normalised, and its events on the bus before the answer says so. */
async function receiveWebhookOnce(request: HttpRequest, ports: IntakePorts, at: { readonly real: number; readonly clock: number }): Promise<HttpReply> {
  const decision = receiveWebhook(request, await ports.webhookSecrets.current(at.real), at.real, at.clock);
  const published = await publishAccepted(decision, ports.publisher);
  if (published.kind === 'answered') {
    if (published.reply.status >= 400) ports.logger.warn('Event refused', { path: request.path, reply: published.reply.body });
    return jsonReply(published.reply);
  }
  // Nothing is on the bus yet: senders back off on 429 and retry any 5xx, so an accepted event is never silently lost.
  // The platform's own delivery ids say which deliveries to look for in its webhook logs.
  const deliveryIds = decision.deliveries.map((delivery) => delivery.id);
  if (isThrottling(published.cause)) {
    ports.logger.warn('Throttled while publishing an event', { error: published.cause as Error, path: request.path, deliveryIds });
    return jsonReply({ ...errorReply(429, 'throttled', 'Too many events right now; please retry shortly'), headers: { 'retry-after': '1' } });
  }
  ports.logger.error('Could not publish an accepted event', { error: published.cause as Error, path: request.path, deliveryIds });
  return jsonReply({ ...errorReply(503, 'publish-failed', 'The event could not be put on the bus; please retry'), headers: { 'retry-after': '5' } });
}

/** EventBridge throttling: the sender should slow down, not give up. */
function isThrottling(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded/.test(name);
}
