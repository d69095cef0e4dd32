import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableItems } from '#shared/adapters/aws-clients.js';
import { fail, ok, type Result } from '#shared/result.js';
import { keys } from '#shared/table.js';
import type { SendFailure } from './ses-sender.js';

/** A pool's name as templates write it (`{{ coupon.welcome10 }}`): a Liquid name. */
export const poolNamePattern = /^[a-z][a-z0-9_]{0,62}$/;

/** A code as shops' discount systems make them: printable, no spaces, at most 64 characters. */
export const couponCodePattern = /^[\x21-\x7e]{1,64}$/;

export interface PoolStatus {
  readonly pool: string;
  readonly loaded: number;
  readonly claimed: number;
}

/** A code taken meanwhile by a load not yet written: the claim is retried with the delivery. */
export class CodeNotYetWrittenError extends Error {}

/**
 * Pools of unique coupon codes in the table. Codes are numbered as they are loaded; a message's
 * claim takes the next number with one conditional counter update, so two messages never get one
 * code, and records the code under the message id first-writer-wins, so a retried message gets
 * the code it had. A claim cut off between the two leaves a code unused, never one given twice.
 */
export class CouponPools extends TableItems {
  /** The message's code from the pool: the one it had, or the next; or why there is none. */
  async claim(pool: string, messageId: string, now: number): Promise<Result<string, SendFailure>> {
    const had = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.couponClaim(pool, messageId), ConsistentRead: true }));
    if (typeof had.Item?.code === 'string') return ok(had.Item.code);
    let number: number;
    try {
      const counted = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.couponPool(pool),
          UpdateExpression: 'SET claimed = if_not_exists(claimed, :zero) + :one',
          ConditionExpression: 'attribute_exists(loaded) AND (attribute_not_exists(claimed) OR claimed < loaded)',
          ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      number = Number(counted.Attributes?.claimed);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const status = await this.status(pool);
      return status === undefined
        ? fail({ code: 'CouponPoolMissing', message: `No coupon pool named ${pool}: load one with nudge coupons load ${pool} <file>` })
        : fail({
            code: 'CouponsExhausted',
            message: `Coupon pool ${pool} has no codes left (all ${status.loaded} are given out): load more with nudge coupons load`,
          });
    }
    const code = (await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.couponCode(pool, number), ConsistentRead: true }))).Item
      ?.code;
    if (typeof code !== 'string') throw new CodeNotYetWrittenError(`Coupon ${number} of pool ${pool} is not written yet`);
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.couponClaim(pool, messageId), code, claimedAt: new Date(now).toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return ok(code);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Another delivery of the same message claimed first: its code is the message's.
      const first = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.couponClaim(pool, messageId), ConsistentRead: true }));
      return ok(String(first.Item?.code));
    }
  }

  /** Adds codes to a pool (creating it): the ones it does not hold yet, numbered after the last. Returns how many were added. */
  async load(pool: string, codes: readonly string[]): Promise<number> {
    const held = new Set(await this.codes(pool));
    const fresh = [...new Set(codes)].filter((code) => !held.has(code));
    if (fresh.length === 0) return 0;
    // Numbers are reserved first, atomically, so two loads at once never number two codes the same.
    const reserved = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.couponPool(pool),
        UpdateExpression: 'SET loaded = if_not_exists(loaded, :zero) + :count',
        ExpressionAttributeValues: { ':zero': 0, ':count': fresh.length },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const first = Number(reserved.Attributes?.loaded) - fresh.length + 1;
    for (let start = 0; start < fresh.length; start += 25) {
      let requests = fresh.slice(start, start + 25).map((code, index) => ({ PutRequest: { Item: { ...keys.couponCode(pool, first + start + index), code } } }));
      while (requests.length > 0) {
        const written = await this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (written.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
    return fresh.length;
  }

  async status(pool: string): Promise<PoolStatus | undefined> {
    const item = (await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.couponPool(pool), ConsistentRead: true }))).Item;
    return item === undefined ? undefined : { pool, loaded: Number(item.loaded ?? 0), claimed: Math.min(Number(item.claimed ?? 0), Number(item.loaded ?? 0)) };
  }

  private async codes(pool: string): Promise<string[]> {
    const codes: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :code)',
          ExpressionAttributeValues: { ':pk': keys.couponPool(pool).pk, ':code': 'CODE#' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.code === 'string') codes.push(item.code);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return codes;
  }
}
