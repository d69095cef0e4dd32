import { receiveWebhook } from '#services/intake/core/webhook.js';
import { interestsOf } from '#services/profiles/catalogue.js';
import type { CustomerEvent } from '#services/profiles/core/apply-event.js';
import { applyProductChange, dropPercent, mergeObservation, observedProducts, signalsOf, strongestInterest } from '#services/profiles/core/catalogue.js';
import type { Product } from '#shared/events/product.js';
import type { ProductUpdated } from '#shared/events/product-updated.js';
import { candidatesOf, recommend } from '#shared/recommendations.js';
import { fixtureBytes } from '../support/fixtures.js';
import { published, signed } from '../support/intake.js';

const usd = (amount: string) => ({ amount, currency: 'USD' });
const shirt = (small: number | undefined, price = '19.99'): Product => ({
  productId: 'p1',
  title: 'Shirt',
  tags: [],
  status: 'active',
  variants: [
    { variantId: 's', price: usd(price), ...(small === undefined ? {} : { inventory: small }) },
    { variantId: 'm', price: usd('19.99'), inventory: 4 },
  ],
});

const update = (change: ProductUpdated['change'], occurredAt = '2026-11-28T10:00:00.000Z'): ProductUpdated => ({
  eventId: `ev-${occurredAt}`,
  occurredAt,
  receivedAt: occurredAt,
  origin: { platform: 'shopify', shop: 'demo.myshopify.com', topic: 'products/update' },
  change,
});

describe('what a product change tells shoppers', () => {
  it('tells a sold-out variant back in stock, and a price that went down by at least 1% in the same currency', () => {
    expect(signalsOf(shirt(0), shirt(3))).toEqual([{ kind: 'back-in-stock', variantId: 's', inventory: 3 }]);
    expect(signalsOf(shirt(3), shirt(3, '14.99'))).toEqual([
      { kind: 'price-dropped', variantId: 's', price: usd('14.99'), previousPrice: usd('19.99'), dropPercent: 25 },
    ]);
    // Up, unchanged, a cent off a big price, another currency, a first sighting, an inactive product: nothing.
    expect(signalsOf(shirt(3, '14.99'), shirt(3, '19.99'))).toEqual([]);
    expect(signalsOf(shirt(3, '1000.00'), shirt(3, '999.99'))).toEqual([]);
    expect(signalsOf({ ...shirt(3), variants: [{ variantId: 's', price: { amount: '20.00', currency: 'EUR' } }] }, shirt(3))).toEqual([]);
    expect(signalsOf(undefined, shirt(3))).toEqual([]);
    expect(signalsOf(shirt(0), { ...shirt(3), status: 'draft' })).toEqual([]);
    // A variant whose stock is not tracked was never sold out.
    expect(signalsOf(shirt(undefined), shirt(3))).toEqual([]);
  });

  it('rounds the drop down to whole percent', () => {
    expect(dropPercent('10.00', '6.67')).toBe(33);
    expect(dropPercent('0.00', '0.00')).toBe(0);
  });

  it('keeps the newest: an older change is stale, and a product webhook without stock keeps the stock it had', () => {
    const before = { product: shirt(0), changedAt: '2026-11-28T10:00:00.000Z' };
    expect(applyProductChange(before, update({ kind: 'product', product: shirt(5) }, '2026-11-28T09:00:00.000Z'))).toEqual({ kind: 'stale' });
    const reported = {
      ...shirt(undefined, '9.99'),
      variants: shirt(undefined, '9.99').variants.map(({ price, inventory: _stock, ...rest }) => ({ ...rest, price: { amount: price?.amount ?? '0' } })),
    };
    const applied = applyProductChange(
      { product: shirt(2), changedAt: before.changedAt },
      update({ kind: 'product', product: reported }, '2026-11-28T11:00:00.000Z'),
      { currency: 'USD' },
    );
    expect(applied).toMatchObject({
      kind: 'changed',
      product: {
        variants: [
          { variantId: 's', inventory: 2, price: usd('9.99') },
          { variantId: 'm', inventory: 4 },
        ],
      },
    });
  });

  it('gives a price without currency none at all when the shop has no currency configured, never a guessed one', () => {
    const reported = { ...shirt(1), variants: [{ variantId: 's', price: { amount: '5.00' } }] };
    const applied = applyProductChange(undefined, update({ kind: 'product', product: reported }));
    expect(applied).toMatchObject({ kind: 'changed' });
    expect(applied.kind === 'changed' && applied.product.variants[0]?.price).toBeUndefined();
  });

  it('sums a stock level over locations, marks a deletion, and does nothing for a level or deletion of an unknown product', () => {
    const before = { product: shirt(0), changedAt: '2026-11-28T10:00:00.000Z' };
    const level = update({ kind: 'inventory-level', inventoryItemId: 'i', locationId: 'l2', available: 2 }, '2026-11-28T11:00:00.000Z');
    const stocked = applyProductChange(before, level, { inventory: { variantId: 's', levels: { l1: 1, l2: 2 } } });
    expect(stocked).toMatchObject({ kind: 'changed', signals: [{ kind: 'back-in-stock', variantId: 's', inventory: 3 }] });
    expect(applyProductChange(undefined, level, { inventory: { variantId: 's', levels: { l1: 1 } } })).toEqual({ kind: 'stale' });
    expect(applyProductChange(before, update({ kind: 'deleted', productId: 'p1' }, '2026-11-28T12:00:00.000Z'))).toMatchObject({
      kind: 'changed',
      product: { status: 'deleted' },
      signals: [],
    });
    expect(applyProductChange(undefined, update({ kind: 'deleted', productId: 'p1' }))).toEqual({ kind: 'stale' });
  });

  it('tells a person by their strongest interest: asked, then carted, then viewed', () => {
    const now = Date.parse('2026-11-28T12:00:00.000Z');
    expect(strongestInterest({ viewed: '2026-11-27T12:00:00.000Z', carted: '2026-11-20T13:00:00.000Z' }, now)).toEqual({
      kind: 'carted',
      at: '2026-11-20T13:00:00.000Z',
      daysAgo: 7,
    });
    expect(strongestInterest({}, now)).toBeUndefined();
  });
});

