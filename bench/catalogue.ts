import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CatalogueStore } from '#services/profiles/adapters/catalogue-store.js';
import { ProfileStore } from '#services/profiles/adapters/profile-store.js';
import { applyProductUpdate, personalSignals, recordCommerceFacts } from '#services/profiles/catalogue.js';
import type { CustomerEvent } from '#services/profiles/core/apply-event.js';
import type { Product } from '#shared/events/product.js';
import type { ProductUpdated } from '#shared/events/product-updated.js';
import { type Counts, coPurchases, recommend } from '#shared/recommendations.js';
import { ensureTable, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { quietFreePort } from '../local/ports.js';
import { startCapacityMeter } from './capacity-meter.js';
import { random } from './random.js';

// ---------------------------------------------------------------------------------------------
// Recommendation quality on a seeded order history.

export interface HitRate {
  readonly products: number;
  readonly customers: number;
  readonly orders: number;
  readonly predictions: number;
  /** Share of next orders that contained one of the four recommended products. */
  readonly recommended: number;
  /** The same, recommending the shop's four bestsellers so far (what they did not buy before). */
  readonly bestsellers: number;
  /** Four products at random among those in stock: the floor. */
  readonly randomPick: number;
  readonly recommendationsPerSecond: number;
}

/**
 * A shop whose customers buy what goes together: 300 products in 12 categories, popularity
 * falling off as a power law; each product has two complements in other categories, and an order
 * adds one with probability 0.5; a customer's next order holds a complement of their last one
 * with probability 0.35, else anything by popularity. 6% of products are sold out. Orders are
 * replayed in time order; before each customer's next order is counted, the engine recommends
 * four products from their last order (never one they bought), as the thank-you email would.
 * The structure is invented, and said here: it is a test that the engine finds structure where
 * there is some, and how much better than bestsellers, not a forecast for a real shop.
 */
export function measureRecommendationHitRate(seed = 7): HitRate {
  const next = random(seed);
  const productCount = 300;
  const ids = Array.from({ length: productCount }, (_, index) => `p${index}`);
  const weights = ids.map((_, index) => 1 / (index + 1) ** 0.8);
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const popular = () => {
    let pick = next() * totalWeight;
    for (const [index, weight] of weights.entries()) {
      pick -= weight;
      if (pick <= 0) return ids[index] as string;
    }
    return ids[0] as string;
  };
  const categoryOf = (id: string) => `c${Number(id.slice(1)) % 12}`;
  const complements = new Map(ids.map((id, index) => [id, [ids[(index * 7 + 13) % productCount] as string, ids[(index * 11 + 29) % productCount] as string]]));
  const products = new Map<string, Product>(
    ids.map((id) => [
      id,
      { productId: id, title: id, category: categoryOf(id), tags: [], status: 'active', variants: [{ variantId: id, inventory: next() < 0.06 ? 0 : 10 }] },
    ]),
  );
  const inStock = ids.filter((id) => (products.get(id)?.variants[0]?.inventory ?? 0) > 0);

  // Customers' orders, each at a random time over a year.
  type Order = { customer: number; at: number; items: string[] };
  const orders: Order[] = [];
  const customers = 4000;
  for (let customer = 0; customer < customers; customer++) {
    const count = 2 + Math.floor(next() * 4);
    let last: string[] = [];
    let at = next() * 200;
    for (let index = 0; index < count; index++) {
      const seedProduct =
        index > 0 && next() < 0.35 ? (complements.get(last[Math.floor(next() * last.length)] as string)?.[Math.floor(next() * 2)] as string) : popular();
      const items = [seedProduct];
      if (next() < 0.5) items.push(complements.get(seedProduct)?.[Math.floor(next() * 2)] as string);
      orders.push({ customer, at, items });
      last = items;
      at += 1 + next() * 60;
    }
  }
  orders.sort((a, b) => a.at - b.at);

  const boughtWith = new Map<string, Record<string, number>>();
  const byCategory = new Map<string, Record<string, number>>();
  const shop: Record<string, number> = {};
  const history = new Map<number, { last: string[]; bought: Set<string> }>();
  let predictions = 0;
  let hits = 0;
  let baselineHits = 0;
  let randomHits = 0;
  let recommendMillis = 0;
  for (const order of orders) {
    const seen = history.get(order.customer);
    if (seen !== undefined) {
      predictions++;
      const input = {
        basket: seen.last,
        bought: [...seen.bought],
        boughtWith: Object.fromEntries(seen.last.map((id) => [id, (boughtWith.get(id) ?? {}) as Counts])),
        categoryBestsellers: [...new Set(seen.last.map(categoryOf))].map((category) => (byCategory.get(category) ?? {}) as Counts),
        shopBestsellers: shop,
        products,
        limit: 4,
      };
      const started = performance.now();
      const picks = recommend(input).map((product) => product.productId);
      recommendMillis += performance.now() - started;
      const baseline = Object.entries(shop)
        .filter(([id]) => !seen.bought.has(id) && (products.get(id)?.variants[0]?.inventory ?? 0) > 0)
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .slice(0, 4)
        .map(([id]) => id);
      const randomPicks = Array.from({ length: 4 }, () => inStock[Math.floor(next() * inStock.length)] as string);
      const hit = (picked: readonly string[]) => order.items.some((id) => picked.includes(id));
      if (hit(picks)) hits++;
      if (hit(baseline)) baselineHits++;
      if (hit(randomPicks)) randomHits++;
    }
    // Then the order is counted, as profiles counts it when it is applied.
    for (const [id, others] of coPurchases(order.items)) {
      const counts = boughtWith.get(id) ?? {};
      for (const other of others) counts[other] = (counts[other] ?? 0) + 1;
      boughtWith.set(id, counts);
    }
    for (const id of new Set(order.items)) {
      const category = byCategory.get(categoryOf(id)) ?? {};
      category[id] = (category[id] ?? 0) + 1;
      byCategory.set(categoryOf(id), category);
      shop[id] = (shop[id] ?? 0) + 1;
    }
    const state = history.get(order.customer) ?? { last: [], bought: new Set<string>() };
    state.last = order.items;
    for (const id of order.items) state.bought.add(id);
    history.set(order.customer, state);
  }
  return {
    products: productCount,
    customers,
    orders: orders.length,
    predictions,
    recommended: hits / predictions,
    bestsellers: baselineHits / predictions,
    randomPick: randomHits / predictions,
    recommendationsPerSecond: predictions / (recommendMillis / 1000),
  };
}

// ---------------------------------------------------------------------------------------------
// Catalogue capacity and speed on DynamoDB Local.

export interface CatalogueFigures {
  readonly steps: readonly { readonly step: string; readonly calls: number; readonly billedRead: number; readonly billedWrite: number }[];
  readonly updatesPerSecond: number;
  /** Baseline: one conditional PutItem of the same product item, same table, same run. */
  readonly baselinePerSecond: number;
  readonly interested: number;
}

const shopName = 'bench.myshopify.com';

function productUpdate(index: number, productId: string, inventory: number, price: string): ProductUpdated {
  const at = new Date(Date.UTC(2026, 10, 1, 10, 0, index)).toISOString();
  return {
    eventId: `bench-product-${productId}-${index}`,
    occurredAt: at,
    receivedAt: at,
    origin: { platform: 'shopify', shop: shopName, topic: 'products/update' },
    change: {
      kind: 'product',
      product: {
        productId,
        title: `Product ${productId}`,
        url: `https://${shopName}/products/${productId}`,
        category: 'Shirts',
        tags: ['bench'],
        status: 'active',
        variants: [
          { variantId: `${productId}-s`, price: { amount: price }, inventory, inventoryItemId: `${productId}-s-item` },
          { variantId: `${productId}-m`, price: { amount: price }, inventory: 5, inventoryItemId: `${productId}-m-item` },
        ],
      },
    },
  };
}

/** What one product change costs in DynamoDB, what telling interested people costs each, and catalogue updates per second. */
export async function measureCatalogue(): Promise<CatalogueFigures> {
  const dynamo = await startDynamoDbLocal({ port: await quietFreePort(), dataDir: undefined });
  try {
    await ensureTable(dynamo.endpoint, 'nudge-bench');
    const meter = await startCapacityMeter(dynamo.endpoint);
    const client = new DynamoDBClient({ endpoint: meter.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
    const store = new CatalogueStore(client, 'nudge-bench');
    const profiles = new ProfileStore(client, 'nudge-bench');
    const steps: { step: string; calls: number; billedRead: number; billedWrite: number }[] = [];
    const measured = async (step: string, work: () => Promise<unknown>) => {
      const from = meter.calls.length;
      await work();
      const calls = meter.calls.slice(from);
      steps.push({
        step,
        calls: calls.length,
        billedRead: calls.filter((call) => call.kind === 'read').reduce((sum, call) => sum + call.billed, 0),
        billedWrite: calls.filter((call) => call.kind === 'write').reduce((sum, call) => sum + call.billed, 0),
      });
    };
    await measured('product.updated, new product (2 variants, 2 inventory items)', () => applyProductUpdate(store, productUpdate(0, 'p1', 0, '20.00'), 'USD'));
    await measured('product.updated, the same product changed (no signal)', () => applyProductUpdate(store, productUpdate(1, 'p1', 0, '21.00'), 'USD'));
    await measured('product.updated, inventory level of a known item (back in stock)', () =>
      applyProductUpdate(
        store,
        { ...productUpdate(2, 'p1', 0, '21.00'), change: { kind: 'inventory-level', inventoryItemId: 'p1-s-item', locationId: 'l1', available: 4 } },
        'USD',
      ),
    );
    // People interested in the product: a view each, recorded as profiles records it.
    const interested = 200;
    for (let person = 0; person < interested; person++) {
      const event: CustomerEvent = {
        detailType: 'product.viewed',
        detail: {
          eventId: `view-${person}`,
          occurredAt: new Date(Date.UTC(2026, 10, 1, 9)).toISOString(),
          origin: { platform: 'shopify', shop: shopName, topic: 'bench' },
          identity: {},
          traits: {},
          properties: { productId: 'p1' },
        },
      };
      if (person === 0) await measured('product.viewed: the interest it leaves (per view)', () => recordCommerceFacts(store, event, `person-${person}`));
      else await recordCommerceFacts(store, event, `person-${person}`);
    }
    const signal = {
      detailType: 'product.back-in-stock',
      detail: {
        eventId: 'sig-bench',
        occurredAt: new Date(Date.UTC(2026, 10, 1, 11)).toISOString(),
        origin: { platform: 'shopify' as const, shop: shopName, topic: 'products/update' },
        properties: { productId: 'p1', variantId: 'p1-s', product: { productId: 'p1', tags: [], status: 'active' as const, variants: [] }, inventory: 4 },
      },
    };
    await measured(`product.back-in-stock told to ${interested} interested people (their interest and profile read)`, async () => {
      for await (const _ of personalSignals(store, (id) => profiles.resolve(id), signal, Date.UTC(2026, 10, 2))) {
        // Publishing is EventBridge's part, counted apart.
      }
    });
    const order: CustomerEvent = {
      detailType: 'order.completed',
      detail: {
        eventId: 'order-bench',
        occurredAt: new Date(Date.UTC(2026, 10, 1, 12)).toISOString(),
        origin: { platform: 'shopify', shop: shopName, topic: 'bench' },
        identity: {},
        traits: {},
        properties: { orderId: 'o1', items: ['p1', 'p2', 'p3'].map((productId) => ({ productId, name: productId, quantity: 1 })) },
      },
    };
    await measured('order.completed of 3 products: bought-together and bestseller counts', () => recordCommerceFacts(store, order, 'person-0'));
    await measured('recommendations for a thank-you email (4 products)', () => store.recommendations(shopName, ['p1'], [], 4));

    // Speed: product updates of 200 products, eight at once, against the same table.
    const rounds = 400;
    let started = performance.now();
    for (let batch = 0; batch < rounds; batch += 8)
      await Promise.all(
        Array.from({ length: 8 }, (_, offset) =>
          applyProductUpdate(store, productUpdate(10 + batch + offset, `q${(batch + offset) % 200}`, 3, '10.00'), 'USD'),
        ),
      );
    const updatesPerSecond = rounds / ((performance.now() - started) / 1000);
    const plain = DynamoDBDocumentClient.from(client);
    started = performance.now();
    for (let batch = 0; batch < rounds; batch += 8)
      await Promise.all(
        Array.from({ length: 8 }, (_, offset) =>
          plain.send(
            new PutCommand({
              TableName: 'nudge-bench',
              Item: { pk: `BASELINE#${(batch + offset) % 200}`, sk: 'PRODUCT', product: productUpdate(0, 'b', 3, '1.00').change },
            }),
          ),
        ),
      );
    const baselinePerSecond = rounds / ((performance.now() - started) / 1000);
    client.destroy();
    await meter.stop();
    return { steps, updatesPerSecond, baselinePerSecond, interested };
  } finally {
    await dynamo.stop();
  }
}
