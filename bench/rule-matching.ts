import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type CompiledRule, compileRule, Rule } from '#services/rules/core/rule.js';
import { matchingByScan, RuleIndex } from '#services/rules/core/rule-index.js';
import { flattenEvent } from '#shared/event-pattern/index.js';
import { random } from './random.js';

const catalogue = { products: 5000, categories: 40, shops: 20 };
const currencies = ['USD', 'EUR', 'GBP', 'CAD'];
const locales = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES'];
const types = [
  'order.completed',
  'product.viewed',
  'cart.updated',
  'checkout.started',
  'customer.upserted',
  'order.refunded',
  'review.submitted',
  'store.visited',
];

/** Canonical customer events as rules see them (the trigger of profile.updated), shaped like real shop traffic. */
export function generateEvents(count: number, seed = 1): Record<string, unknown>[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const product = () => {
    const id = Math.floor(next() * catalogue.products);
    return {
      productId: `p${id}`,
      sku: `SKU-${id % 97}-${id}`,
      category: `c${id % catalogue.categories}`,
      name: `Product ${id}`,
      price: { amount: (5 + (id % 200)).toFixed(2), currency: 'USD' },
    };
  };
  return Array.from({ length: count }, (_, index) => {
    const type = pick(types);
    const items = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({ ...product(), quantity: 1 + Math.floor(next() * 3) }));
    const total = { amount: (10 + next() * 490).toFixed(2), currency: pick(currencies) };
    const properties: Record<string, unknown> =
      type === 'product.viewed' || type === 'review.submitted'
        ? { ...product(), rating: 1 + Math.floor(next() * 5) }
        : type === 'store.visited'
          ? { storeId: `s${Math.floor(next() * 50)}` }
          : { orderId: `o${index}`, checkoutId: next() < 0.7 ? `k${index}` : undefined, cartId: `cart${index}`, total, items };
    return {
      source: 'nudge.intake',
      'detail-type': type,
      detail: {
        eventId: `ev_${index}`,
        occurredAt: '2026-11-22T12:00:00.000Z',
        receivedAt: '2026-11-22T12:00:01.000Z',
        origin: { platform: 'shopify', shop: `shop${Math.floor(next() * catalogue.shops)}.myshopify.com`, topic: 'orders/create' },
        identity: { email: `customer${Math.floor(next() * 100000)}@${pick(['example.com', 'mail.test', 'shop.test'])}`, customerId: `shopify:${index}` },
        traits: { firstName: 'Sam', locale: pick(locales) },
        properties,
      },
    };
  });
}

/** Broad rules (a numeric threshold and nothing specific) do not multiply with a catalogue; a shop has a few dozen. */
export const broadRules = 50;

/**
 * Rules of mixed operators, grown the way rule sets grow: product-, category-, SKU-, shop- and
 * audience-specific rules scale with the count (weights below), while broad threshold rules stay
 * at `broadRules` (or a tenth of the rules, if fewer).
 */
export function generateRules(count: number, seed = 2): CompiledRule[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const between = (low: number, high: number) => Math.floor(low + next() * (high - low));
  const shop = () => `shop${between(0, catalogue.shops)}.myshopify.com`;
  const specific: [weight: number, make: (type: string) => Record<string, unknown>][] = [
    [
      35,
      (type) => ({
        'detail-type': [type],
        detail: {
          properties:
            type === 'product.viewed' || type === 'review.submitted'
              ? { productId: [`p${between(0, catalogue.products)}`] }
              : { items: { productId: [`p${between(0, catalogue.products)}`] } },
        },
      }),
    ],
    [
      17,
      (type) => ({
        'detail-type': [type],
        detail: { properties: { items: { category: [`c${between(0, catalogue.categories)}`] }, total: { amount: [{ prefix: String(between(1, 5)) }] } } },
      }),
    ],
    [17, (type) => ({ 'detail-type': [type], detail: { origin: { shop: [shop()] }, properties: { total: { currency: [{ 'anything-but': ['USD'] }] } } } })],
    [
      11,
      (type) => ({
        'detail-type': [type],
        detail: { properties: { items: { sku: [{ prefix: `SKU-${between(0, 97)}-` }], quantity: [{ numeric: ['>=', between(2, 4)] }] } } },
      }),
    ],
    [
      11,
      (type) => ({
        'detail-type': [type],
        detail: {
          traits: { locale: [{ 'equals-ignore-case': pick(locales).toUpperCase() }] },
          identity: { email: [{ wildcard: `*@${pick(['example.com', 'mail.test'])}` }] },
        },
      }),
    ],
    [
      5,
      (type) => ({
        $or: [
          { 'detail-type': [type], detail: { properties: { storeId: [`s${between(0, 50)}`] } } },
          { 'detail-type': [pick(types)], detail: { origin: { shop: [shop()] } } },
        ],
      }),
    ],
    [
      4,
      () => ({
        source: ['nudge.intake'],
        detail: { origin: { shop: [{ wildcard: `shop${between(0, 9)}*.myshopify.com` }] }, traits: { locale: [pick(locales)] } },
      }),
    ],
  ];
  const totalWeight = specific.reduce((sum, [weight]) => sum + weight, 0);
  const broad = Math.min(broadRules, Math.floor(count / 10));
  return Array.from({ length: count }, (_, index) => {
    const type = pick(types);
    let event: Record<string, unknown>;
    if (index < broad) {
      event = { 'detail-type': [type], detail: { properties: { checkoutId: [{ exists: true }], items: { quantity: [{ numeric: ['>=', between(2, 4)] }] } } } };
    } else {
      const roll = next() * totalWeight;
      let cumulative = 0;
      const kind = specific.find(([weight]) => {
        cumulative += weight;
        return roll < cumulative;
      });
      event = (kind ?? specific[0])?.[1](type) ?? {};
    }
    return compileRule(Rule.parse({ id: `r${index}`, name: `Rule ${index}`, trigger: { type: 'event', event }, channel: 'email', template: 't' }));
  });
}

