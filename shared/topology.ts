import { createHash } from 'node:crypto';
import { compilePattern, flattenEvent, matchesFlat } from './event-pattern/index.js';
import * as Events from './events/index.js';

/**
 * Who listens to what on the bus. The CDK stack builds its EventBridge rules from this and the
 * local runtime routes with it, so the two cannot disagree.
 */
export const busName = 'nudge';

export const consumerNames = ['profiles', 'rules', 'dispatch', 'feedback', 'measurement', 'enrichment'] as const;
export type Consumer = (typeof consumerNames)[number];

export interface Subscription {
  /** Stable id: the CDK construct id of the bus rule. */
  readonly id: string;
  readonly consumer: Consumer;
  readonly description: string;
  readonly pattern: Record<string, unknown>;
  /**
   * How events reach the consumer: `invoke` (EventBridge invokes the function asynchronously) or
   * `queue` (through an SQS queue, in batches, so the function's pace is bounded: dispatch, for
   * SES's send rate).
   */
  readonly delivery: 'invoke' | 'queue';
  /** The account's default bus, where AWS services (SES) put their events; otherwise the Nudge bus. */
  readonly bus?: 'default';
}

/** Every Nudge function's memory: what Lambda bills GB-seconds at (the benchmark prices durations with it). */
export const functionMemoryMb = 512;

/**
 * How every Nudge function logs in AWS. Lambda's own START and REPORT lines are INFO system logs,
 * about 400 bytes an invocation, more than a quiet function writes itself: at WARN they are not
 * written (Lambda's Duration, Errors and Throttles metrics do not come from them). The functions'
 * own logs stay at INFO. System log levels need the JSON log format, which Powertools writes anyway.
 */
export const lambdaLogging = { format: 'JSON', systemLevel: 'WARN', applicationLevel: 'INFO' } as const;

/**
 * X-Ray tracing of every function, off unless a deployment asks for it (`cdk deploy -c tracing=true`):
 * at 10 requests a second its default sampling records 14.5% of requests, about $0.90 a million
 * events for the benchmark's mix, nearly a twentieth of the bill, for traces most shops never open.
 */
export const tracingByDefault = false;

/** The SQS queue in front of a `queue` consumer: batches, attempts before its dead-letter queue. */
export interface QueueDelivery {
  readonly batchSize: number;
  readonly maxReceiveCount: number;
  /** Batches handled at once (Lambda's maximum concurrency for the queue). */
  readonly maxConcurrency: number;
}

/**
 * Dispatch: batches of ten requests, five senders at once (SES's pace). Rules (campaign chunks):
 * one chunk a worker (a chunk's people are decided one after another, well inside the timeout),
 * ten workers at once.
 */
const queueDeliveries: Partial<Record<Consumer, QueueDelivery>> = {
  rules: { batchSize: 1, maxReceiveCount: 3, maxConcurrency: 10 },
};
const defaultQueueDelivery: QueueDelivery = { batchSize: 10, maxReceiveCount: 3, maxConcurrency: 5 };

export const queueDeliveryOf = (consumer: Consumer): QueueDelivery => queueDeliveries[consumer] ?? defaultQueueDelivery;

type Pattern = Record<string, unknown>;

/**
 * What the rules service needs from the bus and Scheduler, as its rules' trigger kinds say
 * (project/bus-needs.ts): the profile updates it wants, whether it keeps timers, and its
 * recurring schedules.
 */
export interface RulesBusNeeds {
  /** Alternatives of the feed pattern over the profile update's detail. */
  readonly feed: readonly Pattern[];
  readonly timers: boolean;
  /** Recurring rules' schedules (cron in a time zone), and one-off broadcasts' waves (UTC instants, epoch ms). */
  readonly schedules: readonly (
    | { readonly ruleId: string; readonly cron: string; readonly timeZone: string }
    | { readonly ruleId: string; readonly waves: readonly number[] }
  )[];
}

export const noRules: RulesBusNeeds = { feed: [], timers: false, schedules: [] };

/** EventBridge's default limit on one event pattern, in characters (it can be raised to 4096). */
export const maxEventPatternLength = 2048;

const on = (...contracts: readonly Events.Contract[]) => {
  const sources = [...new Set(contracts.map((contract) => contract.source))];
  // A family of detail-types (custom.*) is matched by its prefix.
  const detailTypes = contracts.map((contract) => (contract.detailType.endsWith('*') ? { prefix: contract.detailType.slice(0, -1) } : contract.detailType));
  return { source: sources, 'detail-type': detailTypes };
};

/**
 * The patterns of the bus rules that feed the rules service: the union of the enabled rules'
 * event filters (matched against `detail.trigger`) and profile conditions (`detail.profile`), so
 * events that no rule wants never invoke it. Split into several patterns when one would pass
 * EventBridge's size limit; a rule whose filter alone is too large gets every update instead.
 */
