import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  signatureToleranceSeconds,
  signBodyHmac,
  signStandardWebhook,
  signStripe,
  verifyBodyHmac,
  verifyStandardWebhook,
  verifyStripeSignature,
} from '#services/intake/core/signatures.js';
import { toUtcInstant } from '#services/intake/core/time.js';
import { receiveWebhook } from '#services/intake/core/webhook.js';
import * as Events from '#shared/events/index.js';
import { fixtureBytes, fixtureJson, fixturesDir } from '../support/fixtures.js';
import { published, signed } from '../support/intake.js';

const now = Date.parse('2026-11-22T12:00:00.000Z');
const secrets = {
  woocommerce: { '*': 'woo-secret' },
  bigcommerce: { '*': 'bc-client-secret' },
  stripe: { '*': 'whsec_test_secret' },
  segment: { 'write-key-1': 'web-shop' },
  app: { 'shop-app': 'app-secret' },
};
const seconds = (at: number) => Math.floor(at / 1000);

/** Every published event must satisfy its own contract, as consumers will check it. */
function expectValid(events: ReturnType<typeof published>) {
  for (const event of events) {
    const contract = Events.findContract([...Events.customerEvents, Events.ProductUpdated], 'nudge.intake', event.detailType);
    expect(contract?.schema.safeParse(event.detail).success).toBe(true);
  }
}

describe('signing test vectors from the fixtures', () => {
  it('WooCommerce: base64 HMAC-SHA256 of the raw body', () => {
    const { test_vector_computed_locally: vector } = fixtureJson<{ test_vector_computed_locally: Record<string, string> }>(
      'webhooks/woocommerce/woocommerce-headers-example.json',
    );
    expect(verifyBodyHmac(Buffer.from(vector.raw_body as string), vector['expected_X-WC-Webhook-Signature'], vector.secret as string)).toBe(true);
  });

  it('BigCommerce: the Standard Webhooks vector, and nothing after 300 s', () => {
    const { test_vector_standard_webhooks: vector } = fixtureJson<{ test_vector_standard_webhooks: Record<string, string | number> }>(
      'webhooks/bigcommerce/bigcommerce-headers-example.json',
    );
    const headers = {
      id: String(vector['webhook-id']),
      timestamp: String(vector['webhook-timestamp']),
      signature: String(vector['expected_webhook-signature']),
    };
    const sentAt = Number(vector['webhook-timestamp']) * 1000;
    expect(verifyStandardWebhook(headers, Buffer.from(String(vector.raw_body)), String(vector.secret), sentAt)).toBe('valid');
    expect(signStandardWebhook(headers.id, Number(headers.timestamp), String(vector.raw_body), String(vector.secret))).toBe(headers.signature);
    const late = sentAt + (signatureToleranceSeconds + 1) * 1000;
    expect(verifyStandardWebhook(headers, Buffer.from(String(vector.raw_body)), String(vector.secret), late)).toBe('stale');
    expect(verifyStandardWebhook({ ...headers, id: 'msg_other' }, Buffer.from(String(vector.raw_body)), String(vector.secret), sentAt)).toBe('invalid');
  });

  it('Stripe: t and v1 over "t.body", any v1 may match, 300 s tolerance', () => {
    const example = fixtureJson<{ test_vector_computed_locally: Record<string, string | number> }>('webhooks/stripe/stripe-signature-example.json');
    const vector = example.test_vector_computed_locally;
    const rawBody = fixtureBytes('webhooks/stripe/stripe-signature-example.rawbody.txt');
    const header = String(vector['expected_Stripe-Signature']);
    const sentAt = Number(vector.t) * 1000;
    expect(verifyStripeSignature(header, rawBody, String(vector.secret), sentAt)).toBe('valid');
    expect(signStripe(Number(vector.t), rawBody, String(vector.secret))).toBe(header);
    // Stripe lists one v1 per active secret while a secret is being rolled.
    expect(verifyStripeSignature(`t=${vector.t},v1=${'0'.repeat(64)},${header.split(',')[1]}`, rawBody, String(vector.secret), sentAt)).toBe('valid');
    expect(verifyStripeSignature(header, rawBody, String(vector.secret), sentAt + 301_000)).toBe('stale');
    expect(verifyStripeSignature(header, Buffer.concat([rawBody, Buffer.from(' ')]), String(vector.secret), sentAt)).toBe('invalid');
  });
});

