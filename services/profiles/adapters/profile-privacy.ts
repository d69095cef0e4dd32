import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { partitionItems, TableItems } from '#shared/adapters/aws-clients.js';
import { type Decision, inTrailOrder } from '#shared/decisions.js';
import type { Profile } from '#shared/events/profile.js';
import { addressHash } from '#shared/suppression.js';
import { decisionKeyPrefix, type IdentityKind, type ItemKey, interestKeyPrefix, keys, profilePartition } from '#shared/table.js';
import type { IdentityKey } from '../core/apply-event.js';
import { ProfileStore } from './profile-store.js';

/** Everything Nudge holds on one person, as `nudge profile export` writes it. */
export interface ProfileExport {
  readonly exportedAt: string;
  readonly profileId: string;
  readonly profile: Profile;
  /** Profiles found to be the same person and merged into this one. */
  readonly mergedProfileIds: readonly string[];
  readonly identities: readonly { readonly kind: string; readonly value: string }[];
  readonly history: readonly Record<string, unknown>[];
  readonly ruleStates: readonly Record<string, unknown>[];
  /** Time, place and sequence rules' state for the person (the events they wait on, their timers), by rule and key. */
  readonly triggerStates: readonly ({ readonly ruleId: string; readonly stateKey: string; readonly timers?: Record<string, number> } & Record<
    string,
    unknown
  >)[];
  /** What Nudge decided about the person in the last 30 days, oldest first (`nudge why`). */
  readonly decisions: readonly Decision[];
  /** What measurement keeps: the person's recent messages and opens (for attribution) and experiment windows. */
  readonly measurement: readonly unknown[];
}

export interface Erasure {
  readonly profileId: string;
  readonly deletedItems: number;
  /** Suppression entries left behind, by kind (the addresses themselves are not kept). */
  readonly suppressed: readonly string[];
}