export function ruleFeedPatterns(feed: readonly Pattern[]): Record<string, unknown>[] {
  const base = on(Events.ProfileUpdated);
  const alternatives: Pattern[] = [...new Map(feed.map((alternative) => [JSON.stringify(alternative), alternative] as const)).values()];
  const patternOf = (chunk: readonly Record<string, unknown>[]) => (chunk.length === 1 ? { ...base, ...chunk[0] } : { ...base, $or: chunk });
  // An alternative with nothing to filter on (a rule on every update) or too long for EventBridge: every update.
  if (alternatives.some((alternative) => Object.keys(alternative).length === 0 || JSON.stringify(patternOf([alternative])).length > maxEventPatternLength))
    return [base];
  const patterns: Record<string, unknown>[] = [];
  let chunk: Record<string, unknown>[] = [];
  for (const alternative of alternatives) {
    if (chunk.length > 0 && JSON.stringify(patternOf([...chunk, alternative])).length > maxEventPatternLength) {
      patterns.push(patternOf(chunk));
      chunk = [];
    }
    chunk.push(alternative);
  }
  if (chunk.length > 0) patterns.push(patternOf(chunk));
  return patterns;
}

/**
 * Whether anything on Nudge's bus subscribes to an event as it would be put there: a rule's feed,
 * measurement, another function. EventBridge bills every event put, matched or not, so a function
 * leaves out one nothing can match (the profile update of an identify when no rule is about it).
 */
export function wantedOnBus(
  subscriptions: readonly Subscription[],
): (event: { readonly source: string; readonly 'detail-type': string; readonly detail: unknown }) => boolean {
  const patterns = subscriptions
    .filter((subscription) => subscription.bus === undefined)
    .map((subscription) => {
      const compiled = compilePattern(subscription.pattern);
      if (!compiled.ok) throw new Error(`Subscription ${subscription.id}: ${compiled.error.message}`);
      return compiled.value;
    });
  return (event) => {
    // Flattened once for all the patterns: a profile update carries the whole profile.
    const flat = flattenEvent(event);
    return patterns.some((pattern) => matchesFlat(pattern, flat));
  };
}