describe('WooCommerce', () => {
  const receive = (file: string, topic: string, headers: Record<string, string> = {}) =>
    receiveWebhook(signed.woocommerce(fixtureBytes(`webhooks/woocommerce/${file}`), 'woo-secret', topic, headers), secrets, now);

  it('order.created (the documented example) becomes order.completed with GMT times and exact money', () => {
    const events = published(receive('woocommerce-order.created.json', 'order.created'));
    expectValid(events);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      detailType: 'order.completed',
      detail: {
        occurredAt: '2017-03-22T19:28:08.000Z',
        origin: { platform: 'woocommerce', shop: 'shop.example.com', topic: 'order.created' },
        identity: { email: 'john.doe@example.com', orderRef: 'woocommerce:shop.example.com:727' },
        traits: { firstName: 'John', lastName: 'Doe', country: 'US', city: 'San Francisco' },
        properties: {
          orderId: '727',
          total: { amount: '29.35', currency: 'USD' },
          items: [{ productId: '93', name: 'Woo Single #1', quantity: 2, price: { amount: '3', currency: 'USD' } }, expect.anything()],
        },
      },
    });
  });

  it('order.updated of the same order has the same event id, so profiles count it once', () => {
    const created = published(receive('woocommerce-order.created.json', 'order.created'))[0]?.detail.eventId;
    const updated = published(receive('woocommerce-order.updated.json', 'order.updated'))[0]?.detail.eventId;
    expect(updated).toBe(created);
  });

  it('maps order statuses: pending is a checkout, cancelled and refunded are what they say, failed is ignored', () => {
    const order = fixtureJson('webhooks/woocommerce/woocommerce-order.created.json');
    const statusTo = (status: string) => {
      const body = JSON.stringify({ ...order, status });
      return published(receiveWebhook(signed.woocommerce(body, 'woo-secret', 'order.updated'), secrets, now)).map((event) => event.detailType);
    };
    expect(statusTo('pending')).toEqual(['checkout.started']);
    expect(statusTo('cancelled')).toEqual(['order.cancelled']);
    expect(statusTo('refunded')).toEqual(['order.refunded']);
    expect(statusTo('failed')).toEqual([]);
    // Completed is fulfilled and complete: the order, and that it left the shop.
    expect(statusTo('completed')).toEqual(['order.completed', 'order.fulfilled']);
    expect(statusTo('processing')).toEqual(['order.completed']);
  });

  it('customer.created becomes customer.upserted keyed by the store and the customer id', () => {
    const events = published(receive('woocommerce-customer.created.json', 'customer.created'));
    expectValid(events);
    expect(events[0]).toMatchObject({
      detailType: 'customer.upserted',
      detail: { identity: { email: 'john.doe@example.com', customerId: 'woocommerce:shop.example.com:25' } },
    });
  });

  it('says which header is wrong: a missing topic, a missing source, or a source that is not the store URL', () => {
    const reply = (headers: Record<string, string>) =>
      receiveWebhook(signed.woocommerce('{"id":727}', 'woo-secret', 'order.updated', headers), secrets, now).reply;
    expect(reply({ 'x-wc-webhook-source': 'shop.example.com' })).toMatchObject({
      status: 400,
      body: { code: 'invalid-header', message: 'X-WC-Webhook-Source must be the store URL, such as https://shop.example.com/' },
    });
    expect(reply({ 'x-wc-webhook-topic': '' })).toMatchObject({ status: 400, body: { message: 'X-WC-Webhook-Topic is required' } });
  });

  it('order.deleted names the order only', () => {
    const [event] = published(receiveWebhook(signed.woocommerce('{"id":727}', 'woo-secret', 'order.deleted'), secrets, now));
    expect(event).toMatchObject({
      detailType: 'order.cancelled',
      detail: { identity: { orderRef: 'woocommerce:shop.example.com:727' }, properties: { reason: 'deleted' } },
    });
  });

  it('answers the unsigned creation ping with 200 and publishes nothing', () => {
    const ping = {
      method: 'POST',
      path: '/webhooks/woocommerce',
      body: Buffer.from('webhook_id=142'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
    const decision = receiveWebhook(ping, secrets, now);
    expect(decision.reply.status).toBe(200);
    expect(decision.deliveries).toEqual([]);
  });

  it('refuses a wrong signature with 401, and deduplicates on the delivery id', () => {
    expect(receive('woocommerce-order.created.json', 'order.created', { 'x-wc-webhook-signature': signBodyHmac('other', 'woo-secret') }).reply.status).toBe(
      401,
    );
    expect(receive('woocommerce-order.created.json', 'order.created').deliveries[0]?.id).toBe('woocommerce:shop.example.com:delivery-order.created');
  });
});

