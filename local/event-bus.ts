import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonTextDepth, maxDetailDepth } from '#shared/bus-limits.js';
import { type CompiledPattern, compilePattern, matches } from '#shared/event-pattern/index.js';
import { type Consumer, noRules, queueDeliveryOf, type Subscription, subscriptionsFor } from '#shared/topology.js';
import { type LambdaHandler, lambdaContext } from './lambda-context.js';

/** The event as EventBridge hands it to a target. */
export interface BusEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: string[];
  readonly Time?: number | string;
}

export type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/**
 * How AWS retries: an asynchronous Lambda invocation is tried twice more, a minute and then two
 * minutes later; a queue message comes back after the visibility timeout (six times the
 * function's 30 s), `maxReceiveCount` receives in all. Measured on the runtime's clock.
 */
export const lambdaRetryPolicy = { invokeDelaysMillis: [60_000, 120_000], queueVisibilityMillis: 6 * 30_000 } as const;

/** Concurrent invocations per consumer, as a function's reserved concurrency bounds them; beyond it, events wait in the journal. */
const invokeConcurrency = 8;

/** Events waiting beyond this many, the runtime is not keeping up: intake answers 503 with Retry-After until it is. */
export const maxBacklog = 2000;

/** One event on its way to one consumer: waiting in the journal until due, then handed over. */
interface Delivery {
  readonly id: string;
  readonly consumer: Consumer;
  readonly via: 'invoke' | 'queue';
  readonly envelope: BusEnvelope;
  /** Attempts made so far (SQS's ApproximateReceiveCount for a queue). */
  receives: number;
  /** When it is next due, on the runtime's clock (epoch ms). */
  dueAt: number;
}

type JournalLine = { op: 'put'; delivery: Delivery } | { op: 'retry'; id: string; receives: number; dueAt: number } | { op: 'done'; id: string };

export interface DeadLetter {
  readonly failedAt: string;
  readonly error: string;
  readonly event: BusEnvelope;
}

export interface LocalEventBusOptions {
  readonly busName: string;
  readonly region: string;
  readonly subscriptions: readonly Subscription[];
  readonly targets: Readonly<Record<Consumer, LambdaHandler>>;
  /** Where the bus log (`bus.ndjson`), the journal of undelivered events and dead letters (`dlq/<consumer>.ndjson`) go. */
  readonly dataDir: string;
  readonly log: (line: string) => void;
  /** The runtime's clock (tests move it); retries fall due on it. */
  readonly clock: { now(): number };
  readonly retryPolicy?: { readonly invokeDelaysMillis: readonly number[]; readonly queueVisibilityMillis: number };
}

export const deadLetterFile = (dataDir: string, consumer: string) => join(dataDir, 'dlq', `${consumer}.ndjson`);

const readLines = <T>(file: string): T[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as T];
          } catch {
            // A line cut short by a crash mid-write: it was never acknowledged.
            return [];
          }
        })
    : [];

export function readDeadLetters(dataDir: string, consumer: Consumer): DeadLetter[] {
  return readLines<DeadLetter>(deadLetterFile(dataDir, consumer));
}

const journalFileOf = (dataDir: string) => join(dataDir, 'bus-pending.ndjson');

/**
 * Moves a consumer's dead letters into the journal of undelivered events, for that consumer alone
 * (not every subscriber of the bus), each once: they leave the dead-letter file as they enter the
 * journal. A running bus hands them over at once; a stopped one at its next start.
 */
export function moveDeadLettersToJournal(dataDir: string, consumer: Consumer, now: number): Delivery[] {
  const letters = readDeadLetters(dataDir, consumer);
  if (letters.length === 0) return [];
  const via = subscriptionsFor(noRules).find((subscription) => subscription.consumer === consumer)?.delivery ?? 'invoke';
  const deliveries: Delivery[] = letters.map((letter) => ({ id: randomUUID(), consumer, via, envelope: letter.event, receives: 0, dueAt: now }));
  appendFileSync(journalFileOf(dataDir), deliveries.map((delivery) => `${JSON.stringify({ op: 'put', delivery } satisfies JournalLine)}\n`).join(''));
  writeFileSync(deadLetterFile(dataDir, consumer), '');
  return deliveries;
}

