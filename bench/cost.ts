import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { putEventsEntrySize } from '#shared/bus-limits.js';
import { busName, functionMemoryMb, queueDeliveryOf } from '#shared/topology.js';
import type { LambdaHandler } from '../local/lambda-context.js';
import { type LocalFunctionName, type LocalRuntime, localRegion, localTableName } from '../local/runtime.js';
import { awsPrices, logEventOverheadBytes, platformLogBytesPerInvocation, tracedShare } from './aws-prices.js';
import { type MeteredCall, withMeteredRuntime } from './capacity-meter.js';
import { type MeteredRequest, startRequestMeter } from './request-meter.js';
import { hash, type ShopRequests, shopifyCheckout, shopifyOrder, shopRequests } from './shop-requests.js';

/** What a flow used, in the units AWS bills. */
export interface Usage {
  /** Customer events the flow stands for (an order with its three webhooks is one; a batch of 20 is 20). */
  readonly events: number;
  readonly httpRequests: number;
  /** API Gateway's billed requests: each 512 KB of a request counts once. */
  readonly apiRequests: number;
  readonly invocations: number;
  readonly gbSeconds: number;
  /** EventBridge's billed events: each 64 KB of an entry, put by a function or by a firing schedule. */
  readonly busEvents: number;
  readonly scheduledInvocations: number;
  readonly dynamoDbCalls: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly sqsRequests: number;
  readonly secretsCalls: number;
  readonly logBytes: number;
  readonly traces: number;
  /** Emails and texts sent (their fees are left out of the prices). */
  readonly messages: number;
}

export const costServices = ['API Gateway', 'Lambda', 'EventBridge', 'Scheduler', 'DynamoDB', 'SQS', 'Secrets Manager', 'CloudWatch Logs', 'X-Ray'] as const;
export type CostService = (typeof costServices)[number];

const perMillion = (count: number, price: number) => (count * price) / 1_000_000;

/** The dollars a flow costs, per service, at the published prices. */
export function priceUsage(usage: Usage): Record<CostService, number> {
  const p = awsPrices;
  return {
    'API Gateway': perMillion(usage.apiRequests, p.apiGatewayPerMillionRequests),
    Lambda: perMillion(usage.invocations, p.lambdaPerMillionRequests) + usage.gbSeconds * p.lambdaPerGbSecond,
    EventBridge: perMillion(usage.busEvents, p.eventBridgePerMillionEvents),
    Scheduler: perMillion(usage.scheduledInvocations, p.schedulerPerMillionInvocations),
    DynamoDB: perMillion(usage.writeUnits, p.dynamoDbPerMillionWriteUnits) + perMillion(usage.readUnits, p.dynamoDbPerMillionReadUnits),
    SQS: perMillion(usage.sqsRequests, p.sqsPerMillionRequests),
    'Secrets Manager': perMillion(usage.secretsCalls, p.secretsManagerPerMillionCalls),
    'CloudWatch Logs': (usage.logBytes / 1024 ** 3) * p.cloudWatchLogsPerGb,
    'X-Ray': perMillion(usage.traces, p.xRayPerMillionTraces),
  };
}

/** A flow's cost per million of its events, per service and in all. */
export function perMillionEvents(usage: Usage): { readonly services: Record<CostService, number>; readonly total: number } {
  const dollars = priceUsage(usage);
  const services = Object.fromEntries(costServices.map((service) => [service, (dollars[service] / usage.events) * 1_000_000])) as Record<CostService, number>;
  return { services, total: costServices.reduce((sum, service) => sum + services[service], 0) };
}

/** Usage of several flows in proportion: each flow's usage per event, weighted. */
export function mixUsage(parts: readonly { readonly usage: Usage; readonly weight: number }[]): Usage {
  const fields = Object.keys(parts[0]?.usage ?? {}) as (keyof Usage)[];
  const total = parts.reduce((sum, part) => sum + part.weight, 0);
  const mixed = Object.fromEntries(
    fields.map((field) => [field, parts.reduce((sum, part) => sum + (part.usage[field] / part.usage.events) * (part.weight / total), 0)]),
  );
  return { ...(mixed as unknown as Usage), events: 1 };
}