describe('BigCommerce', () => {
  const files = readdirSync(join(fixturesDir, 'webhooks/bigcommerce')).filter((file) => !file.includes('headers'));
  const receive = (file: string, at = now) =>
    receiveWebhook(signed.bigcommerce(fixtureBytes(`webhooks/bigcommerce/${file}`), 'bc-client-secret', at), secrets, now);

  it.each(files)('%s is verified and answered 200', (file) => {
    const decision = receive(file);
    expect(decision.reply.status).toBe(200);
    expectValid(published(decision));
  });

  it('publishes thin events marked for enrichment, with the ids BigCommerce sent', () => {
    expect(published(receive('bigcommerce-store-order-created.json'))[0]).toMatchObject({
      detailType: 'order.completed',
      detail: {
        occurredAt: '2019-06-25T16:15:35.000Z',
        needsEnrichment: { resource: 'order', id: '250' },
        identity: { orderRef: 'bigcommerce:{store_hash}:250' },
      },
    });
    expect(published(receive('bigcommerce-store-cart-abandoned.json'))[0]).toMatchObject({
      detailType: 'cart.updated',
      detail: { properties: { abandoned: true }, needsEnrichment: { resource: 'cart' } },
    });
    expect(published(receive('bigcommerce-store-cart-converted.json'))[0]).toMatchObject({
      detail: { properties: { converted: true }, identity: { orderRef: 'bigcommerce:{store_hash}:252' } },
    });
    expect(published(receive('bigcommerce-store-customer-created.json'))[0]).toMatchObject({
      detailType: 'customer.upserted',
      detail: { identity: { customerId: 'bigcommerce:{store_hash}:32' } },
    });
  });

  it('turns an order shipped (status 2, or 3 partly) into a thin order.fulfilled, once per order and status', () => {
    const statusTo = (status: number, hash: string) => {
      const callback = fixtureJson<{ data: { status: { new_status_id: number } } }>('webhooks/bigcommerce/bigcommerce-store-order-statusUpdated.json');
      const body = { ...callback, hash, data: { ...callback.data, status: { ...callback.data.status, new_status_id: status } } };
      return published(receiveWebhook(signed.bigcommerce(JSON.stringify(body), 'bc-client-secret', now), secrets, now));
    };
    const [shipped] = statusTo(2, 'h1');
    expect(shipped).toMatchObject({
      detailType: 'order.fulfilled',
      detail: { identity: { orderRef: 'bigcommerce:{store_hash}:250' }, needsEnrichment: { resource: 'order', id: '250' }, properties: { orderId: '250' } },
    });
    expect(statusTo(2, 'h2')[0]?.detail.eventId).toBe(shipped?.detail.eventId);
    expect(statusTo(3, 'h3')[0]?.detailType).toBe('order.fulfilled');
    expect(statusTo(11, 'h4')).toEqual([]);
  });

  it('turns product and SKU callbacks into thin product changes for enrichment, and a deleted product into a deletion', () => {
    expect(published(receive('bigcommerce-store-product-updated.json'))[0]).toMatchObject({
      detailType: 'product.updated',
      detail: {
        occurredAt: '2019-06-25T16:13:53.000Z',
        origin: { platform: 'bigcommerce', shop: '{store_hash}', topic: 'store/product/updated' },
        change: { kind: 'product', product: { productId: '205' } },
        needsEnrichment: { resource: 'product', id: '205' },
      },
    });
    // A SKU's stock names its product in `inventory`, a new SKU in `sku`: the whole product is read again.
    expect(published(receive('bigcommerce-store-sku-inventory-updated.json'))[0]?.detail).toMatchObject({
      needsEnrichment: { resource: 'product', id: '206' },
    });
    expect(published(receive('bigcommerce-store-sku-created.json'))[0]?.detail).toMatchObject({ needsEnrichment: { resource: 'product', id: '206' } });
    expect(published(receive('bigcommerce-store-product-inventory-order-updated.json'))[0]?.detail).toMatchObject({
      needsEnrichment: { resource: 'product', id: '167' },
    });
    const [deleted] = published(receive('bigcommerce-store-product-deleted.json'));
    expect(deleted?.detail).toMatchObject({ change: { kind: 'deleted', productId: '205' } });
    expect(deleted?.detail).not.toHaveProperty('needsEnrichment');
  });

  it('tells two sales of one unit apart, though BigCommerce hashes them alike, and refuses a SKU callback without its product', () => {
    const sale = fixtureJson<Record<string, unknown>>('webhooks/bigcommerce/bigcommerce-store-sku-inventory-updated.json');
    const send = (body: unknown) => receiveWebhook(signed.bigcommerce(JSON.stringify(body), 'bc-client-secret', now), secrets, now);
    const first = send(sale);
    const second = send({ ...sale, created_at: (sale.created_at as number) + 60 });
    expect(first.deliveries[0]?.id).not.toBe(second.deliveries[0]?.id);
    expect(published(first)[0]?.detail.eventId).not.toBe(published(second)[0]?.detail.eventId);
    expect(send(sale).deliveries[0]?.id).toBe(first.deliveries[0]?.id);
    const orphan = send({ ...sale, data: { type: 'sku', id: 461 } });
    expect(orphan.reply).toMatchObject({ status: 400, body: { code: 'invalid-payload' } });
    expect(orphan.reply.body.message).toContain('product id');
  });

  it('deduplicates on the payload hash, which every retry of a callback shares', () => {
    expect(receive('bigcommerce-store-order-created.json').deliveries[0]?.id).toBe('bigcommerce:{store_hash}:dd70c0976e06b67aaf671e73f49dcb79230ebf9d');
  });

  it('refuses a delivery signed more than 300 s ago, or signed with another secret', () => {
    expect(receive('bigcommerce-store-order-created.json', now - 301_000).reply.body.code).toBe('stale-signature');
    const forged = signed.bigcommerce(fixtureBytes('webhooks/bigcommerce/bigcommerce-store-order-created.json'), 'another-secret', now);
    expect(receiveWebhook(forged, secrets, now).reply).toMatchObject({ status: 401, body: { code: 'invalid-signature' } });
  });
});