/**
 * EventBridge on one machine: accepts PutEvents entries, records every event, and hands each to
 * the subscribed handlers as AWS does: asynchronous invocations retried twice over minutes, or
 * through a queue in batches, then dead letters. Every delivery is written to a journal on disk
 * before PutEvents answers and until its consumer is done with it, so a crash loses nothing that
 * was accepted: the next start resumes what was pending (a delivery cut off mid-way comes again,
 * as AWS may deliver twice; consumers apply each event once).
 */
function routesOf(subscriptions: readonly Subscription[]): { subscription: Subscription; pattern: CompiledPattern }[] {
  return subscriptions.map((subscription) => {
    const compiled = compilePattern(subscription.pattern);
    if (!compiled.ok) throw new Error(`Subscription ${subscription.id}: ${compiled.error.message}`);
    return { subscription, pattern: compiled.value };
  });
}

export class LocalEventBus {
  private routes: { subscription: Subscription; pattern: CompiledPattern }[];
  private readonly journalFile: string;
  private readonly pending = new Map<string, Delivery>();
  private readonly running = new Set<string>();
  /** Direct invocations in flight per consumer (a queue's batches are bounded by their own count, below, as in AWS). */
  private readonly invokesRunning = new Map<Consumer, number>();
  /** Batches in flight per queue consumer: the event source mapping's maximum concurrency counts batches. */
  private readonly batchesRunning = new Map<Consumer, number>();
  private readonly retryPolicy: NonNullable<LocalEventBusOptions['retryPolicy']>;
  private idleWaiters: (() => void)[] = [];
  private journalLines = 0;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalEventBusOptions) {
    this.routes = routesOf(options.subscriptions);
    this.retryPolicy = options.retryPolicy ?? lambdaRetryPolicy;
    mkdirSync(join(options.dataDir, 'dlq'), { recursive: true });
    this.journalFile = journalFileOf(options.dataDir);
    for (const line of readLines<JournalLine>(this.journalFile)) this.applyJournal(line);
    this.compactJournal();
    if (this.pending.size > 0) options.log(`bus  resuming ${this.pending.size} undelivered event(s) from before the last stop`);
  }

  /** New bus rules, as a deploy with other rules makes them: events put from now on are routed by these. */
  resubscribe(subscriptions: readonly Subscription[]): void {
    this.routes = routesOf(subscriptions);
  }

  /** Starts handing over what is due, and checks for due retries as the clock moves. */
  start(): void {
    this.ticker = setInterval(() => this.pump(), 200);
    this.ticker.unref();
    this.pump();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  putEvents(entries: readonly PutEventsEntry[]): EntryResult[] {
    const results = entries.map((entry) => this.putEvent(entry));
    this.pump();
    return results;
  }

  /** Deliveries accepted and not yet done (waiting, running or waiting to be retried). */
  backlog(): number {
    return this.pending.size;
  }

  status(): { pending: number; running: number; due: number } {
    const now = this.options.clock.now();
    return { pending: this.pending.size, running: this.running.size, due: [...this.pending.values()].filter((delivery) => delivery.dueAt <= now).length };
  }

  /** Resolves once nothing is running and nothing is due by the clock (retries due later do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Hands due deliveries over; called as the clock is moved. */
  pump(): void {
    const now = this.options.clock.now();
    const due = [...this.pending.values()].filter((delivery) => !this.running.has(delivery.id) && delivery.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
    const batches = new Map<Consumer, Delivery[]>();
    for (const delivery of due) {
      const busy = this.invokesRunning.get(delivery.consumer) ?? 0;
      if (delivery.via === 'invoke') {
        if (busy >= invokeConcurrency) continue;
        this.begin([delivery]);
        this.invoke(delivery).catch((error: unknown) => this.lost(delivery, error));
      } else {
        const batch = batches.get(delivery.consumer) ?? [];
        batches.set(delivery.consumer, batch);
        batch.push(delivery);
      }
    }
    for (const [consumer, waiting] of batches) {
      for (let start = 0; start < waiting.length; start += queueDeliveryOf(consumer).batchSize) {
        if ((this.batchesRunning.get(consumer) ?? 0) >= queueDeliveryOf(consumer).maxConcurrency) break;
        const batch = waiting.slice(start, start + queueDeliveryOf(consumer).batchSize);
        this.batchesRunning.set(consumer, (this.batchesRunning.get(consumer) ?? 0) + 1);
        this.begin(batch);
        this.receiveBatch(consumer, batch).catch((error: unknown) => {
          for (const delivery of batch) this.lost(delivery, error);
        });
      }
    }
    this.notifyIfIdle();
  }

  /**
   * Sends a consumer's dead letters back to it alone (not to every subscriber of the bus), once:
   * they leave the dead-letter file as they enter the journal.
   */
  redrive(consumer: Consumer): number {
    const deliveries = moveDeadLettersToJournal(this.options.dataDir, consumer, this.options.clock.now());
    for (const delivery of deliveries) this.pending.set(delivery.id, delivery);
    this.journalLines += deliveries.length;
    if (deliveries.length > 0) this.options.log(`dlq  ${deliveries.length} event(s) sent back to ${consumer}`);
    this.pump();
    return deliveries.length;
  }

  /**
   * An AWS service's event on the account's default bus (locally: SES's events of local mail), for
   * the subscriptions on that bus only, as EventBridge routes them.
   */
  putServiceEvent(entry: Omit<PutEventsEntry, 'EventBusName'>): EntryResult {
    const result = this.putEvent({ ...entry, EventBusName: 'default' }, 'default');
    this.pump();
    return result;
  }

  private putEvent(entry: PutEventsEntry, bus: 'nudge' | 'default' = 'nudge'): EntryResult {
    const busName = entry.EventBusName?.split('/').pop() ?? 'default';
    if (bus === 'nudge' && busName !== this.options.busName)
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${entry.EventBusName ?? 'default'} does not exist.` };
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
    }
    if (jsonTextDepth(entry.Detail) > maxDetailDepth)
      return { ErrorCode: 'MalformedDetail', ErrorMessage: `Detail is nested more than ${maxDetailDepth} levels deep.` };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
    const envelope: BusEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      // EventBridge gives times to the second.
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: entry.Resources ?? [],
      detail: detail as Record<string, unknown>,
    };
    appendFileSync(join(this.options.dataDir, 'bus.ndjson'), `${JSON.stringify(envelope)}\n`);
    this.options.log(`bus  ${envelope.source} ${envelope['detail-type']}`);
    const now = this.options.clock.now();
    for (const route of this.routes) {
      // Each bus has its own subscriptions: the Nudge bus's, or the default bus's (AWS services' events).
      if ((route.subscription.bus ?? 'nudge') !== bus || !matches(route.pattern, envelope)) continue;
      this.accept({ id: randomUUID(), consumer: route.subscription.consumer, via: route.subscription.delivery, envelope, receives: 0, dueAt: now });
    }
    return { EventId: envelope.id };
  }

  /** On disk before anything else: PutEvents answers only once this returned. */
  private accept(delivery: Delivery): void {
    this.journal({ op: 'put', delivery });
    this.pending.set(delivery.id, delivery);
  }

  private begin(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      this.running.add(delivery.id);
      if (delivery.via === 'invoke') this.invokesRunning.set(delivery.consumer, (this.invokesRunning.get(delivery.consumer) ?? 0) + 1);
      delivery.receives++;
    }
  }

  private finish(delivery: Delivery): void {
    this.running.delete(delivery.id);
    if (delivery.via === 'invoke') this.invokesRunning.set(delivery.consumer, (this.invokesRunning.get(delivery.consumer) ?? 1) - 1);
  }

  private async invoke(delivery: Delivery): Promise<void> {
    let failure: string | undefined;
    try {
      await this.options.targets[delivery.consumer](
        structuredClone(delivery.envelope),
        lambdaContext(`nudge-${delivery.consumer}`, 30_000, this.options.region),
      );
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    this.settle(delivery, failure, this.retryPolicy.invokeDelaysMillis[delivery.receives - 1]);
  }

  /**
   * A batch through a queue, as SQS hands messages to Lambda: records whose bodies are the events;
   * records the handler reports in `batchItemFailures` (or all, if it throws) come back after the
   * visibility timeout, up to `maxReceiveCount` receives, then go to the queue's dead letters.
   */
  private async receiveBatch(consumer: Consumer, batch: readonly Delivery[]): Promise<void> {
    const records = batch.map((delivery) => {
      const body = JSON.stringify(delivery.envelope);
      return {
        messageId: delivery.id,
        receiptHandle: `${delivery.id}#${delivery.receives}`,
        body,
        attributes: {
          ApproximateReceiveCount: String(delivery.receives),
          SentTimestamp: String(Date.parse(delivery.envelope.time)),
          SenderId: 'events.amazonaws.com',
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${this.options.region}:000000000000:nudge-${consumer}`,
        awsRegion: this.options.region,
      };
    });
    const failures = new Map<string, string>();
    try {
      const result = (await this.options.targets[consumer]({ Records: records }, lambdaContext(`nudge-${consumer}`, 30_000, this.options.region))) as
        | { batchItemFailures?: { itemIdentifier: string }[] }
        | undefined;
      for (const failure of result?.batchItemFailures ?? []) failures.set(failure.itemIdentifier, 'reported as a batch item failure');
    } catch (error) {
      for (const delivery of batch) failures.set(delivery.id, error instanceof Error ? error.message : String(error));
    }
    this.batchesRunning.set(consumer, (this.batchesRunning.get(consumer) ?? 1) - 1);
    for (const delivery of batch) {
      const retryIn = delivery.receives < queueDeliveryOf(delivery.consumer).maxReceiveCount ? this.retryPolicy.queueVisibilityMillis : undefined;
      this.settle(delivery, failures.get(delivery.id), retryIn);
    }
  }

  /** Done, due again later, or dead-lettered with the reason. */
  private settle(delivery: Delivery, failure: string | undefined, retryInMillis: number | undefined): void {
    this.finish(delivery);
    if (failure === undefined) {
      this.complete(delivery);
    } else if (retryInMillis !== undefined) {
      delivery.dueAt = this.options.clock.now() + retryInMillis;
      this.journal({ op: 'retry', id: delivery.id, receives: delivery.receives, dueAt: delivery.dueAt });
    } else {
      this.deadLetter(delivery.consumer, delivery.envelope, failure, `after ${delivery.receives} attempts`);
      this.complete(delivery);
    }
    this.pump();
  }

  /** Writes a dead letter: after the platform's last attempt, or at once when a handler sends one (a permanent failure). */
  deadLetter(consumer: Consumer, event: BusEnvelope, error: string, when = 'at once'): void {
    const letter: DeadLetter = { failedAt: new Date().toISOString(), error, event };
    this.options.log(`dlq  ${consumer} could not process ${String(event?.['detail-type'])} ${String(event?.id)} ${when}: ${error}`);
    appendFileSync(deadLetterFile(this.options.dataDir, consumer), `${JSON.stringify(letter)}\n`);
  }

  /**
   * What the bus itself failed at while settling a delivery (a disk that refused a write): said,
   * and the delivery left in the journal, to be resumed at the next start, never a crash of the
   * whole runtime over one event.
   */
  private lost(delivery: Delivery, error: unknown): void {
    this.options.log(`bus  could not settle ${delivery.consumer} delivery ${delivery.id}: ${error instanceof Error ? error.message : String(error)}`);
    if (this.running.has(delivery.id)) this.finish(delivery);
  }

  private complete(delivery: Delivery): void {
    this.journal({ op: 'done', id: delivery.id });
    this.pending.delete(delivery.id);
    // A journal of mostly finished work is rewritten with what is left, now and then.
    if (this.journalLines > 10_000 && this.pending.size < 1000) this.compactJournal();
  }

  private journal(line: JournalLine): void {
    appendFileSync(this.journalFile, `${JSON.stringify(line)}\n`);
    this.journalLines++;
  }

  private applyJournal(line: JournalLine): void {
    if (line.op === 'put') this.pending.set(line.delivery.id, line.delivery);
    else if (line.op === 'done') this.pending.delete(line.id);
    else {
      const delivery = this.pending.get(line.id);
      if (delivery) Object.assign(delivery, { receives: line.receives, dueAt: line.dueAt });
    }
  }

  private compactJournal(): void {
    const lines = [...this.pending.values()].map((delivery) => `${JSON.stringify({ op: 'put', delivery })}\n`).join('');
    // Write then rename, so a crash mid-write never leaves a half journal.
    writeFileSync(`${this.journalFile}.tmp`, lines);
    renameSync(`${this.journalFile}.tmp`, this.journalFile);
    this.journalLines = this.pending.size;
  }

  private isIdle(): boolean {
    if (this.running.size > 0) return false;
    const now = this.options.clock.now();
    for (const delivery of this.pending.values()) if (delivery.dueAt <= now) return false;
    return true;
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
