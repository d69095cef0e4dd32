import type { Publication } from '#shared/adapters/bus-publisher.js';

/** An HTTP request as intake sees it: lower-case header names and the raw body bytes. */
export interface WebhookRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One platform delivery: `id` is the platform's own id for it (Shopify's event id, Stripe's event
 * id, a Segment messageId, …), the one its webhook logs show; a batch holds several. Its events'
 * ids are made of the same ids, so a retried delivery is applied once downstream.
 */
export interface Delivery {
  readonly id: string | undefined;
  readonly publications: readonly Publication[];
}

/** What to do with a request: the answer, and the events to publish first (the answer is only true once they are on the bus). */
export interface Decision {
  readonly reply: Reply;
  readonly deliveries: readonly Delivery[];
}

export function errorReply(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { code, message, ...extra } };
}

/** A body that is not JSON: 400, with the parser's word on where. */
export const malformedJson = (message: string): Decision => refuse(400, 'malformed-json', `The body is not valid JSON: ${message}`);

export function refuse(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Decision {
  return { reply: errorReply(status, code, message, extra), deliveries: [] };
}

/** A delivery Nudge does not use: acknowledged, so the platform does not retry it. */
export function ignore(reason: string): Decision {
  return { reply: { status: 200, body: { ignored: true, reason } }, deliveries: [] };
}

export const eventIdOf = (publication: Publication) => (publication.detail as { eventId: string }).eventId;

export function accept(deliveries: readonly Delivery[], extra: Record<string, unknown> = {}): Decision {
  const eventIds = deliveries.flatMap((delivery) => delivery.publications.map(eventIdOf));
  return { reply: { status: 200, body: { accepted: true, eventIds, ...extra } }, deliveries };
}

/** Header names arrive lower-case; platforms document them in any case. */
export function headerOf(request: WebhookRequest, ...names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = request.headers[name.toLowerCase()];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