describe('recommendations', () => {
  const product = (productId: string, extra: Partial<Product> = {}): Product => ({
    productId,
    title: productId,
    tags: [],
    status: 'active',
    variants: [{ variantId: `${productId}-v`, inventory: 3 }],
    ...extra,
  });
  const products = new Map(
    [
      product('hat'),
      product('tote'),
      product('cream'),
      product('scarf'),
      product('gone', { status: 'deleted' }),
      product('empty', { variants: [{ variantId: 'e', inventory: 0 }] }),
    ].map((p) => [p.productId, p]),
  );
  const input = {
    basket: ['tote'],
    bought: ['scarf'],
    boughtWith: { tote: { hat: 3, gone: 9, empty: 8, scarf: 7, tote: 1 } },
    categoryBestsellers: [{ cream: 2, tote: 50 }],
    shopBestsellers: { cream: 5, scarf: 40, hat: 1, unknown: 100 },
    products,
    limit: 4,
  };

  it('puts bought-together first, then the category’s and the shop’s bestsellers, never the basket or what was bought before', () => {
    expect(candidatesOf(input)).toEqual(['gone', 'empty', 'hat', 'cream', 'unknown']);
  });

  it('shows only known, active products with stock', () => {
    expect(recommend(input).map((p) => p.productId)).toEqual(['hat', 'cream']);
    expect(recommend({ ...input, limit: 1 }).map((p) => p.productId)).toEqual(['hat']);
  });
});

