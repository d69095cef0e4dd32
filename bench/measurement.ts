import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BatchWriteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { keys } from '#shared/table.js';
import { localDynamoDb } from '../local/dynamodb-local.js';
import { lambdaContext } from '../local/lambda-context.js';
import { localRegion, localTableName } from '../local/runtime.js';
import { withMeteredRuntime } from './capacity-meter.js';
import { random } from './random.js';

export interface MeasurementFigures {
  readonly perFact: readonly { readonly fact: string; readonly calls: number; readonly billedRead: number; readonly billedWrite: number }[];
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly baselinePerSecond: number;
}

const profile = (profileId: string) => ({
  profileId,
  email: `${profileId}@example.com`,
  orderCount: 0,
  revenue: {},
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-11-01T00:00:00.000Z',
  traitsAt: {},
});

function envelope(source: string, detailType: string, detail: unknown) {
  return {
    version: '0',
    id: 'bench',
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: new Date().toISOString(),
    region: localRegion,
    resources: [],
    detail,
  };
}

/** The events of one message to one person, from the send to an order; `at` is the send. */
function messageEvents(profileId: string, at: number, withOrder: boolean, orderId: string) {
  const ref = { messageId: `msg-${profileId}-${at}`, ruleId: 'win-back', profileId, channel: 'email', template: 'win-back', variant: 'a' };
  const iso = (offset: number) => new Date(at + offset).toISOString();
  const occurredAt = iso(3_600_000);
  const order = {
    profileId,
    version: 2,
    changed: ['orderCount'],
    segments: { entered: [], left: [] },
    profile: profile(profileId),
    trigger: {
      source: 'nudge.intake',
      'detail-type': 'order.completed',
      detail: {
        eventId: `ev_${orderId}`,
        occurredAt,
        receivedAt: occurredAt,
        origin: { platform: 'shopify', shop: 'bench.myshopify.com', topic: 'orders/create' },
        identity: { email: `${profileId}@example.com` },
        traits: {},
        properties: { orderId, total: { amount: '42.50', currency: 'EUR' }, items: [] },
      },
    },
  };
  return [
    {
      fact: 'message.requested',
      event: envelope('nudge.rules', 'message.requested', {
        ...ref,
        requestedAt: iso(0),
        purpose: 'marketing',
        holdoutPercent: 0,
        context: { profile: profile(profileId), event: {} },
      }),
    },
    {
      fact: 'message.sent (starts the person’s window)',
      event: envelope('nudge.dispatch', 'message.sent', { ...ref, sentAt: iso(0), providerMessageId: `ses-${at}` }),
    },
    { fact: 'message.delivered', event: envelope('nudge.dispatch', 'message.delivered', { ...ref, at: iso(5000), providerMessageId: `ses-${at}` }) },
    {
      fact: 'message.opened (kept for attribution)',
      event: envelope('nudge.dispatch', 'message.opened', { ...ref, at: iso(60_000), providerMessageId: `ses-${at}` }),
    },
    ...(withOrder ? [{ fact: 'order (attributed, and converts the window)', event: envelope('nudge.profiles', 'profile.updated', order) }] : []),
  ];
}

/**
 * The measurement service on DynamoDB Local: capacity per counted fact (through a meter, as the
 * services make their calls), and counted events per second with eight at once, against the
 * least a count-once write can be (a transaction of a marker and one counter) on the same table in the same run.
 */
export async function measureMeasurementHere(projectDir: string): Promise<MeasurementFigures> {
  return withMeteredRuntime(projectDir, async (_runtime, meter) => {
    const calls = meter.calls;
    const documents = documentClient(localDynamoDb(meter.endpoint));
    const people = Array.from({ length: 500 }, (_, index) => `bench-${index}`);
    for (let start = 0; start < people.length; start += 25) {
      const requests = people
        .slice(start, start + 25)
        .map((profileId) => ({ PutRequest: { Item: { ...keys.profile(profileId), profile: profile(profileId), version: 1 } } }));
      await documents.send(new BatchWriteCommand({ RequestItems: { [localTableName]: requests } }));
    }
    const { handler } = await import('#services/measurement/handler.js');
    const invoke = (event: unknown) => handler(event, lambdaContext('nudge-measurement', 30_000, localRegion));

    const perFact: { fact: string; calls: number; billedRead: number; billedWrite: number }[] = [];
    const events = messageEvents('bench-0', Date.now() - 86_400_000, true, 'first');
    const measureOne = async (fact: string, event: unknown) => {
      calls.length = 0;
      await invoke(event);
      const billed = (kind: 'read' | 'write') => calls.filter((call) => call.kind === kind).reduce((sum, call) => sum + call.billed, 0);
      perFact.push({ fact, calls: calls.length, billedRead: billed('read'), billedWrite: billed('write') });
    };
    for (const { fact, event } of events) await measureOne(fact, event);
    await measureOne('the same message.sent again (a duplicate: refused by its marker)', events[1]?.event);

    const next = random(42);
    const load = people
      .slice(1)
      .flatMap((profileId, index) => messageEvents(profileId, Date.now() - 86_400_000 + index * 1000, next() < 0.3, `o-${index}`).map(({ event }) => event));
    const run = async (work: (item: unknown, index: number) => Promise<unknown>, items: readonly unknown[]) => {
      let position = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (position < items.length) {
            const index = position++;
            await work(items[index], index);
          }
        }),
      );
      return items.length / ((performance.now() - started) / 1000);
    };
    const eventsPerSecond = await run((event) => invoke(event), load);
    // The least a count-once can be: the fact's marker and one counter, in one transaction.
    const baselinePerSecond = await run(
      (_, index) =>
        documents.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: localTableName, Item: { pk: `BENCH#${index}`, sk: 'FACT' }, ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                Update: {
                  TableName: localTableName,
                  Key: { pk: 'BENCH#COUNTER', sk: String(index % 16) },
                  UpdateExpression: 'ADD #n :one',
                  ExpressionAttributeNames: { '#n': 'sent' },
                  ExpressionAttributeValues: { ':one': 1 },
                },
              },
            ],
          }),
        ),
      load,
    );
    return { perFact, events: load.length, eventsPerSecond, baselinePerSecond };
  });
}

/** The same, in a fresh process (see measurement-worker.ts). */
export function measureMeasurement(): MeasurementFigures {
  const worker = join(import.meta.dirname, 'measurement-worker.ts');
  const run = spawnSync(process.execPath, [...process.execArgv, worker], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // Its stderr holds only the SDK's Node.js version notice, unless it failed.
  if (run.status !== 0) throw new Error(`The measurement benchmark failed:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as MeasurementFigures;
}