/** The shop's mix: what share of its events each kind is. */
export const shopMix = [
  { kind: 'product view', weight: 60 },
  { kind: 'cart', weight: 15 },
  { kind: 'checkout', weight: 8 },
  { kind: 'order (3 Shopify webhooks)', weight: 3 },
  { kind: 'identify', weight: 6 },
  { kind: 'location report', weight: 6 },
  { kind: 'consent change', weight: 2 },
] as const;

export type EventKind = (typeof shopMix)[number]['kind'] | 'Segment batch of 20';

export interface KindCost {
  readonly kind: EventKind;
  readonly measured: Usage;
  readonly floor: Usage;
}

/** Items that exist only so a fact counts once: the floor's design would fold them into the write they guard. */
const onceMarker = (key: string) => /^(EVENT#|MEASURE#FACT#|MEASURE#ORDER#)/.test(key);
/** Items a rule's decision writes: the rules hop is needed when one changes. */
const ruleState = (key: string) => /\|(RULE#|TRIGGER#|DECISION#)/.test(key);

interface Invocation {
  readonly name: LocalFunctionName;
  readonly millis: number;
  /** Messages in a queue batch (SQS delivery), else 0. */
  readonly records: number;
}

/** Everything the meters saw since the last reset. */
export class CostMeters {
  readonly invocations: Invocation[] = [];
  scheduled = 0;
  logBytes = 0;
  logLines = 0;
  dynamo: MeteredCall[] = [];
  aws: MeteredRequest[] = [];
  ses: MeteredRequest[] = [];
  httpRequests: number[] = [];

  reset(): void {
    this.invocations.length = 0;
    this.scheduled = 0;
    this.logBytes = 0;
    this.logLines = 0;
    this.dynamo.length = 0;
    this.aws.length = 0;
    this.ses.length = 0;
    this.httpRequests.length = 0;
  }

  /** The function running now: one at a time, so each is timed alone, as each Lambda invocation runs alone. */
  private running: Promise<unknown> = Promise.resolve();

  wrap(name: LocalFunctionName, handler: LambdaHandler): LambdaHandler {
    return (event, context) => {
      const turn = this.running.then(async () => {
        const started = performance.now();
        try {
          return await handler(event, context);
        } finally {
          const records = (event as { Records?: unknown[] } | undefined)?.Records?.length ?? 0;
          this.invocations.push({ name, millis: performance.now() - started, records });
        }
      });
      this.running = turn.catch(() => undefined);
      return turn;
    };
  }

  /** Customer events sent as messages (email or text). */
  messages(): number {
    return (
      this.ses.filter((request) => request.operation === 'SESv2.SendEmail').length +
      this.aws.filter((request) => request.operation === 'PinpointSMSVoiceV2.SendTextMessage').length
    );
  }

  usage(events: number): Usage {
    const busEntries = this.aws
      .filter((request) => request.operation === 'AWSEvents.PutEvents')
      .flatMap((request) => (JSON.parse(request.body) as { Entries: Parameters<typeof putEventsEntrySize>[0][] }).Entries);
    const queued = this.invocations.filter((invocation) => invocation.records > 0);
    const gbSeconds = this.invocations.reduce((sum, invocation) => sum + Math.ceil(invocation.millis) / 1000, 0) * (functionMemoryMb / 1024);
    return {
      events,
      httpRequests: this.httpRequests.length,
      apiRequests: this.httpRequests.reduce((sum, bytes) => sum + Math.max(1, Math.ceil(bytes / awsPrices.apiGatewayRequestBytes)), 0),
      invocations: this.invocations.length,
      gbSeconds,
      busEvents:
        busEntries.reduce((sum, entry) => sum + Math.max(1, Math.ceil(putEventsEntrySize(entry) / awsPrices.eventBridgeEventBytes)), 0) + this.scheduled,
      scheduledInvocations: this.scheduled,
      dynamoDbCalls: this.dynamo.length,
      readUnits: this.dynamo.filter((call) => call.kind === 'read').reduce((sum, call) => sum + call.billed, 0),
      writeUnits: this.dynamo.filter((call) => call.kind === 'write').reduce((sum, call) => sum + call.billed, 0),
      // EventBridge sends each message to the queue; Lambda's poller receives a batch and deletes it; dead letters are sent.
      sqsRequests:
        queued.reduce((sum, invocation) => sum + invocation.records + 2, 0) +
        this.aws.filter((request) => request.operation === 'AmazonSQS.SendMessage').length,
      secretsCalls: this.aws.filter((request) => request.operation === 'secretsmanager.GetSecretValue').length,
      logBytes: this.logBytes + this.logLines * logEventOverheadBytes + this.invocations.length * platformLogBytesPerInvocation,
      traces: (this.httpRequests.length + this.scheduled) * tracedShare,
      messages: this.messages(),
    };
  }

  /**
   * The least this architecture must call for what the meters saw: the requests as sent, one
   * invocation and one PutEvents per hop that changed something (profiles per fact, rules when a
   * rule's state changed or a message went, dispatch and measurement per message), one write per
   * item that changed (at its size; no reads, no once-markers, no transactions), a schedule firing
   * per message that waited, the queue's requests per message, and Lambda's own log lines.
   */
  floor(events: number, facts: number, hopMillis: number, itemBytes: ReadonlyMap<string, number>): Usage {
    const changed = new Set(this.dynamo.filter((call) => call.kind === 'write' && !call.refused).flatMap((call) => call.items.map((item) => item.key)));
    const kept = [...changed].filter((key) => !onceMarker(key.split('|')[0] ?? ''));
    const invoked = (name: LocalFunctionName) => this.invocations.filter((invocation) => invocation.name === name).length;
    const messages = this.messages();
    const ruleActed = kept.some(ruleState) || messages > 0 || this.aws.some((request) => request.operation === 'Scheduler.CreateSchedule');
    const hops = {
      profiles: Math.min(invoked('profiles'), facts),
      rules: ruleActed ? Math.min(invoked('rules'), Math.max(facts, messages)) : 0,
      dispatch: Math.min(invoked('dispatch'), messages),
      measurement: Math.min(invoked('measurement'), messages),
    };
    const downstream = hops.profiles + hops.rules + hops.dispatch + hops.measurement;
    const invocations = this.httpRequests.length + downstream;
    const scheduled = Math.min(this.scheduled, messages);
    return {
      events,
      httpRequests: this.httpRequests.length,
      apiRequests: this.httpRequests.reduce((sum, bytes) => sum + Math.max(1, Math.ceil(bytes / awsPrices.apiGatewayRequestBytes)), 0),
      invocations,
      gbSeconds: invocations * (Math.ceil(hopMillis) / 1000) * (functionMemoryMb / 1024),
      // A schedule's firing puts the event its rules hop reads: counted in `downstream` already.
      busEvents: downstream,
      scheduledInvocations: scheduled,
      dynamoDbCalls: kept.length,
      readUnits: 0,
      writeUnits: kept.reduce((sum, key) => sum + Math.max(1, Math.ceil((itemBytes.get(key) ?? 0) / 1024)), 0),
      sqsRequests: messages * (1 + 2 / queueDeliveryOf('dispatch').batchSize),
      secretsCalls: 0,
      logBytes: invocations * platformLogBytesPerInvocation,
      traces: 0,
      messages,
    };
  }
}

const addUsage = (a: Usage, b: Usage): Usage =>
  Object.fromEntries((Object.keys(a) as (keyof Usage)[]).map((field) => [field, a[field] + b[field]])) as unknown as Usage;

/** A copy of the project with its recurring (cron) rules switched off: campaigns are priced per run, not per event. */
function projectWithoutCampaigns(projectDir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'nudge-cost-project-'));
  for (const folder of ['rules', 'templates', 'config', 'schema']) cpSync(join(projectDir, folder), join(copy, folder), { recursive: true });
  for (const file of readdirSync(join(copy, 'rules')).map((name) => join(copy, 'rules', name))) {
    const rule = JSON.parse(readFileSync(file, 'utf8')) as { trigger?: { cron?: string; date?: string }; enabled?: boolean };
    if (rule.trigger?.cron !== undefined || rule.trigger?.date !== undefined) writeFileSync(file, JSON.stringify({ ...rule, enabled: false }, null, 2));
  }
  return copy;
}

