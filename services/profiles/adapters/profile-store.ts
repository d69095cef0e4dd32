import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Profile } from '../../../shared/events/profile.js';
import { appliedEventRetentionSeconds, expiresAt, keys } from '../../../shared/table.js';
import { type IdentityKey, identityKeyText } from '../core/apply-event.js';

export interface StoredProfile {
  readonly profile: Profile;
  readonly version: number;
}

export interface SaveRequest {
  readonly profile: Profile;
  /** The version that was read; undefined when the profile is new. */
  readonly expectedVersion: number | undefined;
  /** Identity keys seen for the first time: written with the profile, atomically, so two first events for one person make one profile. */
  readonly newAliases: readonly IdentityKey[];
  readonly eventId: string;
  /** Kept on the applied-event marker, so a redelivery can finish an unpublished update. */
  readonly changed: readonly string[];
  readonly now: Date;
}

export type SaveOutcome = 'saved' | 'duplicate' | 'conflict';

export interface AppliedMarker {
  readonly published: boolean;
  readonly changed: readonly string[];
}

/** Profiles, their identity aliases and applied-event markers in the one table. */
export class ProfileStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** The profile each identity key already points to (keys never seen are absent). */
  async findProfileIds(identity: readonly IdentityKey[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    // An event has a handful of keys; consistent single reads keep this simple and exact.
    const results = await Promise.all(
      identity.map((key) => this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.alias(key.kind, key.value), ConsistentRead: true }))),
    );
    identity.forEach((key, index) => {
      const profileId = results[index]?.Item?.profileId;
      if (typeof profileId === 'string') found.set(identityKeyText(key), profileId);
    });
    return found;
  }

  async load(profileId: string): Promise<StoredProfile | undefined> {
    const result = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.profile(profileId), ConsistentRead: true }));
    if (!result.Item) return undefined;
    return { profile: Profile.parse(result.Item.profile), version: result.Item.version as number };
  }

  async appliedMarker(profileId: string, eventId: string): Promise<AppliedMarker | undefined> {
    const result = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.appliedEvent(profileId, eventId), ConsistentRead: true }));
    return result.Item ? { published: result.Item.published === true, changed: (result.Item.changed as string[] | undefined) ?? [] } : undefined;
  }

  /** Writes the profile and the applied-event marker together, or neither. */
  async save(request: SaveRequest): Promise<SaveOutcome> {
    const { profile, expectedVersion, newAliases, eventId, changed, now } = request;
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.profile(profile.profileId), profile, version: (expectedVersion ?? 0) + 1, updatedAt: now.toISOString() },
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.appliedEvent(profile.profileId, eventId), published: false, changed, expiresAt: expiresAt(now, appliedEventRetentionSeconds) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    for (const alias of newAliases) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: { ...keys.alias(alias.kind, alias.value), profileId: profile.profileId, createdAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
      return 'saved';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[1]?.Code === 'ConditionalCheckFailed') return 'duplicate';
      if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict')) return 'conflict';
      throw error;
    }
  }

  async markPublished(profileId: string, eventId: string): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.appliedEvent(profileId, eventId),
        UpdateExpression: 'SET published = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  }
}
