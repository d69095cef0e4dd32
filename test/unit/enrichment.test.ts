import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BigCommerceAccessError, BigCommerceApi } from '#services/enrichment/adapters/bigcommerce-api.js';
import {
  BigCommerceCart,
  BigCommerceCustomers,
  BigCommerceOrder,
  BigCommerceProduct,
  cartEnrichment,
  customerEnrichment,
  enrichedDetail,
  orderEnrichment,
  productEnrichment,
} from '#services/enrichment/core/bigcommerce.js';
import { enrichEvent } from '#services/enrichment/enrich.js';
import * as Events from '#shared/events/index.js';
import { PermanentError } from '#shared/result.js';
import { fixtureJson } from '../support/fixtures.js';

type Json = Record<string, unknown>;

describe("BigCommerce's API, as enrichment calls it", () => {
  let server: Server;
  let base = '';
  const seen: string[] = [];
  let limited = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(`${request.url} ${request.headers['x-auth-token']}`);
      if (request.url === '/stores/s1/v2/orders/1' && limited++ < 2) {
        response.writeHead(429, { 'X-Rate-Limit-Time-Reset-Ms': '1500' });
        return response.end('{}');
      }
      if (request.url === '/stores/s1/v2/orders/1') return response.end('{"id": 1}');
      if (request.url === '/stores/s1/v2/orders/2') {
        response.writeHead(404);
        return response.end('[{"status": 404}]');
      }
      if (request.url === '/stores/s1/v2/orders/3') {
        response.writeHead(401);
        return response.end('{}');
      }
      if (request.url === '/stores/s1/v2/orders/4/products') {
        response.writeHead(204);
        return response.end();
      }
      response.writeHead(500);
      response.end('{}');
    });
    await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolveClose) => server.close(resolveClose)));

  it('waits as long as X-Rate-Limit-Time-Reset-Ms says after a 429, then asks again, with the store’s token', async () => {
    const waits: number[] = [];
    const api = new BigCommerceApi(base, fetch, async (millis) => waits.push(millis));
    expect(await api.get('s1', 'tok', '/v2/orders/1')).toEqual({ kind: 'found', body: { id: 1 } });
    expect(waits).toEqual([1500, 1500]);
    expect(seen.filter((line) => line.startsWith('/stores/s1/v2/orders/1 '))).toEqual(Array(3).fill('/stores/s1/v2/orders/1 tok'));
  });

  it('tells a 404 as gone, an empty list (204) as empty, a refused token as permanent, and a server error as one to retry', async () => {
    const api = new BigCommerceApi(base, fetch, async () => undefined);
    expect(await api.get('s1', 'tok', '/v2/orders/2')).toEqual({ kind: 'gone' });
    expect(await api.get('s1', 'tok', '/v2/orders/4/products')).toEqual({ kind: 'found', body: [] });
    await expect(api.get('s1', 'tok', '/v2/orders/3')).rejects.toBeInstanceOf(BigCommerceAccessError);
    await expect(api.get('s1', 'tok', '/v2/orders/5')).rejects.toThrow('BigCommerce answered 500');
  });
});