describe('catalogue webhooks, from the platforms’ own payloads', () => {
  const now = Date.parse('2026-11-28T12:00:00.000Z');
  const shopify = (file: string, topic: string) =>
    published(receiveWebhook(signed.shopify(fixtureBytes(`webhooks/shopify/${file}`), 'secret', topic), { shopify: { '*': 'secret' } }, now));

  it('reads Shopify’s product sample as the whole product, its prices without currency (the shop names it)', () => {
    const [event] = shopify('shopify-products-create.json', 'products/create');
    expect(event?.detailType).toBe('product.updated');
    expect(event?.detail).toMatchObject({
      occurredAt: '2022-01-01T00:00:00.000Z',
      change: {
        kind: 'product',
        product: {
          productId: '788032119674292922',
          title: 'Example T-Shirt',
          url: 'https://demo.myshopify.com/products/example-t-shirt',
          category: 'Shirts',
          tags: ['example', 'mens', 't-shirt'],
          status: 'active',
          variants: [
            { variantId: '642667041472713922', title: 'Small', price: { amount: '19.99' }, compareAtPrice: { amount: '24.99' }, inventory: 75 },
            { variantId: '757650484644203962', title: 'Medium', price: { amount: '19.99' }, inventory: 50 },
          ],
        },
      },
    });
  });

  it('reads a deletion and a stock level, which names only the inventory item and location', () => {
    expect(shopify('shopify-products-delete.json', 'products/delete')[0]?.detail).toMatchObject({
      change: { kind: 'deleted', productId: '788032119674292922' },
    });
    expect(shopify('shopify-inventory_levels-update.json', 'inventory_levels/update')[0]?.detail).toMatchObject({
      change: { kind: 'inventory-level', inventoryItemId: '271878346596884015', locationId: '24826418', available: 10 },
    });
  });

  it('reads WooCommerce’s product as one variant: its price, and "in stock" as for sale without a count', () => {
    const decision = receiveWebhook(
      signed.woocommerce(fixtureBytes('webhooks/woocommerce/woocommerce-product.created.json'), 'woo-secret', 'product.created'),
      { woocommerce: { '*': 'woo-secret' } },
      now,
    );
    expect(published(decision)[0]?.detail).toMatchObject({
      occurredAt: '2017-03-23T20:01:14.000Z',
      change: {
        kind: 'product',
        product: {
          productId: '794',
          title: 'Premium Quality',
          url: 'https://example.com/product/premium-quality-19/',
          imageUrl: 'https://example.com/wp-content/uploads/2017/03/T_2_front-4.jpg',
          category: 'Clothing',
          status: 'active',
          variants: [{ variantId: '794', price: { amount: '21.99' } }],
        },
      },
    });
  });

  it('refuses a product without variants or id with the field named, and leaves out a variant it cannot read', () => {
    const bad = receiveWebhook(
      signed.shopify(Buffer.from('{"id": 5, "title": "No variants"}'), 'secret', 'products/update'),
      { shopify: { '*': 'secret' } },
      now,
    );
    expect(bad.reply).toMatchObject({ status: 400, body: { code: expect.any(String), message: expect.stringContaining('variants') } });
    const odd = receiveWebhook(
      signed.shopify(
        Buffer.from('{"id": 5, "title": "Odd", "variants": [{"id": 1, "price": "2.00"}, {"price": "no id"}, "text"]}'),
        'secret',
        'products/update',
      ),
      { shopify: { '*': 'secret' } },
      now,
    );
    expect(published(odd)[0]?.detail).toMatchObject({ change: { product: { variants: [{ variantId: '1', price: { amount: '2.00' } }] } } });
  });
});

describe('whose interest a product signal is for', () => {
  const event = (detailType: string, properties: Record<string, unknown>) =>
    ({
      detailType,
      detail: {
        eventId: 'e',
        occurredAt: '2026-11-28T10:00:00.000Z',
        receivedAt: '2026-11-28T10:00:00.000Z',
        origin: { platform: 'segment', shop: 'web' },
        identity: { email: 'a@example.com' },
        traits: {},
        properties,
      },
    }) as unknown as CustomerEvent;

  it('reads a view, a cart or checkout (each product once), and Segment’s "Product Back In Stock Requested"', () => {
    expect(interestsOf(event('product.viewed', { productId: 'p1' }))).toEqual({ kind: 'viewed', productIds: ['p1'] });
    expect(interestsOf(event('cart.updated', { items: [{ productId: 'p1' }, { productId: 'p1' }, { name: 'no id' }] }))).toEqual({
      kind: 'carted',
      productIds: ['p1'],
    });
    expect(interestsOf(event('custom.Product Back In Stock Requested', { name: 'Product Back In Stock Requested', values: { product_id: 507 } }))).toEqual({
      kind: 'requested',
      productIds: ['507'],
    });
    expect(interestsOf(event('order.completed', { items: [{ productId: 'p1' }] }))).toBeUndefined();
  });
});

describe('one signal of each kind a product change', () => {
  it('tells the first variant back and the biggest drop, once each', () => {
    const before: Product = {
      productId: 'p',
      tags: [],
      status: 'active',
      variants: [
        { variantId: 'a', inventory: 0, price: { amount: '10.00', currency: 'USD' } },
        { variantId: 'b', inventory: 0, price: { amount: '10.00', currency: 'USD' } },
      ],
    };
    const after: Product = {
      ...before,
      variants: [
        { variantId: 'a', inventory: 2, price: { amount: '9.00', currency: 'USD' } },
        { variantId: 'b', inventory: 5, price: { amount: '5.00', currency: 'USD' } },
      ],
    };
    expect(signalsOf(before, after)).toEqual([
      { kind: 'back-in-stock', variantId: 'a', inventory: 2 },
      {
        kind: 'price-dropped',
        variantId: 'b',
        price: { amount: '5.00', currency: 'USD' },
        previousPrice: { amount: '10.00', currency: 'USD' },
        dropPercent: 50,
      },
    ]);
  });
});