/** The next Tuesday, 10:00 UTC (11:00 or 12:00 in Berlin), after `now`: where every cost run starts. */
export function benchStart(now: number): number {
  const day = 86_400_000;
  const midnight = Math.floor(now / day) * day;
  // 1970-01-01 was a Thursday: Tuesday is day 5 of that week.
  const daysToTuesday = (5 - (Math.floor(now / day) % 7) + 7) % 7;
  const start = midnight + daysToTuesday * day + 10 * 3_600_000;
  return start > now ? start : start + 7 * day;
}

/**
 * Prices the shop's mix all in: each kind of event sent through the local runtime as a shop sends
 * it (real payloads, signed), by customers who already have a profile, one at a time, with every
 * AWS call counted at a meter (DynamoDB, EventBridge, Scheduler, SQS, Secrets Manager, SES), each
 * function invocation timed, and what the functions log counted at the log level the stack sets.
 * After each kind the clock moves 61 days, so the timers it set fire (reminders, the post-purchase
 * series, win-back) and are counted with it.
 */
export async function measureCost(projectDir: string, perKind = 12): Promise<{ kinds: KindCost[]; hopMillis: number }> {
  const project = projectWithoutCampaigns(projectDir);
  const meters = new CostMeters();
  let ses: Awaited<ReturnType<typeof startRequestMeter>> | undefined;
  let aws: Awaited<ReturnType<typeof startRequestMeter>> | undefined;
  const environment = { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_METRICS_NAMESPACE: 'Nudge' };
  try {
    return await withMeteredRuntime(
      project,
      async (runtime, dynamo) => {
        if (ses === undefined || aws === undefined) throw new Error('The request meters did not start');
        meters.dynamo = dynamo.calls;
        meters.aws = aws.requests;
        meters.ses = ses.requests;
        const send = shopRequests(runtime, (bytes) => meters.httpRequests.push(bytes));
        const itemBytes = new Map<string, number>();
        const hopMillis = await measureHop(runtime);
        // Every run starts at the same hour of the same weekday: what a message costs depends on
        // whether it falls in its send window (one sent in the evening is deferred to the morning).
        await runtime.advanceClock(benchStart(runtime.scheduler.clock.now()) - runtime.scheduler.clock.now());
        const kinds: KindCost[] = [];
        const flows = flowsOf(send);
        let customer = 0;
        for (const [kind, flow] of Object.entries(flows) as [EventKind, Flow][]) {
          const people = Array.from({ length: perKind }, () => `shopper-${++customer}@example.com`);
          await quietly(meters, async () => {
            for (const email of people) await send.identify(email);
            // Warm: the first of each kind loads what it loads once per container.
            await flow.run(`warm-${customer}@example.com`);
            await runtime.advanceClock(61 * 86_400_000);
          });
          let measured: Usage | undefined;
          let floor: Usage | undefined;
          for (const email of people) {
            meters.reset();
            await quietly(meters, () => flow.run(email));
            noteSizes(meters.dynamo, itemBytes);
            measured = measured ? addUsage(measured, meters.usage(flow.events)) : meters.usage(flow.events);
            const fact = meters.floor(flow.events, flow.events, hopMillis, itemBytes);
            floor = floor ? addUsage(floor, fact) : fact;
          }
          // The timers the kind set, firing: what they cost belongs to it.
          meters.reset();
          await quietly(meters, () => runtime.advanceClock(61 * 86_400_000));
          noteSizes(meters.dynamo, itemBytes);
          if (measured === undefined || floor === undefined) throw new Error(`No ${kind} was measured`);
          kinds.push({
            kind,
            measured: addUsage(measured, { ...meters.usage(0) }),
            floor: addUsage(floor, meters.floor(0, 0, hopMillis, itemBytes)),
          });
        }
        return { kinds, hopMillis };
      },
      {
        environment,
        awsFront: async (endpoint) => {
          aws = await startRequestMeter(endpoint);
          return aws;
        },
        sesFront: async (endpoint) => {
          ses = await startRequestMeter(endpoint);
          return ses;
        },
        wrapFunction: (name, handler) => meters.wrap(name, handler),
        onScheduleFired: () => {
          meters.scheduled++;
        },
      },
    );
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

function noteSizes(calls: readonly MeteredCall[], sizes: Map<string, number>): void {
  for (const call of calls) for (const item of call.items) if (item.bytes !== undefined) sizes.set(item.key, item.bytes);
}

/** Runs `work` with what the functions write to standard output counted and kept off the terminal. */
async function quietly(meters: CostMeters, work: () => Promise<void>): Promise<void> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    meters.logBytes += Buffer.byteLength(text);
    meters.logLines += text.split('\n').length - 1;
    const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    await work();
  } finally {
    process.stdout.write = write;
  }
}

