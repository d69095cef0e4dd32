import { createHash } from 'node:crypto';
import type { Money } from '#shared/events/common.js';
import type { Product, ReportedPrice } from '#shared/events/product.js';
import type { ProductUpdated } from '#shared/events/product-updated.js';
import { compareDecimal } from '#shared/money.js';
import { inStock } from '#shared/recommendations.js';
import { webUrl } from '#shared/web-url.js';
import type { CustomerEvent } from './apply-event.js';

/** What a product change means for shoppers: a variant that can be bought again, or got cheaper. */
export type ProductSignal =
  | { readonly kind: 'back-in-stock'; readonly variantId: string; readonly inventory: number }
  | { readonly kind: 'price-dropped'; readonly variantId: string; readonly price: Money; readonly previousPrice: Money; readonly dropPercent: number };

/** A product as the catalogue keeps it, with the stock of Shopify's inventory items by location. */
export interface StoredProduct {
  readonly product: Product;
  /** The newest change applied, by the platform's time: an older one that arrives late changes nothing. */
  readonly changedAt: string;
  /** `storefront` when known only from what shoppers were shown (Segment): a platform's webhook replaces it whole. */
  readonly source?: 'storefront' | undefined;
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

// ---------------------------------------------------------------------------------------------
// Storefront observations: the catalogue of a shop that only speaks Segment.

/** A product as a storefront showed it to a person (Segment's product fields): one variant at most, no stock. */
export interface ProductObservation {
  readonly productId: string;
  readonly title?: string | undefined;
  readonly url?: string | undefined;
  readonly imageUrl?: string | undefined;
  readonly category?: string | undefined;
  readonly variant?: { readonly variantId: string; readonly sku?: string | undefined; readonly price?: Money | undefined } | undefined;
}

/** Only Segment describes products as shoppers see them (shop apps report places): a platform's catalogue comes from its own webhooks. */
const storefrontPlatforms: ReadonlySet<string> = new Set(['segment']);

type ObservedFields = {
  readonly productId?: string | undefined;
  readonly variantId?: string | undefined;
  readonly sku?: string | undefined;
  readonly name?: string | undefined;
  readonly category?: string | undefined;
  readonly price?: Money | undefined;
  readonly url?: string | undefined;
  readonly imageUrl?: string | undefined;
};

/**
 * The products a Segment or shop-app event shows (a product viewed, the items of a cart, a checkout
 * or an order), as the catalogue can keep them. A variant is named by its variant, else its SKU,
 * else the product: Segment's spec has no variant ids.
 */
export function observedProducts(event: CustomerEvent): ProductObservation[] {
  if (!storefrontPlatforms.has(event.detail.origin?.platform ?? '')) return [];
  const properties = event.detail.properties as { items?: readonly ObservedFields[] } & ObservedFields;
  const shown: readonly ObservedFields[] =
    event.detailType === 'product.viewed'
      ? [properties]
      : ['cart.updated', 'checkout.started', 'order.completed'].includes(event.detailType)
        ? (properties.items ?? [])
        : [];
  const seen = new Map<string, ProductObservation>();
  for (const fields of shown) {
    if (fields.productId === undefined || seen.has(fields.productId)) continue;
    const variantId = fields.variantId ?? fields.sku ?? fields.productId;
    seen.set(fields.productId, {
      productId: fields.productId,
      title: fields.name === '' ? undefined : fields.name,
      url: webUrl(fields.url),
      imageUrl: webUrl(fields.imageUrl),
      category: fields.category,
      variant: { variantId, sku: fields.sku, price: fields.price },
    });
  }
  return [...seen.values()];
}

const defined = <T extends Record<string, unknown>>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;

/**
 * What an observation adds to a product known only from observations (or creates): the fields it
 * shows replace the kept ones, its variant is added or repriced, other variants stay. `undefined`
 * when it shows nothing new (the common case: a product viewed again at the same price).
 */
export function mergeObservation(before: Product | undefined, seen: ProductObservation, at: string): Product | undefined {
  const shown = defined({ title: seen.title, url: seen.url, imageUrl: seen.imageUrl, category: seen.category });
  const variants = [...(before?.variants ?? [])];
  if (seen.variant !== undefined) {
    const index = variants.findIndex((variant) => variant.variantId === seen.variant?.variantId);
    const merged = {
      ...variants[index],
      ...defined({ variantId: seen.variant.variantId, sku: seen.variant.sku, price: seen.variant.price }),
    } as Product['variants'][number];
    if (index === -1) variants.push(merged);
    else variants[index] = merged;
  }
  const product: Product = { ...(before ?? { productId: seen.productId, tags: [], status: 'active', variants: [] }), ...shown, variants };
  if (before !== undefined && JSON.stringify(before) === JSON.stringify({ ...product, updatedAt: before.updatedAt })) return undefined;
  return { ...product, updatedAt: at };
}
