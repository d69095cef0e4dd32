import { Console } from 'node:console';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** The CloudWatch namespace of every Nudge metric (the stack's dashboard and alarms read it). */
export const metricsNamespace = 'Nudge';

/**
 * Most rules a project may have for rule ids to be metric dimensions. Each distinct dimension
 * value is a custom metric that CloudWatch bills monthly, so above this the decisions are counted
 * per trigger kind only (the per-rule figures are in `nudge report`).
 */
export const maxRuleDimensions = 50;

/** A count one invocation made: a metric, its dimensions (beside `service`), and how many. */
export interface Count {
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * An invocation's counts as CloudWatch embedded-metric documents, as few as will hold them: counts
 * share a document when no dimension name has two values in it and no metric is there twice. Each
 * count keeps its own directive (its own dimensions), so what CloudWatch makes of them is what one
 * document per count made; a count of the same metric and dimensions again is added to the first.
 */
export function metricDocuments(counts: readonly Count[], context: { readonly namespace: string; readonly service: string; readonly at: number }) {
  const documents: {
    members: Record<string, string | number>;
    directives: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  }[] = [];
  for (const count of counts) {
    const members: Record<string, string> = { service: context.service, ...count.dimensions };
    const fits = (document: (typeof documents)[number]) =>
      !(count.metric in document.members) &&
      Object.entries(members).every(([name, value]) => document.members[name] === undefined || document.members[name] === value) &&
      !Object.keys(members).includes(count.metric);
    const document = documents.find(fits) ?? documents[documents.push({ members: {}, directives: [] }) - 1];
    if (document === undefined) continue;
    Object.assign(document.members, members, { [count.metric]: count.value });
    document.directives.push({ Namespace: context.namespace, Dimensions: [Object.keys(members)], Metrics: [{ Name: count.metric, Unit: 'Count' }] });
  }
  return documents.map(({ members, directives }) => ({ _aws: { Timestamp: context.at, CloudWatchMetrics: directives }, ...members }));
}

/** As Powertools reads it: `POWERTOOLS_METRICS_DISABLED` if set, else `POWERTOOLS_DEV` (the local runtime sets the first). */
function metricsDisabled(): boolean {
  const truthy = (value: string | undefined) => ['1', 'y', 'yes', 't', 'true', 'on'].includes((value ?? '').trim().toLowerCase());
  const disabled = process.env.POWERTOOLS_METRICS_DISABLED;
  return disabled !== undefined && disabled !== '' ? truthy(disabled) : truthy(process.env.POWERTOOLS_DEV);
}

/** How long before its timeout an invocation is given up: time to write its counts. */
const timeoutMarginMillis = 200;

/** Counts kept through an invocation and written at its end, however it ends (see `metricDocuments`). */
class InvocationCounts {
  private counts: Count[] = [];
  // Straight to stdout, as Powertools writes metrics: not through Lambda's console, which would wrap the line.
  private readonly out = new Console({ stdout: process.stdout, stderr: process.stderr });

  constructor(private readonly service: string) {}

  add(metric: string, dimensions: Readonly<Record<string, string>>, value: number): void {
    const same = this.counts.findIndex((count) => count.metric === metric && JSON.stringify(count.dimensions) === JSON.stringify(dimensions));
    const existing = this.counts[same];
    if (existing === undefined) this.counts.push({ metric, dimensions, value });
    else this.counts[same] = { ...existing, value: existing.value + value };
  }

  flush(): void {
    const counts = this.counts;
    this.counts = [];
    if (counts.length === 0 || metricsDisabled()) return;
    for (const document of metricDocuments(counts, { namespace: metricsNamespace, service: this.service, at: Date.now() }))
      this.out.log(JSON.stringify(document));
  }
}

/**
 * Powertools' `logMetrics` without its warning line on every invocation that kept no metric of the
 * function's own: the cold start counted, the invocation's counts written at the end in as few lines
 * as hold them, and stored metrics, if there are any.
 */
function flushMetrics(metrics: Metrics, counts: InvocationCounts): middy.MiddlewareObj<unknown, unknown, Error, Context> {
  const flush = () => {
    counts.flush();
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    // By function name too, as logMetrics counts it (alarms and dashboards may be on that dimension).
    before: (request) => {
      metrics.captureColdStartMetric(request.context?.functionName);
    },
    after: flush,
    onError: flush,
  };
}

/**
 * Powertools' `injectLambdaContext` with only the request id: the function's name, ARN, memory and
 * cold start are the log group's and its metrics' already, and were a third of each log line.
 */
function logRequestId(logger: Logger): middy.MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      logger.refreshSampleRateCalculation();
      logger.appendKeys({ function_request_id: request.context?.awsRequestId });
      logger.logEventIfEnabled(request.event);
    },
  };
}

/**
 * Logs, metrics (CloudWatch embedded metric format, written with the logs: no API call) and X-Ray
 * traces for one function, with Powertools. Outside Lambda the local runtime turns metrics and
 * traces off (POWERTOOLS_METRICS_DISABLED, POWERTOOLS_TRACE_ENABLED).
 */
export class Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  private readonly counts: InvocationCounts;

  constructor(readonly service: string) {
    this.logger = new Logger({ serviceName: service });
    this.metrics = new Metrics({ namespace: metricsNamespace, serviceName: service });
    this.tracer = new Tracer({ serviceName: service });
    this.counts = new InvocationCounts(service);
  }

  /**
   * The handler with its invocation's logs, metrics flushed at the end, and a trace segment. An
   * invocation about to time out fails a moment before Lambda stops it, so its counts are still written.
   */
  handler<E, R>(handle: (event: E) => Promise<R>) {
    return middy(handle, { timeoutEarlyInMillis: timeoutMarginMillis })
      .use(captureLambdaHandler(this.tracer))
      .use(logRequestId(this.logger))
      .use(flushMetrics(this.metrics, this.counts));
  }

  /**
   * An AWS SDK client traced in X-Ray when tracing is on (each call a subsegment). No latency
   * metric per call: DynamoDB's `SuccessfulRequestLatency` and EventBridge's `PutEventsLatency` are
   * AWS's own, and a metric line per invocation was a fifth of what the functions logged.
   */
  client<C>(client: C): C {
    return this.tracer.captureAWSv3Client(client);
  }

  /**
   * Counts events taken in, by detail-type (a bounded set: the event catalogue): where they enter
   * Nudge (intake's customer events, Scheduler's timers, campaign shares, catalogue changes, privacy
   * requests), not again at each function they pass. What the bus hands each function is
   * EventBridge's own `Invocations` per rule; a metric line per event in and out at every function
   * was two thirds of what the functions logged.
   */
  countIn(detailType: string, count = 1): void {
    this.counted('EventsIn', { DetailType: detailType }, count);
  }

  /** A count with its own dimensions, written with the invocation's other counts at its end. */
  counted(metric: string, dimensions: Readonly<Record<string, string>>, count = 1): void {
    if (count === 0) return;
    this.counts.add(metric, dimensions, count);
  }
}