/**
 * The baseline hop, timed in the same run: a function that makes one DynamoDB write and one
 * PutEvents with the real SDK clients against the same local endpoints, the least a hop does.
 */
async function measureHop(runtime: LocalRuntime): Promise<number> {
  const dynamo = awsClients.dynamoDb({ endpoint: runtime.dynamoDbUrl, region: localRegion });
  const bus = awsClients.eventBridge();
  const hop = async (index: number) => {
    await dynamo.send(
      new UpdateItemCommand({
        TableName: localTableName,
        Key: { pk: { S: `BENCH#${index % 50}` }, sk: { S: 'HOP' } },
        UpdateExpression: 'ADD hops :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    await bus.send(
      new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: 'nudge.bench', DetailType: 'bench.hop', Detail: JSON.stringify({ index }) }] }),
    );
  };
  for (let index = 0; index < 20; index++) await hop(index);
  const rounds = 200;
  const started = performance.now();
  for (let index = 0; index < rounds; index++) await hop(index);
  const millis = (performance.now() - started) / rounds;
  dynamo.destroy();
  bus.destroy();
  await runtime.idle();
  return millis;
}

interface Flow {
  /** Customer events one run stands for. */
  readonly events: number;
  run(email: string): Promise<void>;
}

function flowsOf(send: ShopRequests): Record<EventKind, Flow> {
  const product = { product_id: 'p-507', sku: 'MUG-507', name: 'Stoneware mug', category: 'Kitchen', price: 24, currency: 'EUR' };
  let sequence = 0;
  return {
    'product view': { events: 1, run: (email) => send.segment('track', send.track(email, 'Product Viewed', product)) },
    cart: { events: 1, run: (email) => send.segment('track', send.track(email, 'Product Added', { ...product, quantity: 1, cart_id: `cart-${email}` })) },
    checkout: { events: 1, run: (email) => send.shopify('checkouts/create', shopifyCheckout(email, ++sequence, send.now())) },
    'order (3 Shopify webhooks)': {
      events: 1,
      run: async (email) => {
        const body = shopifyOrder(email, ++sequence, send.now());
        await send.shopify('orders/create', body);
        await send.shopify('orders/paid', { ...body, financial_status: 'paid', updated_at: send.now() });
        await send.shopify('orders/updated', { ...body, financial_status: 'paid', updated_at: send.now() });
      },
    },
    identify: { events: 1, run: (email) => send.identify(email) },
    'location report': {
      events: 1,
      run: (email) => send.app({ type: 'location.reported', messageId: randomUUID(), timestamp: send.now(), email, latitude: 52.53, longitude: 13.38 }),
    },
    'consent change': {
      events: 1,
      run: (email) =>
        send.shopify('customers_email_marketing_consent/update', {
          customer_id: Math.abs(hash(email)),
          email_address: email,
          email_marketing_consent: { state: 'subscribed', opt_in_level: 'confirmed_opt_in', consent_updated_at: send.now() },
        }),
    },
    'Segment batch of 20': {
      events: 20,
      run: (email) =>
        send.segment('batch', {
          batch: Array.from({ length: 20 }, (_, index) =>
            index % 4 === 3 ? { ...send.track(email, 'Product Added', { ...product, quantity: 1 }) } : send.track(email, 'Product Viewed', product),
          ),
        }),
    },
  };
}
