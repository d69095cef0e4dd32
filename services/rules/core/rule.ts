import { z } from 'zod';
import { type CompiledPattern, compilePattern } from '../../../shared/event-pattern/index.js';
import { Channel } from '../../../shared/events/common.js';
import { VariantId } from '../../../shared/events/message.js';
import { storeVisitPattern } from '../../../shared/topology.js';
import { parseCron, runsInSkippedHours } from './cron.js';

/** An EventBridge event pattern, checked by the same compiler that matches it. */
const EventPattern = z
  .record(z.string(), z.unknown())
  .superRefine((pattern, context) => {
    const compiled = compilePattern(pattern);
    if (!compiled.ok) {
      context.addIssue({
        code: 'custom',
        path: compiled.error.path === '' ? [] : compiled.error.path.split('.'),
        message: `invalid event pattern: ${compiled.error.message}`,
      });
    }
  })
  .meta({ description: 'An EventBridge event pattern: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html' });

const durationUnits = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A span of time written the way marketers say it: "30m", "24h", "7d", "2w". */
export const Duration = z
  .string()
  .regex(/^[1-9]\d*(s|m|h|d|w)$/, 'write a duration such as "30m", "24h", "7d" or "2w"')
  .meta({ description: 'A duration: a whole number and a unit, s, m, h, d or w ("24h", "7d").' });

export function durationMillis(duration: string): number {
  const unit = duration.at(-1) as keyof typeof durationUnits;
  return Number(duration.slice(0, -1)) * durationUnits[unit];
}

export const EventTrigger = z
  .object({
    type: z.literal('event'),
    /** Matched against the customer event on the bus (source, detail-type, detail). */
    event: EventPattern.meta({ description: 'Which customer events fire the rule: an event pattern over the event as it is on the bus.' }),
  })
  .strict();

/** A dotted path into the event as it is on the bus, such as `detail.properties.checkoutId`. */
const EventPath = z
  .string()
  .regex(/^(source|detail-type|detail(\.[^.\s]+)+)$/, 'a dotted path into the event, such as "detail.properties.checkoutId"')
  .meta({ description: 'Where in the event the correlation key is, such as "detail.properties.checkoutId" (arrays: any element).' });

const LocalTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time such as "09:00"')
  .meta({ description: "A time of day, HH:MM, in the profile's time zone." });

export const SequenceStep = z
  .object({
    event: EventPattern.meta({ description: 'Which customer event is this step.' }),
    key: EventPath.optional().meta({ description: "Where this step's correlation key is, if not at the trigger's `key`." }),
  })
  .strict();

export const SequenceTrigger = z
  .object({
    type: z.literal('sequence'),
    key: EventPath.optional().meta({
      description:
        'Correlates the steps: events count together only if they carry the same value here (the same checkout, product). Omitted: one sequence per person.',
    }),
    steps: z
      .array(SequenceStep)
      .min(1)
      .max(10)
      .meta({ description: 'Events that must happen in this order (by the time they happened, whatever order they arrive in).' }),
    within: Duration.optional().meta({ description: 'All steps must happen within this time of the first.' }),
    absent: z
      .object({
        event: EventPattern.meta({ description: 'The event that must not follow, such as the order for this checkout.' }),
        key: EventPath.optional().meta({ description: "Where its correlation key is, if not at the trigger's `key`." }),
        within: Duration.meta({ description: 'How long after the last step it must stay absent; the message goes then.' }),
      })
      .strict()
      .optional()
      .meta({ description: '"And then no B within T": the rule fires when T has passed after the last step without B.' }),
  })
  .strict();

