import { signShopifyHmac, verifyShopifyHmac } from '../../services/intake/core/signatures.js';
import { maxBodyBytes, receiveWebhook, type WebhookRequest } from '../../services/intake/core/webhook.js';
import type { OrderCompleted } from '../../shared/events/order-completed.js';
import { fixtureBytes, fixtureJson } from '../support/fixtures.js';

const secret = 'shop-secret';
const secrets = { shopify: { '*': secret } };
const now = new Date('2026-11-22T12:00:00.000Z');
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
    expect(decision.publish?.contract.detailType).toBe('order.completed');
    const detail = decision.publish?.detail as OrderCompleted;
    // 820982911946154508 does not survive JSON.parse as a number; the id must still be exact.
    expect(detail.properties.orderId).toBe('820982911946154508');
    expect(detail.identity).toEqual({ email: 'jon@example.com', customerId: 'shopify:115310627314723954' });
    expect(detail.traits).toMatchObject({ firstName: 'John', lastName: 'Smith', locale: 'en' });
    expect(detail.properties.total).toEqual({ amount: '404.95', currency: 'USD' });
    expect(detail.properties.items).toHaveLength(5);
    expect(detail.occurredAt).toBe('2022-01-01T00:00:00.000Z');
    expect(detail.receivedAt).toBe(now.toISOString());
    expect(detail.origin).toEqual({ platform: 'shopify', shop: 'demo.myshopify.com', topic: 'orders/create' });
  });

  it('gives a retried delivery the same event id, and another delivery another', () => {
    const first = receiveWebhook(shopifyRequest(orderBytes), secrets, now).reply.body.eventId;
    const retry = receiveWebhook(shopifyRequest(orderBytes), secrets, new Date(now.getTime() + 60_000)).reply.body.eventId;
    const other = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-webhook-id': 'another' }), secrets, now).reply.body.eventId;
    expect(retry).toBe(first);
    expect(other).not.toBe(first);
  });

  it('prefers Shopify’s event id, shared by every subscription that gets the event', () => {
    const viaOne = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-event-id': 'e1', 'x-shopify-webhook-id': 'w1' }), secrets, now);
    const viaTwo = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-event-id': 'e1', 'x-shopify-webhook-id': 'w2' }), secrets, now);
    expect(viaOne.reply.body.eventId).toBe(viaTwo.reply.body.eventId);
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
});

describe('Shopify webhook bad input', () => {
  it('answers 401 with a JSON code for a bad or missing signature, and publishes nothing', () => {
    const bad = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-hmac-sha256': 'AAAA' }), secrets, now);
    expect(bad).toEqual({ reply: { status: 401, body: { code: 'invalid-signature', message: expect.any(String) } } });
    const { 'x-shopify-hmac-sha256': _, ...unsigned } = shopifyRequest(orderBytes).headers;
    const missing = receiveWebhook({ ...shopifyRequest(orderBytes), headers: unsigned }, secrets, now);
    expect(missing.reply.status).toBe(401);
    expect(missing.publish).toBeUndefined();
  });

  it('answers 401 when no secret is configured for the shop', () => {
    expect(receiveWebhook(shopifyRequest(orderBytes), {}, now).reply.body.code).toBe('unknown-shop');
  });

  it('answers 400 malformed-json for a signed body that is not JSON', () => {
    const decision = receiveWebhook(shopifyRequest('{"id": 1,'), secrets, now);
    expect(decision.reply).toMatchObject({ status: 400, body: { code: 'malformed-json' } });
    expect(decision.publish).toBeUndefined();
  });

  it('answers 400 naming the field when an order lacks what Nudge needs', () => {
    const order = fixtureJson('webhooks/shopify/shopify-orders-create.json');
    delete order.total_price;
    const decision = receiveWebhook(shopifyRequest(JSON.stringify(order)), secrets, now);
    expect(decision.reply).toMatchObject({ status: 400, body: { code: 'invalid-payload', field: 'total_price' } });
  });

  it('acknowledges a topic it does not handle with 200 ignored, so Shopify stops retrying', () => {
    const decision = receiveWebhook(shopifyRequest(orderBytes, { 'x-shopify-topic': 'products/create' }), secrets, now);
    expect(decision.reply).toMatchObject({ status: 200, body: { ignored: true } });
    expect(decision.publish).toBeUndefined();
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
