import type { Publication } from '#shared/adapters/bus-publisher.js';
import type { LineItem } from '#shared/events/common.js';
import * as Events from '#shared/events/index.js';
import type { Product, ReportedProduct } from '#shared/events/product.js';
import type { ProductBackInStock } from '#shared/events/product-back-in-stock.js';
import type { ProductPriceDropped } from '#shared/events/product-price-dropped.js';
import type { ProductUpdated } from '#shared/events/product-updated.js';
import type { Profile } from '#shared/events/profile.js';
import { catalogueShop, coPurchases } from '#shared/recommendations.js';
import { PermanentError } from '#shared/result.js';
import type { CatalogueStore } from './adapters/catalogue-store.js';
import type { StoredProfile } from './adapters/profile-store.js';
import type { CustomerEvent } from './core/apply-event.js';
import {
  applyProductChange,
  type InterestKind,
  mergeObservation,
  observedProducts,
  type ProductObservation,
  type ProductSignal,
  personalEventId,
  signalEventId,
  strongestInterest,
} from './core/catalogue.js';

export type CatalogueOutcome =
  | { readonly kind: 'changed' | 'retold'; readonly productId: string; readonly signals: readonly ProductSignal[] }
  | { readonly kind: 'stale'; readonly productId: string }
  /** A stock level for an inventory item no product has named yet: kept, and applied when the product arrives. */
  | { readonly kind: 'unknown-item'; readonly inventoryItemId: string };

/** Optimistic concurrency, as profiles: a handful of retries absorbs a burst of updates to one product. */
const maxAttempts = 8;

/**
 * A catalogue change applied once to the product it names, and what it tells shoppers (back in
 * stock, price dropped) as publications. A retry of the change that was applied last tells its
 * signals again (their ids are the same, so nobody hears twice).
 */
export async function applyProductUpdate(
  store: CatalogueStore,
  reported: ProductUpdated,
  /** The shop's currency (config/shops.json), for prices the platform sends without one. */
  currency: string | undefined,
): Promise<{ outcome: CatalogueOutcome; publications: Publication[] }> {
  // A thin change names the product only: kept as it is, it would wipe what the catalogue knows.
  if (reported.needsEnrichment !== undefined)
    throw new PermanentError(`Product change ${reported.eventId} awaits enrichment: it is for the enrichment function, not the catalogue`);
  const shop = catalogueShop(reported.origin.shop);
  const { change } = reported;
  let productId: string;
  let inventory: { variantId: string; levels: Record<string, number> } | undefined;
  if (change.kind === 'inventory-level') {
    const item = await store.setInventoryLevel(shop, change.inventoryItemId, change.locationId, change.available, reported.occurredAt);
    if (item.productId === undefined || item.variantId === undefined)
      return { outcome: { kind: 'unknown-item', inventoryItemId: change.inventoryItemId }, publications: [] };
    productId = item.productId;
    inventory = { variantId: item.variantId, levels: item.levels };
  } else productId = change.kind === 'product' ? change.product.productId : change.productId;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const before = await store.product(shop, productId);
    const update =
      change.kind === 'product' && before?.lastEventId !== reported.eventId
        ? await withEarlyLevels(store, shop, reported, change.product, before?.product)
        : reported;
    if (before?.lastEventId === update.eventId)
      return {
        outcome: { kind: 'retold', productId, signals: before.lastSignals },
        // Told again only if they may never have gone out (a crash before they were marked told).
        publications: before.signalsToldFor === update.eventId ? [] : signalPublications(update, productId, before.product, before.lastSignals),
      };
    // A product known only from a storefront is the platform's from now on, as if first seen: what
    // shoppers were shown (another variant id, a personal price) is no "before" to signal from.
    const basis = before?.source === 'storefront' && change.kind === 'product' ? undefined : before;
    const applied = applyProductChange(basis, update, { currency, inventory });
    if (applied.kind === 'stale') return { outcome: { kind: 'stale', productId }, publications: [] };
    if (
      !(await store.saveProduct(shop, { product: applied.product, changedAt: update.occurredAt }, before?.version, {
        eventId: update.eventId,
        signals: applied.signals,
      }))
    )
      continue;
    if (change.kind === 'product') {
      const known = new Set(before?.product.variants.map((variant) => variant.inventoryItemId));
      const linked = applied.product.variants.filter((variant) => variant.inventoryItemId !== undefined && !known.has(variant.inventoryItemId));
      await store.linkInventoryItems(shop, productId, linked);
    }
    return {
      outcome: { kind: 'changed', productId, signals: applied.signals },
      publications: signalPublications(update, productId, applied.product, applied.signals),
    };
  }
  throw new Error(`Could not apply product update ${reported.eventId} after ${maxAttempts} attempts: too many concurrent updates`);
}