describe('the catalogue of a shop that only speaks Segment', () => {
  const at = '2026-11-28T10:00:00.000Z';
  const event = (detailType: string, properties: Record<string, unknown>, platform = 'segment'): CustomerEvent => ({
    detailType,
    detail: { eventId: 'e', occurredAt: at, identity: { email: 'a@example.com' }, traits: {}, origin: { platform, topic: 't', shop: 'web' }, properties },
  });
  const usd = (amount: string) => ({ amount, currency: 'USD' });

  it('reads a product viewed and each product of a cart or order, once; a platform’s own events describe nothing', () => {
    const viewed = event('product.viewed', {
      productId: 'p1',
      variantId: '200 pieces',
      name: 'Monopoly',
      price: usd('18.99'),
      url: 'https://shop.example/p1',
      imageUrl: 'https://shop.example/p1.jpg',
      category: 'Games',
    });
    expect(observedProducts(viewed)).toEqual([
      {
        productId: 'p1',
        title: 'Monopoly',
        url: 'https://shop.example/p1',
        imageUrl: 'https://shop.example/p1.jpg',
        category: 'Games',
        variant: { variantId: '200 pieces', sku: undefined, price: usd('18.99') },
      },
    ]);
    const order = event('order.completed', {
      items: [
        { productId: 'p2', sku: 'UNO-1', name: 'Uno', quantity: 2, price: usd('3.00'), url: 'javascript:alert(1)' },
        { productId: 'p2', sku: 'UNO-2', name: 'Uno', quantity: 1 },
        { name: 'Gift wrap', quantity: 1 },
      ],
    });
    // A variant is named by its SKU when Segment gives no variant; an address a shopper cannot open is dropped.
    expect(observedProducts(order)).toEqual([
      {
        productId: 'p2',
        title: 'Uno',
        url: undefined,
        imageUrl: undefined,
        category: undefined,
        variant: { variantId: 'UNO-1', sku: 'UNO-1', price: usd('3.00') },
      },
    ]);
    expect(observedProducts(event('order.completed', order.detail.properties, 'shopify'))).toEqual([]);
    expect(observedProducts(event('order.refunded', order.detail.properties))).toEqual([]);
  });

  it('creates a product, refreshes what a later view shows, keeps the other variants, and tells nothing when nothing changed', () => {
    const [seen] = observedProducts(event('product.viewed', { productId: 'p1', name: 'Monopoly', price: usd('18.99'), sku: 'G-32' }));
    const created = mergeObservation(undefined, seen as NonNullable<typeof seen>, at) as Product;
    expect(created).toEqual({
      productId: 'p1',
      title: 'Monopoly',
      tags: [],
      status: 'active',
      variants: [{ variantId: 'G-32', sku: 'G-32', price: usd('18.99') }],
      updatedAt: at,
    });
    expect(mergeObservation(created, seen as NonNullable<typeof seen>, '2026-11-29T10:00:00.000Z')).toBeUndefined();
    // As DynamoDB gives it back: the same product with its fields in another order is still unchanged.
    const reordered = Object.fromEntries(Object.entries(created).reverse()) as Product;
    const variantsReordered = { ...reordered, variants: reordered.variants.map((variant) => Object.fromEntries(Object.entries(variant).reverse())) } as Product;
    expect(mergeObservation(variantsReordered, seen as NonNullable<typeof seen>, '2026-11-29T10:00:00.000Z')).toBeUndefined();
    const [other] = observedProducts(event('product.viewed', { productId: 'p1', sku: 'G-33', price: usd('24.00'), imageUrl: 'https://shop.example/p1.jpg' }));
    const both = mergeObservation(created, other as NonNullable<typeof other>, '2026-11-29T10:00:00.000Z') as Product;
    expect(both).toMatchObject({ title: 'Monopoly', imageUrl: 'https://shop.example/p1.jpg', updatedAt: '2026-11-29T10:00:00.000Z' });
    expect(both.variants.map((variant) => [variant.variantId, variant.price?.amount])).toEqual([
      ['G-32', '18.99'],
      ['G-33', '24.00'],
    ]);
    const [cheaper] = observedProducts(event('product.viewed', { productId: 'p1', sku: 'G-32', price: usd('15.00') }));
    expect((mergeObservation(both, cheaper as NonNullable<typeof cheaper>, at) as Product).variants[0]?.price).toEqual(usd('15.00'));
  });
});
