import { z } from 'zod';
import type { Publication } from '../../../shared/adapters/bus-publisher.js';
import { normaliseShopify } from './shopify.js';
import { verifyShopifyHmac } from './signatures.js';

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
}

/** What to answer, and the event to publish first (the answer is only true once it is on the bus). */
export interface Decision {
  readonly reply: Reply;
  readonly publish?: Publication;
}

/** Signing secrets per platform and per shop; "*" is the platform's default. */
export const WebhookSecrets = z.object({
  shopify: z.record(z.string(), z.string().min(1)).optional(),
});
export type WebhookSecrets = z.infer<typeof WebhookSecrets>;

/** Shopify's own limit is far below this; anything larger is not a webhook. */
export const maxBodyBytes = 1024 * 1024;

export function errorReply(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { code, message, ...extra } };
}

export function secretFor(secrets: WebhookSecrets, platform: keyof WebhookSecrets, shop: string | undefined): string | undefined {
  const perShop = secrets[platform];
  return (shop === undefined ? undefined : perShop?.[shop]) ?? perShop?.['*'];
}

/** Shopify sends `X-Shopify-Topic`; its newer deliveries use `shopify-topic`. Accept both. */
function shopifyHeader(headers: WebhookRequest['headers'], name: string): string | undefined {
  return headers[`x-shopify-${name}`] ?? headers[`shopify-${name}`];
}

export function receiveWebhook(request: WebhookRequest, secrets: WebhookSecrets, now: Date): Decision {
  if (request.method !== 'POST') return { reply: errorReply(405, 'method-not-allowed', 'Webhooks are delivered with POST') };
  if (request.path !== '/webhooks/shopify') return { reply: errorReply(404, 'unknown-endpoint', `No webhook endpoint at ${request.path}`) };
  if (request.body.length > maxBodyBytes) {
    return { reply: errorReply(413, 'payload-too-large', `The body is ${request.body.length} bytes; the limit is ${maxBodyBytes}`) };
  }
  return receiveShopify(request, secrets, now);
}

function receiveShopify(request: WebhookRequest, secrets: WebhookSecrets, now: Date): Decision {
  const shop = shopifyHeader(request.headers, 'shop-domain');
  const secret = secretFor(secrets, 'shopify', shop);
  if (secret === undefined) {
    return { reply: errorReply(401, 'unknown-shop', `No Shopify signing secret is configured for shop ${shop ?? '(none)'}`) };
  }
  if (!verifyShopifyHmac(request.body, shopifyHeader(request.headers, 'hmac-sha256'), secret)) {
    return { reply: errorReply(401, 'invalid-signature', 'The X-Shopify-Hmac-Sha256 signature does not match the body') };
  }
  const topic = shopifyHeader(request.headers, 'topic');
  if (topic === undefined || shop === undefined) {
    return { reply: errorReply(400, 'missing-header', 'X-Shopify-Topic and X-Shopify-Shop-Domain are required') };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    return { reply: errorReply(400, 'malformed-json', `The body is not valid JSON: ${(error as Error).message}`) };
  }
  const delivery = {
    topic,
    shop,
    webhookId: shopifyHeader(request.headers, 'webhook-id'),
    eventId: shopifyHeader(request.headers, 'event-id'),
    triggeredAt: shopifyHeader(request.headers, 'triggered-at'),
  };
  const normalised = normaliseShopify(delivery, payload, now);
  switch (normalised.kind) {
    case 'ignored':
      // Shopify retries anything but a 2xx, so topics we do not use are acknowledged.
      return { reply: { status: 200, body: { ignored: true, reason: normalised.reason } } };
    case 'invalid':
      return { reply: errorReply(400, 'invalid-payload', `${normalised.field}: ${normalised.message}`, { field: normalised.field }) };
    case 'event': {
      const eventId = (normalised.publication.detail as { eventId: string }).eventId;
      return { reply: { status: 200, body: { accepted: true, eventId } }, publish: normalised.publication };
    }
  }
}
