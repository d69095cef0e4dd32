import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TableItems } from '#shared/adapters/aws-clients.js';
import { keys } from '#shared/table.js';
import type { RuleState } from '../core/admission.js';
import type { FiringStore, WriteOutcome } from '../ports.js';

/** BatchGetItem reads at most 100 keys a call. */
const maxKeysPerBatch = 100;

/** What each rule sent each person, one item per (person, rule), for cooldown and re-entry. */
export class DynamoFiringStore extends TableItems implements FiringStore {
  async load(profileId: string, ruleIds: readonly string[]): Promise<Map<string, RuleState>> {
    const states = new Map<string, RuleState>();
    for (let start = 0; start < ruleIds.length; start += maxKeysPerBatch) {
      let pending: Record<string, unknown>[] | undefined = ruleIds
        .slice(start, start + maxKeysPerBatch)
        .map((ruleId) => ({ ...keys.ruleState(profileId, ruleId) }));
      while (pending && pending.length > 0) {
        const result: BatchGetCommandOutput = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          states.set(item.ruleId as string, {
            firedCount: item.firedCount as number,
            lastFiredAt: item.lastFiredAt as string,
            lastMessageId: item.lastMessageId as string,
          });
        }
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return states;
  }

  /** Records that the rule fired, unless another delivery changed the state since it was read. */
  async record(profileId: string, ruleId: string, previous: RuleState | undefined, next: RuleState): Promise<WriteOutcome> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.ruleState(profileId, ruleId), ruleId, ...next },
          ...(previous === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'lastMessageId = :previous', ExpressionAttributeValues: { ':previous': previous.lastMessageId } }),
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }
}
