import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { expiresAt, keys, measureFactRetentionSeconds } from '#shared/table.js';
import type { MeasurementConfig } from '../core/config.js';
import { combineIncrements, type Increment, mergePeople, type OrderRecord, type PersonMeasures, planFact } from '../core/counting.js';
import { type Fact, factId } from '../core/facts.js';
import type { CounterRow } from '../core/report.js';

/** Counters are spread over this many items per rule, variant and day; the report adds them up. */
export const counterShards = 16;
/** Optimistic writes of one person that collide are read again and retried this often. */
const maxAttempts = 25;

export type CountOutcome = { readonly kind: 'counted'; readonly note?: string } | { readonly kind: 'duplicate' };

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);
const counterNames = new Set(['pk', 'sk', 'ruleId', 'variant', 'day']);
const needsPerson = new Set<Fact['kind']>(['sent', 'deferred', 'failed', 'suppressed', 'opened', 'clicked', 'unsubscribed', 'order']);

interface StoredPerson {
  readonly measures: PersonMeasures | undefined;
  readonly version: number;
  /** The profile this one was merged into, if it was. */
  readonly mergedInto?: string;
}

/**
 * Measurement's items: per rule × variant × day counters, a marker per counted fact, a record per
 * counted order and each person's recent messages. Every fact is counted in one transaction with
 * its marker, so it counts once or not at all, whatever is delivered twice or replayed.
 */
