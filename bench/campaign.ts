import { BatchWriteCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { DynamoFiringStore } from '#services/rules/adapters/firing-store.js';
import { DynamoTriggerStateStore } from '#services/rules/adapters/trigger-state-store.js';
import { campaignShares } from '#services/rules/campaign.js';
import { compileRule, Rule } from '#services/rules/core/rule.js';
import { RuleEngine } from '#services/rules/engine.js';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { DynamoProfileReader } from '#shared/adapters/profile-reader.js';
import type { Profile } from '#shared/events/profile.js';
import { keys } from '#shared/table.js';
import { MemoryTimers } from '../cli/simulator-ports.js';
import { ensureTable, localDynamoDb, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { quietFreePort } from '../local/ports.js';
import { type MeteredCall, startCapacityMeter } from './capacity-meter.js';

export interface CampaignFigures {
  readonly profiles: number;
  /** Items per person in the table besides the profile (history, aliases): a scan reads them all. */
  readonly itemsPerPerson: number;
  readonly messages: number;
  readonly segments: number;
  readonly chunks: number;
  readonly seconds: number;
  readonly profilesPerSecond: number;
  readonly readUnitsPerPerson: number;
  readonly writeUnitsPerPerson: number;
  /** The same segments scanned with nothing decided: reading the table alone, same run. */
  readonly baselineProfilesPerSecond: number;
  readonly baselineReadUnitsPerPerson: number;
}

const billed = (calls: readonly MeteredCall[], kind: 'read' | 'write') =>
  calls.filter((call) => call.kind === kind).reduce((sum, call) => sum + call.billed, 0);

/**
 * A recurring rule's run over `profiles` people on DynamoDB Local, through the capacity meter, by
 * one campaign worker (the real engine, profile reader, firing store) taking every chunk of every
 * segment in turn, as one rules function would from the queue: people decided per second, and
 * the capacity each person costs. One person in ten qualifies (three orders or more).
 */
export async function measureCampaign(profiles = 200_000, chunkProfiles = 500): Promise<CampaignFigures> {
  const dynamo = await startDynamoDbLocal({ port: await quietFreePort(), dataDir: undefined });
  const meter = await startCapacityMeter(dynamo.endpoint);
  const tableName = 'nudge-campaign-bench';
  const client = localDynamoDb(meter.endpoint);
  try {
    await ensureTable(dynamo.endpoint, tableName);
    const itemsPerPerson = await seed(documentClient(localDynamoDb(dynamo.endpoint)), tableName, profiles);
    const rule = compileRule(
      Rule.parse({
        id: 'weekly-loyal',
        name: 'Weekly note to loyal customers',
        trigger: { type: 'time', cron: 'cron(0 10 ? * MON *)', timeZone: 'UTC' },
        conditions: { orderCount: [{ numeric: ['>=', 3] }] },
        channel: 'email',
        template: 'we-miss-you',
        cooldown: '6d',
      }),
    );
    const reader = new DynamoProfileReader(client, tableName);
    const engine = new RuleEngine([rule], {
      states: new DynamoTriggerStateStore(client, tableName),
      firings: new DynamoFiringStore(client, tableName),
      timers: new MemoryTimers(),
      profiles: reader,
      geofences: new Map(),
    });
    const run = { ruleId: rule.rule.id, dueAt: '2026-11-30T10:00:00.000Z' };
    const shares = campaignShares(run);

    // Baseline: the same chunks read, nothing decided.
    meter.calls.length = 0;
    let started = performance.now();
    let read = 0;
    for (const share of shares) {
      let after: string | undefined;
      do {
        let rest: string | undefined;
        const scope = {
          segment: share.segment,
          segments: share.segments,
          limit: chunkProfiles,
          ...(after ? { after } : {}),
          stopped: (key: string | undefined) => (rest = key),
        };
        for await (const _ of reader.all(scope)) read++;
        after = rest;
      } while (after !== undefined);
    }
    const baselineSeconds = (performance.now() - started) / 1000;
    const baselineRead = billed(meter.calls, 'read');

    meter.calls.length = 0;
    started = performance.now();
    let messages = 0;
    let chunks = 0;
    for (const share of shares) {
      let after: string | undefined;
      do {
        let rest: string | undefined;
        const evaluation = await engine.onTimer(
          { kind: 'recurring', ...run },
          { segment: share.segment, segments: share.segments, limit: chunkProfiles, ...(after ? { after } : {}), stopped: (key) => (rest = key) },
        );
        messages += evaluation.requests.length;
        chunks++;
        after = rest;
      } while (after !== undefined);
    }
    const seconds = (performance.now() - started) / 1000;
    if (read !== profiles) throw new Error(`The scan read ${read} profiles of ${profiles}`);
    return {
      profiles,
      itemsPerPerson,
      messages,
      segments: shares.length,
      chunks,
      seconds,
      profilesPerSecond: profiles / seconds,
      readUnitsPerPerson: billed(meter.calls, 'read') / profiles,
      writeUnitsPerPerson: billed(meter.calls, 'write') / profiles,
      baselineProfilesPerSecond: profiles / baselineSeconds,
      baselineReadUnitsPerPerson: baselineRead / profiles,
    };
  } finally {
    client.destroy();
    await meter.stop();
    await dynamo.stop();
  }
}

/** The table as a shop's would hold these people: each profile, two history slots and an email alias. Writes eight batches at a time. */
async function seed(documents: ReturnType<typeof documentClient>, tableName: string, profiles: number): Promise<number> {
  const person = (index: number): Record<string, unknown>[] => {
    const profileId = `p${String(index).padStart(7, '0')}`;
    const email = `${profileId}@example.com`;
    const profile: Profile = {
      profileId,
      email,
      firstName: 'Ada',
      locale: 'de-DE',
      timeZone: 'Europe/Berlin',
      orderCount: index % 10 === 0 ? 3 : index % 3,
      revenue: { EUR: (42.5 * (index % 7)).toFixed(2) },
      firstSeenAt: '2026-01-05T10:00:00.000Z',
      lastSeenAt: '2026-11-20T18:30:00.000Z',
      lastOrderAt: '2026-10-02T12:00:00.000Z',
      traitsAt: {},
      consent: { email: { state: 'subscribed', at: '2026-01-05T10:00:00.000Z', source: 'shopify:customers_email_marketing_consent/update' } },
    };
    const event = {
      source: 'nudge.intake',
      'detail-type': 'product.viewed',
      detail: { eventId: `ev_${index}`, properties: { productId: 'p-507', name: 'Stoneware mug', price: { amount: 24, currency: 'EUR' } } },
    };
    return [
      { ...keys.profile(profileId), version: 3, historySeq: 2, updatedAt: '2026-11-20T18:30:00.000Z', profile },
      { ...keys.history(profileId, 1), at: '2026-11-20T18:00:00.000Z', event },
      { ...keys.history(profileId, 2), at: '2026-11-20T18:30:00.000Z', event },
      { ...keys.alias('email', email), profileId, createdAt: '2026-01-05T10:00:00.000Z' },
    ];
  };
  const batches: Record<string, unknown>[][] = [];
  let batch: Record<string, unknown>[] = [];
  for (let index = 0; index < profiles; index++) {
    for (const item of person(index)) {
      batch.push(item);
      if (batch.length === 25) {
        batches.push(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) batches.push(batch);
  let next = 0;
  const writer = async () => {
    while (next < batches.length) {
      const items = batches[next++] as Record<string, unknown>[];
      let unprocessed: unknown[] = items.map((Item) => ({ PutRequest: { Item } }));
      while (unprocessed.length > 0) {
        const answer = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: unprocessed as never } }));
        unprocessed = answer.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  // Checked, not assumed: every profile is in the table.
  let stored = 0;
  for await (const page of paginateScan({ client: documents, pageSize: 1000 }, { TableName: tableName, Select: 'COUNT' })) stored += page.Count ?? 0;
  if (stored !== profiles * 4) throw new Error(`Seeded ${stored} items, not ${profiles * 4}`);
  return 3;
}
