import { signShopifyHmac, verifyShopifyHmac } from '#services/intake/core/signatures.js';
import { maxBodyBytes, receiveWebhook, type WebhookRequest } from '#services/intake/core/webhook.js';
import type { OrderCompleted } from '#shared/events/order-completed.js';
import { fixtureBytes, fixtureJson } from '../support/fixtures.js';
import { published } from '../support/intake.js';

const secret = 'shop-secret';
const secrets = { shopify: { '*': secret } };
const now = Date.parse('2026-11-22T12:00:00.000Z');
const orderBytes = fixtureBytes('webhooks/shopify/shopify-orders-create.json');

function shopifyRequest(body: Buffer | string, headers: Record<string, string> = {}): WebhookRequest {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return {
    method: 'POST',
    path: '/webhooks/shopify',
    body: bytes,
    headers: {
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'demo.myshopify.com',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'x-shopify-hmac-sha256': signShopifyHmac(bytes, secret),
      ...headers,
    },
  };
}

describe('Shopify signature', () => {
  it('verifies the published test vector', () => {
    const { test_vector } = fixtureJson<{ test_vector: Record<string, string> }>('webhooks/shopify/shopify-headers-example.json');
    const expected = test_vector['expected_X-Shopify-Hmac-Sha256'];
    expect(verifyShopifyHmac(Buffer.from(test_vector.raw_body as string), expected, test_vector.secret as string)).toBe(true);
    expect(signShopifyHmac(test_vector.raw_body as string, test_vector.secret as string)).toBe(expected);
  });

  it('refuses a signature made with another secret, a missing one and a truncated one', () => {
    const body = Buffer.from('{"foo": "bar"}');
    expect(verifyShopifyHmac(body, signShopifyHmac(body, 'other'), secret)).toBe(false);
    expect(verifyShopifyHmac(body, undefined, secret)).toBe(false);
    expect(verifyShopifyHmac(body, signShopifyHmac(body, secret).slice(0, 20), secret)).toBe(false);
  });

  it('is computed over the raw bytes, so re-serialised JSON does not verify', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(orderBytes.toString())));
    expect(verifyShopifyHmac(reserialised, signShopifyHmac(orderBytes, secret), secret)).toBe(false);
  });
});