describe('Stripe', () => {
  const session = fixtureBytes('webhooks/stripe/stripe-checkout.session.completed.json');

  it('checkout.session.completed (a real event) becomes order.completed with money from minor units', () => {
    const events = published(receiveWebhook(signed.stripe(session, 'whsec_test_secret', now), secrets, now));
    expectValid(events);
    expect(events[0]).toMatchObject({
      detailType: 'order.completed',
      detail: {
        occurredAt: '2022-03-10T15:51:45.000Z',
        identity: { email: 'ktruong008@gmail.com', customerId: 'stripe:cus_LIP5IRhcFCA5PK', orderRef: 'stripe:pi_3KboGzJ01yyFZ0ZA0ezqQmJw' },
        properties: {
          orderId: 'pi_3KboGzJ01yyFZ0ZA0ezqQmJw',
          total: { amount: '5.00', currency: 'USD' },
          checkoutId: 'cs_test_a11PduYxe7O1AfeDFU2WAyjw2FEv2PLG58ttdtieZr8hx6cJzkULYUiLoQ',
        },
      },
    });
  });

  it('the signed raw body of the fixture verifies through the endpoint', () => {
    const example = fixtureJson<{ test_vector_computed_locally: Record<string, string | number> }>('webhooks/stripe/stripe-signature-example.json');
    const vector = example.test_vector_computed_locally;
    const request = {
      method: 'POST',
      path: '/webhooks/stripe',
      body: fixtureBytes('webhooks/stripe/stripe-signature-example.rawbody.txt'),
      headers: { 'stripe-signature': String(vector['expected_Stripe-Signature']) },
    };
    const decision = receiveWebhook(request, { stripe: { '*': String(vector.secret) } }, Number(vector.t) * 1000);
    expect(decision.reply.status).toBe(200);
    expect(decision.deliveries[0]?.id).toBe('stripe:default:evt_1KboHJJ01yyFZ0ZA2BcnaacN');
  });

  it('charge.refunded becomes order.refunded of this refund, for the same order id', () => {
    const event = {
      id: 'evt_refund_1',
      object: 'event',
      type: 'charge.refunded',
      created: 1700000000,
      data: {
        object: {
          id: 'ch_1',
          object: 'charge',
          amount: 500,
          amount_refunded: 300,
          currency: 'jpy',
          payment_intent: 'pi_3KboGzJ01yyFZ0ZA0ezqQmJw',
          receipt_email: 'ktruong008@gmail.com',
          refunds: { data: [{ id: 're_2', amount: 200 }] },
        },
        previous_attributes: { amount_refunded: 100 },
      },
    };
    const [refund] = published(receiveWebhook(signed.stripe(JSON.stringify(event), 'whsec_test_secret', now), secrets, now));
    expect(refund).toMatchObject({
      detailType: 'order.refunded',
      detail: { identity: { orderRef: 'stripe:pi_3KboGzJ01yyFZ0ZA0ezqQmJw' }, properties: { refundId: 're_2', amount: { amount: '200', currency: 'JPY' } } },
    });
  });

  it('ignores event types Nudge does not use, and refuses replayed or forged deliveries', () => {
    const plan = fixtureBytes('webhooks/stripe/stripe-event-envelope-fixture.json');
    expect(receiveWebhook(signed.stripe(plan, 'whsec_test_secret', now), secrets, now).reply.body).toMatchObject({ ignored: true });
    expect(receiveWebhook(signed.stripe(session, 'whsec_test_secret', now - 600_000), secrets, now).reply.body.code).toBe('stale-signature');
    expect(receiveWebhook(signed.stripe(session, 'whsec_wrong', now), secrets, now).reply.body.code).toBe('invalid-signature');
  });
});