export const TimeTrigger = z
  .object({
    type: z.literal('time'),
    after: z.object({ event: EventPattern }).strict().optional().meta({ description: 'A delay after an event: fires `delay` after each matching event.' }),
    delay: Duration.optional(),
    date: z
      .enum(['birthday', 'firstOrderAt'])
      .optional()
      .meta({ description: "Yearly on a date of the profile (29 February: on 28 February in other years), at `at` in the profile's time zone." }),
    at: LocalTime.optional(),
    cron: z
      .string()
      .optional()
      .meta({ description: 'A recurring schedule over every profile that meets the conditions, as EventBridge Scheduler writes it: "cron(0 9 ? * MON *)".' }),
    timeZone: z.string().optional().meta({ description: 'The IANA time zone of `cron`, such as "Europe/Berlin"; also the fallback for profiles without one.' }),
  })
  .strict()
  .superRefine((trigger, context) => {
    const forms = [trigger.after !== undefined || trigger.delay !== undefined, trigger.date !== undefined, trigger.cron !== undefined].filter(Boolean).length;
    if (forms !== 1) {
      context.addIssue({ code: 'custom', path: [], message: 'a time trigger is one of: "after" with "delay", "date" with "at", or "cron" with "timeZone"' });
      return;
    }
    if ((trigger.after === undefined) !== (trigger.delay === undefined))
      context.addIssue({ code: 'custom', path: [trigger.after ? 'delay' : 'after'], message: '"after" and "delay" go together' });
    if (trigger.date !== undefined && trigger.at === undefined)
      context.addIssue({ code: 'custom', path: ['at'], message: 'say at what local time, such as "09:00"' });
    if (trigger.cron !== undefined && trigger.timeZone === undefined)
      context.addIssue({ code: 'custom', path: ['timeZone'], message: 'a cron schedule needs its time zone, such as "Europe/Berlin"' });
    if (trigger.timeZone !== undefined && !isTimeZone(trigger.timeZone)) {
      context.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown time zone "${trigger.timeZone}"; use an IANA name such as "America/New_York"` });
      return;
    }
    if (trigger.cron !== undefined) {
      const parsed = parseCron(trigger.cron);
      if (!parsed.ok) {
        context.addIssue({ code: 'custom', path: ['cron'], message: parsed.message });
        return;
      }
      const skipped = runsInSkippedHours(parsed.pattern, trigger.timeZone ?? 'UTC', Date.now());
      if (skipped.length > 0) {
        context.addIssue({
          code: 'custom',
          path: ['cron'],
          message: `runs in the hour daylight saving skips in ${trigger.timeZone} (${skipped.slice(0, 2).join(', ')} local), where EventBridge Scheduler skips the run; choose a time outside it`,
        });
      }
    }
  });

export const PlaceTrigger = z
  .object({
    type: z.literal('place'),
    on: z.enum(['enter', 'exit', 'dwell', 'visit']).meta({
      description: 'enter, exit or dwell (inside for at least `dwell`) a geofence from location reports; visit: a store visit the shop app reported.',
    }),
    geofences: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Ids from rules/geofences.json (enter, exit, dwell).' }),
    stores: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Store ids (visit); omitted: any store.' }),
    dwell: Duration.optional(),
  })
  .strict()
  .superRefine((trigger, context) => {
    if (trigger.on !== 'visit' && trigger.geofences === undefined)
      context.addIssue({ code: 'custom', path: ['geofences'], message: `"${trigger.on}" needs the geofences it watches` });
    if (trigger.on === 'dwell' && trigger.dwell === undefined) context.addIssue({ code: 'custom', path: ['dwell'], message: 'say how long, such as "10m"' });
    if (trigger.on !== 'dwell' && trigger.dwell !== undefined)
      context.addIssue({ code: 'custom', path: ['dwell'], message: '"dwell" goes with "on": "dwell"' });
    if (trigger.on === 'visit' && trigger.geofences !== undefined)
      context.addIssue({ code: 'custom', path: ['geofences'], message: 'a visit is reported by the app per store; use "stores"' });
  });

/** A send window in the profile's time zone: a message due outside it waits for the next opening. */
export const SendWindow = z
  .object({ from: LocalTime, to: LocalTime })
  .strict()
  .meta({ description: "Messages go only between these local times (profile's time zone); one due outside waits for the next opening." });

export const Trigger = z.discriminatedUnion('type', [EventTrigger, SequenceTrigger, TimeTrigger, PlaceTrigger]);
export type Trigger = z.infer<typeof Trigger>;

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** One arm of an A/B test: what differs from the rule (template, subject or channel) and its share. */
export const Variant = z
  .object({
    id: VariantId.meta({ description: 'Stable id of the variant, shown in the report; changing it starts a new arm.' }),
    weight: z.number().int().min(0).max(1000).meta({ description: "The variant's share, relative to the others' (50 and 50, or 1 and 3); 0 pauses it." }),
    template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'the name of a file in templates/ without .liquid')
      .optional()
      .meta({ description: "A file in templates/ in place of the rule's template." }),
    subject: z.string().min(1).max(998).optional().meta({ description: "A subject line (Liquid) in place of the template's." }),
    channel: Channel.optional().meta({ description: "A channel in place of the rule's (its template must be for that channel)." }),
  })
  .strict();
export type Variant = z.infer<typeof Variant>;

export const Rule = z
  .object({
    $schema: z.string().optional(),
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-case letters, digits and dashes, such as "thank-you"')
      .meta({ description: 'Stable id; part of every message id, so changing it re-sends.' }),
    name: z.string().min(1),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    trigger: Trigger,
    conditions: EventPattern.optional().meta({
      description: 'Who qualifies: an event pattern over the profile as it is after the event, such as {"orderCount": [{"numeric": [">=", 2]}]}.',
    }),
    channel: Channel,
    webhook: z.string().optional().meta({ description: 'With "channel": "webhook": the endpoint, by its name in config/dispatch.json ("webhooks").' }),
    template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'the name of a file in templates/ without .liquid')
      .meta({ description: 'A file in templates/, without .liquid.' }),
    purpose: z.enum(['marketing', 'transactional']).default('marketing').meta({
      description:
        '"transactional" (an order\'s thank-you, a receipt) goes whatever the person\'s marketing consent, caps and quiet hours; never to a bounced or complained address.',
    }),
    holdout: z
      .number()
      .min(0)
      .max(50)
      .default(0)
      .meta({ description: "Per cent of people kept out of this rule's messages (the same people every time), to measure what the messages earn." }),
    variants: z.array(Variant).min(2).max(10).optional().meta({
      description:
        'A/B test: each person gets one variant, the same every time (while the weights stay the same); the report compares them and names a winner once the difference holds.',
    }),
    cooldown: Duration.optional().meta({ description: 'Least time between two messages of this rule to one person.' }),
    reentry: z
      .enum(['always', 'once'])
      .default('always')
      .meta({ description: '"once": a person gets this rule at most once, ever. "always": every time it fires (after any cooldown).' }),
    sendWindow: SendWindow.optional(),
    activeFrom: z.iso.datetime({ offset: true }).optional().meta({ description: 'The rule fires only from this time on (ISO 8601).' }),
    activeUntil: z.iso.datetime({ offset: true }).optional().meta({ description: 'The rule fires only before this time (ISO 8601).' }),
  })
  .strict()
  .superRefine((rule, context) => {
    if ((rule.channel === 'webhook') !== (rule.webhook !== undefined)) {
      context.addIssue({ code: 'custom', path: ['webhook'], message: '"webhook" names the endpoint of a "channel": "webhook" rule, and only of one' });
    }
    if (rule.variants !== undefined) {
      const seen = new Set<string>();
      rule.variants.forEach((variant, index) => {
        if (seen.has(variant.id)) context.addIssue({ code: 'custom', path: ['variants', index, 'id'], message: `two variants are called "${variant.id}"` });
        seen.add(variant.id);
        if (variant.template === undefined && variant.subject === undefined && variant.channel === undefined)
          context.addIssue({ code: 'custom', path: ['variants', index], message: 'say what differs: "template", "subject" or "channel"' });
        if (variant.channel !== undefined && variant.channel !== rule.channel && variant.template === undefined)
          context.addIssue({
            code: 'custom',
            path: ['variants', index, 'template'],
            message: 'a variant on another channel needs a template for that channel',
          });
        if (variant.channel === 'webhook' || (rule.channel === 'webhook' && variant.channel === undefined && variant.subject !== undefined))
          context.addIssue({ code: 'custom', path: ['variants', index], message: 'webhook tasks have no subject and no A/B channel; test email or sms' });
      });
      if (rule.variants.every((variant) => variant.weight === 0))
        context.addIssue({ code: 'custom', path: ['variants'], message: 'at least one variant needs a weight above 0' });
    }
    if (rule.activeFrom && rule.activeUntil && Date.parse(rule.activeFrom) >= Date.parse(rule.activeUntil)) {
      context.addIssue({ code: 'custom', path: ['activeUntil'], message: 'activeUntil must be after activeFrom' });
    }
  });
export type Rule = z.infer<typeof Rule>;

/** A sequence, or a delay after an event (a sequence of one step whose message waits `delayMillis`). */
export interface CompiledSequence {
  readonly kind: 'sequence';
  readonly steps: readonly { readonly pattern: CompiledPattern; readonly key: string | undefined }[];
  readonly withinMillis: number | undefined;
  readonly absent: { readonly pattern: CompiledPattern; readonly key: string | undefined; readonly withinMillis: number } | undefined;
  /** How long after the last step the message is due (absent.within, or a time trigger's delay). */
  readonly dueAfterMillis: number;
}

export type CompiledTrigger =
  /** Also a store visit (`place` with `on: visit`), which is an event of the shop app. */
  | { readonly kind: 'event'; readonly pattern: CompiledPattern }
  | CompiledSequence
  | { readonly kind: 'date'; readonly trait: 'birthday' | 'firstOrderAt'; readonly at: string; readonly timeZone: string | undefined }
  | { readonly kind: 'recurring'; readonly cron: string; readonly timeZone: string }
  | { readonly kind: 'place'; readonly on: 'enter' | 'exit' | 'dwell'; readonly geofences: readonly string[]; readonly dwellMillis: number | undefined };

/** A pattern of a rule's trigger, with where it is in the rule file. */
export interface TriggerPattern {
  readonly path: string;
  readonly pattern: CompiledPattern;
}

export interface CompiledRule {
  readonly rule: Rule;
  readonly trigger: CompiledTrigger;
  /** The event pattern of an event trigger (undefined for the others). */
  readonly eventPattern: CompiledPattern | undefined;
  /** Every event pattern of the trigger, for validation and push-down. */
  readonly triggerPatterns: readonly TriggerPattern[];
  readonly conditions: CompiledPattern | undefined;
  readonly cooldownMillis: number | undefined;
  readonly activeFrom: number | undefined;
  readonly activeUntil: number | undefined;
  /** The file the rule came from, for messages that point a marketer to it. */
  readonly file?: string;
}

function compiled(pattern: Record<string, unknown>, ruleId: string): CompiledPattern {
  const result = compilePattern(pattern);
  // The schema already refused invalid patterns, so this only guards against misuse.
  if (!result.ok) throw new Error(`Rule ${ruleId}: ${result.error.message}`);
  return result.pattern;
}

function compileTrigger(trigger: Trigger, ruleId: string): { trigger: CompiledTrigger; patterns: TriggerPattern[] } {
  switch (trigger.type) {
    case 'event': {
      const pattern = compiled(trigger.event, ruleId);
      return { trigger: { kind: 'event', pattern }, patterns: [{ path: 'trigger.event', pattern }] };
    }
    case 'sequence': {
      const steps = trigger.steps.map((step) => ({ pattern: compiled(step.event, ruleId), key: step.key ?? trigger.key }));
      const absent = trigger.absent && {
        pattern: compiled(trigger.absent.event, ruleId),
        key: trigger.absent.key ?? trigger.key,
        withinMillis: durationMillis(trigger.absent.within),
      };
      return {
        trigger: {
          kind: 'sequence',
          steps,
          withinMillis: trigger.within === undefined ? undefined : durationMillis(trigger.within),
          absent,
          dueAfterMillis: absent?.withinMillis ?? 0,
        },
        patterns: [
          ...steps.map((step, index) => ({ path: `trigger.steps.${index}.event`, pattern: step.pattern })),
          ...(absent ? [{ path: 'trigger.absent.event', pattern: absent.pattern }] : []),
        ],
      };
    }
    case 'time': {
      if (trigger.after && trigger.delay) {
        const pattern = compiled(trigger.after.event, ruleId);
        return {
          trigger: {
            kind: 'sequence',
            steps: [{ pattern, key: undefined }],
            withinMillis: undefined,
            absent: undefined,
            dueAfterMillis: durationMillis(trigger.delay),
          },
          patterns: [{ path: 'trigger.after.event', pattern }],
        };
      }
      if (trigger.date && trigger.at) return { trigger: { kind: 'date', trait: trigger.date, at: trigger.at, timeZone: trigger.timeZone }, patterns: [] };
      return { trigger: { kind: 'recurring', cron: trigger.cron ?? '', timeZone: trigger.timeZone ?? 'UTC' }, patterns: [] };
    }
    case 'place': {
      if (trigger.on === 'visit') {
        const pattern = compiled(storeVisitPattern(trigger.stores), ruleId);
        return { trigger: { kind: 'event', pattern }, patterns: [{ path: 'trigger.stores', pattern }] };
      }
      const pattern = compiled({ 'detail-type': ['location.reported'] }, ruleId);
      return {
        trigger: {
          kind: 'place',
          on: trigger.on,
          geofences: trigger.geofences ?? [],
          dwellMillis: trigger.dwell === undefined ? undefined : durationMillis(trigger.dwell),
        },
        patterns: [{ path: 'trigger', pattern }],
      };
    }
  }
}

export function compileRule(rule: Rule, file?: string): CompiledRule {
  const { trigger, patterns } = compileTrigger(rule.trigger, rule.id);
  return {
    rule,
    trigger,
    eventPattern: trigger.kind === 'event' ? trigger.pattern : undefined,
    triggerPatterns: patterns,
    conditions: rule.conditions === undefined ? undefined : compiled(rule.conditions, rule.id),
    cooldownMillis: rule.cooldown === undefined ? undefined : durationMillis(rule.cooldown),
    activeFrom: rule.activeFrom === undefined ? undefined : Date.parse(rule.activeFrom),
    activeUntil: rule.activeUntil === undefined ? undefined : Date.parse(rule.activeUntil),
    file,
  };
}
