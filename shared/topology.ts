import * as Events from './events/index.js';

/**
 * Who listens to what on the bus. The CDK stack builds its EventBridge rules from this and the
 * local runtime routes with it, so the two cannot disagree.
 */
export const busName = 'nudge';

export const consumerNames = ['profiles', 'rules', 'dispatch', 'feedback', 'measurement'] as const;
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

/** The SQS queue in front of a `queue` consumer: batches, attempts before its dead-letter queue. */
export const queueDelivery = { batchSize: 10, maxReceiveCount: 3, maxConcurrency: 5 } as const;

type Pattern = Record<string, unknown>;

/** What push-down needs of a rule (the rule file's own fields). */
export interface RuleFilter {
  readonly id: string;
  readonly enabled: boolean;
  readonly trigger: {
    readonly type: string;
    readonly event?: Pattern;
    readonly steps?: readonly { readonly event: Pattern }[];
    readonly absent?: { readonly event: Pattern };
    readonly after?: { readonly event: Pattern };
    readonly date?: string;
    readonly on?: string;
    readonly stores?: readonly string[];
    readonly cron?: string;
    readonly timeZone?: string;
  };
  readonly conditions?: Pattern;
  readonly sendWindow?: unknown;
}

/** The pattern of a store visit, as the shop app reports it (a `place` trigger with `on: visit`). */
export function storeVisitPattern(stores: readonly string[] | undefined): Pattern {
  return { 'detail-type': ['store.visited'], ...(stores ? { detail: { properties: { storeId: [...stores] } } } : {}) };
}

/**
 * The profile updates a rule needs to see, as alternatives of the feed pattern. Event triggers
 * push their conditions down too; the others keep state and check conditions when a message
 * falls due, so they need every update that could move them on, whoever the person is then.
 */
export function feedAlternatives(rule: RuleFilter): Pattern[] {
  const { trigger } = rule;
  const onTrigger = (event: Pattern): Pattern => ({ detail: { trigger: event } });
  switch (trigger.type) {
    case 'event':
      return trigger.event ? [{ detail: { trigger: trigger.event, ...(rule.conditions ? { profile: rule.conditions } : {}) } }] : [];
    case 'sequence':
      return [...(trigger.steps ?? []).map((step) => onTrigger(step.event)), ...(trigger.absent ? [onTrigger(trigger.absent.event)] : [])];
    case 'time':
      if (trigger.after) return [onTrigger(trigger.after.event)];
      // A date trigger plans the next date when the date or the person's time zone changes.
      if (trigger.date) return [{ detail: { changed: [trigger.date, 'timeZone'] } }];
      return [];
    case 'place':
      if (trigger.on === 'visit') return [{ detail: { trigger: storeVisitPattern(trigger.stores), ...(rule.conditions ? { profile: rule.conditions } : {}) } }];
      return [onTrigger({ 'detail-type': ['location.reported'] })];
    default:
      return [];
  }
}

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
export function ruleFeedPatterns(rules: readonly RuleFilter[]): Record<string, unknown>[] {
  const base = on(Events.ProfileUpdated);
  const alternatives: Pattern[] = [
    ...new Map(
      rules
        .filter((rule) => rule.enabled)
        .flatMap(feedAlternatives)
        .map((alternative) => [JSON.stringify(alternative), alternative] as const),
    ).values(),
  ];
  const patternOf = (chunk: readonly Record<string, unknown>[]) => (chunk.length === 1 ? { ...base, ...chunk[0] } : { ...base, $or: chunk });
  if (alternatives.some((alternative) => JSON.stringify(patternOf([alternative])).length > maxEventPatternLength)) return [base];
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

export function subscriptionsFor(rules: readonly RuleFilter[]): Subscription[] {
  return [
    {
      id: 'CustomerEventsToProfiles',
      consumer: 'profiles',
      description: 'Canonical customer events from intake update the profile (thin ones wait for enrichment)',
      // A thin event (BigCommerce ids only) names no person yet; its enriched copy does.
      pattern: { ...on(...Events.customerEvents), detail: { needsEnrichment: [{ exists: false }] } },
      delivery: 'invoke' as const,
    },
    ...ruleFeedPatterns(rules).map((pattern, index) => ({
      id: index === 0 ? 'ProfileUpdatesToRules' : `ProfileUpdatesToRules${index + 1}`,
      consumer: 'rules' as const,
      description: 'Profile updates that some rule wants, with the profile after the event, are evaluated against the rules',
      pattern,
      delivery: 'invoke' as const,
    })),
    // Only rules that wait need timers: every kind but a plain event rule, and any rule with a send window.
    ...(rules.some((rule) => rule.enabled && (rule.trigger.type !== 'event' || rule.sendWindow !== undefined))
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

export function recurringSchedules(rules: readonly RuleFilter[]): RecurringSchedule[] {
  return rules.flatMap((rule) => {
    const trigger = rule.trigger;
    if (!rule.enabled || trigger.type !== 'time' || trigger.cron === undefined) return [];
    return [
      {
        name: `rule-${rule.id}`,
        ruleId: rule.id,
        expression: trigger.cron,
        timeZone: trigger.timeZone ?? 'UTC',
        input: JSON.stringify({ kind: 'recurring', ruleId: rule.id, dueAt: '<aws.scheduler.scheduled-time>' }),
      },
    ];
  });
}