describe('Shopify orders/create webhook', () => {
  it('becomes an order.completed event with exact ids, money and the customer', () => {
    const decision = receiveWebhook(shopifyRequest(orderBytes), secrets, now);
    expect(decision.reply).toMatchObject({ status: 200, body: { accepted: true } });
    const [event] = published(decision);
    expect(event?.detailType).toBe('order.completed');
    const detail = event?.detail as unknown as OrderCompleted;
    // 820982911946154508 does not survive JSON.parse as a number; the id must still be exact.
    expect(detail.properties.orderId).toBe('820982911946154508');
    expect(detail.identity).toEqual({ email: 'jon@example.com', customerId: 'shopify:115310627314723954', orderRef: 'shopify:820982911946154508' });
    expect(detail.traits).toMatchObject({ firstName: 'John', lastName: 'Smith', locale: 'en' });
    expect(detail.properties.total).toEqual({ amount: '404.95', currency: 'USD' });
    expect(detail.properties.items).toHaveLength(5);
    expect(detail.occurredAt).toBe('2022-01-01T00:00:00.000Z');
    expect(detail.receivedAt).toBe(new Date(now).toISOString());
    expect(detail.origin).toEqual({ platform: 'shopify', shop: 'demo.myshopify.com', topic: 'orders/create' });
  });

  it('gives a retried delivery the same event id and delivery id, and another order another event id', () => {
    const first = receiveWebhook(shopifyRequest(orderBytes), secrets, now);
    const retry = receiveWebhook(shopifyRequest(orderBytes), secrets, now + 60_000);
    const order = fixtureJson('webhooks/shopify/shopify-orders-create.json');
    order.admin_graphql_api_id = 'gid://shopify/Order/1';
    const other = receiveWebhook(shopifyRequest(JSON.stringify(order), { 'x-shopify-webhook-id': 'another' }), secrets, now);
    expect(retry.reply.body.eventIds).toEqual(first.reply.body.eventIds);
    expect(retry.deliveries[0]?.id).toBe(first.deliveries[0]?.id);
    expect(other.reply.body.eventIds).not.toEqual(first.reply.body.eventIds);
  });

  it('deduplicates on Shopify’s event id, shared by every subscription that gets the event', () => {
    const viaOne = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-event-id': 'e1', 'x-shopify-webhook-id': 'w1' }), secrets, now);
    const viaTwo = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-event-id': 'e1', 'x-shopify-webhook-id': 'w2' }), secrets, now);
    expect(viaOne.deliveries[0]?.id).toBe('shopify:demo.myshopify.com:e1');
    expect(viaTwo.deliveries[0]?.id).toBe(viaOne.deliveries[0]?.id);
  });

  it('counts an order once whether it arrives as orders/create, orders/paid or orders/updated', () => {
    const ids = ['orders/create', 'orders/paid', 'orders/updated'].map((topic) => {
      const body = fixtureBytes(`webhooks/shopify/shopify-${topic.replace('/', '-')}.json`);
      return published(receiveWebhook(shopifyRequest(body, { 'x-shopify-topic': topic, 'x-shopify-webhook-id': topic }), secrets, now))[0]?.detail.eventId;
    });
    expect(new Set(ids).size).toBe(1);
  });

  it('accepts the lower-case, un-prefixed header names of newer deliveries', () => {
    const request = shopifyRequest(orderBytes);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.replace(/^x-/, ''), value]));
    expect(receiveWebhook({ ...request, headers }, secrets, now).reply.status).toBe(200);
  });

  it('uses the shop’s own secret before the default', () => {
    const perShop = { shopify: { 'demo.myshopify.com': 'per-shop', '*': secret } };
    const request = shopifyRequest(orderBytes, { 'x-shopify-hmac-sha256': signShopifyHmac(orderBytes, 'per-shop') });
    expect(receiveWebhook(request, perShop, now).reply.status).toBe(200);
    expect(receiveWebhook(shopifyRequest(orderBytes), perShop, now).reply.status).toBe(401);
  });

  it('takes the shop’s host in any case, and names it in lower case as config/shops.json is looked up', () => {
    const perShop = { shopify: { 'demo.myshopify.com': 'per-shop' } };
    const request = shopifyRequest(orderBytes, {
      'x-shopify-hmac-sha256': signShopifyHmac(orderBytes, 'per-shop'),
      'x-shopify-shop-domain': 'Demo.MyShopify.com',
    });
    const decision = receiveWebhook(request, perShop, now);
    expect(decision.reply.status).toBe(200);
    expect(published(decision)[0]?.detail.origin).toEqual({ platform: 'shopify', shop: 'demo.myshopify.com', topic: 'orders/create' });
  });
});

describe('Shopify webhook bad input', () => {
  it('answers 401 with a JSON code for a bad or missing signature, and publishes nothing', () => {
    const bad = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-hmac-sha256': 'AAAA' }), secrets, now);
    expect(bad).toEqual({ reply: { status: 401, body: { code: 'invalid-signature', message: expect.any(String) } }, deliveries: [] });
    const { 'x-shopify-hmac-sha256': _, ...unsigned } = shopifyRequest(orderBytes).headers;
    const missing = receiveWebhook({ ...shopifyRequest(orderBytes), headers: unsigned }, secrets, now);
    expect(missing.reply.status).toBe(401);
    expect(missing.deliveries).toEqual([]);
  });

  it('answers 401 when no secret is configured for the shop', () => {
    expect(receiveWebhook(shopifyRequest(orderBytes), {}, now).reply.body.code).toBe('unknown-shop');
  });

  it('answers 400 malformed-json for a signed body that is not JSON', () => {
    const decision = receiveWebhook(shopifyRequest('{"id": 1,'), secrets, now);
    expect(decision.reply).toMatchObject({ status: 400, body: { code: 'malformed-json' } });
    expect(decision.deliveries).toEqual([]);
  });

  it('answers 400 naming the field when an order lacks what Nudge needs', () => {
    const order = fixtureJson('webhooks/shopify/shopify-orders-create.json');
    delete order.currency;
    const decision = receiveWebhook(shopifyRequest(JSON.stringify(order)), secrets, now);
    expect(decision.reply).toMatchObject({ status: 400, body: { code: 'invalid-payload', field: 'currency' } });
  });

  it('acknowledges a topic it does not handle with 200 ignored, so Shopify stops retrying', () => {
    const decision = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-topic': 'collections/create' }), secrets, now);
    expect(decision.reply).toMatchObject({ status: 200, body: { ignored: true } });
    expect(decision.deliveries).toEqual([]);
  });

  it('answers 413 for a body over 1 MB, before looking at it', () => {
    const huge = Buffer.alloc(maxBodyBytes + 1, 0x20);
    expect(receiveWebhook(shopifyRequest(huge), secrets, now).reply).toMatchObject({ status: 413, body: { code: 'payload-too-large' } });
  });

  it('answers 404 and 405 for unknown paths and methods', () => {
    expect(receiveWebhook({ ...shopifyRequest(orderBytes), path: '/webhooks/nope' }, secrets, now).reply.status).toBe(404);
    expect(receiveWebhook({ ...shopifyRequest(orderBytes), method: 'GET' }, secrets, now).reply.status).toBe(405);
  });
});

