import type { Publication } from '#shared/adapters/bus-publisher.js';
import { ownValue } from '#shared/lookup.js';
import { receiveApp } from './platforms/app.js';
import { receiveBigCommerce } from './platforms/bigcommerce.js';
import type { WebhookSecrets } from './platforms/common.js';
import { receiveSegment, segmentPaths } from './platforms/segment.js';
import { receiveShopify } from './platforms/shopify.js';
import { receiveStripe } from './platforms/stripe.js';
import { receiveWooCommerce } from './platforms/woocommerce.js';
import { type Decision, refuse, type WebhookRequest } from './request.js';
import { believableTime } from './time.js';

export type { WebhookRequest } from './request.js';

/** No platform sends webhooks this large; anything bigger is refused before it is read. */
export const maxBodyBytes = 1024 * 1024;

type Receiver = (request: WebhookRequest, secrets: WebhookSecrets, now: number) => Decision;

/** Each endpoint and the platform behind it. */
export const endpoints: Readonly<Record<string, Receiver>> = {
  '/webhooks/shopify': receiveShopify,
  '/webhooks/woocommerce': receiveWooCommerce,
  '/webhooks/bigcommerce': receiveBigCommerce,
  '/webhooks/stripe': receiveStripe,
  '/events/app': receiveApp,
  ...Object.fromEntries(segmentPaths.map((path) => [path, receiveSegment])),
};

/** Routes a request to its platform, after the checks every endpoint shares. */
export function receiveWebhook(request: WebhookRequest, secrets: WebhookSecrets, now: number, clock = now): Decision {
  const receiver = ownValue(endpoints, request.path);
  if (receiver === undefined) return refuse(404, 'unknown-endpoint', `No endpoint at ${request.path}; see the README for the list`);
  if (request.method !== 'POST') return refuse(405, 'method-not-allowed', 'Events are delivered with POST');
  if (request.body.length > maxBodyBytes) return refuse(413, 'payload-too-large', `The body is ${request.body.length} bytes; the limit is ${maxBodyBytes}`);
  const decision = receiver(request, secrets, now);
  const latest = new Date(Math.max(now, clock)).toISOString();
  return {
    ...decision,
    deliveries: decision.deliveries.map((delivery) => ({
      ...delivery,
      publications: delivery.publications.map((publication) => believable(publication, latest)),
    })),
  };
}

/**
 * An event's time as far as Nudge believes it (see `believableTime`), bounded by `latest`: its
 * arrival, or the services' clock where the local runtime moved it ahead (samples are dated by it).
 */
function believable(publication: Publication, latest: string): Publication {
  const { occurredAt } = publication.detail as { occurredAt?: unknown };
  if (typeof occurredAt !== 'string') return publication;
  const bounded = believableTime(occurredAt, latest);
  return bounded === occurredAt ? publication : { ...publication, detail: { ...(publication.detail as object), occurredAt: bounded } };
}
