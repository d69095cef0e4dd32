import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TableItems } from '#shared/adapters/aws-clients.js';
import { expiresAt, keys, triggerStateRetentionSeconds } from '#shared/table.js';
import type { TriggerState } from '../core/trigger-state.js';
import type { TriggerStateStore, VersionedState, WriteOutcome } from '../ports.js';

/** Trigger state in the profile's partition, one item per (rule, key), written with a version condition. */
export class DynamoTriggerStateStore extends TableItems implements TriggerStateStore {
  async load(profileId: string, ruleId: string, stateKey: string): Promise<VersionedState | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keys.triggerState(profileId, ruleId, stateKey), ConsistentRead: true }),
    );
    const item = result.Item;
    if (item === undefined) return undefined;
    return {
      version: item.version as number,
      state: {
        events: (item.events as TriggerState['events'] | undefined) ?? [],
        details: (item.details as TriggerState['details'] | undefined) ?? {},
        place: item.place as TriggerState['place'],
        timers: (item.timers as TriggerState['timers'] | undefined) ?? {},
        decided: (item.decided as TriggerState['decided'] | undefined) ?? [],
      },
    };
  }

  async save(profileId: string, ruleId: string, stateKey: string, state: TriggerState, version: number | undefined, now: number): Promise<WriteOutcome> {
    try {
      const _result = await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.triggerState(profileId, ruleId, stateKey),
            ruleId,
            ...state,
            version: (version ?? 0) + 1,
            expiresAt: expiresAt(now, triggerStateRetentionSeconds),
          },
          ...(version === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': version } }),
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }
}
