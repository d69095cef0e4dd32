import type { Product, ProductVariant } from './events/product.js';

/**
 * Recommendations: what people bought together with what a person buys now, then the bestsellers
 * of its categories, then of the shop; never what they bought before, nothing unknown, inactive or
 * sold out. Pure: the counts come from the catalogue's store (kept incrementally from orders).
 */

/** The catalogue's key for a shop: events of a source that names none (a Segment source without a shop) share one. */
export const catalogueShop = (shop: string | undefined) => (shop === undefined || shop === '' ? '-' : shop.toLowerCase());

/** A variant with stock to sell: tracked and above zero, or not tracked at all (always sold). */
export const inStock = (variant: ProductVariant | undefined) => variant !== undefined && (variant.inventory === undefined || variant.inventory > 0);

/** Counts of what was bought with one product (product id → orders that had both). */
export type Counts = Readonly<Record<string, number>>;

export interface RecommendationInput {
  /** What the person is buying now (the order's products): the seeds. */
  readonly basket: readonly string[];
  /** Everything they bought before: never recommended. */
  readonly bought: readonly string[];
  /** For each basket product, the products bought with it. */
  readonly boughtWith: Readonly<Record<string, Counts>>;
  /** Bestsellers of each category of the basket, and of the whole shop. */
  readonly categoryBestsellers: readonly Counts[];
  readonly shopBestsellers: Counts;
  /** The catalogue's products among the candidates: one not there (or not active, or sold out) is never shown. */
  readonly products: ReadonlyMap<string, Product>;
  readonly limit: number;
}

/** Whether a product can be recommended: known, active, and some variant in stock. */
export const recommendable = (product: Product | undefined): product is Product =>
  product !== undefined && product.status === 'active' && product.title !== undefined && product.variants.some(inStock);

const ranked = (counts: Counts) =>
  Object.entries(counts)
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([id]) => id);

/** The candidates in order: bought together with the basket (summed), then the basket's categories' bestsellers, then the shop's. */
export function candidatesOf(input: Omit<RecommendationInput, 'products' | 'limit'>): string[] {
  const together: Record<string, number> = {};
  for (const seed of input.basket) for (const [id, count] of Object.entries(input.boughtWith[seed] ?? {})) together[id] = (together[id] ?? 0) + count;
  const categories: Record<string, number> = {};
  for (const counts of input.categoryBestsellers) for (const [id, count] of Object.entries(counts)) categories[id] = (categories[id] ?? 0) + count;
  const excluded = new Set([...input.basket, ...input.bought]);
  const order = [...ranked(together), ...ranked(categories), ...ranked(input.shopBestsellers)];
  return [...new Set(order)].filter((id) => !excluded.has(id));
}

/** The products to recommend, best first: never one in the basket, bought before, unknown, inactive or sold out. */
export function recommend(input: RecommendationInput): Product[] {
  const chosen: Product[] = [];
  for (const id of candidatesOf(input)) {
    const product = input.products.get(id);
    if (recommendable(product)) chosen.push(product);
    if (chosen.length >= input.limit) break;
  }
  return chosen;
}

/** The pairs an order adds to the bought-together counts: each product with each other one, once. */
export function coPurchases(productIds: readonly string[]): Map<string, string[]> {
  const distinct = [...new Set(productIds)];
  return new Map(distinct.map((id) => [id, distinct.filter((other) => other !== id)]));
}