export function subscriptionsFor(rules: RulesBusNeeds): Subscription[] {
  return [
    {
      id: 'CustomerEventsToProfiles',
      consumer: 'profiles',
      description: 'Canonical customer events from intake update the profile (thin ones wait for enrichment)',
      // A thin event (BigCommerce ids only) names no person yet; its enriched copy does.
      // `exists` matches leaves only (EventBridge): the test is on needsEnrichment's `resource`, not the object.
      pattern: { ...on(...Events.customerEvents), detail: { needsEnrichment: { resource: [{ exists: false }] } } },
      delivery: 'invoke' as const,
    },
    {
      id: 'ThinEventsToEnrichment',
      consumer: 'enrichment',
      description: 'Thin events (BigCommerce sends ids only) are completed from the platform’s API and put back on the bus for profiles and the catalogue',
      pattern: { ...on(...Events.customerEvents, Events.ProductUpdated), detail: { needsEnrichment: { resource: [{ exists: true }] } } },
      delivery: 'invoke' as const,
    },
    {
      id: 'PrivacyRequestsToProfiles',
      consumer: 'profiles',
      description: "A shop's data-subject requests (export, erase a customer, erase a shop's customers) are carried out and recorded",
      pattern: on(Events.PrivacyRequested),
      delivery: 'invoke' as const,
    },
    {
      id: 'ProductUpdatesToCatalogue',
      consumer: 'profiles',
      description: "Changes to a shop's catalogue (products, deletions, stock levels) are kept, and what they tell shoppers is published",
      pattern: { ...on(Events.ProductUpdated), detail: { needsEnrichment: { resource: [{ exists: false }] } } },
      delivery: 'invoke' as const,
    },
    {
      id: 'ProductSignalsToProfiles',
      consumer: 'profiles',
      description: 'A product back in stock or cheaper is told to each person who viewed, carted or asked about it lately, as their profile update',
      pattern: on(...Events.productSignals),
      delivery: 'invoke' as const,
    },
    ...ruleFeedPatterns(rules.feed).map((pattern, index) => ({
      id: index === 0 ? 'ProfileUpdatesToRules' : `ProfileUpdatesToRules${index + 1}`,
      consumer: 'rules' as const,
      description: 'Profile updates that some rule wants, with the profile after the event, are evaluated against the rules',
      pattern,
      delivery: 'invoke' as const,
    })),
    // Only rules that wait need timers (sequences, delays, dwell, dates, schedules, send windows).
    ...(rules.timers
      ? [
          {
            id: 'TimersToRules',
            consumer: 'rules' as const,
            description: 'Due timers (sequence deadlines, delays, dwell, dates, send windows, recurring schedules) are decided by the rules service',
            pattern: on(Events.TimerFired),
            delivery: 'invoke' as const,
          },
        ]
      : []),
    // Recurring rules' runs over every profile, shared out to concurrent workers (campaigns).
    ...(rules.schedules.length > 0
      ? [
          {
            id: 'CampaignSegmentsToRules',
            consumer: 'rules' as const,
            description: "Each share of a recurring rule's run over every profile is decided by a rules worker, from a queue that bounds how many run at once",
            pattern: on(Events.CampaignSegment),
            delivery: 'queue' as const,
          },
        ]
      : []),
    {
      id: 'MessageRequestsToDispatch',
      consumer: 'dispatch',
      description: 'Requested messages go through the send gate and are sent once, from a queue that paces them',
      pattern: on(Events.MessageRequested),
      delivery: 'queue' as const,
    },
    {
      id: 'MessagesToMeasurement',
      consumer: 'measurement',
      description: 'Every step of every message (requested to clicked) is counted per rule, variant and day',
      pattern: on(...Events.messageEvents),
      delivery: 'invoke' as const,
    },
    {
      id: 'OrdersToMeasurement',
      consumer: 'measurement',
      description:
        "Orders and refunds (as profile updates, so of the surviving profile), unsubscribes through a message's link, and merges are attributed to rules",
      pattern: {
        source: [Events.ProfileUpdated.source],
        $or: [
          { 'detail-type': [Events.ProfileMerged.detailType] },
          {
            'detail-type': [Events.ProfileUpdated.detailType],
            detail: { trigger: { 'detail-type': [Events.OrderCompleted.detailType, Events.OrderRefunded.detailType] } },
          },
          {
            'detail-type': [Events.ProfileUpdated.detailType],
            detail: { trigger: { 'detail-type': [Events.ConsentChanged.detailType], detail: { origin: { platform: ['nudge'] } } } },
          },
        ],
      },
      delivery: 'invoke' as const,
    },
    {
      id: 'SesEventsToFeedback',
      consumer: 'feedback',
      description: 'SES events of sent email: hard bounces and complaints suppress the address; all become message.* events',
      // SES publishes to the default bus only. Matched on the record's own event type.
      pattern: { source: ['aws.ses'], detail: { eventType: ['Bounce', 'Complaint', 'Delivery', 'Open', 'Click'] } },
      delivery: 'invoke' as const,
      bus: 'default' as const,
    },
  ];
}

/** The EventBridge Scheduler group of Nudge's timers (one-time) and recurring rules. */
export const scheduleGroupName = 'nudge';

/** What a recurring rule becomes: one schedule that puts `timer.fired` on the bus at each run. */
export interface RecurringSchedule {
  /** Stable: the rule's id, so a changed rule updates its schedule. */
  readonly name: string;
  readonly ruleId: string;
  readonly expression: string;
  readonly timeZone: string;
  /** The detail of `timer.fired`, with Scheduler's own run time filled in at each run. */
  readonly input: string;
}

/**
 * The Scheduler schedules the rules' runs over every profile need at `now`: one per recurring rule,
 * and for a broadcast one one-time schedule at its first wave still to come (each wave's run
 * schedules the next; a wave already past is not scheduled again, so deploying after a broadcast
 * never sends it late).
 */
/** A schedule's name: the rule's id, shortened with a hash of the id past Scheduler's 64 characters. */
function scheduleName(ruleId: string): string {
  const name = `rule-${ruleId}`;
  if (name.length <= 64) return name;
  return `rule-${ruleId.slice(0, 50)}-${createHash('sha256').update(ruleId).digest('hex').slice(0, 8)}`;
}

export function recurringSchedules(rules: RulesBusNeeds, now: number): RecurringSchedule[] {
  return rules.schedules.flatMap((schedule) => {
    const input = JSON.stringify({
      kind: 'recurring',
      ruleId: schedule.ruleId,
      dueAt: '<aws.scheduler.scheduled-time>',
      contractVersion: Events.TimerFired.version,
    });
    if ('cron' in schedule)
      return [{ name: scheduleName(schedule.ruleId), ruleId: schedule.ruleId, expression: schedule.cron, timeZone: schedule.timeZone, input }];
    // Each wave's run schedules the next (services/rules/handler.ts): the stack makes the first to come.
    const first = schedule.waves.find((wave) => wave > now);
    if (first === undefined) return [];
    return [
      { name: scheduleName(schedule.ruleId), ruleId: schedule.ruleId, expression: `at(${new Date(first).toISOString().slice(0, 19)})`, timeZone: 'UTC', input },
    ];
  });
}
