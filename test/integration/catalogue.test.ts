import { randomUUID } from 'node:crypto';
import { localShopifySecret, localWebhookSecrets } from '../../local/runtime.js';
import { sendSample } from '../support/cli.js';
import { fixtureJson } from '../support/fixtures.js';
import { postWebhook, signed } from '../support/intake.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// The catalogue end to end on the local runtime, from Shopify's own payloads: a product sold out in
// one size comes back and the shopper who carted it hears; it gets cheaper and they hear again;
// and the thank-you of a second customer recommends what the first bought with the same product.
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  await clearInbox(runtime);
}, 60_000);
afterAll(() => runtime?.stop());

type Json = Record<string, unknown>;
const segmentWriteKey = Object.keys(localWebhookSecrets.segment ?? {})[0] as string;
const now = () => new Date(runtime.scheduler.clock.now()).toISOString();

async function shopify(topic: string, body: Json): Promise<void> {
  const request = signed.shopify(JSON.stringify(body), localShopifySecret, topic, { 'x-shopify-webhook-id': randomUUID() });
  const response = await postWebhook(runtime.httpUrl, request);
  expect({ topic, status: response.status, body: JSON.parse(response.text) }).toMatchObject({ topic, status: 200 });
  await runtime.idle();
}

/** Shopify's sample product, as another product of the shop: its own ids, title and handle; Small sold out, tracked as inventory item `<id>1`. */
function product(id: number, title: string, price = '19.99', smallInStock: number | null = 0): Json {
  const sample = fixtureJson<Json & { variants: Json[] }>('webhooks/shopify/shopify-products-create.json');
  const { admin_graphql_api_id: _gid, ...rest } = sample;
  return {
    ...rest,
    id,
    title,
    handle: title.toLowerCase().replaceAll(' ', '-'),
    updated_at: now(),
    image: { src: `https://cdn.example.com/${id}.jpg` },
    variants: sample.variants.map(({ admin_graphql_api_id: _variantGid, inventory_quantity: _quantity, ...variant }, index) => ({
      ...variant,
      id: id * 10 + index,
      product_id: id,
      price,
      inventory_item_id: id * 10 + index,
      // Newer API versions send no quantity: the stock is what inventory levels said.
      ...(index === 0 && smallInStock === null ? {} : { inventory_quantity: index === 0 ? smallInStock : 50 }),
    })),
  };
}

/** Shopify's sample order, placed now by this customer, of these products. */
function order(email: string, customerId: number, productIds: readonly number[]): Json {
  const sample = fixtureJson<Json & { line_items: Json[]; customer: Json }>('webhooks/shopify/shopify-orders-create.json');
  const { admin_graphql_api_id: _gid, ...rest } = sample;
  const line = sample.line_items[0] as Json;
  return {
    ...rest,
    id: Math.floor(Math.random() * 1e12),
    email,
    contact_email: email,
    buyer_accepts_marketing: true,
    cancelled_at: null,
    cancel_reason: null,
    created_at: now(),
    processed_at: now(),
    updated_at: now(),
    customer: { ...sample.customer, id: customerId, admin_graphql_api_id: `gid://shopify/Customer/${customerId}`, email, first_name: 'Bea' },
    line_items: productIds.map((productId, index) => ({
      ...line,
      id: index + 1,
      admin_graphql_api_id: undefined,
      product_id: productId,
      variant_id: null,
      name: `Item ${productId}`,
    })),
  };
}

const subjectsTo = async (email: string) =>
  (await inbox(runtime)).filter((message) => message.destination.to.includes(email)).map((message) => message.subject);
const htmlTo = async (email: string, subject: string) =>
  (await inbox(runtime)).find((message) => message.destination.to.includes(email) && message.subject.startsWith(subject))?.body.html ?? '';

