import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { partitionItems } from '#shared/adapters/aws-clients.js';
import { CatalogueReader, countPrefix } from '#shared/adapters/catalogue-reader.js';
import { Product } from '#shared/events/product.js';
import { expiresAt, keys } from '#shared/table.js';
import type { InterestKind, InterestTimes, ProductSignal, StoredProduct } from '../core/catalogue.js';
import { interestRetentionDays } from '../core/catalogue.js';

/** A kept product, its version for the next conditional write, and what the last change applied told. */
export interface VersionedProduct extends StoredProduct {
  readonly version: number;
  /** The update last applied and its signals: a retry of that update tells them again, never loses them. */
  readonly lastEventId?: string;
  readonly lastSignals: readonly ProductSignal[];
  /** The update whose signals are known to be on the bus: a copy of it tells nothing again. */
  readonly signalsToldFor?: string;
}

const levelPrefix = 'loc_';
/** When each location's level was reported: a late copy of an older report is not written over it. */
const levelAtPrefix = 'at_';

/**
 * The shop catalogue in the table: products, Shopify's inventory items, who is interested in
 * which product, and the counts recommendations rank by (bought together, bestsellers).
 */
export class CatalogueStore extends CatalogueReader {
  async product(shop: string, productId: string): Promise<VersionedProduct | undefined> {
    const { Item: item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.product(shop, productId), ConsistentRead: true }));
    if (item === undefined) return undefined;
    const product = Product.safeParse(item.product);
    if (!product.success) return undefined;
    return {
      product: product.data,
      changedAt: String(item.changedAt),
      ...(item.source === 'storefront' ? { source: 'storefront' as const } : {}),
      version: Number(item.version),
      lastEventId: typeof item.lastEventId === 'string' ? item.lastEventId : undefined,
      lastSignals: Array.isArray(item.lastSignals) ? (item.lastSignals as ProductSignal[]) : [],
      ...(typeof item.signalsToldFor === 'string' ? { signalsToldFor: item.signalsToldFor } : {}),
    };
  }

  /**
   * Records that the signals of the update last applied are on the bus, so a copy of that update
   * (a platform's retry, a replayed webhook) does not tell everyone interested again. Nothing if a
   * later update was applied meanwhile.
   */
  async markSignalsTold(shop: string, productId: string, eventId: string): Promise<void> {
    await this.written(() =>
      this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.product(shop, productId),
          UpdateExpression: 'SET signalsToldFor = :event',
          ConditionExpression: 'lastEventId = :event',
          ExpressionAttributeValues: { ':event': eventId },
        }),
      ),
    );
  }

  /** Writes a product if nobody changed it since it was read; `false` when someone did (read again and retry). */
  async saveProduct(
    shop: string,
    stored: StoredProduct,
    previousVersion: number | undefined,
    applied: { readonly eventId: string; readonly signals: readonly ProductSignal[] },
  ): Promise<boolean> {
    return this.written(() =>
      this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.product(shop, stored.product.productId),
            product: stored.product,
            changedAt: stored.changedAt,
            ...(stored.source === undefined ? {} : { source: stored.source }),
            version: (previousVersion ?? 0) + 1,
            lastEventId: applied.eventId,
            lastSignals: applied.signals,
          },
          ConditionExpression: previousVersion === undefined ? 'attribute_not_exists(pk)' : 'version = :version',
          ...(previousVersion === undefined ? {} : { ExpressionAttributeValues: { ':version': previousVersion } }),
        }),
      ),
    );
  }

  /** The stock of an inventory item at each location, as last reported (none when never reported). */
  async inventoryLevels(shop: string, inventoryItemId: string): Promise<Record<string, number>> {
    const { Item: item = {} } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keys.inventoryItem(shop, inventoryItemId), ConsistentRead: true }),
    );
    const levels: Record<string, number> = {};
    for (const [name, value] of Object.entries(item))
      if (name.startsWith(levelPrefix) && typeof value === 'number') levels[name.slice(levelPrefix.length)] = value;
    return levels;
  }

  /** Remembers which variant each inventory item is, so a later stock level finds its product. */
  async linkInventoryItems(shop: string, productId: string, variants: readonly { variantId: string; inventoryItemId?: string | undefined }[]) {
    for (const variant of variants) {
      if (variant.inventoryItemId === undefined) continue;
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.inventoryItem(shop, variant.inventoryItemId),
          UpdateExpression: 'SET productId = :product, variantId = :variant',
          ExpressionAttributeValues: { ':product': productId, ':variant': variant.variantId },
        }),
      );
    }
  }

  /**
   * Sets the stock of an inventory item at one location (none: it is no longer stocked there), as
   * of `at`, unless a later level for that location is kept already (a late copy of an older
   * report changes nothing), and gives back its variant, if known, and its stock everywhere. Kept
   * for an item not yet known, so a stock level that arrives before its product is not lost.
   */
  async setInventoryLevel(
    shop: string,
    inventoryItemId: string,
    locationId: string,
    available: number | null,
    at: string,
  ): Promise<{ productId?: string; variantId?: string; levels: Record<string, number> }> {
    const names = { '#level': `${levelPrefix}${locationId}`, '#at': `${levelAtPrefix}${locationId}` };
    let item: Record<string, unknown>;
    try {
      ({ Attributes: item = {} } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.inventoryItem(shop, inventoryItemId),
          UpdateExpression: available === null ? 'SET #at = :at REMOVE #level' : 'SET #level = :available, #at = :at',
          ConditionExpression: 'attribute_not_exists(#at) OR #at <= :at',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':at': at, ...(available === null ? {} : { ':available': available }) },
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      ({ Item: item = {} } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: keys.inventoryItem(shop, inventoryItemId), ConsistentRead: true }),
      ));
    }
    const levels: Record<string, number> = {};
    for (const [name, value] of Object.entries(item))
      if (name.startsWith(levelPrefix) && typeof value === 'number') levels[name.slice(levelPrefix.length)] = value;
    return {
      ...(typeof item.productId === 'string' ? { productId: item.productId } : {}),
      ...(typeof item.variantId === 'string' ? { variantId: item.variantId } : {}),
      levels,
    };
  }

  /** Records that a person showed interest in a product; an older report of the same kind changes nothing. */
  async recordInterest(shop: string, productId: string, profileId: string, kind: InterestKind, at: string): Promise<void> {
    const expires = expiresAt(Date.parse(at), interestRetentionDays * 24 * 3600);
    // The person's own copy first: an erasure finds the product's entry through it, even after a crash here.
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.personInterest(profileId, shop, productId),
        UpdateExpression: 'SET expiresAt = :expires',
        ExpressionAttributeValues: { ':expires': expires },
      }),
    );
    await this.written(() =>
      this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.interest(shop, productId, profileId),
          UpdateExpression: 'SET #kind = :at, profileId = :profile, expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(#kind) OR #kind < :at',
          ExpressionAttributeNames: { '#kind': kind },
          ExpressionAttributeValues: { ':at': at, ':profile': profileId, ':expires': expires },
        }),
      ),
    );
  }

  /** Everyone interested in a product, page by page. */
  async *interested(shop: string, productId: string): AsyncIterable<{ profileId: string; times: InterestTimes }> {
    for await (const item of partitionItems(this.documents, this.tableName, keys.interest(shop, productId, '').pk)) {
      if (typeof item.profileId !== 'string') continue;
      const times: InterestTimes = {};
      for (const kind of ['viewed', 'carted', 'requested'] as const) if (typeof item[kind] === 'string') times[kind] = item[kind] as string;
      yield { profileId: item.profileId, times };
    }
  }

  /** Counts one order: each product with each other one, and each product among its category's and the shop's bestsellers. */
  async countOrder(shop: string, together: ReadonlyMap<string, readonly string[]>, categoryOf: (productId: string) => string | undefined): Promise<void> {
    for (const [productId, others] of together) {
      if (others.length > 0) await this.add(keys.boughtWith(shop, productId), others);
    }
    const byCategory = new Map<string, string[]>();
    for (const productId of together.keys()) {
      const category = categoryOf(productId) ?? '';
      byCategory.set(category, [...(byCategory.get(category) ?? []), productId]);
    }
    for (const [category, products] of byCategory) await this.add(keys.bestsellers(shop, category), products);
  }

  private async add(key: { pk: string; sk: string }, productIds: readonly string[]) {
    // One ADD per product, in one update: DynamoDB's 4 KB expression is about 150 products.
    for (let start = 0; start < productIds.length; start += 100) {
      const chunk = productIds.slice(start, start + 100);
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `ADD ${chunk.map((_, index) => `#p${index} :one`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(chunk.map((id, index) => [`#p${index}`, `${countPrefix}${id}`])),
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    }
  }
}