/** The profile whose partition an item is in (a merged profile's decisions keep their own id). */
const profilePartitionId = (pk: unknown) => String(pk).replace(/^PROFILE#/, '');

const strip = ({ pk: _pk, sk: _sk, ...rest }: Record<string, unknown>) => rest;

/** Export and erasure of one person: what `nudge profile export|erase` and the admin function run. */
export class ProfilePrivacy extends TableItems {
  private readonly store: ProfileStore;

  constructor(client: DynamoDBClient, tableName: string) {
    super(client, tableName);
    this.store = new ProfileStore(client, tableName);
  }

  /** Whether an address's person was erased: erasing keeps only its hash, as a suppression. */
  async wasErased(key: IdentityKey): Promise<boolean> {
    if (key.kind !== 'email' && key.kind !== 'phone') return false;
    const { Item: item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keys.suppression(key.kind, addressHash(key.kind, key.value)), ProjectionExpression: 'reason' }),
    );
    return item?.reason === 'erased';
  }

  /** The live profile a key leads to, and every partition that holds the person's data. */
  private async locate(key: IdentityKey | { readonly profileId: string }): Promise<{ profile: Profile; partitions: string[] } | undefined> {
    let profileId: unknown;
    if ('profileId' in key) profileId = key.profileId;
    else {
      const alias = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.alias(key.kind, key.value), ConsistentRead: true }));
      profileId = alias.Item?.profileId;
    }
    if (typeof profileId !== 'string') return undefined;
    const stored = await this.store.resolve(profileId);
    if (stored === undefined) return undefined;
    return { profile: stored.profile, partitions: [stored.profile.profileId, ...stored.absorbed] };
  }

  private async partitionItems(profileId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const item of partitionItems(this.documents, this.tableName, profilePartition(profileId), { consistent: true })) items.push(item);
    return items;
  }

  private async collect(key: IdentityKey | { readonly profileId: string }) {
    const located = await this.locate(key);
    if (located === undefined) return undefined;
    const items = (await Promise.all(located.partitions.map((id) => this.partitionItems(id)))).flat();
    const recorded = items
      .filter((item) => String(item.sk).startsWith('IDENTITY#'))
      .map((item) => {
        const [, kind = '', ...value] = String(item.sk).split('#');
        return { kind, value: value.join('#') };
      });
    // A key is the person's while it leads to them: a record of a key another profile took first
    // (the event that carried it merges the two when it is tried again) is neither told nor erased.
    const owners = await Promise.all(
      recorded.map(async (identity) => {
        const { Item: alias } = await this.documents.send(
          new GetCommand({ TableName: this.tableName, Key: keys.alias(identity.kind as IdentityKind, identity.value), ConsistentRead: true }),
        );
        return typeof alias?.profileId === 'string' ? alias.profileId : undefined;
      }),
    );
    const identities = recorded.flatMap((identity, index) => {
      const owner = owners[index];
      return owner !== undefined && located.partitions.includes(owner) ? [{ ...identity, owner }] : [];
    });
    return { ...located, items, identities };
  }

  async export(key: IdentityKey | { readonly profileId: string }, now: number): Promise<ProfileExport | undefined> {
    const found = await this.collect(key);
    if (found === undefined) return undefined;
    const { profile, partitions, items, identities } = found;
    return {
      exportedAt: new Date(now).toISOString(),
      profileId: profile.profileId,
      profile,
      mergedProfileIds: partitions.slice(1),
      identities: identities.map(({ kind, value }) => ({ kind, value })),
      history: items
        .filter((item) => String(item.sk).startsWith('HISTORY#'))
        .map(strip)
        .sort((a, b) => String(a.occurredAt).localeCompare(String(b.occurredAt))),
      ruleStates: items
        .filter((item) => String(item.sk).startsWith('RULE#'))
        .map((item) => ({ ruleId: String(item.sk).slice('RULE#'.length), ...strip(item) })),
      triggerStates: items
        .filter((item) => String(item.sk).startsWith('TRIGGER#'))
        .map((item) => {
          const [ruleId = '', ...stateKey] = String(item.sk).slice('TRIGGER#'.length).split('#');
          return { ruleId, stateKey: stateKey.join('#'), ...strip(item) };
        }),
      decisions: items
        .filter((item) => String(item.sk).startsWith(decisionKeyPrefix) && Array.isArray(item.decisions))
        .flatMap((item) => (item.decisions as Omit<Decision, 'profileId'>[]).map((decision) => ({ ...decision, profileId: profilePartitionId(item.pk) })))
        .sort(inTrailOrder),
      measurement: items
        .filter((item) => item.sk === 'MEASURES' && typeof item.measures === 'string')
        .map((item) => JSON.parse(String(item.measures)) as unknown),
    };
  }

  /**
   * Deletes the person: profiles (merged ones too), aliases, history, rule state. What is left is
   * one suppression entry per address, holding its hash, so the address is never mailed again.
   */
  /**
   * Every live profile whose latest event came from the shop (`profile.shop`), found by a scan of
   * the table: what a shop that uninstalled the app leaves behind (Shopify's `shop/redact`, once).
   */
  async *profilesOfShop(shop: string): AsyncIterable<string> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'sk = :profile AND #profile.#shop = :shop',
          ExpressionAttributeNames: { '#profile': 'profile', '#shop': 'shop' },
          ExpressionAttributeValues: { ':profile': 'PROFILE', ':shop': shop },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.profile?.profileId === 'string') yield item.profile.profileId as string;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  async erase(key: IdentityKey | { readonly profileId: string }, now: number): Promise<Erasure | undefined> {
    const found = await this.collect(key);
    if (found === undefined) return 'profileId' in key ? undefined : this.eraseStranded(key, now);
    const { profile, items, identities } = found;
    const addresses = new Map<string, { kind: 'email' | 'phone'; value: string }>();
    for (const identity of identities)
      if (identity.kind === 'email' || identity.kind === 'phone')
        addresses.set(`${identity.kind}:${identity.value}`, identity as { kind: 'email' | 'phone'; value: string });
    if (profile.email) addresses.set(`email:${profile.email}`, { kind: 'email', value: profile.email });
    if (profile.phone) addresses.set(`phone:${profile.phone}`, { kind: 'phone', value: profile.phone });
    // Suppress first: if the erasure stops half-way, the address is already safe from mail.
    for (const { kind, value } of addresses.values()) {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.suppression(kind, addressHash(kind, value)), kind, reason: 'erased', at: new Date(now).toISOString() },
        }),
      );
    }
    const doomed: ItemKey[] = [
      ...items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
      // Interest in products is also kept under each product, for its back-in-stock and price-drop messages.
      ...items
        .filter((item) => String(item.sk).startsWith(interestKeyPrefix))
        .map((item) => ({
          pk: `${interestKeyPrefix}${String(item.sk).slice(interestKeyPrefix.length)}`,
          sk: `PROFILE#${String(item.pk).slice('PROFILE#'.length)}`,
        })),
    ];
    let deletedKeys = 0;
    for (const { kind, value, owner } of identities) if (await this.deleteKey(kind as IdentityKind, value, owner)) deletedKeys++;
    await this.deleteAll(doomed);
    return { profileId: profile.profileId, deletedItems: doomed.length + deletedKeys, suppressed: [...addresses.values()].map((address) => address.kind) };
  }

  /**
   * A key that leads to a profile already gone: left by an event that claimed it while the profile
   * was being erased. Its address suppressed, the key and what is left of that profile deleted.
   */
  private async eraseStranded(key: IdentityKey, now: number): Promise<Erasure | undefined> {
    const { Item: alias } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keys.alias(key.kind, key.value), ConsistentRead: true }),
    );
    const owner = alias?.profileId;
    if (typeof owner !== 'string' || (await this.store.resolve(owner)) !== undefined) return undefined;
    const address = key.kind === 'email' || key.kind === 'phone' ? { kind: key.kind, value: key.value } : undefined;
    if (address !== undefined)
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.suppression(address.kind, addressHash(address.kind, address.value)),
            kind: address.kind,
            reason: 'erased',
            at: new Date(now).toISOString(),
          },
        }),
      );
    const left = (await this.partitionItems(owner)).map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
    const deletedKey = await this.deleteKey(key.kind, key.value, owner);
    await this.deleteAll(left);
    return { profileId: owner, deletedItems: left.length + (deletedKey ? 1 : 0), suppressed: address === undefined ? [] : [address.kind] };
  }

  /** A key's alias, only while it leads to `owner`: a key is never taken from someone else. */
  private deleteKey(kind: IdentityKind, value: string, owner: string): Promise<boolean> {
    return this.written(() =>
      this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.alias(kind, value),
          ConditionExpression: 'profileId = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }

  private async deleteAll(doomed: readonly ItemKey[]): Promise<void> {
    for (let start = 0; start < doomed.length; start += 25) {
      let requests = doomed.slice(start, start + 25).map((key) => ({ DeleteRequest: { Key: key } }));
      while (requests.length > 0) {
        const result = await this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }
}
