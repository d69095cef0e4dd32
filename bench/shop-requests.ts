import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalRuntime, localShopifySecret, localWebhookSecrets } from '../local/runtime.js';
import { signed } from '../local/signed-requests.js';

export const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'webhooks', name), 'utf8')) as Record<string, unknown>;

/** Signed requests to the local runtime, as each platform sends them, each told to `onRequest` (its size) and waiting until its effects settle. */
export function shopRequests(runtime: LocalRuntime, onRequest: (bytes: number) => void = () => undefined) {
  const writeKey = Object.keys(localWebhookSecrets.segment ?? {})[0] as string;
  const [appId, appSecret] = Object.entries(localWebhookSecrets.app ?? {})[0] as [string, string];
  const now = () => new Date(runtime.scheduler.clock.now()).toISOString();
  /** Sends a request and answers its status, without waiting for its effects. */
  const deliver = async (request: Request): Promise<number> => {
    onRequest(request.body.length);
    const sent = Object.entries(request.headers).filter((entry): entry is [string, string] => entry[1] !== undefined);
    const response = await fetch(`${runtime.httpUrl}${request.path}`, { method: 'POST', headers: sent, body: request.body });
    await response.arrayBuffer();
    return response.status;
  };
  const post = async (path: string, body: Buffer, headers: Readonly<Record<string, string | undefined>>) => {
    const status = await deliver({ path, body, headers });
    if (status !== 200) throw new Error(`${path}: answered ${status}`);
    await runtime.idle();
  };
  const segment = (call: string, body: Record<string, unknown>) => {
    const request = signed.segment(`/v1/${call}`, body, writeKey);
    return post(request.path, request.body, request.headers);
  };
  const shopify = (topic: string, body: Record<string, unknown>) => {
    const request = shopifyRequest(topic, body);
    return post(request.path, request.body, request.headers);
  };
  const track = (email: string, event: string, properties: Record<string, unknown>) => ({
    type: 'track',
    messageId: randomUUID(),
    timestamp: now(),
    userId: email,
    event,
    properties: { email, ...properties },
  });
  return {
    now,
    deliver,
    segment,
    shopify,
    track,
    identify: (email: string) =>
      segment('identify', {
        messageId: randomUUID(),
        timestamp: now(),
        userId: email,
        traits: { email, firstName: 'Ada' },
        context: { timezone: 'Europe/Berlin', locale: 'de-DE' },
      }),
    app: (body: Record<string, unknown>) => {
      const request = signed.app(JSON.stringify(body), appId, appSecret, Date.now());
      return post(request.path, request.body, request.headers);
    },
  };
}

export type ShopRequests = ReturnType<typeof shopRequests>;

interface Request {
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** A Shopify webhook as Shopify sends it: signed with the development secret, a fresh webhook id. */
export function shopifyRequest(topic: string, body: Record<string, unknown>): Request {
  return signed.shopify(JSON.stringify(body), localShopifySecret, topic, { 'x-shopify-webhook-id': randomUUID() });
}

// Shopify's exact ids are the GraphQL ones: each customer and order gets its own, and its own cart.
export function shopifyCustomer(email: string): Record<string, unknown> {
  const id = Math.abs(hash(email));
  return { ...(checkout.customer as object), id, admin_graphql_api_id: `gid://shopify/Customer/${id}`, email };
}

const checkout = fixture('shopify/shopify-checkouts-create.json');
const order = fixture('shopify/shopify-orders-create.json');

/** Shopify's checkouts/create for this person, checkout `chk-<sequence>`, now. */
export function shopifyCheckout(email: string, sequence: number, now: string): Record<string, unknown> {
  return { ...checkout, email, customer: shopifyCustomer(email), token: `chk-${sequence}`, cart_token: `cart-${sequence}`, created_at: now, updated_at: now };
}

/** Shopify's order for this person, for checkout `chk-<sequence>`, now (the same body for orders/create, orders/paid and orders/updated). */
export function shopifyOrder(email: string, sequence: number, now: string): Record<string, unknown> {
  const id = 9_000_000 + sequence;
  return {
    ...order,
    email,
    customer: shopifyCustomer(email),
    contact_email: email,
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    checkout_token: `chk-${sequence}`,
    cart_token: `cart-${sequence}`,
    created_at: now,
    processed_at: now,
  };
}

export function hash(text: string): number {
  let value = 0;
  for (const char of text) value = (value * 31 + char.charCodeAt(0)) | 0;
  return value;
}
