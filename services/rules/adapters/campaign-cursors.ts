import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableItems } from '#shared/adapters/aws-clients.js';
import type { CampaignSegment } from '#shared/events/campaign-segment.js';
import { expiresAt, keys } from '#shared/table.js';
import { type CampaignCursor, segmentStart } from '../campaign.js';

/** A run's cursors are kept long enough to drop any copy of its chunks the bus or a replay brings back within a month. */
const cursorRetentionSeconds = 30 * 24 * 3600;

/** One item per (rule, run, segment): how far the segment has gone. */
export class DynamoCampaignCursors extends TableItems {
  async read(share: CampaignSegment): Promise<CampaignCursor | undefined> {
    const { Item: item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keys.campaignCursor(share.ruleId, share.dueAt, share.segment), ConsistentRead: true }),
    );
    return item === undefined ? undefined : { after: String(item.after), from: String(item.from) };
  }

  /** Moves the segment on from where this share started to `to`, unless another delivery moved it first (then 'lost'). */
  async advance(share: CampaignSegment, to: string, nowMillis: number): Promise<'advanced' | 'lost'> {
    const from = share.after ?? segmentStart;
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.campaignCursor(share.ruleId, share.dueAt, share.segment),
          UpdateExpression: 'SET #after = :to, #from = :from, expiresAt = :expires',
          ConditionExpression: from === segmentStart ? 'attribute_not_exists(pk)' : '#after = :from',
          ExpressionAttributeNames: { '#after': 'after', '#from': 'from' },
          ExpressionAttributeValues: { ':to': to, ':from': from, ':expires': expiresAt(nowMillis, cursorRetentionSeconds) },
        }),
      );
      return 'advanced';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'lost';
      throw error;
    }
  }
}
