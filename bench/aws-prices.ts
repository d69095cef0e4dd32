import { lambdaLogging, tracingByDefault } from '#shared/topology.js';

/**
 * AWS's published on-demand prices in us-east-1, as noted on the date below (the first paid tier
 * of each; free tiers left out, so small shops pay less). Written once: the cost table prices every
 * call it counts with these. Message fees (SES, SMS) are left out: they are the same for any design.
 */
export const awsPrices = {
  notedOn: '2026-11-29',
  region: 'us-east-1',
  /** API Gateway HTTP API: per million requests (first 300 million), each 512 KB of a request one request. */
  apiGatewayPerMillionRequests: 1.0,
  apiGatewayRequestBytes: 512 * 1024,
  /** Lambda on arm64: per million invocations, and per GB-second of duration (first 7.5 billion GB-s), billed by the millisecond. */
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  /** EventBridge: per million custom events put (each 64 KB of an entry one event); delivery to targets is not billed. */
  eventBridgePerMillionEvents: 1.0,
  eventBridgeEventBytes: 64 * 1024,
  /** EventBridge Scheduler: per million invocations (schedules firing); creating and deleting schedules is not billed. */
  schedulerPerMillionInvocations: 1.0,
  /** DynamoDB on demand: per million write and read request units. */
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  /** SQS standard queues: per million requests (each 64 KB one request). */
  sqsPerMillionRequests: 0.4,
  /** Secrets Manager: $0.05 per 10,000 API calls. */
  secretsManagerPerMillionCalls: 5.0,
  /** CloudWatch Logs: per GB ingested (standard class). */
  cloudWatchLogsPerGb: 0.5,
  /** X-Ray: per million traces recorded. */
  xRayPerMillionTraces: 5.0,
} as const;

/** CloudWatch Logs bills each log event's 26 bytes of metadata as ingested data too. */
export const logEventOverheadBytes = 26;

/**
 * What Lambda writes to a function's log group itself on every invocation, metadata included: its
 * START, END and REPORT lines (about 400 bytes, from their published shape) are INFO system logs,
 * which the stack's WARN system level leaves out.
 */
export const platformLogBytesPerInvocation = lambdaLogging.systemLevel === 'WARN' ? 0 : 400 + 3 * logEventOverheadBytes;

/**
 * X-Ray's default sampling records the first request each second and 5% of the rest: at the steady
 * 10 requests a second priced here (about 26 million a month), 14.5% of traces. A quieter shop has
 * more of its requests traced (all of them below one a second), a busier one fewer.
 */
export const pricedRequestsPerSecond = 10;
export const xRaySampledShare = (1 + 0.05 * (pricedRequestsPerSecond - 1)) / pricedRequestsPerSecond;

/** Traces recorded per request in the priced deployment: none unless it turns tracing on (`-c tracing=true`). */
export const tracedShare = tracingByDefault ? xRaySampledShare : 0;
