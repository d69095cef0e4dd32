import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TableItems } from '#shared/adapters/aws-clients.js';
import { Profile } from '#shared/events/profile.js';
import { appliedEventRetentionSeconds, expiresAt, type ItemKey, keys } from '#shared/table.js';
import { type IdentityKey, identityKeyText } from '../core/apply-event.js';

type Put = PutCommandInput;

/** A key a profile takes; `strandedAt`: the gone profile it led to, whose record of it is removed. */
export type NewKey = IdentityKey & { readonly strandedAt?: string };

/** `LastApplied` as the profile item holds it. */
type KeptLastApplied = Pick<LastApplied, 'appliedBy' | 'changed' | 'seq' | 'entry'>;

function lastAppliedOf(item: Record<string, unknown>): LastApplied | undefined {
  const kept = item.lastApplied as KeptLastApplied | undefined;
  if (kept === undefined) return undefined;
  return { ...kept, eventId: kept.entry.eventId, appliedAt: Date.parse(String(item.updatedAt)) };
}

/** A profile as stored: the profile, its version (optimistic locking) and the profiles merged into it. */
export interface StoredProfile {
  readonly profile: Profile;
  readonly version: number;
  /** Ids of profiles merged into this one; their partitions still hold their history. */
  readonly absorbed: readonly string[];
  readonly historySeq: number;
  /** The last event applied to it: its marker and history slot may still be unwritten (see `finishApplied`). */
  readonly lastApplied: LastApplied | undefined;
}

/**
 * The last event applied to a profile, whose marker and history slot are written after the profile
 * (see `save`). Kept on the profile item, so whoever reads the profile next can write them if the
 * delivery that applied the event stopped first. The item keeps the least: its id is the history
 * entry's, its time the profile's `updatedAt`.
 */
export interface LastApplied {
  readonly eventId: string;
  readonly appliedBy: string;
  /** Epoch ms. */
  readonly appliedAt: number;
  readonly changed: readonly string[];
  /** Its place in the history: slot `seq` modulo the slots. */
  readonly seq: number;
  readonly entry: HistoryEntry;
}

/** How an applied event's marker and history slot are kept. */
export interface AppliedTerms {
  /** A fact whose marker never expires (orders): a replay years later still counts once. */
  readonly permanent: boolean;
  readonly slots: number;
  readonly retentionSeconds: number;
}

/** What a profile item is: a live profile, or the tombstone of one merged into another. */
export type ProfileItem =
  | { readonly kind: 'live'; readonly stored: StoredProfile }
  | { readonly kind: 'merged'; readonly into: string; readonly version: number };

/** One recent event, as sequence rules will read it: what, when, and the ids that correlate steps. */
export interface HistoryEntry {
  readonly detailType: string;
  readonly eventId: string;
  readonly occurredAt: string;
  readonly refs: Readonly<Record<string, string>>;
}

export interface SaveRequest {
  readonly profile: Profile;
  /** The version that was read; undefined when the profile is new. */
  readonly expectedVersion: number | undefined;
  /** Profiles merged into this one by this event: each becomes a tombstone, if its version is still the one read. */
  readonly absorbed: readonly { readonly profileId: string; readonly version: number }[];
  /** All profiles merged into this one so far (including `absorbed`). */
  readonly allAbsorbed: readonly string[];
  /**
   * Identity keys this profile takes: seen for the first time, or leading to a profile that is gone
   * (`strandedAt`: erased while one of its events claimed the key). With a new profile, written
   * atomically, so two first events for one person make one profile.
   */
  readonly newAliases: readonly NewKey[];
  readonly eventId: string;
  /** The bus delivery applying it: the one that publishes its profile.updated. */
  readonly appliedBy: string;
  /** Kept on the applied-event marker, so a redelivery can finish an unpublished update. */
  readonly changed: readonly string[];
  readonly history: { readonly entry: HistoryEntry; readonly seq: number };
  readonly terms: AppliedTerms;
  readonly now: number;
}

/** `saved-unmarked`: saved, with the event's marker to write once it is announced (`markApplied`). */
export type SaveOutcome = 'saved' | 'saved-unmarked' | 'duplicate' | 'conflict';

export interface AppliedMarker {
  readonly published: boolean;
  readonly changed: readonly string[];
  readonly appliedBy: string | undefined;
  /** Epoch ms. */
  readonly appliedAt: number;
}

/**
 * Profiles, their identity aliases and applied-event markers in the one table. Every write that
 * decides is conditional on what was read (a profile's version, a key not yet taken), and a new
 * profile or a merge is one transaction, so concurrent and duplicate deliveries are safe.
 */
