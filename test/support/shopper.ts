import { randomUUID } from 'node:crypto';
import { signShopifyHmac } from '#services/intake/core/signatures.js';
import type { WebhookRequest } from '#services/intake/core/webhook.js';
import { localShopifySecret, localWebhookSecrets } from '../../local/runtime.js';
import { postWebhook, signed } from './intake.js';
import type { TestRuntime } from './local-runtime.js';

const writeKey = Object.keys(localWebhookSecrets.segment ?? {})[0] as string;
const [appId, appSecret] = Object.entries(localWebhookSecrets.app ?? {})[0] as [string, string];

/** A shopper on the local runtime: Segment calls and signed app events, stamped with the runtime's clock. */
export function shopper(runtime: TestRuntime, email: string) {
  const at = (offsetMillis = 0) => new Date(runtime.scheduler.clock.now() + offsetMillis).toISOString();
  const send = async (request: WebhookRequest) => {
    const response = await postWebhook(runtime.httpUrl, request);
    if (response.status !== 200) throw new Error(`${request.path}: ${response.status} ${response.text}`);
  };
  const segment = (call: 'track' | 'identify', body: Record<string, unknown>, offsetMillis = 0) =>
    send(signed.segment(`/v1/${call}`, { messageId: randomUUID(), timestamp: at(offsetMillis), userId: email, ...body }, writeKey));
  return {
    email,
    identify: (traits: Record<string, unknown>, context: Record<string, unknown> = {}) => segment('identify', { traits: { email, ...traits }, context }),
    track: (event: string, properties: Record<string, unknown>, offsetMillis = 0) =>
      segment('track', { event, properties: { email, ...properties } }, offsetMillis),
    at: (latitude: number, longitude: number, offsetMillis = 0) =>
      send(
        signed.app(
          JSON.stringify({ type: 'location.reported', messageId: randomUUID(), timestamp: at(offsetMillis), email, latitude, longitude }),
          appId,
          appSecret,
          Date.now(),
        ),
      ),
  };
}

/** Posts a Shopify webhook (orders/create unless the headers say otherwise) to the local runtime, signed with the development secret. */
export function postShopify(runtime: TestRuntime, body: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${runtime.httpUrl}/webhooks/shopify`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'demo.myshopify.com',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-hmac-sha256': signShopifyHmac(body, localShopifySecret),
      ...headers,
    },
    body,
  });
}