export class MeasurementStore {
  private readonly documents: DynamoDBDocumentClient;
  /** Transactions tried again after a collision (for the benchmark and the logs). */
  retries = 0;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    // Numbers stay decimal text both ways: money is added and read back exactly.
    this.documents = documentClient(client, { exactNumbers: true });
  }

  async count(fact: Fact, config: MeasurementConfig, now: number): Promise<CountOutcome> {
    if (fact.kind === 'merged') return this.merge(fact, now);
    // The order that shows two profiles to be one comes with its profile.merged, in no set order:
    // the profiles it absorbed are folded in first, so their messages count for it.
    if (fact.kind === 'order') await this.foldAbsorbed(fact.profileId, now);
    const id = factId(fact);
    const shard = Number.parseInt(hash(id).slice(0, 8), 16) % counterShards;
    let personAlive = true;
    for (let attempt = 1; ; attempt++) {
      const surviving = needsPerson.has(fact.kind) && personAlive ? await this.survivingPerson(fact.profileId) : undefined;
      const profileId = surviving?.profileId;
      const person = surviving?.stored;
      const orderKey = fact.kind === 'order' || fact.kind === 'refund' ? keys.measureOrder(hash(fact.orderKey)) : undefined;
      const order = fact.kind === 'refund' && orderKey ? await this.order(orderKey) : undefined;
      const plan = planFact(profileId === undefined ? fact : { ...fact, profileId }, person?.measures, order?.record, config);
      // A fact that changes nothing (an order no message preceded, a refund of one) writes nothing:
      // counting it again changes nothing either.
      if (plan.increments.length === 0 && plan.person === undefined && plan.order === undefined)
        return plan.note === undefined ? { kind: 'counted' } : { kind: 'counted', note: plan.note };
      const ttl = expiresAt(now, measureFactRetentionSeconds);
      const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
      // The fact's marker first: its condition failing means the fact was counted before. A new order's record is its marker.
      if (fact.kind === 'order' && orderKey && plan.order)
        items.push({
          Put: { TableName: this.tableName, Item: { ...orderKey, ...plan.order, expiresAt: ttl }, ConditionExpression: 'attribute_not_exists(pk)' },
        });
      else
        items.push({
          Put: {
            TableName: this.tableName,
            Item: { ...keys.measureFact(hash(id)), expiresAt: ttl },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        });
      const personWritten = profileId !== undefined && plan.person !== undefined && fact.kind !== 'unsubscribed';
      let profileCheck: number | undefined;
      if (personWritten && profileId !== undefined && plan.person !== undefined && person !== undefined) {
        // An erased person's measures are not written again: a new item needs the profile to exist.
        // (An existing one does not: erasure deletes it with the profile.)
        if (person.version === 0) {
          profileCheck = items.length;
          items.push({ ConditionCheck: { TableName: this.tableName, Key: keys.profile(profileId), ConditionExpression: 'attribute_exists(pk)' } });
        }
        items.push({
          Put: {
            TableName: this.tableName,
            Item: { ...keys.personMeasures(profileId), measures: JSON.stringify(plan.person), version: person.version + 1 },
            ConditionExpression: person.version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
            ExpressionAttributeValues: person.version === 0 ? undefined : { ':version': person.version },
          },
        });
      }
      if (fact.kind === 'refund' && orderKey && plan.order && order) {
        items.push({
          Put: {
            TableName: this.tableName,
            Item: { ...orderKey, ...plan.order, expiresAt: order.expiresAt, version: order.version + 1 },
            ConditionExpression: 'attribute_not_exists(version) OR version = :version',
            ExpressionAttributeValues: { ':version': order.version },
          },
        });
      }
      for (const increment of combineIncrements(plan.increments)) items.push({ Update: this.increment(increment, shard) });
      try {
        await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
        return plan.note === undefined ? { kind: 'counted' } : { kind: 'counted', note: plan.note };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          // A second open or click is no second unique open, but it does move the attribution window on.
          if (fact.kind === 'opened' || fact.kind === 'clicked') await this.refreshEngagement(fact.profileId, fact.messageId, fact.at);
          return { kind: 'duplicate' };
        }
        if (profileCheck !== undefined && reasons[profileCheck]?.Code === 'ConditionalCheckFailed') personAlive = false;
        // A request DynamoDB finds invalid (an item too large) stays invalid: no retry can help.
        if (attempt >= maxAttempts || reasons.some((reason) => reason.Code === 'ValidationError')) throw error;
        this.retries++;
        // Another write to the person, the order or a counter came first: read again and retry.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  private increment(increment: Increment, shard: number) {
    const names: Record<string, string> = { '#ruleId': 'ruleId', '#day': 'day' };
    const values: Record<string, unknown> = { ':ruleId': increment.ruleId, ':day': increment.day };
    const adds = Object.entries(increment.add).map(([name, value], index) => {
      names[`#c${index}`] = name;
      // DynamoDB numbers are exact decimals (38 digits): a string amount adds exactly.
      values[`:c${index}`] = NumberValue.from(value);
      return `#c${index} :c${index}`;
    });
    let set = '#ruleId = :ruleId, #day = :day';
    if (increment.variant !== undefined) {
      names['#variant'] = 'variant';
      values[':variant'] = increment.variant;
      set += ', #variant = :variant';
    }
    return {
      TableName: this.tableName,
      Key: keys.measureCounter(increment.ruleId, increment.day, increment.variant, shard),
      UpdateExpression: `SET ${set} ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /** Sets a message's latest open or click to `at` if that is later; the later time wins, so repeating it changes nothing. */
  private async refreshEngagement(profileId: string, messageId: string, at: number): Promise<void> {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const surviving = await this.survivingPerson(profileId);
      const measures = surviving.stored.measures;
      const touch = measures?.touches.find((known) => known.messageId === messageId);
      if (measures === undefined || touch === undefined || (touch.engagedAt ?? 0) >= at) return;
      const touches = measures.touches.map((known) => (known.messageId === messageId ? { ...known, engagedAt: at } : known));
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.personMeasures(surviving.profileId), measures: JSON.stringify({ ...measures, touches }), version: surviving.stored.version + 1 },
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': surviving.stored.version },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }

  /** Moves the measures of profiles this one absorbed (per its profile item) that were not moved yet. */
  private async foldAbsorbed(profileId: string, now: number): Promise<void> {
    const { Item: item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keys.profile(profileId), ProjectionExpression: 'absorbed', ConsistentRead: true }),
    );
    const absorbed = Array.isArray(item?.absorbed) ? (item.absorbed as unknown[]).filter((id): id is string => typeof id === 'string') : [];
    for (const mergedId of absorbed.slice(-20)) {
      const stored = await this.person(mergedId);
      if (stored.measures !== undefined && stored.mergedInto === undefined)
        await this.mergeOne({ kind: 'merged', profileId, mergedProfileIds: [mergedId], eventId: 'absorbed' }, mergedId, now);
    }
  }

  /** The person's measures, read where they are now: a merged profile's point to the survivor's. */
  private async survivingPerson(profileId: string): Promise<{ profileId: string; stored: StoredPerson }> {
    let current = profileId;
    let stored = await this.person(current);
    const visited = new Set([current]);
    // To the end of the chain (a cycle, which profiles never make, stops where it closes).
    while (stored.mergedInto !== undefined && !visited.has(stored.mergedInto) && visited.size < 100) {
      current = stored.mergedInto;
      visited.add(current);
      stored = await this.person(current);
    }
    return { profileId: current, stored };
  }

  private async person(profileId: string): Promise<StoredPerson> {
    const { Item: item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.personMeasures(profileId), ConsistentRead: true }));
    if (item === undefined) return { measures: undefined, version: 0 };
    return {
      measures: typeof item.measures === 'string' ? (JSON.parse(item.measures) as PersonMeasures) : undefined,
      version: Number(String(item.version ?? 0)),
      ...(typeof item.mergedInto === 'string' ? { mergedInto: item.mergedInto } : {}),
    };
  }

  private async order(key: { pk: string; sk: string }): Promise<{ record: OrderRecord; version: number; expiresAt: number } | undefined> {
    const { Item: item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (item === undefined) return undefined;
    const { pk: _pk, sk: _sk, version, expiresAt: ttl, ...record } = item;
    return { record: record as OrderRecord, version: Number(String(version ?? 0)), expiresAt: Number(String(ttl)) };
  }

  /**
   * Several profiles became one: each merged profile's messages and windows move to the survivor,
   * which it points to from then on. One transaction per merged profile, each with its own marker,
   * so a merge of any size is done once, piece by piece, whatever is retried. A profile "merged"
   * into itself, or into a profile that points back at it, changes nothing.
   */
  private async merge(fact: Extract<Fact, { kind: 'merged' }>, now: number): Promise<CountOutcome> {
    let merged = 0;
    for (const mergedId of new Set(fact.mergedProfileIds)) {
      if (mergedId === fact.profileId) continue;
      if (await this.mergeOne(fact, mergedId, now)) merged++;
    }
    return merged === 0 ? { kind: 'duplicate' } : { kind: 'counted' };
  }

  private async mergeOne(fact: Extract<Fact, { kind: 'merged' }>, mergedId: string, now: number): Promise<boolean> {
    const id = `${factId(fact)}|${mergedId}`;
    for (let attempt = 1; ; attempt++) {
      const survivor = await this.survivingPerson(fact.profileId);
      const stored = await this.person(mergedId);
      // Already pointing elsewhere, or the survivor leads back to it: nothing to move.
      if (survivor.profileId === mergedId) return false;
      const versioned = (person: StoredPerson) =>
        person.version === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': person.version } };
      const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
        {
          Put: {
            TableName: this.tableName,
            Item: { ...keys.measureFact(hash(id)), expiresAt: expiresAt(now, measureFactRetentionSeconds) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: {
              ...keys.personMeasures(survivor.profileId),
              measures: JSON.stringify(mergePeople(survivor.stored.measures, [stored.measures])),
              version: survivor.stored.version + 1,
            },
            ...versioned(survivor.stored),
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: { ...keys.personMeasures(mergedId), mergedInto: survivor.profileId, version: stored.version + 1 },
            ...versioned(stored),
          },
        },
      ];
      try {
        await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
        if (attempt >= maxAttempts) throw error;
        this.retries++;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  /** Every counter item of a rule between two UTC days (inclusive), shards as they are. */
  async counters(ruleId: string, fromDay: string, toDay: string): Promise<CounterRow[]> {
    const rows: CounterRow[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': keys.measureCounter(ruleId, '', undefined, 0).pk, ':from': `DAY#${fromDay}`, ':to': `DAY#${toDay}#~` },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const counters: Record<string, string> = {};
        for (const [name, value] of Object.entries(item))
          if (!counterNames.has(name)) counters[name] = value instanceof NumberValue ? value.value : String(value);
        rows.push({ ruleId, variant: typeof item.variant === 'string' ? item.variant : undefined, day: String(item.day), counters });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return rows;
  }
}