export class ProfileStore extends TableItems {
  // Stryker disable next-line BooleanLiteral: DynamoDB Local reads are always consistent; in AWS the flag is what makes them so.
  private async get(key: ItemKey, consistent = true): Promise<Record<string, unknown> | undefined> {
    const result = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }));
    return result.Item;
  }

  /** The profile each identity key already points to (keys never seen are absent). */
  // Stryker disable next-line BooleanLiteral: DynamoDB Local reads are always consistent; in AWS the flag is what makes them so.
  async findProfileIds(identity: readonly IdentityKey[], consistent = true): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    // An event has a handful of keys: single reads, strong unless the caller's write will check.
    const items = await Promise.all(identity.map((key) => this.get(keys.alias(key.kind, key.value), consistent)));
    identity.forEach((key, index) => {
      const profileId = items[index]?.profileId;
      if (typeof profileId === 'string') found.set(identityKeyText(key), profileId);
    });
    return found;
  }

  // Stryker disable next-line BooleanLiteral: DynamoDB Local reads are always consistent; in AWS the flag is what makes them so.
  async loadItem(profileId: string, consistent = true): Promise<ProfileItem | undefined> {
    const item = await this.get(keys.profile(profileId), consistent);
    if (item === undefined) return undefined;
    const version = item.version as number;
    if (typeof item.mergedInto === 'string') return { kind: 'merged', into: item.mergedInto, version };
    return {
      kind: 'live',
      stored: {
        profile: Profile.parse(item.profile),
        version,
        absorbed: (item.absorbed as string[] | undefined) ?? [],
        historySeq: (item.historySeq as number | undefined) ?? 0,
        lastApplied: lastAppliedOf(item),
      },
    };
  }

  /** The live profile an id leads to, following merges (a merged profile names its survivor). */
  // Stryker disable next-line BooleanLiteral: DynamoDB Local reads are always consistent; in AWS the flag is what makes them so.
  async resolve(profileId: string, consistent = true): Promise<StoredProfile | undefined> {
    let id = profileId;
    for (let hop = 0; hop < 10; hop++) {
      const item = await this.loadItem(id, consistent);
      if (item === undefined) return undefined;
      if (item.kind === 'live') return item.stored;
      id = item.into;
    }
    throw new Error(`Profile ${profileId} leads through more than 10 merges`);
  }

  /**
   * An event's applied marker. `consistent: false` (half the price) where a stale answer costs only
   * a refused write: finishing an earlier event, whose marker is written only where it is not.
   */
  async appliedMarker(eventId: string, { consistent = true } = {}): Promise<AppliedMarker | undefined> {
    const item = await this.get(keys.appliedEvent(eventId), consistent);
    if (item === undefined) return undefined;
    return {
      published: item.published === true,
      changed: (item.changed as string[] | undefined) ?? [],
      appliedBy: typeof item.appliedBy === 'string' ? item.appliedBy : undefined,
      appliedAt: typeof item.appliedAt === 'number' ? item.appliedAt : 0,
    };
  }

  /**
   * Applies an event to a profile, or refuses: `conflict` when the profile changed since it was
   * read or a new key is another's, `duplicate` when the event's marker is there. An event that
   * changes one known profile (most of them) is single writes: its new keys, one conditional write
   * of the profile, its history slot, and (once announced) its marker. The profile names the event
   * (`lastApplied`), so a delivery stopped between the writes is finished by the next reader
   * (`finishApplied`), and each write costs one unit, not a transaction's two. A new profile or a
   * merge writes everything in one transaction: two first events for one person must make one
   * profile, and a merged profile must never take another event.
   */
  async save(request: SaveRequest): Promise<SaveOutcome> {
    const { profile, expectedVersion, absorbed, allAbsorbed, newAliases, eventId, appliedBy, changed, history, terms, now } = request;
    const applied: LastApplied = { eventId, appliedBy, appliedAt: now, changed, seq: history.seq, entry: history.entry };
    const profilePut: Put = {
      TableName: this.tableName,
      Item: {
        ...keys.profile(profile.profileId),
        profile,
        version: (expectedVersion ?? 0) + 1,
        absorbed: allAbsorbed.length > 0 ? [...allAbsorbed] : undefined,
        historySeq: history.seq + 1,
        lastApplied: { appliedBy, changed, seq: history.seq, entry: history.entry } satisfies KeptLastApplied,
        updatedAt: new Date(now).toISOString(),
      },
      ...(expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
    };
    if (expectedVersion !== undefined && absorbed.length === 0) {
      if (!(await this.claimKeys(profile.profileId, newAliases, now))) return 'conflict';
      if (!(await this.written(() => this.documents.send(new PutCommand(profilePut))))) return 'conflict';
      await this.writeHistory(profile.profileId, applied, terms);
      return 'saved-unmarked';
    }
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      { Put: this.markerPut(applied, terms) },
      { Put: profilePut },
      { Put: this.historyPut(profile.profileId, applied, terms) },
    ];
    for (const merged of absorbed) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: { ...keys.profile(merged.profileId), mergedInto: profile.profileId, version: merged.version + 1, mergedAt: new Date(now).toISOString() },
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': merged.version },
        },
      });
    }
    for (const alias of newAliases) {
      items.push({ Put: this.aliasPut(profile.profileId, alias, now) }, { Put: this.identityPut(profile.profileId, alias, now) });
      if (alias.strandedAt !== undefined) items.push({ Delete: { TableName: this.tableName, Key: keys.identity(alias.strandedAt, alias.kind, alias.value) } });
    }
    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
      return 'saved';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      // Stryker disable next-line ConditionalExpression,OptionalChaining,StringLiteral: a shortcut only: as a conflict, the retry finds the marker and says duplicate the same way.
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'duplicate';
      if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict')) return 'conflict';
      throw error;
    }
  }

  /**
   * Writes an applied event's history slot, then its marker, unless they are there: for an event a
   * profile names as its last whose delivery stopped before it wrote them. The marker last, so a
   * marker means both are written. Neither replaces what it should not: a marker already there may
   * be marked announced, and a slot a later event reused keeps the later event.
   */
  async finishApplied(profileId: string, applied: LastApplied, terms: AppliedTerms): Promise<void> {
    await this.writeHistory(profileId, applied, terms);
    await this.putUnlessThere(this.markerPut(applied, terms));
  }

  /** An applied event's history slot, unless a later event has the slot. */
  async writeHistory(profileId: string, applied: LastApplied, terms: AppliedTerms): Promise<void> {
    await this.putUnlessThere(this.historyPut(profileId, applied, terms));
  }

  /**
   * An applied event's marker, once its profile.updated is out: marked announced at once when
   * `published`. It may overwrite one the person's next event wrote meanwhile, which says the same
   * but not announced.
   */
  async markApplied(applied: LastApplied, terms: AppliedTerms, published: boolean): Promise<void> {
    const { ConditionExpression: _always, ...put } = this.markerPut(applied, terms);
    await this.documents.send(new PutCommand({ ...put, Item: { ...put.Item, published } }));
  }

  private async putUnlessThere(put: Put): Promise<void> {
    await this.written(() => this.documents.send(new PutCommand(put)));
  }

  /**
   * Points keys seen for the first time at a known profile, each unless another profile has it
   * (false: the event is to be tried again, and will merge the two). The profile's own record of
   * the key first, so every key that leads to a person is one their erasure finds; a record left
   * by a refused key names a key the person's event carried, and the retry's merge makes it theirs.
   */
  private async claimKeys(profileId: string, newKeys: readonly NewKey[], now: number): Promise<boolean> {
    const claimed = await Promise.all(
      newKeys.map(async (key) => {
        await this.documents.send(new PutCommand(this.identityPut(profileId, key, now)));
        if (!(await this.written(() => this.documents.send(new PutCommand(this.aliasPut(profileId, key, now)))))) return false;
        // The gone profile's record of the key: an erasure no longer reaches it.
        if (key.strandedAt !== undefined)
          await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: keys.identity(key.strandedAt, key.kind, key.value) }));
        return true;
      }),
    );
    return claimed.every(Boolean);
  }

  private aliasPut(profileId: string, key: NewKey, now: number): Put {
    return {
      TableName: this.tableName,
      Item: { ...keys.alias(key.kind, key.value), profileId, createdAt: new Date(now).toISOString() },
      ...(key.strandedAt === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'attribute_not_exists(pk) OR profileId = :stranded', ExpressionAttributeValues: { ':stranded': key.strandedAt } }),
    };
  }

  private identityPut(profileId: string, key: NewKey, now: number): Put {
    return { TableName: this.tableName, Item: { ...keys.identity(profileId, key.kind, key.value), createdAt: new Date(now).toISOString() } };
  }

  private markerPut(applied: LastApplied, terms: AppliedTerms): Put {
    return {
      TableName: this.tableName,
      Item: {
        ...keys.appliedEvent(applied.eventId),
        published: false,
        changed: applied.changed,
        appliedBy: applied.appliedBy,
        appliedAt: applied.appliedAt,
        expiresAt: terms.permanent ? undefined : expiresAt(applied.appliedAt, appliedEventRetentionSeconds),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }

  private historyPut(profileId: string, applied: LastApplied, terms: AppliedTerms): Put {
    return {
      TableName: this.tableName,
      Item: {
        ...keys.history(profileId, applied.seq % terms.slots),
        ...applied.entry,
        seq: applied.seq,
        expiresAt: expiresAt(Date.parse(applied.entry.occurredAt), terms.retentionSeconds),
      },
      // A ring slot holds the latest event given it: one finished late never overwrites a newer one.
      ConditionExpression: 'attribute_not_exists(seq) OR seq <= :seq',
      ExpressionAttributeValues: { ':seq': applied.seq },
    };
  }

  async markPublished(eventId: string): Promise<void> {
    const _result = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.appliedEvent(eventId),
        UpdateExpression: 'SET published = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  }
}
