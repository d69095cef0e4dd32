import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type PutCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableItems } from '#shared/adapters/aws-clients.js';
import { addressHash } from '#shared/suppression.js';
import { expiresAt, keys, ledgerRetentionSeconds, sentRetentionSeconds } from '#shared/table.js';

/** Concurrent sends to one person are few; a handful of rereads settles them. */
const maxReservationAttempts = 20;

/** What the ledger says of a message id. */
/** The ledger entry a state change starts from: a deferral as it was read, or a state. */
export type LedgerSource = Extract<LedgerEntry, { state: 'deferred' }> | Exclude<LedgerEntry['state'], 'deferred'>;

function conditionFrom(
  from: LedgerSource | undefined,
): Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  if (from === undefined) return { ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeNames: undefined, ExpressionAttributeValues: undefined };
  if (typeof from === 'string')
    return { ConditionExpression: '#state = :from', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':from': from } };
  return {
    ConditionExpression: '#state = :deferred AND #until = :until',
    ExpressionAttributeNames: { '#state': 'state', '#until': 'until' },
    ExpressionAttributeValues: { ':deferred': 'deferred', ':until': from.until },
  };
}

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
export class DispatchStore extends TableItems {
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
   * Claims the message for one state change, only from the state the caller saw: nothing recorded
   * yet (no `from`), the deferral it read (the same `until`: two deliveries that both take up one
   * deferral make one decision), or `from`'s state. False: someone else got there first.
   */
  async record(messageId: string, entry: LedgerEntry, now: number, fields: Record<string, unknown> = {}, from?: LedgerSource): Promise<boolean> {
    // The SDK may repeat this write when an answer is lost; the token tells our own first write from someone else's.
    const claim = randomUUID();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.messageLedger(messageId),
            ...entry,
            ...fields,
            claim,
            at: new Date(now).toISOString(),
            expiresAt: expiresAt(now, ledgerRetentionSeconds),
          },
          ...conditionFrom(from),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return error.Item?.claim?.S === claim;
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

  /** When the person's marketing messages of the last week went (epoch ms), from their cap reservations. */
  async marketingSentSince(profileId: string, since: number): Promise<number[]> {
    const { sends } = await this.capReservations(profileId);
    return Object.values(sends).filter((at) => at >= since);
  }

  /**
   * Reserves a place under the frequency caps for one marketing message, atomically: the
   * reservations are read, `allowed` decides on them, and the new one is written only if nobody
   * wrote in between (a version condition); otherwise it reads and decides again. So six requests
   * at the same instant with a cap of 2 send two, however they interleave.
   */
  async reserveSend(profileId: string, messageId: string, now: number, allowed: (sentAt: readonly number[]) => boolean): Promise<'reserved' | 'cap-reached'> {
    for (let attempt = 1; attempt <= maxReservationAttempts; attempt++) {
      const { sends, version } = await this.capReservations(profileId);
      if (sends[messageId] !== undefined) return 'reserved';
      const kept = Object.fromEntries(Object.entries(sends).filter(([, at]) => now - at < sentRetentionSeconds * 1000));
      if (!allowed(Object.values(kept))) return 'cap-reached';
      if (await this.writeCapReservations(profileId, { ...kept, [messageId]: now }, version, now)) return 'reserved';
    }
    throw new Error(`Could not reserve a send for ${profileId}: too many concurrent sends; retrying later`);
  }

  /** Takes back a reservation whose message did not go out after all. */
  async releaseSend(profileId: string, messageId: string, now: number): Promise<void> {
    for (let attempt = 1; attempt <= maxReservationAttempts; attempt++) {
      const { sends, version } = await this.capReservations(profileId);
      if (sends[messageId] === undefined) return;
      const { [messageId]: _released, ...kept } = sends;
      if (await this.writeCapReservations(profileId, kept, version, now)) return;
    }
    throw new Error(`Could not release the send of ${messageId} for ${profileId}: too many concurrent sends; retrying later`);
  }

  private async capReservations(profileId: string): Promise<{ sends: Record<string, number>; version: number | undefined }> {
    const { Item: item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.capReservations(profileId), ConsistentRead: true }));
    return { sends: (item?.sends as Record<string, number> | undefined) ?? {}, version: item?.version as number | undefined };
  }

  private async writeCapReservations(profileId: string, sends: Record<string, number>, version: number | undefined, now: number): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.capReservations(profileId), sends, version: (version ?? 0) + 1, expiresAt: expiresAt(now, sentRetentionSeconds) },
          ...(version === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': version } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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