describe('Segment HTTP Tracking API', () => {
  const segmentDir = join(fixturesDir, 'webhooks/segment');
  const http = readdirSync(segmentDir).filter((file) => /^segment-(http|spec)-/.test(file));

  it.each(http)('%s (from Segment’s docs) is accepted', (file) => {
    const example = JSON.parse(readFileSync(join(segmentDir, file), 'utf8'));
    const path = example._request ? new URL(example._request.url).pathname : `/v1/${example.type}`;
    const body = example._request ? example.body : { ...example, userId: example.userId ?? 'user-1' };
    const decision = receiveWebhook(signed.segment(path, body, 'write-key-1'), secrets, now);
    expect(decision.reply).toMatchObject({ status: 200, body: { success: true } });
    expectValid(published(decision));
  });

  /** Segment's e-commerce names that have a canonical event; every other name becomes custom.<name>. */
  const canonical: Record<string, string> = {
    'Product Viewed': 'product.viewed',
    'Product Added': 'cart.updated',
    'Product Removed': 'cart.updated',
    'Cart Viewed': 'cart.updated',
    'Checkout Started': 'checkout.started',
    'Order Completed': 'order.completed',
    'Order Updated': 'order.completed',
    'Order Cancelled': 'order.cancelled',
    'Order Refunded': 'order.refunded',
    'Product Reviewed': 'review.submitted',
  };
  const ecommerce = readdirSync(segmentDir)
    .filter((file) => file.startsWith('segment-track-'))
    .map((file) => {
      const event = JSON.parse(readFileSync(join(segmentDir, file), 'utf8')).event as string;
      return [file, canonical[event] ?? `custom.${event}`] as const;
    });

  it('has an e-commerce fixture for every canonical mapping', () => {
    for (const detailType of Object.values(canonical)) expect(ecommerce.map(([, type]) => type)).toContain(detailType);
  });

  it.each(ecommerce)('%s becomes %s', (file, detailType) => {
    const message = {
      ...JSON.parse(readFileSync(join(segmentDir, file), 'utf8')),
      anonymousId: 'anon-1',
      messageId: `m-${file}`,
      timestamp: '2026-11-20T09:00:00.000Z',
    };
    const events = published(receiveWebhook(signed.segment('/v1/track', message, 'write-key-1'), secrets, now));
    expectValid(events);
    expect(events.map((event) => event.detailType)).toEqual([detailType]);
    expect(events[0]?.detail).toMatchObject({
      origin: { platform: 'segment', shop: 'web-shop' },
      identity: { anonymousId: 'anon-1' },
      occurredAt: '2026-11-20T09:00:00.000Z',
    });
  });

  it('Order Completed keeps decimal money and the products', () => {
    const message = { ...JSON.parse(readFileSync(join(segmentDir, 'segment-track-order-completed.json'), 'utf8')), userId: 'u-1', messageId: 'm-1' };
    const [event] = published(receiveWebhook(signed.segment('/v1/track', message, 'write-key-1'), secrets, now));
    expect(event?.detail).toMatchObject({
      properties: {
        orderId: '50314b8e9bcf000000000000',
        total: { amount: '27.5', currency: 'USD' },
        items: [{ sku: '45790-32', quantity: 1, price: { amount: '19', currency: 'USD' } }, { quantity: 2 }],
      },
    });
  });

  it('parses the non-ISO timestamps of Segment’s own batch example', () => {
    expect(toUtcInstant('2015-2-02T00:30:08.276Z')).toBe('2015-02-02T00:30:08.276Z');
    const example = fixtureJson<{ body: unknown }>('webhooks/segment/segment-http-batch.json');
    const events = published(receiveWebhook(signed.segment('/v1/batch', example.body, 'write-key-1'), secrets, now));
    expect(events.map((event) => event.detail.occurredAt)).toEqual([
      '2012-12-02T00:30:08.276Z',
      '2012-12-02T00:30:12.984Z',
      '2015-02-02T00:30:08.276Z',
      '2015-02-02T00:30:12.984Z',
    ]);
    expect(events.map((event) => event.detailType)).toEqual(['customer.upserted', 'custom.Song Played', 'customer.upserted', 'custom.Song Played']);
  });

  it('alias links the previous anonymous id to the user', () => {
    const [event] = published(
      receiveWebhook(signed.segment('/v1/alias', { previousId: 'anon-9', userId: 'user-9', messageId: 'a-1' }, 'write-key-1'), secrets, now),
    );
    expect(event?.detail.identity).toEqual({ userId: 'user-9', anonymousId: 'anon-9' });
  });

  it('deduplicates per messageId, also inside a batch', () => {
    const batch = {
      batch: [
        { type: 'track', event: 'A', userId: 'u', messageId: 'x-1' },
        { type: 'track', event: 'B', userId: 'u', messageId: 'x-2' },
      ],
    };
    const decision = receiveWebhook(signed.segment('/v1/batch', batch, 'write-key-1'), secrets, now);
    expect(decision.deliveries.map((delivery) => delivery.id)).toEqual(['segment:web-shop:x-1', 'segment:web-shop:x-2']);
  });

  it('accepts the good messages of a batch and names the bad ones; refuses a batch of only bad ones', () => {
    const batch = {
      batch: [
        { type: 'track', event: 'A', userId: 'u', messageId: 'x-1' },
        { type: 'track', event: 'B', messageId: 'x-2' },
      ],
    };
    expect(receiveWebhook(signed.segment('/v1/batch', batch, 'write-key-1'), secrets, now).reply).toMatchObject({
      status: 200,
      body: { rejected: [{ index: 1, field: 'userId' }] },
    });
    expect(receiveWebhook(signed.segment('/v1/batch', { batch: [{ type: 'track', event: 'B' }] }, 'write-key-1'), secrets, now).reply).toMatchObject({
      status: 400,
      body: { code: 'invalid-payload' },
    });
  });

  it('believes a clock only so far: a time more than five minutes ahead of arrival is a clock set wrong, and arrival stands for it', () => {
    const occurredAt = (message: Record<string, unknown>) =>
      published(receiveWebhook(signed.segment('/v1/identify', { userId: 'clock-1', ...message }, 'write-key-1'), secrets, now))[0]?.detail.occurredAt;
    const arrival = new Date(now).toISOString();
    expect(occurredAt({ timestamp: '2026-11-22T12:04:00.000Z' })).toBe('2026-11-22T12:04:00.000Z');
    expect(occurredAt({ timestamp: '9999-12-31T23:59:59Z' })).toBe(arrival);
    expect(occurredAt({ originalTimestamp: '2027-11-22T12:00:00.000Z', sentAt: '2027-11-22T12:00:10.000Z' })).toBe(arrival);
    expect(occurredAt({ timestamp: '2020-01-01T00:00:00.000Z' })).toBe('2020-01-01T00:00:00.000Z');
    // The local runtime's moved clock counts as arrival too: samples are dated by it.
    const moved = now + 2 * 3_600_000;
    const sample = receiveWebhook(
      signed.segment('/v1/identify', { userId: 'clock-2', timestamp: new Date(moved).toISOString() }, 'write-key-1'),
      secrets,
      now,
      moved,
    );
    expect(published(sample)[0]?.detail.occurredAt).toBe(new Date(moved).toISOString());
  });

  it('drops a birthday that is no day of the calendar and keeps the rest of the identify', () => {
    const [event] = published(
      receiveWebhook(
        signed.segment('/v1/identify', { userId: 'bday-1', traits: { email: 'bday@example.com', birthday: '1990-02-30', firstName: 'Bo' } }, 'write-key-1'),
        secrets,
        now,
      ),
    );
    expect(event?.detail).toMatchObject({ identity: { email: 'bday@example.com' }, traits: { firstName: 'Bo' } });
    expect((event?.detail.traits as Record<string, unknown> | undefined)?.birthday).toBeUndefined();
  });

  it('refuses an id cut in half or not UTF-8, which would lead two people to one profile, naming the field', () => {
    for (const userId of ['sur-\ud800', 'sur-\udbff', 'inv-\uFFFD']) {
      const decision = receiveWebhook(signed.segment('/v1/identify', { userId, traits: { email: 'a@example.com' } }, 'write-key-1'), secrets, now);
      expect(decision.reply).toMatchObject({ status: 400, body: { code: 'invalid-payload', message: expect.stringContaining('not well-formed text') } });
      expect(decision.deliveries).toEqual([]);
    }
    // A whole character outside the basic plane (a surrogate pair) is an id like any other.
    expect(receiveWebhook(signed.segment('/v1/identify', { userId: 'emoji-\u{1F600}' }, 'write-key-1'), secrets, now).reply.status).toBe(200);
  });

  it('refuses an unknown or missing write key with 401', () => {
    expect(receiveWebhook(signed.segment('/v1/track', { event: 'A', userId: 'u' }, 'nope'), secrets, now).reply).toMatchObject({
      status: 401,
      body: { code: 'invalid-write-key' },
    });
    const { authorization: _, ...headers } = signed.segment('/v1/track', { event: 'A', userId: 'u' }, 'x').headers;
    expect(receiveWebhook({ ...signed.segment('/v1/track', { event: 'A', userId: 'u' }, 'x'), headers }, secrets, now).reply.body.code).toBe(
      'missing-write-key',
    );
  });
});