describe('the catalogue', () => {
  it('tells the shopper who carted a sold-out size when it is back, and again when it is cheaper', async () => {
    await shopify('products/create', product(1001, 'Linen Shirt'));
    // Ada carts the sold-out size and leaves.
    const checkout = fixtureJson<Json & { line_items: Json[] }>('webhooks/shopify/shopify-checkouts-create.json');
    await shopify('checkouts/create', {
      ...checkout,
      token: randomUUID(),
      email: 'ada.waiting@example.com',
      buyer_accepts_marketing: true,
      created_at: now(),
      updated_at: now(),
      line_items: [{ ...(checkout.line_items[0] as Json), product_id: 1001, variant_id: 10010 }],
    });
    expect(await subjectsTo('ada.waiting@example.com')).toEqual([]);

    // The stock of the small size comes back, told by its inventory item alone.
    await shopify('inventory_levels/update', {
      ...fixtureJson('webhooks/shopify/shopify-inventory_levels-update.json'),
      inventory_item_id: 10010,
      available: 3,
    });
    expect(await subjectsTo('ada.waiting@example.com')).toEqual(['Back in stock: Linen Shirt']);
    const backInStock = await htmlTo('ada.waiting@example.com', 'Back in stock');
    expect(backInStock).toContain('only 3 are left');
    expect(backInStock).toContain('$19.99');
    expect(backInStock).toContain('Order it now');
    const told = runtime.busLog().find((event) => event['detail-type'] === 'product.back-in-stock');
    expect((told?.detail.properties as { product?: { url?: string } } | undefined)?.product?.url).toBe('https://demo.myshopify.com/products/linen-shirt');

    // A second report of the same level changes nothing, and tells nobody again.
    await shopify('inventory_levels/update', {
      ...fixtureJson('webhooks/shopify/shopify-inventory_levels-update.json'),
      inventory_item_id: 10010,
      available: 3,
    });
    expect(await subjectsTo('ada.waiting@example.com')).toHaveLength(1);

    const cheaperShirt = product(1001, 'Linen Shirt', '14.99', 3);
    await shopify('products/update', cheaperShirt);
    expect(await subjectsTo('ada.waiting@example.com')).toEqual(['Back in stock: Linen Shirt', 'Linen Shirt is now 25% cheaper']);
    // A copy of that update (Shopify's retry) tells nobody again: its signal is marked told.
    const priceDrops = () =>
      runtime.busLog().filter((event) => event['detail-type'] === 'product.price-dropped' && JSON.stringify(event.detail).includes('Linen Shirt'));
    expect(priceDrops()).toHaveLength(1);
    await shopify('products/update', cheaperShirt);
    expect(priceDrops()).toHaveLength(1);
    const cheaper = await htmlTo('ada.waiting@example.com', 'Linen Shirt is now');
    expect(cheaper).toContain('$19.99');
    expect(cheaper).toContain('$14.99');
  }, 60_000);

  it('keeps a stock level that comes before its product, and a level for an item nobody names is not an error', async () => {
    await shopify('inventory_levels/update', {
      ...fixtureJson('webhooks/shopify/shopify-inventory_levels-update.json'),
      inventory_item_id: 99990,
      available: 7,
    });
    await shopify('products/create', product(9999, 'Early Socks', '5.00', null));
    const updates = runtime.busLog().filter((event) => event['detail-type'] === 'product.updated');
    expect(updates.length).toBeGreaterThanOrEqual(2);
    // The unknown item's level is on record; the product took it (7 in stock, not the webhook's 1).
    await shopify('products/update', product(9999, 'Early Socks', '4.00', null));
    const dropped = runtime.busLog().find((event) => event['detail-type'] === 'product.price-dropped' && JSON.stringify(event.detail).includes('Early Socks'));
    const variants = (dropped?.detail.properties as { product?: { variants?: { inventory?: number }[] } } | undefined)?.product?.variants;
    expect(variants?.[0]?.inventory).toBe(7);
  }, 60_000);

  it('keeps the latest stock level of a location when an older report of it comes late', async () => {
    const level = fixtureJson<Json>('webhooks/shopify/shopify-inventory_levels-update.json');
    const later = new Date(runtime.scheduler.clock.now() + 300_000).toISOString();
    await shopify('inventory_levels/update', { ...level, inventory_item_id: 99980, available: 3, updated_at: later });
    await shopify('inventory_levels/update', { ...level, inventory_item_id: 99980, available: 9, updated_at: now() });
    await shopify('products/create', product(9998, 'Late Socks', '5.00', null));
    await shopify('products/update', product(9998, 'Late Socks', '4.00', null));
    const dropped = runtime.busLog().find((event) => event['detail-type'] === 'product.price-dropped' && JSON.stringify(event.detail).includes('Late Socks'));
    const variants = (dropped?.detail.properties as { product?: { variants?: { inventory?: number }[] } } | undefined)?.product?.variants;
    expect(variants?.[0]?.inventory).toBe(3);
  }, 60_000);

  it('can be tried with the shipped samples: a product sold out, a checkout of it, the product back', async () => {
    const send = (name: string, ...sets: string[]) => sendSample(runtime, 'shopify', name, ...sets);
    expect(await send('products/create', 'inventory_quantity=0')).toMatchObject({ status: 0 });
    expect(await send('checkouts/create', 'email=tia.tries@example.com', 'buyer_accepts_marketing=true', 'product_id=788032119674292922')).toMatchObject({
      status: 0,
    });
    expect(await send('products/update', 'inventory_quantity=4')).toMatchObject({ status: 0 });
    await runtime.idle();
    expect(await subjectsTo('tia.tries@example.com')).toEqual(['Back in stock: Example T-Shirt']);
  }, 60_000);

  it('recommends to a second customer what the first bought with the same product, never what they bought', async () => {
    await shopify('products/create', product(2001, 'Canvas Tote', '30.00', 5));
    await shopify('products/create', product(2002, 'Straw Hat', '25.00', 5));
    await shopify('products/create', product(2003, 'Sun Cream', '9.00', 5));
    // The first customer buys the tote with the hat; someone else buys sun cream (a bestseller of its own).
    await shopify('orders/create', order('first.buyer@example.com', 501, [2001, 2002]));
    await shopify('orders/create', order('cream.buyer@example.com', 502, [2003]));
    await shopify('orders/create', order('cream.again@example.com', 503, [2003]));
    // The second customer buys the tote alone: the hat first (bought together), then what sells.
    await shopify('orders/create', order('second.buyer@example.com', 504, [2001]));
    const thanks = await htmlTo('second.buyer@example.com', 'Thank you for your order');
    expect(thanks).toContain('You may also like');
    const recommended = thanks.slice(thanks.indexOf('You may also like'));
    expect(recommended).toContain('Straw Hat');
    expect(recommended).toContain('https://cdn.example.com/2002.jpg');
    expect(recommended.indexOf('Straw Hat')).toBeLessThan(recommended.indexOf('Sun Cream'));
    expect(recommended).not.toContain('Canvas Tote');
    expect(recommended).toContain('$25.00');
  }, 60_000);

  it('keeps the products a Segment-only shop shows, so its thank-you recommends them with their pictures and prices', async () => {
    const order = fixtureJson<{ properties: Json & { products: Json[] } }>('webhooks/segment/segment-track-order-completed.json');
    const [monopoly, uno] = order.properties.products as [Json, Json];
    const buys = async (email: string, products: Json[]) => {
      const request = signed.segment(
        '/v1/track',
        {
          ...order,
          messageId: randomUUID(),
          userId: email,
          timestamp: now(),
          context: { traits: { email } },
          properties: { ...order.properties, order_id: randomUUID(), products },
        },
        segmentWriteKey,
      );
      expect((await postWebhook(runtime.httpUrl, request)).status).toBe(200);
      await runtime.idle();
    };
    // Segment's documented order: Monopoly (with its page and picture) and Uno, bought together.
    await buys('segment.first@example.com', [monopoly, { ...uno, image_url: 'https://www.example.com/uno.jpg' }]);
    await buys('segment.second@example.com', [monopoly]);
    const thanks = await htmlTo('segment.second@example.com', 'Thank you for your order');
    const recommended = thanks.slice(thanks.indexOf('You may also like'));
    expect(thanks).toContain('You may also like');
    expect(recommended).toContain('Uno Card Game');
    expect(recommended).toContain('https://www.example.com/uno.jpg');
    expect(recommended).toContain('$3.00');
    expect(recommended).not.toContain('Monopoly');
  }, 60_000);
});
