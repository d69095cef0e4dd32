import type { WebhookRequest } from '#services/intake/core/request.js';
import { signBodyHmac, signStandardWebhook, signStripe } from '#services/intake/core/signatures.js';

/**
 * Requests signed the way each platform signs them, with the headers each sends: what the tests
 * post, and what `nudge send` posts to the local runtime.
 */
const bytesOf = (body: Buffer | string) => (Buffer.isBuffer(body) ? body : Buffer.from(body));
const unix = (at: number) => Math.floor(at / 1000);

export const signed = {
  shopify(body: Buffer | string, secret: string, topic: string, headers: Record<string, string> = {}): WebhookRequest {
    const bytes = bytesOf(body);
    return {
      method: 'POST',
      path: '/webhooks/shopify',
      body: bytes,
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-shop-domain': 'demo.myshopify.com',
        'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        'x-shopify-hmac-sha256': signBodyHmac(bytes, secret),
        ...headers,
      },
    };
  },
  woocommerce(body: Buffer | string, secret: string, topic: string, headers: Record<string, string> = {}): WebhookRequest {
    const bytes = bytesOf(body);
    return {
      method: 'POST',
      path: '/webhooks/woocommerce',
      body: bytes,
      headers: {
        'content-type': 'application/json',
        'x-wc-webhook-source': 'https://shop.example.com/',
        'x-wc-webhook-topic': topic,
        'x-wc-webhook-resource': topic.split('.')[0] ?? '',
        'x-wc-webhook-event': topic.split('.')[1] ?? '',
        'x-wc-webhook-id': '142',
        'x-wc-webhook-delivery-id': `delivery-${topic}`,
        'x-wc-webhook-signature': signBodyHmac(bytes, secret),
        ...headers,
      },
    };
  },
  bigcommerce(body: Buffer | string, secret: string, at: number, headers: Record<string, string> = {}): WebhookRequest {
    const bytes = bytesOf(body);
    const id = headers['webhook-id'] ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    return {
      method: 'POST',
      path: '/webhooks/bigcommerce',
      body: bytes,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(unix(at)),
        'webhook-signature': signStandardWebhook(id, unix(at), bytes, secret),
        ...headers,
      },
    };
  },
  stripe(body: Buffer | string, secret: string, at: number, headers: Record<string, string> = {}): WebhookRequest {
    const bytes = bytesOf(body);
    return {
      method: 'POST',
      path: '/webhooks/stripe',
      body: bytes,
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signStripe(unix(at), bytes, secret), ...headers },
    };
  },
  segment(path: string, body: unknown, writeKey: string, headers: Record<string, string> = {}): WebhookRequest {
    return {
      method: 'POST',
      path,
      body: Buffer.from(JSON.stringify(body)),
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, ...headers },
    };
  },
  /** `body` is sent as it is; pass JSON text. */
  app(body: Buffer | string, app: string, secret: string, at: number, headers: Record<string, string> = {}): WebhookRequest {
    const bytes = bytesOf(body);
    return {
      method: 'POST',
      path: '/events/app',
      body: bytes,
      headers: { 'content-type': 'application/json', 'x-nudge-app': app, 'x-nudge-signature': signStripe(unix(at), bytes, secret), ...headers },
    };
  },
};
