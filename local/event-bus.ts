import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CompiledPattern, compilePattern, matches } from '../shared/event-pattern/index.js';
import { type Consumer, queueDelivery, type Subscription } from '../shared/topology.js';
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

/** EventBridge's limit for one entry, counted as AWS does (roughly: the UTF-8 size of its fields). */
const maxEntryBytes = 256 * 1024;

/** Lambda's asynchronous invocation retries a failed event twice before the DLQ; locally, quickly. */
const retryDelaysMillis = [200, 1000];

export interface LocalEventBusOptions {
  readonly busName: string;
  readonly region: string;
  readonly subscriptions: readonly Subscription[];
  readonly targets: Readonly<Record<Consumer, LambdaHandler>>;
  /** Where the bus log (`bus.ndjson`) and dead letters (`dlq/<consumer>.ndjson`) go. */
  readonly dataDir: string;
  readonly log: (line: string) => void;
}

/**
 * EventBridge on one machine: accepts PutEvents entries, records every event, and invokes the
 * subscribed handlers asynchronously with Lambda's retry-then-dead-letter behaviour.
 */
export class LocalEventBus {
  private readonly routes: { subscription: Subscription; pattern: CompiledPattern }[];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: LocalEventBusOptions) {
    this.routes = options.subscriptions.map((subscription) => {
      const compiled = compilePattern(subscription.pattern);
      if (!compiled.ok) throw new Error(`Subscription ${subscription.id}: ${compiled.error.message}`);
      return { subscription, pattern: compiled.pattern };
    });
    mkdirSync(join(options.dataDir, 'dlq'), { recursive: true });
  }

  putEvents(entries: readonly PutEventsEntry[]): EntryResult[] {
    return entries.map((entry) => this.putEvent(entry));
  }

  /** Resolves once no delivery is running or waiting to retry. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private putEvent(entry: PutEventsEntry): EntryResult {
    const busName = entry.EventBusName?.split('/').pop() ?? 'default';
    if (busName !== this.options.busName) return { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${entry.EventBusName ?? 'default'} does not exist.` };
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const size = Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail);
    if (size > maxEntryBytes)
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Total size of the entries in the request is over the limit (${size} bytes).` };
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
    for (const route of this.routes) {
      // Only AWS services put events on the default bus; locally there is none to route from.
      if (route.subscription.bus !== undefined || !matches(route.pattern, envelope)) continue;
      if (route.subscription.delivery === 'queue') this.enqueue(route.subscription.consumer, envelope);
      else this.deliver(route.subscription.consumer, envelope);
    }
    return { EventId: envelope.id };
  }

  private deliver(consumer: Consumer, envelope: BusEnvelope): void {
    this.inFlight++;
    const attempt = async (number: number): Promise<void> => {
      try {
        await this.options.targets[consumer](structuredClone(envelope), lambdaContext(`nudge-${consumer}`, 30_000, this.options.region));
        this.settle();
      } catch (error) {
        const delay = retryDelaysMillis[number];
        if (delay !== undefined) {
          setTimeout(() => void attempt(number + 1), delay);
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        appendFileSync(
          join(this.options.dataDir, 'dlq', `${consumer}.ndjson`),
          `${JSON.stringify({ failedAt: new Date().toISOString(), error: message, event: envelope })}\n`,
        );
        this.options.log(`dlq  ${consumer} could not process ${envelope['detail-type']} ${envelope.id}: ${message}`);
        this.settle();
      }
    };
    setImmediate(() => void attempt(0));
  }

  /**
   * Through a queue, as SQS hands messages to Lambda: a batch of records whose bodies are the
   * events; records the handler reports in `batchItemFailures` (or all, if it throws) are received
   * again, up to `maxReceiveCount` times, then go to the queue's dead letters.
   */
  private enqueue(consumer: Consumer, envelope: BusEnvelope): void {
    this.inFlight++;
    const messageId = randomUUID();
    const body = JSON.stringify(envelope);
    const receive = async (count: number): Promise<void> => {
      const record = {
        messageId,
        receiptHandle: `${messageId}#${count}`,
        body,
        attributes: { ApproximateReceiveCount: String(count), SentTimestamp: String(Date.parse(envelope.time)), SenderId: 'events.amazonaws.com' },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${this.options.region}:000000000000:nudge-${consumer}`,
        awsRegion: this.options.region,
      };
      let failed: string | undefined;
      try {
        const result = (await this.options.targets[consumer]({ Records: [record] }, lambdaContext(`nudge-${consumer}`, 30_000, this.options.region))) as
          | { batchItemFailures?: { itemIdentifier: string }[] }
          | undefined;
        if (result?.batchItemFailures?.some((failure) => failure.itemIdentifier === messageId)) failed = 'reported as a batch item failure';
      } catch (error) {
        failed = error instanceof Error ? error.message : String(error);
      }
      if (failed === undefined) {
        this.settle();
        return;
      }
      if (count < queueDelivery.maxReceiveCount) {
        setTimeout(() => void receive(count + 1), retryDelaysMillis[count - 1] ?? 1000);
        return;
      }
      appendFileSync(
        join(this.options.dataDir, 'dlq', `${consumer}.ndjson`),
        `${JSON.stringify({ failedAt: new Date().toISOString(), error: failed, event: envelope })}\n`,
      );
      this.options.log(`dlq  ${consumer} could not process ${envelope['detail-type']} ${envelope.id} after ${count} receives: ${failed}`);
      this.settle();
    };
    setImmediate(() => void receive(1));
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