/**
 * Stock levels that arrived before the product named their inventory item (Shopify sends the two
 * webhooks in any order): the product takes them, so nothing reported is lost.
 */
async function withEarlyLevels(
  store: CatalogueStore,
  shop: string,
  update: ProductUpdated,
  product: ReportedProduct,
  before: Product | undefined,
): Promise<ProductUpdated> {
  const known = new Set(before?.variants.map((variant) => variant.inventoryItemId));
  let changed = false;
  const variants = [];
  for (const variant of product.variants) {
    if (variant.inventoryItemId === undefined || known.has(variant.inventoryItemId)) {
      variants.push(variant);
      continue;
    }
    const levels = Object.values(await store.inventoryLevels(shop, variant.inventoryItemId));
    if (levels.length === 0) variants.push(variant);
    else {
      changed = true;
      variants.push({ ...variant, inventory: levels.reduce((sum, units) => sum + units, 0) });
    }
  }
  return changed ? { ...update, change: { kind: 'product', product: { ...product, variants } } } : update;
}

function signalPublications(
  update: ProductUpdated,
  productId: string,
  product: ProductBackInStock['properties']['product'],
  signals: readonly ProductSignal[],
): Publication[] {
  return signals.map((signal) => {
    const common = { eventId: signalEventId(update.eventId, signal), occurredAt: update.occurredAt, origin: update.origin };
    return signal.kind === 'back-in-stock'
      ? {
          contract: Events.ProductBackInStock,
          detail: { ...common, properties: { productId, variantId: signal.variantId, product, inventory: signal.inventory } },
        }
      : {
          contract: Events.ProductPriceDropped,
          detail: {
            ...common,
            properties: {
              productId,
              variantId: signal.variantId,
              product,
              price: signal.price,
              previousPrice: signal.previousPrice,
              dropPercent: signal.dropPercent,
            },
          },
        };
  });
}

type Signal = { readonly detailType: string; readonly detail: ProductBackInStock | ProductPriceDropped };

/**
 * A product signal told to each person interested in the product, as a profile.updated whose
 * trigger is the signal with the person's interest: rules read it like any event. A person
 * merged into another is told once, as the surviving profile; an erased one not at all.
 */
export async function* personalSignals(
  store: CatalogueStore,
  resolve: (profileId: string) => Promise<StoredProfile | undefined>,
  signal: Signal,
  now: number,
): AsyncIterable<Publication> {
  const shop = catalogueShop(signal.detail.origin.shop);
  const told = new Set<string>();
  for await (const { profileId, times } of store.interested(shop, signal.detail.properties.productId)) {
    const interest = strongestInterest(times, now);
    if (interest === undefined) continue;
    const stored = await resolve(profileId);
    if (stored === undefined || told.has(stored.profile.profileId)) continue;
    const profile: Profile = stored.profile;
    told.add(profile.profileId);
    yield {
      contract: Events.ProfileUpdated,
      detail: {
        profileId: profile.profileId,
        version: stored.version,
        changed: [],
        segments: { entered: [], left: [] },
        profile,
        trigger: {
          source: signal.detailType === Events.ProductBackInStock.detailType ? Events.ProductBackInStock.source : Events.ProductPriceDropped.source,
          'detail-type': signal.detailType,
          detail: {
            ...signal.detail,
            eventId: personalEventId(signal.detail.eventId, profile.profileId),
            properties: { ...signal.detail.properties, interest },
          },
        },
      },
    };
  }
}

