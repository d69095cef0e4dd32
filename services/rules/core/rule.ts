import { z } from 'zod';
import { type CompiledPattern, compilePattern } from '../../../shared/event-pattern/index.js';
import { Channel } from '../../../shared/events/common.js';

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

/** Trigger kinds; sequence, time and place join this union. */
export const Trigger = z.discriminatedUnion('type', [EventTrigger]);

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
    template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'the name of a file in templates/ without .liquid')
      .meta({ description: 'A file in templates/, without .liquid.' }),
    cooldown: Duration.optional().meta({ description: 'Least time between two messages of this rule to one person.' }),
    reentry: z
      .enum(['always', 'once'])
      .default('always')
      .meta({ description: '"once": a person gets this rule at most once, ever. "always": every time it fires (after any cooldown).' }),
    activeFrom: z.iso.datetime({ offset: true }).optional().meta({ description: 'The rule fires only from this time on (ISO 8601).' }),
    activeUntil: z.iso.datetime({ offset: true }).optional().meta({ description: 'The rule fires only before this time (ISO 8601).' }),
  })
  .strict()
  .superRefine((rule, context) => {
    if (rule.activeFrom && rule.activeUntil && Date.parse(rule.activeFrom) >= Date.parse(rule.activeUntil)) {
      context.addIssue({ code: 'custom', path: ['activeUntil'], message: 'activeUntil must be after activeFrom' });
    }
  });
export type Rule = z.infer<typeof Rule>;

export interface CompiledRule {
  readonly rule: Rule;
  readonly eventPattern: CompiledPattern;
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

export function compileRule(rule: Rule, file?: string): CompiledRule {
  return {
    rule,
    eventPattern: compiled(rule.trigger.event, rule.id),
    conditions: rule.conditions === undefined ? undefined : compiled(rule.conditions, rule.id),
    cooldownMillis: rule.cooldown === undefined ? undefined : durationMillis(rule.cooldown),
    activeFrom: rule.activeFrom === undefined ? undefined : Date.parse(rule.activeFrom),
    activeUntil: rule.activeUntil === undefined ? undefined : Date.parse(rule.activeUntil),
    file,
  };
}
