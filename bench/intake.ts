import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookSecrets } from '#services/intake/core/platforms/common.js';
import type { WebhookRequest } from '#services/intake/core/request.js';
import { signBodyHmac, signStandardWebhook, signStripe } from '#services/intake/core/signatures.js';
import { receiveWebhook } from '#services/intake/core/webhook.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'webhooks');
const read = (path: string) => readFileSync(join(fixtures, path));

export interface IntakeFigure {
  readonly source: string;
  readonly bytes: number;
  readonly eventsPerRequest: number;
  /** Verified, parsed, normalised and checked against the contract: what intake does before publishing. */
  readonly eventsPerSecond: number;
  /** Baseline: only the HMAC over the raw body and JSON.parse, the least any receiver must do. */
  readonly baselineEventsPerSecond: number;
}

/** Runs `work` repeatedly for about `millis` and returns calls per second. */
function rate(work: () => unknown, millis = 700): number {
  for (let warm = 0; warm < 200; warm++) work();
  let calls = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(millis) * 1_000_000n;
  let now = started;
  while (now < deadline) {
    for (let index = 0; index < 50; index++) work();
    calls += 50;
    now = process.hrtime.bigint();
  }
  return calls / (Number(now - started) / 1e9);
}

/** Signed webhooks verified and normalised per second on one core, per source, with no I/O. */
export function measureIntake(): IntakeFigure[] {
  const now = Date.now();
  const unix = Math.floor(now / 1000);
  const secrets: WebhookSecrets = {
    shopify: { '*': 'shopify-secret' },
    woocommerce: { '*': 'woo-secret' },
    bigcommerce: { '*': 'bc-secret' },
    stripe: { '*': 'whsec_secret' },
    segment: { 'write-key': 'web' },
    app: { 'shop-app': 'app-secret' },
  };
  const shopify = read('shopify/shopify-orders-create.json');
  const woo = read('woocommerce/woocommerce-order.created.json');
  const bigCommerce = read('bigcommerce/bigcommerce-store-order-created.json');
  const stripe = read('stripe/stripe-checkout.session.completed.json');
  const order = JSON.parse(read('segment/segment-track-order-completed.json').toString());
  const segmentBatch = Buffer.from(
    JSON.stringify({
      batch: Array.from({ length: 20 }, (_, index) => ({ ...order, userId: `u${index}`, messageId: `m${index}`, timestamp: new Date(now).toISOString() })),
    }),
  );
  const location = Buffer.from(JSON.stringify({ type: 'location.reported', messageId: 'm1', userId: 'u1', latitude: 52.52, longitude: 13.405, accuracy: 10 }));

  const cases: { source: string; request: WebhookRequest; events: number; key: string }[] = [
    {
      source: 'Shopify orders/create',
      key: 'shopify-secret',
      events: 1,
      request: {
        method: 'POST',
        path: '/webhooks/shopify',
        body: shopify,
        headers: {
          'x-shopify-topic': 'orders/create',
          'x-shopify-shop-domain': 'demo.myshopify.com',
          'x-shopify-webhook-id': 'w1',
          'x-shopify-hmac-sha256': signBodyHmac(shopify, 'shopify-secret'),
        },
      },
    },
    {
      source: 'WooCommerce order.created',
      key: 'woo-secret',
      events: 1,
      request: {
        method: 'POST',
        path: '/webhooks/woocommerce',
        body: woo,
        headers: {
          'x-wc-webhook-topic': 'order.created',
          'x-wc-webhook-source': 'https://shop.example.com/',
          'x-wc-webhook-delivery-id': 'd1',
          'x-wc-webhook-signature': signBodyHmac(woo, 'woo-secret'),
        },
      },
    },
    {
      source: 'BigCommerce store/order/created',
      key: 'bc-secret',
      events: 1,
      request: {
        method: 'POST',
        path: '/webhooks/bigcommerce',
        body: bigCommerce,
        headers: { 'webhook-id': 'm1', 'webhook-timestamp': String(unix), 'webhook-signature': signStandardWebhook('m1', unix, bigCommerce, 'bc-secret') },
      },
    },
    {
      source: 'Stripe checkout.session.completed',
      key: 'whsec_secret',
      events: 1,
      request: { method: 'POST', path: '/webhooks/stripe', body: stripe, headers: { 'stripe-signature': signStripe(unix, stripe, 'whsec_secret') } },
    },
    {
      source: 'Segment batch of 20 Order Completed',
      key: 'write-key',
      events: 20,
      request: { method: 'POST', path: '/v1/batch', body: segmentBatch, headers: { authorization: `Basic ${Buffer.from('write-key:').toString('base64')}` } },
    },
    {
      source: 'App location.reported',
      key: 'app-secret',
      events: 1,
      request: {
        method: 'POST',
        path: '/events/app',
        body: location,
        headers: { 'x-nudge-app': 'shop-app', 'x-nudge-signature': signStripe(unix, location, 'app-secret') },
      },
    },
  ];

  return cases.map(({ source, request, events, key }) => {
    const check = receiveWebhook(request, secrets, now);
    if (check.reply.status !== 200 || check.deliveries.flatMap((delivery) => delivery.publications).length !== events) {
      throw new Error(`${source}: expected ${events} events, got ${JSON.stringify(check.reply)}`);
    }
    const full = rate(() => receiveWebhook(request, secrets, now));
    const baseline = rate(() => {
      createHmac('sha256', key).update(request.body).digest();
      return JSON.parse(request.body.toString('utf8'));
    });
    return { source, bytes: request.body.length, eventsPerRequest: events, eventsPerSecond: full * events, baselineEventsPerSecond: baseline * events };
  });
}