describe('Shopify topics', () => {
  const receive = (topic: string, file: string) => {
    const body = fixtureBytes(`webhooks/shopify/${file}`);
    return receiveWebhook(shopifyRequest(body, { 'x-shopify-topic': topic }), secrets, now);
  };

  it.each([
    ['orders/create', 'shopify-orders-create.json', 'order.completed'],
    ['orders/paid', 'shopify-orders-paid.json', 'order.completed'],
    ['orders/updated', 'shopify-orders-updated.json', 'order.completed'],
    ['orders/cancelled', 'shopify-orders-cancelled.json', 'order.cancelled'],
    ['checkouts/create', 'shopify-checkouts-create.json', 'checkout.started'],
    ['checkouts/update', 'shopify-checkouts-update.json', 'checkout.started'],
    ['carts/create', 'shopify-carts-create.json', 'cart.updated'],
    ['carts/update', 'shopify-carts-update.json', 'cart.updated'],
    ['customers/create', 'shopify-customers-create.json', 'customer.upserted'],
    ['customers/update', 'shopify-customers-update.json', 'customer.upserted'],
    ['customers_email_marketing_consent/update', 'shopify-customers_email_marketing_consent-update.json', 'consent.changed'],
  ])('%s (the published example) becomes %s', (topic, file, detailType) => {
    const decision = receive(topic, file);
    expect(decision.reply.status).toBe(200);
    const events = published(decision);
    expect(events.map((event) => event.detailType)).toEqual([detailType]);
    expect(events[0]?.detail).toMatchObject({ origin: { platform: 'shopify', shop: 'demo.myshopify.com', topic }, receivedAt: new Date(now).toISOString() });
  });

  it('a checkout names the person, the cart and where to finish it', () => {
    const [event] = published(receive('checkouts/create', 'shopify-checkouts-create.json'));
    expect(event?.detail).toMatchObject({
      identity: { email: 'example@email.com', customerId: 'shopify:603851970716743426', cartRef: 'shopify:eeafa272cebfd4b22385bc4b645e762c' },
      properties: { checkoutId: '123123123', total: { amount: '421.88', currency: 'USD' } },
    });
  });

  it('a cart names no one yet, only the cart its checkout will name', () => {
    const [event] = published(receive('carts/create', 'shopify-carts-create.json'));
    expect(event?.detail.identity).toEqual({ cartRef: 'shopify:exampleCartId' });
  });

  it('a refund names the order, which leads to the person who placed it', () => {
    const refund = {
      id: 509562969,
      order_id: 450789469,
      created_at: '2026-11-20T10:00:00-05:00',
      transactions: [{ amount: '41.94', currency: 'USD', kind: 'refund' }],
    };
    const [event] = published(receiveWebhook(shopifyRequest(JSON.stringify(refund), { 'x-shopify-topic': 'refunds/create' }), secrets, now));
    expect(event).toMatchObject({
      detailType: 'order.refunded',
      detail: {
        identity: { orderRef: 'shopify:450789469' },
        occurredAt: '2026-11-20T15:00:00.000Z',
        properties: { orderId: '450789469', amount: { amount: '41.94', currency: 'USD' } },
      },
    });
  });

  it('an SMS consent change without a state is acknowledged and ignored', () => {
    const decision = receive('customers/marketing_consent/update', 'shopify-customers_marketing_consent-update.json');
    expect(decision.reply).toMatchObject({ status: 200, body: { ignored: true } });
    const consent = fixtureJson('webhooks/shopify/shopify-customers_marketing_consent-update.json');
    consent.phone = '+1 613 555 0123';
    consent.sms_marketing_consent = { state: 'subscribed', opt_in_level: 'single_opt_in', consent_updated_at: '2026-11-01T10:00:00Z' };
    const [event] = published(
      receiveWebhook(shopifyRequest(JSON.stringify(consent), { 'x-shopify-topic': 'customers/marketing_consent/update' }), secrets, now),
    );
    expect(event?.detail).toMatchObject({
      identity: { phone: '+16135550123' },
      properties: { channel: 'sms', state: 'subscribed' },
      occurredAt: '2026-11-01T10:00:00.000Z',
    });
  });
});