describe('app location and store visits', () => {
  it('location.reported and store.visited, single or batched, signed like Stripe', () => {
    const location = {
      type: 'location.reported',
      messageId: 'loc-1',
      userId: 'user-1',
      timestamp: '2026-11-22T11:59:00Z',
      latitude: 52.52,
      longitude: 13.405,
      accuracy: 12,
    };
    const visit = { type: 'store.visited', messageId: 'visit-1', anonymousId: 'anon-1', storeId: 'berlin-mitte' };
    const single = published(receiveWebhook(signed.app(JSON.stringify(location), 'shop-app', 'app-secret', now), secrets, now));
    expect(single[0]).toMatchObject({
      detailType: 'location.reported',
      detail: { properties: { latitude: 52.52, longitude: 13.405, accuracyMeters: 12 }, origin: { platform: 'app', shop: 'shop-app' } },
    });
    const batch = published(receiveWebhook(signed.app(JSON.stringify({ batch: [location, visit] }), 'shop-app', 'app-secret', now), secrets, now));
    expectValid(batch);
    expect(batch.map((event) => event.detailType)).toEqual(['location.reported', 'store.visited']);
  });

  it('refuses a latitude out of range with 400 naming the field, and a wrong signature with 401', () => {
    const bad = { type: 'location.reported', messageId: 'loc-2', userId: 'u', latitude: 91, longitude: 0 };
    expect(receiveWebhook(signed.app(JSON.stringify(bad), 'shop-app', 'app-secret', now), secrets, now).reply).toMatchObject({
      status: 400,
      body: { code: 'invalid-payload', field: 'latitude' },
    });
    expect(receiveWebhook(signed.app(JSON.stringify(bad), 'shop-app', 'wrong', now), secrets, now).reply.status).toBe(401);
    expect(receiveWebhook(signed.app(JSON.stringify(bad), 'other-app', 'app-secret', now), secrets, now).reply.body.code).toBe('unknown-app');
  });
});

describe('event ids', () => {
  it('are the same for the same delivery received at another time', () => {
    const body = fixtureBytes('webhooks/stripe/stripe-checkout.session.completed.json');
    const later = now + 120_000;
    const first = published(receiveWebhook(signed.stripe(body, 'whsec_test_secret', now), secrets, now))[0]?.detail.eventId;
    const again = published(receiveWebhook(signed.stripe(body, 'whsec_test_secret', later), secrets, later))[0]?.detail.eventId;
    expect(again).toBe(first);
    expect(seconds(later) - seconds(now)).toBe(120);
  });
});
