import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { addressHash } from '../../../shared/suppression.js';
import { expiresAt, keys, ledgerRetentionSeconds, profilePartition, sentRetentionSeconds } from '../../../shared/table.js';

/** What the ledger says of a message id. */
export type LedgerEntry =
  | { readonly state: 'sending'; readonly leaseUntil: number }
  | { readonly state: 'deferred'; readonly until: number }
  | {
      readonly state: 'sent' | 'suppressed' | 'failed' | 'uncertain';
      /** The event that tells the bus, kept until it is on the bus, so a retry can still publish it. */
      readonly announcement?: { readonly detailType: string; readonly detail: Record<string, unknown> };
    };

export type FinalState = 'sent' | 'suppressed' | 'failed' | 'uncertain';

/**
 * Dispatch's items in the table: the send-once ledger per message id (written with a condition
 * before SES is called, completed after), the marketing sends per person (for the caps), and the
 * suppression list (read).
 */
export class DispatchStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async ledger(messageId: string): Promise<LedgerEntry | undefined> {
    const { Item: item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.messageLedger(messageId), ConsistentRead: true }));
    if (item === undefined) return undefined;
    if (item.state === 'sending') return { state: 'sending', leaseUntil: item.leaseUntil as number };
    if (item.state === 'deferred') return { state: 'deferred', until: item.until as number };
    return { state: item.state as FinalState, announcement: item.announcement as Extract<LedgerEntry, { announcement?: unknown }>['announcement'] };
  }

  /** The decision's event is on the bus: nothing is left to announce for this message. */
  async announced(messageId: string): Promise<void> {
    await this.documents.send(new UpdateCommand({ TableName: this.tableName, Key: keys.messageLedger(messageId), UpdateExpression: 'REMOVE announcement' }));
  }

  /**
   * Claims the message for one state change: only if nobody recorded it yet, or it was deferred
   * (its re-request is due now), or `from` matches. False: someone else got there first.
   */
  async record(messageId: string, entry: LedgerEntry, now: number, fields: Record<string, unknown> = {}, from?: LedgerEntry['state']): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.messageLedger(messageId),
            ...entry,
            ...fields,
            at: new Date(now).toISOString(),
            expiresAt: expiresAt(new Date(now), ledgerRetentionSeconds),
          },
          ConditionExpression: from === undefined ? 'attribute_not_exists(pk) OR #state = :deferred' : '#state = :from',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: from === undefined ? { ':deferred': 'deferred' } : { ':from': from },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives a claim back: the send certainly did not happen (SES refused the request before taking it). */
  async release(messageId: string): Promise<void> {
    await this.documents.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.messageLedger(messageId),
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sending': 'sending' },
      }),
    );
  }

  async recordSent(profileId: string, messageId: string, now: number): Promise<void> {
    const sentAt = new Date(now).toISOString();
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.sentMessage(profileId, sentAt, messageId), expiresAt: expiresAt(new Date(now), sentRetentionSeconds) },
      }),
    );
  }

  /** Takes back a send counted for the caps that did not happen after all. */
  async forgetSent(profileId: string, messageId: string, countedAt: number): Promise<void> {
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: keys.sentMessage(profileId, new Date(countedAt).toISOString(), messageId) }));
  }

  /** When the person's marketing messages of the last week went (epoch ms). */
  async marketingSentSince(profileId: string, since: number): Promise<number[]> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': profilePartition(profileId), ':from': `SENT#${new Date(since).toISOString()}`, ':to': 'SENT#~' },
        ProjectionExpression: 'sk',
      }),
    );
    return (result.Items ?? []).map((item) => Date.parse(String(item.sk).split('#')[1] ?? ''));
  }

  /** Never mail this address again (a hard bounce, a complaint): kept as a hash, with no expiry. */
  async suppress(kind: 'email' | 'phone', address: string, reason: string, now: number): Promise<void> {
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.suppression(kind, addressHash(kind, address)), reason, at: new Date(now).toISOString() } }),
    );
  }

  async isSuppressed(kind: 'email' | 'phone', address: string): Promise<boolean> {
    const { Item: item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.suppression(kind, addressHash(kind, address)) }));
    return item !== undefined;
  }
}
