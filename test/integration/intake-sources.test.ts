import { Analytics } from '@segment/analytics-node';
import type { WebhookRequest } from '#services/intake/core/request.js';
import { localWebhookSecrets } from '../../local/runtime.js';
import { fixtureBytes, fixtureJson } from '../support/fixtures.js';
import { signed } from '../support/intake.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

const secret = (platform: 'shopify' | 'woocommerce' | 'bigcommerce' | 'stripe') => localWebhookSecrets[platform]?.['*'] as string;
const writeKey = Object.keys(localWebhookSecrets.segment ?? {})[0] as string;
const [appId, appSecret] = Object.entries(localWebhookSecrets.app ?? {})[0] as [string, string];

async function post(runtime: TestRuntime, request: WebhookRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${runtime.httpUrl}${request.path}`, {
    method: request.method,
    headers: Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    body: request.method === 'GET' ? undefined : request.body,
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    body = { notJson: text };
  }
  return { status: response.status, body };
}

/** A small seeded generator, so a failing fuzz case can be reproduced. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return { next, int: (below: number) => Math.floor(next() * below), pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T };
}

describe('intake on the local runtime', () => {
  let runtime: TestRuntime;
  const busEventIds = () =>
    runtime
      .busLog()
      .filter((event) => event.source === 'nudge.intake')
      .map((event) => event.detail.eventId as string);

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  // Intake keeps no record of deliveries: a retry is published again with the same event ids, and profiles apply each id once.
  const profileUpdatesFor = (eventId: string | undefined) =>
    runtime
      .busLog()
      .filter((event) => event['detail-type'] === 'profile.updated' && (event.detail.trigger as { detail: { eventId: string } }).detail.eventId === eventId)
      .map((event) => event.detail.profile as { orderCount: number });

  it('applies the same webhook delivered three times, one after another, once', async () => {
    const request = signed.woocommerce(fixtureBytes('webhooks/woocommerce/woocommerce-order.created.json'), secret('woocommerce'), 'order.created', {
      'x-wc-webhook-delivery-id': 'sequential-1',
    });
    const replies = [];
    for (let attempt = 0; attempt < 3; attempt++) replies.push(await post(runtime, request));
    await runtime.idle();
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);
    const eventId = (replies[0]?.body.eventIds as string[] | undefined)?.[0];
    expect(replies.map((reply) => reply.body.eventIds)).toEqual([[eventId], [eventId], [eventId]]);
    expect(busEventIds().filter((id) => id === eventId)).toHaveLength(3);
    expect(profileUpdatesFor(eventId).map((profile) => profile.orderCount)).toEqual([1]);
  });

  it('applies the same webhook delivered three times at once, once', async () => {
    const body = fixtureBytes('webhooks/stripe/stripe-checkout.session.completed.json');
    const request = signed.stripe(body, secret('stripe'), Date.now());
    const replies = await Promise.all([post(runtime, request), post(runtime, request), post(runtime, request)]);
    await runtime.idle();
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);
    const eventId = (replies[0]?.body.eventIds as string[] | undefined)?.[0];
    expect(replies.map((reply) => reply.body.eventIds)).toEqual([[eventId], [eventId], [eventId]]);
    expect(profileUpdatesFor(eventId).map((profile) => profile.orderCount)).toEqual([1]);
  });

  it('takes a batch of e-commerce events from the real @segment/analytics-node client', async () => {
    const analytics = new Analytics({ writeKey, host: runtime.httpUrl, path: '/v1/batch', flushAt: 10, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    const anonymousId = 'browser-7f3a';
    analytics.track({ anonymousId, event: 'Product Viewed', properties: { product_id: 'sku-red-dress', name: 'Red dress', price: 89.9, currency: 'EUR' } });
    analytics.track({
      anonymousId,
      event: 'Product Added',
      properties: { cart_id: 'cart-7f3a', product_id: 'sku-red-dress', quantity: 1, price: 89.9, currency: 'EUR' },
    });
    analytics.identify({ anonymousId, userId: 'customer-42', traits: { email: 'Ada@Example.com', firstName: 'Ada' } });
    analytics.track({ userId: 'customer-42', event: 'Checkout Started', properties: { checkout_id: 'co-1', total: 89.9, currency: 'EUR' } });
    analytics.track({
      userId: 'customer-42',
      event: 'Order Completed',
      properties: {
        order_id: 'order-1',
        checkout_id: 'co-1',
        total: 89.9,
        currency: 'EUR',
        products: [{ product_id: 'sku-red-dress', price: 89.9, quantity: 1 }],
      },
    });
    analytics.track({ userId: 'customer-42', event: 'Wishlist Shared', properties: { wishlist_id: 'w-1' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    await runtime.idle();
    expect(errors).toEqual([]);

    const fromSegment = runtime.busLog().filter((event) => (event.detail.origin as { platform?: string } | undefined)?.platform === 'segment');
    expect(fromSegment.map((event) => event['detail-type'])).toEqual([
      'product.viewed',
      'cart.updated',
      'customer.upserted',
      'checkout.started',
      'order.completed',
      'custom.Wishlist Shared',
    ]);
    expect(fromSegment[2]?.detail.identity).toEqual({ email: 'ada@example.com', userId: 'customer-42', anonymousId });
    expect(fromSegment[4]?.detail.properties).toMatchObject({ orderId: 'order-1', total: { amount: '89.9', currency: 'EUR' } });
  });

  it('answers 1,000 malformed or forged requests with a 4xx JSON error, stays up, and publishes none of them', async () => {
    await runtime.idle();
    const before = busEventIds().length;
    const rng = random(20261123);
    const now = () => Date.now();
    const order = fixtureJson('webhooks/shopify/shopify-orders-create.json');
    const wooOrder = fixtureJson('webhooks/woocommerce/woocommerce-order.created.json');
    const stripeEvent = fixtureJson('webhooks/stripe/stripe-checkout.session.completed.json');
    const bigCommerce = fixtureJson('webhooks/bigcommerce/bigcommerce-store-order-created.json');
    const track = { type: 'track', event: 'Order Completed', userId: 'u-1', messageId: 'fuzz', properties: { order_id: 'o-1', total: 10 } };
    const location = { type: 'location.reported', messageId: 'fuzz', userId: 'u-1', latitude: 52.5, longitude: 13.4 };
    // Raw JSON text for values JSON.stringify cannot write: a number too large for a double.
    const huge = '1e400';
    const withField = (value: Record<string, unknown>, field: string, bad: unknown) =>
      bad === huge ? JSON.stringify({ ...value, [field]: 0 }).replace(`"${field}":0`, `"${field}":${huge}`) : JSON.stringify({ ...value, [field]: bad });
    const nonObjects = ['[]', '"text"', 'null', '42', 'true'];

    /** Each platform: a signed request for a body, and fields whose listed values can never be valid. */
    const platforms: { name: string; sign: (body: string) => WebhookRequest; base: Record<string, unknown>; bad: Record<string, unknown[]> }[] = [
      {
        name: 'shopify',
        sign: (body) => signed.shopify(body, secret('shopify'), 'orders/create', { 'x-shopify-webhook-id': `fuzz-${rng.int(1e9)}` }),
        base: order,
        bad: {
          currency: ['usd', 5, null, [], {}, true, huge],
          line_items: ['x', 5, null, {}, true, huge],
          id: [null, {}, [], true, huge],
          created_at: [5, null, [], {}],
        },
      },
      {
        name: 'woocommerce',
        sign: (body) => signed.woocommerce(body, secret('woocommerce'), 'order.created', { 'x-wc-webhook-delivery-id': `fuzz-${rng.int(1e9)}` }),
        base: wooOrder,
        bad: { status: [5, null, [], {}, true, huge], currency: ['usd', 5, null, huge], line_items: ['x', 5, {}, null], id: [null, {}, [], huge] },
      },
      {
        name: 'stripe',
        sign: (body) => signed.stripe(body, secret('stripe'), now()),
        base: stripeEvent,
        bad: { created: ['x', null, {}, []], data: ['x', 5, null, [], huge], id: [5, null, '', [], huge], type: [5, null, '', {}] },
      },
      {
        name: 'bigcommerce',
        sign: (body) => signed.bigcommerce(body, secret('bigcommerce'), now(), { 'webhook-id': `msg_fuzz_${rng.int(1e9)}` }),
        base: bigCommerce,
        bad: { hash: [5, null, '', [], huge], created_at: ['x', null, {}, []], data: ['x', 5, null, [], huge], scope: [5, null, '', []] },
      },
      {
        name: 'segment',
        sign: (body) => ({ ...signed.segment('/v1/track', {}, writeKey), body: Buffer.from(body) }),
        base: track,
        bad: {
          event: [5, [], {}, true, null, huge],
          userId: [null, [], {}, '', huge],
          timestamp: ['garbage', 'yesterday', '2026-13-45', 5, {}],
          properties: [{ order_id: null, total: 1 }],
        },
      },
      {
        name: 'app',
        sign: (body) => signed.app(body, appId, appSecret, now()),
        base: location,
        bad: { latitude: ['x', 91, -91, null, huge], longitude: [181, -181, 'x', null], type: ['nope', 5, null], messageId: [5, '', null] },
      },
    ];
    const mutations: ((platform: (typeof platforms)[number]) => WebhookRequest)[] = [
      // A wrong type or an impossible value in a field Nudge needs, correctly signed.
      (platform) => {
        const field = rng.pick(Object.keys(platform.bad));
        return platform.sign(withField(platform.base, field, rng.pick(platform.bad[field] as unknown[])));
      },
      // Truncated JSON, correctly signed.
      (platform) => {
        const text = JSON.stringify(platform.base);
        return platform.sign(text.slice(0, 1 + rng.int(text.length - 2)));
      },
      // A body that is JSON but not an object, correctly signed.
      (platform) => platform.sign(rng.pick(nonObjects)),
      // The body changed after signing (Segment signs nothing: its write key is changed instead).
      (platform) => {
        const request = platform.sign(JSON.stringify(platform.base));
        if (platform.name === 'segment')
          return { ...request, headers: { ...request.headers, authorization: `Basic ${Buffer.from(`${writeKey}${rng.int(1e6)}:`).toString('base64')}` } };
        const body = Buffer.from(request.body);
        const at = rng.int(body.length);
        body[at] = (body[at] as number) ^ (1 + rng.int(255));
        return { ...request, body };
      },
      // The signature or key headers removed or garbled.
      (platform) => {
        const request = platform.sign(JSON.stringify(platform.base));
        const authHeaders = ['x-shopify-hmac-sha256', 'x-wc-webhook-signature', 'stripe-signature', 'webhook-signature', 'authorization', 'x-nudge-signature'];
        const headers = { ...request.headers };
        for (const name of authHeaders)
          if (name in headers) headers[name] = rng.next() < 0.5 ? undefined : `v1,${Buffer.from(String(rng.next())).toString('base64')}`;
        return { ...request, headers };
      },
      // Wrong method or unknown path.
      (platform) => {
        const request = platform.sign(JSON.stringify(platform.base));
        return rng.next() < 0.5 ? { ...request, method: rng.pick(['GET', 'PUT', 'DELETE', 'PATCH']) } : { ...request, path: `${request.path}/${rng.int(100)}` };
      },
    ];

    const requests: WebhookRequest[] = [];
    for (let index = 0; index < 1000; index++) requests.push(rng.pick(mutations)(platforms[index % platforms.length] as (typeof platforms)[number]));
    // And a few bodies over the 1 MB limit.
    for (let index = 0; index < 5; index++) requests.push(signed.shopify(Buffer.alloc(1024 * 1024 + 1 + index, 0x20), secret('shopify'), 'orders/create'));

    const failures: string[] = [];
    for (let start = 0; start < requests.length; start += 8) {
      const batch = requests.slice(start, start + 8);
      const replies = await Promise.all(batch.map((request) => post(runtime, request)));
      replies.forEach((reply, offset) => {
        const ok = reply.status >= 400 && reply.status < 500 && typeof reply.body.code === 'string' && typeof reply.body.message === 'string';
        if (!ok)
          failures.push(`#${start + offset} ${batch[offset]?.method} ${batch[offset]?.path}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
      });
    }
    await runtime.idle();
    expect(failures).toEqual([]);
    expect(busEventIds().length).toBe(before);

    // Still up: a good delivery goes through.
    const good = await post(
      runtime,
      signed.shopify(fixtureBytes('webhooks/shopify/shopify-orders-create.json'), secret('shopify'), 'orders/create', { 'x-shopify-webhook-id': 'after-fuzz' }),
    );
    expect(good.status).toBe(200);
  });
});