export interface MatchingFigures {
  readonly rules: number;
  /** Events in the CPU cache, as in the service, where each event is matched right after it is parsed. */
  readonly indexedPerSecond: number;
  /** The same over 5,000 pre-built events that do not fit in the cache: mostly memory latency. */
  readonly indexedOutOfCachePerSecond: number;
  readonly scanPerSecond: number;
  readonly matchesPerEvent: number;
}

/**
 * Runs `work` over the events for about `millis` after a warm-up, in seven trials, and returns
 * the median trial's events per second: a garbage collection or a recompilation in one trial
 * does not move the figure.
 */
function eventsPerSecond(events: readonly unknown[], work: (event: unknown) => number, millis: number): number {
  // Start each measurement with a clean heap (npm run bench exposes gc): garbage left by the
  // previous one, such as the every-rule baseline's, must not be collected on this one's time.
  (globalThis as { gc?: () => void }).gc?.();
  const warmUntil = performance.now() + millis / 2;
  let cursor = 0;
  while (performance.now() < warmUntil) work(events[cursor++ % events.length]);
  const trials = Array.from({ length: 7 }, () => {
    let processed = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < millis / 7) {
      for (let batch = 0; batch < 50; batch++) work(events[cursor++ % events.length]);
      processed += 50;
      elapsed = performance.now() - start;
    }
    return (processed / elapsed) * 1000;
  });
  return trials.sort((a, b) => a - b)[3] as number;
}

/** Distinct events cycled through in the timed loop: few enough to stay in the CPU cache. */
const inCacheEvents = 256;

/** One rule count, measured in this process: its own JIT state and heap. */
export function measureOneRuleCount(count: number, millis = 1500): MatchingFigures {
  const events = generateEvents(5000);
  const inCache = events.slice(0, inCacheEvents);
  const rules = generateRules(count);
  const index = new RuleIndex(rules);
  let found = 0;
  for (const event of events.slice(0, 500)) {
    const flat = flattenEvent(event);
    const viaIndex = index
      .matching(event)
      .map(({ rule }) => rule.rule.id)
      .sort();
    const viaScan = matchingByScan(rules, flat)
      .map(({ rule }) => rule.rule.id)
      .sort();
    if (viaIndex.join() !== viaScan.join()) throw new Error(`The index and the scan disagree on ${JSON.stringify(event)}`);
    found += viaIndex.length;
  }
  return {
    rules: count,
    indexedPerSecond: eventsPerSecond(inCache, (event) => index.matching(event).length, millis),
    indexedOutOfCachePerSecond: eventsPerSecond(events, (event) => index.matching(event).length, millis),
    scanPerSecond: eventsPerSecond(inCache, (event) => matchingByScan(rules, flattenEvent(event)).length, millis),
    matchesPerEvent: found / 500,
  };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Each rule count in `runs` fresh processes, and the median of each figure: V8 compiles the hot
 * code differently from one process to the next (on this machine the same measurement moves by
 * up to ±30% between processes), and one count's compiled code must not shape another's.
 */
export function measureRuleMatching(ruleCounts: readonly number[], runs = 3): MatchingFigures[] {
  const worker = join(import.meta.dirname, 'rule-matching-worker.ts');
  return ruleCounts.map((count) => {
    const results = Array.from({ length: runs }, () => {
      const output = execFileSync(process.execPath, [...process.execArgv, worker, String(count)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      return JSON.parse(output.trim().split('\n').at(-1) as string) as MatchingFigures;
    });
    return {
      rules: count,
      indexedPerSecond: median(results.map((result) => result.indexedPerSecond)),
      indexedOutOfCachePerSecond: median(results.map((result) => result.indexedOutOfCachePerSecond)),
      scanPerSecond: median(results.map((result) => result.scanPerSecond)),
      matchesPerEvent: results[0]?.matchesPerEvent ?? 0,
    };
  });
}
