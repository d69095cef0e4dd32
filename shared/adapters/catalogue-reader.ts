import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { Product } from '../events/product.js';
import { type Counts, candidatesOf, recommend } from '../recommendations.js';
import { bestsellersPartition, keys } from '../table.js';
import { partitionItems, TableItems } from './aws-clients.js';

/** Count attributes are `p_<product id>`: DynamoDB's ADD makes them without reading first. */
export const countPrefix = 'p_';

/** The counts of an item whose attributes `p_<id>` are counts. */
function countsOf(item: Record<string, unknown> | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [name, value] of Object.entries(item ?? {}))
    if (name.startsWith(countPrefix) && typeof value === 'number') counts[name.slice(countPrefix.length)] = value;
  return counts;
}

/** What recommendations read of a shop's catalogue: products, and what was bought together and sells. */
export class CatalogueReader extends TableItems {
  /**
   * Up to `limit` products to recommend to someone buying `basket` who bought `bought` before:
   * bought together with the basket, then the basket's categories' bestsellers, then the shop's.
   */
  async recommendations(shop: string, basket: readonly string[], bought: readonly string[], limit: number): Promise<Product[]> {
    const seeds = [...new Set(basket)].slice(0, 20);
    const [boughtWith, bestsellers, basketProducts] = await Promise.all([this.boughtWith(shop, seeds), this.bestsellers(shop), this.products(shop, seeds)]);
    const categories = new Set([...basketProducts.values()].flatMap((product) => (product.category === undefined ? [] : [product.category])));
    const shopBestsellers: Record<string, number> = {};
    for (const counts of bestsellers.values()) for (const [id, count] of Object.entries(counts)) shopBestsellers[id] = (shopBestsellers[id] ?? 0) + count;
    const input = {
      basket: seeds,
      bought,
      boughtWith,
      categoryBestsellers: [...categories].map((category) => bestsellers.get(category) ?? {}),
      shopBestsellers,
    };
    // Some candidates are sold out or gone: read a few more than asked for.
    const candidates = candidatesOf(input).slice(0, limit * 4 + 8);
    return recommend({ ...input, products: await this.products(shop, candidates), limit });
  }

  /** What was bought with each of these products. */
  async boughtWith(shop: string, productIds: readonly string[]): Promise<Record<string, Counts>> {
    const items = await this.batchGet(productIds.map((id) => keys.boughtWith(shop, id)));
    return Object.fromEntries(productIds.map((id) => [id, countsOf(items.get(keys.boughtWith(shop, id).pk))]));
  }

  /** Every category's bestseller counts of a shop. */
  async bestsellers(shop: string): Promise<Map<string, Counts>> {
    const byCategory = new Map<string, Counts>();
    for await (const item of partitionItems(this.documents, this.tableName, bestsellersPartition(shop)))
      byCategory.set(String(item.sk).slice('CATEGORY#'.length), countsOf(item));
    return byCategory;
  }

  /** The catalogue's products among these ids (unknown ones are left out). */
  async products(shop: string, productIds: readonly string[]): Promise<Map<string, Product>> {
    const items = await this.batchGet(productIds.map((id) => keys.product(shop, id)));
    const products = new Map<string, Product>();
    for (const item of items.values()) {
      const product = Product.safeParse(item.product);
      if (product.success) products.set(product.data.productId, product.data);
    }
    return products;
  }

  /** Items by key, 100 a request, unprocessed keys asked again; by partition key. */
  protected async batchGet(itemKeys: readonly { pk: string; sk: string }[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const distinct = [...new Map(itemKeys.map((key) => [key.pk, key])).values()];
    for (let start = 0; start < distinct.length; start += 100) {
      let pending: Record<string, unknown>[] | undefined = distinct.slice(start, start + 100);
      for (let attempt = 0; pending !== undefined && pending.length > 0 && attempt < 8; attempt++) {
        const reply: BatchGetCommandOutput = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
        for (const item of reply.Responses?.[this.tableName] ?? []) found.set(String(item.pk), item);
        pending = reply.UnprocessedKeys?.[this.tableName]?.Keys;
        if (pending !== undefined && pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
    return found;
  }
}