/** The products an event shows interest in, and how: a view, a cart or checkout, a request to be told. */
export function interestsOf(event: CustomerEvent): { readonly kind: InterestKind; readonly productIds: readonly string[] } | undefined {
  const properties = event.detail.properties as { productId?: unknown; items?: readonly LineItem[] };
  const itemIds = () => (properties.items ?? []).flatMap((item) => (item.productId === undefined ? [] : [item.productId]));
  switch (event.detailType) {
    case 'product.viewed':
      return typeof properties.productId === 'string' ? { kind: 'viewed', productIds: [properties.productId] } : undefined;
    case 'cart.updated':
    case 'checkout.started':
      return { kind: 'carted', productIds: [...new Set(itemIds())] };
    // Segment's "Product Back In Stock Requested" (not in its e-commerce spec, but what shops send).
    case 'custom.Product Back In Stock Requested': {
      const values = (event.detail.properties as { values?: Record<string, unknown> }).values ?? {};
      const id = values.product_id ?? values.productId;
      return typeof id === 'string' || typeof id === 'number' ? { kind: 'requested', productIds: [String(id)] } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * What a person's event adds to the catalogue's view of people: their interest in products (for
 * back-in-stock and price-drop signals) and an order's products (bought together, bestsellers).
 * Called once, after the event was applied; counts are statistics, so a crash between the two
 * loses one order's counts rather than risk counting it twice.
 */
export async function recordCommerceFacts(store: CatalogueStore, event: CustomerEvent, profileId: string): Promise<void> {
  const shop = catalogueShop(event.detail.origin?.shop);
  const interest = interestsOf(event);
  for (const productId of interest?.productIds ?? [])
    await store.recordInterest(shop, productId, profileId, interest?.kind ?? 'viewed', event.detail.occurredAt);
  for (const seen of observedProducts(event)) await observeProduct(store, shop, seen, event.detail.occurredAt, event.detail.eventId);
  const together = orderedProducts(event);
  if (together === undefined) return;
  const items = (event.detail.properties as { items?: readonly LineItem[] }).items ?? [];
  const products = await store.products(shop, [...together.keys()]);
  await store.countOrder(shop, together, (productId) => products.get(productId)?.category ?? items.find((item) => item.productId === productId)?.category);
}

/**
 * A product as a Segment storefront showed it, kept for a shop whose platform sends no catalogue:
 * created, or its fields and the variant shown refreshed. A product a platform describes is left
 * to the platform; an observation older than what is kept changes nothing. It never signals: a
 * price a shopper was shown may be theirs alone, and a storefront tells no stock.
 */
async function observeProduct(store: CatalogueStore, shop: string, seen: ProductObservation, at: string, eventId: string): Promise<void> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const before = await store.product(shop, seen.productId);
    if (before !== undefined && (before.source !== 'storefront' || before.changedAt > at)) return;
    const product = mergeObservation(before?.product, seen, at);
    if (product === undefined) return;
    if (await store.saveProduct(shop, { product, changedAt: at, source: 'storefront' }, before?.version, { eventId, signals: [] })) return;
  }
}

/** The products of an order, for the bought-together and bestseller counts. */
export function orderedProducts(event: CustomerEvent): ReadonlyMap<string, readonly string[]> | undefined {
  if (event.detailType !== 'order.completed') return undefined;
  const items = (event.detail.properties as { items?: readonly LineItem[] }).items ?? [];
  const ids = items.flatMap((item) => (item.productId === undefined ? [] : [item.productId]));
  return ids.length === 0 ? undefined : coPurchases(ids);
}
