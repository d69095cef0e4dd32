import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
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

/**
 * Powertools' `logMetrics` without its warning line on every invocation that kept no metric of the
 * function's own (counts go out at once, as single metrics): the cold start counted, and stored
 * metrics written at the end, if there are any.
 */
function flushMetrics(metrics: Metrics): middy.MiddlewareObj<unknown, unknown, Error, Context> {
  const flush = () => {
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
 * Logs, metrics (CloudWatch embedded metric format, written with the logs: no API call) and X-Ray
 * traces for one function, with Powertools. Outside Lambda the local runtime turns metrics and
 * traces off (POWERTOOLS_METRICS_DISABLED, POWERTOOLS_TRACE_ENABLED).
 */
export class Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;

  constructor(readonly service: string) {
    this.logger = new Logger({ serviceName: service });
    this.metrics = new Metrics({ namespace: metricsNamespace, serviceName: service });
    this.tracer = new Tracer({ serviceName: service });
  }

  /** The handler with its invocation's logs, metrics flushed at the end, and a trace segment. */
  handler<E, R>(handle: (event: E) => Promise<R>) {
    return middy(handle).use(captureLambdaHandler(this.tracer)).use(injectLambdaContext(this.logger)).use(flushMetrics(this.metrics));
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
   * Counts events a function took in, by detail-type (a bounded set: the event catalogue). What a
   * function puts on the bus is not counted again: it is the next function's `EventsIn`, and
   * EventBridge's own `MatchedEvents` per rule. A metric line per event out was a quarter of what
   * the functions logged.
   */
  countIn(detailType: string, count = 1): void {
    this.counted('EventsIn', { DetailType: detailType }, count);
  }

  /** A count with its own dimensions, written at once (the function's shared metrics keep none). */
  counted(metric: string, dimensions: Readonly<Record<string, string>>, count = 1): void {
    if (count === 0) return;
    const single = this.metrics.singleMetric();
    for (const [name, value] of Object.entries(dimensions)) single.addDimension(name, value);
    single.addMetric(metric, MetricUnit.Count, count);
  }
}