describe('Shopify fulfilments: shipped and delivered', () => {
  const fulfillment = fixtureJson('webhooks/shopify/shopify-fulfillments-create.json');
  // Edited as text: Shopify's ids exceed 2^53, and a parse and stringify would round them.
  const raw = fixtureBytes('webhooks/shopify/shopify-fulfillments-create.json').toString();
  const shippedText = raw.replace('"status": "pending"', '"status": "success"');
  const carrierText = fixtureBytes('webhooks/shopify/shopify-fulfillment_events-create.json').toString();
  const receive = (topic: string, body: unknown) => {
    const bytes = typeof body === 'string' ? body : JSON.stringify(body);
    return receiveWebhook(shopifyRequest(bytes, { 'x-shopify-topic': topic }), secrets, now);
  };

  it('ignores a fulfilment not shipped yet (Shopify’s sample is pending), and nothing is published', () => {
    const decision = receive('fulfillments/create', fixtureBytes('webhooks/shopify/shopify-fulfillments-create.json').toString());
    expect(decision.reply.status).toBe(200);
    expect(published(decision)).toEqual([]);
  });

  it('makes a shipped fulfilment order.fulfilled with its items and tracking, for the person who ordered, exactly', () => {
    const [shipped, ...rest] = published(receive('fulfillments/update', shippedText));
    expect(rest).toEqual([]);
    expect(shipped).toMatchObject({
      detailType: 'order.fulfilled',
      detail: {
        identity: { email: 'jon@example.com', orderRef: 'shopify:820982911946154508' },
        properties: {
          orderId: '820982911946154508',
          fulfillmentId: '123456',
          trackingCompany: 'UPS',
          trackingNumber: '1z827wk74630',
          trackingUrl: 'https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630',
        },
      },
    });
    const items = (shipped?.detail.properties as { items?: { productId?: string; name: string; price?: unknown }[] } | undefined)?.items;
    expect(items).toHaveLength(5);
    expect(items?.[0]).toEqual({
      productId: '788032119674292922',
      sku: 'SKU2006-001',
      name: 'Aviator sunglasses',
      quantity: 1,
      price: { amount: '89.99', currency: 'USD' },
    });
    // The same shipment told again (an update) is the same fact.
    const again = published(
      receive('fulfillments/update', shippedText.replace('"updated_at": "2021-12-31T19:00:00-05:00"', '"updated_at": "2022-01-02T10:00:00-05:00"')),
    );
    expect(again[0]?.detail.eventId).toBe(shipped?.detail.eventId);
  });

  it('makes a delivered shipment order.delivered, from the fulfilment or the carrier’s event, one fact either way', () => {
    const fromFulfillment = published(receive('fulfillments/update', shippedText.replace('"shipment_status": null', '"shipment_status": "delivered"')));
    expect(fromFulfillment.map((event) => event.detailType)).toEqual(['order.fulfilled', 'order.delivered']);
    expect(published(receive('fulfillment_events/create', carrierText))).toEqual([]);
    const [delivered] = published(receive('fulfillment_events/create', carrierText.replace('"status": "in_transit"', '"status": "delivered"')));
    expect(delivered).toMatchObject({
      detailType: 'order.delivered',
      detail: { identity: { orderRef: 'shopify:820982911946154508' }, properties: { orderId: '820982911946154508', fulfillmentId: '123456' } },
    });
    expect(delivered?.detail.eventId).toBe(fromFulfillment[1]?.detail.eventId);
  });

  it('answers a fulfilment it cannot read with a 400 naming the field', () => {
    expect(receive('fulfillments/create', { ...fulfillment, order_id: { id: 1 } }).reply).toMatchObject({ status: 400, body: { field: 'order_id' } });
    expect(receive('fulfillment_events/create', { id: 1, fulfillment_id: 2, order_id: 3 }).reply).toMatchObject({ status: 400, body: { field: 'status' } });
  });
});
