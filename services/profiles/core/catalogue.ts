import { createHash } from 'node:crypto';
import type { Money } from '#shared/events/common.js';
import type { Product, ReportedPrice } from '#shared/events/product.js';
import type { ProductUpdated } from '#shared/events/product-updated.js';
import { compareDecimal } from '#shared/money.js';
import { inStock } from '#shared/recommendations.js';

/** What a product change means for shoppers: a variant that can be bought again, or got cheaper. */
export type ProductSignal =
  | { readonly kind: 'back-in-stock'; readonly variantId: string; readonly inventory: number }
  | { readonly kind: 'price-dropped'; readonly variantId: string; readonly price: Money; readonly previousPrice: Money; readonly dropPercent: number };

/** A product as the catalogue keeps it, with the stock of Shopify's inventory items by location. */
export interface StoredProduct {
  readonly product: Product;
  /** The newest change applied, by the platform's time: an older one that arrives late changes nothing. */
  readonly changedAt: string;
}

export type CatalogueChange =
  | { readonly kind: 'changed'; readonly product: Product; readonly signals: readonly ProductSignal[] }
  /** Older than what is kept, or the same: nothing to write, nothing to tell. */
  | { readonly kind: 'stale' };

/** Whole percent (rounded down) that `to` is below `from`; both decimal strings of one currency. */
export function dropPercent(from: string, to: string): number {
  const [fromCents, toCents] = [from, to].map((amount) => Math.round(Number(amount) * 100)) as [number, number];
  if (fromCents <= 0) return 0;
  return Math.floor(((fromCents - toCents) * 100) / fromCents);
}

/**
 * What a product's new state says that its old state did not: a variant that had none left and
 * now has some, a variant whose price went down in the same currency. At most one of each a
 * change (the first variant back, the biggest drop): people are interested in a product, and
 * hear of it once. A product seen for the first time tells nothing: nobody could have waited for it.
 */
export function signalsOf(before: Product | undefined, after: Product): ProductSignal[] {
  if (before === undefined || after.status !== 'active') return [];
  const signals: ProductSignal[] = [];
  for (const variant of after.variants) {
    const previous = before.variants.find((candidate) => candidate.variantId === variant.variantId);
    if (previous === undefined) continue;
    if (!inStock(previous) && inStock(variant) && variant.inventory !== undefined)
      signals.push({ kind: 'back-in-stock', variantId: variant.variantId, inventory: variant.inventory });
    const [price, was] = [variant.price, previous.price];
    if (price !== undefined && was !== undefined && price.currency === was.currency && compareDecimal(price.amount, was.amount) < 0) {
      const percent = dropPercent(was.amount, price.amount);
      if (percent >= 1) signals.push({ kind: 'price-dropped', variantId: variant.variantId, price, previousPrice: was, dropPercent: percent });
    }
  }
  const back = signals.find((signal) => signal.kind === 'back-in-stock');
  const drops = signals.filter((signal) => signal.kind === 'price-dropped');
  const biggest = drops.reduce<ProductSignal | undefined>(
    (best, drop) => (best === undefined || drop.dropPercent > (best as { dropPercent: number }).dropPercent ? drop : best),
    undefined,
  );
  return [...(back ? [back] : []), ...(biggest ? [biggest] : [])];
}

/**
 * A product update applied to what the catalogue keeps. The whole product replaces the kept one
 * when it is newer, keeping stock the update does not tell (a product webhook without inventory);
 * a deletion marks it deleted; a stock level changes one variant, found by its inventory item.
 */
export function applyProductChange(
  before: StoredProduct | undefined,
  update: ProductUpdated,
  context: {
    /** The shop's currency (config/shops.json), for prices a platform sends without one. */
    readonly currency?: string | undefined;
    /** For a stock level: the variant of the inventory item and its stock at every location. */
    readonly inventory?: { readonly variantId: string; readonly levels: Readonly<Record<string, number>> } | undefined;
  } = {},
): CatalogueChange {
  const { inventory } = context;
  const at = update.occurredAt;
  if (before !== undefined && before.changedAt > at) return { kind: 'stale' };
  const { change } = update;
  let product: Product;
  switch (change.kind) {
    case 'product': {
      const kept = new Map(before?.product.variants.map((variant) => [variant.variantId, variant]));
      product = {
        ...change.product,
        variants: change.product.variants.map(({ price, compareAtPrice, ...variant }) => {
          const old = kept.get(variant.variantId);
          const priced = { ...variant, ...withCurrency('price', price, context.currency), ...withCurrency('compareAtPrice', compareAtPrice, context.currency) };
          return variant.inventory === undefined && old?.inventory !== undefined ? { ...priced, inventory: old.inventory } : priced;
        }),
        updatedAt: at,
      };
      break;
    }
    case 'deleted':
      if (before === undefined) return { kind: 'stale' };
      product = { ...before.product, status: 'deleted', updatedAt: at };
      break;
    case 'inventory-level': {
      if (before === undefined || inventory === undefined) return { kind: 'stale' };
      const total = Object.values(inventory.levels).reduce((sum, units) => sum + units, 0);
      product = {
        ...before.product,
        variants: before.product.variants.map((variant) => (variant.variantId === inventory.variantId ? { ...variant, inventory: total } : variant)),
        updatedAt: at,
      };
      break;
    }
  }
  if (before !== undefined && JSON.stringify(before.product) === JSON.stringify(product)) return { kind: 'stale' };
  return { kind: 'changed', product, signals: signalsOf(before?.product, product) };
}

/** A reported price with its currency: its own, else the shop's; without either, no price (never a guessed currency). */
function withCurrency<K extends string>(name: K, price: ReportedPrice | undefined, currency: string | undefined): Partial<Record<K, Money>> {
  const known = price?.currency ?? currency;
  return price === undefined || known === undefined ? {} : ({ [name]: { amount: price.amount, currency: known } } as Partial<Record<K, Money>>);
}

/** The id of a signal: the same for the same update and variant, so a retry tells it once downstream. */
export const signalEventId = (updateEventId: string, signal: ProductSignal) =>
  `sig_${createHash('sha256').update(`${updateEventId}|${signal.kind}|${signal.variantId}`).digest('hex').slice(0, 32)}`;

/** The id of a signal as told to one person: a rule's message id derives from it, so a retried fan-out is one message. */
export const personalEventId = (signalEventId: string, profileId: string) =>
  `sig_${createHash('sha256').update(`${signalEventId}|${profileId}`).digest('hex').slice(0, 32)}`;

// ---------------------------------------------------------------------------------------------
// Interest: who a product's signals are for.

export type InterestKind = 'viewed' | 'carted' | 'requested';

/** A person's latest interest of each kind in one product. */
export type InterestTimes = Partial<Record<InterestKind, string>>;

/** The interest a signal is told with: asking beats carting beats viewing; then the latest. */
export function strongestInterest(times: InterestTimes, now: number): { kind: InterestKind; at: string; daysAgo: number } | undefined {
  for (const kind of ['requested', 'carted', 'viewed'] as const) {
    const at = times[kind];
    if (at !== undefined) return { kind, at, daysAgo: Math.max(0, Math.floor((now - Date.parse(at)) / 86_400_000)) };
  }
  return undefined;
}

/** How long an interest counts for a signal: longer than any rule is likely to ask (the shipped ones: 30 days). */
export const interestRetentionDays = 90;