describe('what enrichment adds, from BigCommerce’s documented answers', () => {
  it('reads an order: the billing email and name, the customer, the total in the order’s currency and each product', () => {
    const order = BigCommerceOrder.parse(fixtureJson('bigcommerce-api/v2-order.json'));
    const products = fixtureJson<unknown[]>('bigcommerce-api/v2-order-products.json');
    expect(orderEnrichment('abc', order, products)).toEqual({
      identity: { email: 'janedoe@email.com', customerId: 'bigcommerce:abc:11' },
      traits: { firstName: 'Jane', lastName: 'Doe', country: 'US', city: 'Austin' },
      properties: {
        // The documented example spells currency_code with a stray quote: the order's default currency stands in.
        total: { amount: '1008.74', currency: 'USD' },
        subtotal: { amount: '1000.74', currency: 'USD' },
        items: [
          { productId: '77', sku: 'S-ORAN', name: 'Fog Linen Chambray Towel - Beige Stripe', quantity: 1, price: { amount: '65.23', currency: 'USD' } },
          { productId: '86', sku: 'ABS', name: 'Able Brewing System', quantity: 1, price: { amount: '0.00', currency: 'USD' } },
        ],
        cartId: '8b84f622-faf1-4c10-887b-f5dff2f9eaf4',
      },
    });
  });

  it('reads a cart and a customer by the fields BigCommerce documents for them; a guest (customer 0) has no customer key', () => {
    // BigCommerce's documented cart (Get a Cart documents none; Delete Cart Line Item answers the same cart object).
    const cart = cartEnrichment('abc', BigCommerceCart.parse(fixtureJson('bigcommerce-api/v3-cart.json')));
    expect(cart.identity).toEqual({ email: 'customer@example.com', customerId: 'bigcommerce:abc:11' });
    expect(cart.properties.total).toEqual({ amount: '212.81', currency: 'USD' });
    expect((cart.properties.items as unknown[])[0]).toEqual(
      expect.objectContaining({ productId: '191', variantId: '362', name: 'Openhouse No. 3', quantity: 5, price: { amount: '27.95', currency: 'USD' } }),
    );
    const guest = cartEnrichment(
      'abc',
      BigCommerceCart.parse({ data: { id: 'c-1', customer_id: 0, email: 'Jane@Example.com', currency: { code: 'EUR' }, cart_amount: 30 } }),
    );
    expect(guest.identity).toEqual({ email: 'jane@example.com' });
    const customers = BigCommerceCustomers.parse({
      data: [{ id: 11, email: 'jane@example.com', first_name: 'Jane', last_name: 'Doe', date_created: '2024-01-02T03:04:05Z' }],
    });
    expect(customerEnrichment('abc', customers, '11')).toEqual({
      identity: { email: 'jane@example.com', customerId: 'bigcommerce:abc:11' },
      traits: { firstName: 'Jane', lastName: 'Doe' },
      properties: { createdAt: '2024-01-02T03:04:05.000Z' },
    });
    expect(customerEnrichment('abc', customers, 'no-such-id')).toBeUndefined();
  });

  it('fills the thin event in under its own id, keeps its keys and drops needsEnrichment; a guest has no customer key', () => {
    const thin: Json = {
      eventId: 'ev_1',
      occurredAt: '2026-11-28T10:00:00.000Z',
      receivedAt: '2026-11-28T10:00:00.000Z',
      origin: { platform: 'bigcommerce', shop: 'abc', topic: 'store/order/created' },
      identity: { orderRef: 'bigcommerce:abc:250' },
      traits: {},
      needsEnrichment: { resource: 'order', id: '250' },
      properties: { orderId: '250', items: [] },
    };
    const detail = enrichedDetail('order.completed', thin, {
      identity: { email: 'a@example.com' },
      traits: { firstName: 'Ada' },
      properties: { total: { amount: '10.00', currency: 'USD' }, items: [{ name: 'Mug', quantity: 1 }] },
    });
    expect(detail).toEqual({
      ...thin,
      needsEnrichment: undefined,
      identity: { orderRef: 'bigcommerce:abc:250', email: 'a@example.com' },
      traits: { firstName: 'Ada' },
      properties: { orderId: '250', total: { amount: '10.00', currency: 'USD' }, items: [{ name: 'Mug', quantity: 1 }] },
    });
    expect(Events.OrderCompleted.schema.safeParse(detail).success).toBe(true);
  });

  it('reads a product: its title, address on the store, first category, keywords as tags, and each variant’s price, sale and stock', () => {
    const product = BigCommerceProduct.parse(fixtureJson('bigcommerce-api/v3-product.json'));
    // Product 174 is documented without variants and without stock tracking: its base variant at its price, the retail price as "was".
    expect(productEnrichment('abc', '174', product, [])).toEqual({
      productId: '174',
      title: '1L Le Parfait Jar',
      url: 'https://store-abc.mybigcommerce.com/all/1l-le-parfait-jar/',
      category: '23',
      tags: ['jar', 'glass'],
      status: 'active',
      variants: [{ variantId: '345', price: { amount: '7.95' }, compareAtPrice: { amount: '10.00' } }],
    });
    // Get all product variants (product 192): each colour on sale, the price struck through; stock tracked by variant.
    const variants = fixtureJson<{ data: unknown[] }>('bigcommerce-api/v3-product-variants.json').data;
    const byVariant = productEnrichment(
      'abc',
      '192',
      BigCommerceProduct.parse({ data: { id: 192, name: 'Smith Journal', inventory_tracking: 'variant', price: 10 } }),
      variants,
    );
    expect(byVariant.variants).toEqual([
      { variantId: '382', title: 'Beige', sku: 'SMIT', price: { amount: '8.00' }, compareAtPrice: { amount: '10.00' }, inventory: 0 },
      { variantId: '383', title: 'Grey', sku: 'SMIT-1', price: { amount: '20.00' }, compareAtPrice: { amount: '25.00' }, inventory: 0 },
      { variantId: '384', title: 'Black', sku: 'SMIT-2', price: { amount: '20.00' }, compareAtPrice: { amount: '25.00' }, inventory: 0 },
    ]);
    expect(Events.ProductUpdated.schema.shape.change.safeParse({ kind: 'product', product: byVariant }).success).toBe(true);
  });

  it('reads stock where the product tracks it, a variant without a price at the product’s, and a hidden product as a draft', () => {
    const product = BigCommerceProduct.parse({
      data: {
        id: 7,
        name: 'Mug',
        price: 12.5,
        inventory_tracking: 'product',
        inventory_level: 4,
        is_visible: false,
        images: [{ is_thumbnail: true, url_standard: 'https://cdn.example/mug.jpg' }],
      },
    });
    const read = productEnrichment('abc', '7', product, [{ id: 70, price: null, inventory_level: 99 }, { id: 'not-a-variant-body', price: 'free' }, 'junk']);
    expect(read).toMatchObject({ status: 'draft', imageUrl: 'https://cdn.example/mug.jpg' });
    expect(read.variants).toEqual([
      { variantId: '70', price: { amount: '12.50' }, inventory: 4 },
      { variantId: 'not-a-variant-body', inventory: 4 },
    ]);
  });

  it('completes a thin product change from the product and its variants, and drops one for a product deleted since', async () => {
    const published: Json[] = [];
    const answers: Record<string, unknown> = {
      '/v3/catalog/products/174?include=images': fixtureJson('bigcommerce-api/v3-product.json'),
      '/v3/catalog/products/174/variants?limit=250': fixtureJson('bigcommerce-api/v3-product-variants.json'),
    };
    const ports = {
      api: {
        get: async (_store: string, _token: string, path: string) =>
          path in answers ? { kind: 'found' as const, body: answers[path] } : { kind: 'gone' as const },
      },
      tokenFor: async () => 'tok',
      publisher: { publish: async (_contract: unknown, detail: unknown) => void published.push(detail as Json) },
    };
    const thin = {
      eventId: 'ev_p',
      occurredAt: '2026-11-28T10:00:00.000Z',
      receivedAt: '2026-11-28T10:00:00.000Z',
      origin: { platform: 'bigcommerce', shop: 'abc', topic: 'store/product/updated' },
      change: { kind: 'product', product: { productId: '174' } },
      needsEnrichment: { resource: 'product' as const, id: '174' },
    };
    expect(await enrichEvent(Events.ProductUpdated, 'product.updated', thin, ports)).toBe('enriched');
    expect(published[0]).not.toHaveProperty('needsEnrichment');
    expect(Events.ProductUpdated.schema.parse(published[0]).change).toMatchObject({
      kind: 'product',
      product: { productId: '174', title: '1L Le Parfait Jar' },
    });
    expect(Events.ProductUpdated.schema.parse(published[0]).change).toMatchObject({ product: { variants: [{}, {}, {}] } });
    const gone = { ...thin, needsEnrichment: { resource: 'product' as const, id: '999' } };
    expect(await enrichEvent(Events.ProductUpdated, 'product.updated', gone, ports)).toBe('gone');
    expect(published).toHaveLength(1);
  });

  it('refuses, for the dead letters, an event of a store that has no token, naming the store and what to add', async () => {
    const ports = {
      api: { get: async () => ({ kind: 'gone' as const }) },
      tokenFor: async () => undefined,
      publisher: { publish: async () => undefined },
    };
    const thin = { origin: { platform: 'bigcommerce', shop: 'zz9', topic: 't' }, needsEnrichment: { resource: 'order' as const, id: '1' } };
    await expect(enrichEvent(Events.OrderCompleted, 'order.completed', thin, ports)).rejects.toThrow(PermanentError);
    await expect(enrichEvent(Events.OrderCompleted, 'order.completed', thin, ports)).rejects.toThrow('No BigCommerce API token for store zz9');
  });
});
