import { z } from 'zod';
import type { CompiledPattern } from '#shared/event-pattern/index.js';
import { Channel } from '#shared/events/common.js';
import { VariantId } from '#shared/events/message.js';
import { compiledPattern, Duration, durationMillis, EventPattern, LocalTime } from '../kinds/fields.js';
import { compileTrigger, Trigger } from '../kinds/index.js';
import type { CompiledTrigger } from '../kinds/kind.js';

/** A send window in the profile's time zone: a message due outside it waits for the next opening. */
export const SendWindow = z
  .object({ from: LocalTime, to: LocalTime })
  .strict()
  .meta({ description: "Messages go only between these local times (profile's time zone); one due outside waits for the next opening." });

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

/** Rules that stand for the same moment (two abandoned-checkout reminders): one message of them per person. */
export const Exclusive = z
  .object({
    group: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-case letters, digits and dashes, such as "checkout-reminders"')
      .meta({ description: 'The group: of its rules, a person gets one message within `within`.' }),
    priority: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .meta({ description: 'When rules of the group fire for a person at once, the one with the highest priority sends; the others are held.' }),
    within: Duration.default('24h').meta({
      description: 'How long after a message of the group the group holds its other rules for that person (default 24h).',
    }),
  })
  .strict()
  .meta({ description: 'One message per person among the rules of a group: the highest priority when they fire at once, else the first.' });
export type Exclusive = z.infer<typeof Exclusive>;

/** A rule's id: part of every message id and of file and schedule names. */
export const ruleIdPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const Rule = z
  .object({
    $schema: z.string().optional(),
    id: z
      .string()
      .regex(ruleIdPattern, 'use lower-case letters, digits and dashes, such as "thank-you"')
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
    exclusive: Exclusive.optional(),
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

export type SendWindow = z.infer<typeof SendWindow>;

export interface CompiledRule {
  readonly rule: Rule;
  /** What the rule's kind of trigger does (kinds/). */
  readonly trigger: CompiledTrigger;
  readonly conditions: CompiledPattern | undefined;
  readonly cooldownMillis: number | undefined;
  /** The rule's exclusive group, with its hold in milliseconds. */
  readonly exclusive: { readonly group: string; readonly priority: number; readonly withinMillis: number } | undefined;
  readonly activeFrom: number | undefined;
  readonly activeUntil: number | undefined;
  /** The file the rule came from, for messages that point a marketer to it. */
  readonly file?: string;
}

export function compileRule(rule: Rule, file?: string): CompiledRule {
  return {
    rule,
    trigger: compileTrigger(rule.trigger, { conditions: rule.conditions, sendWindow: rule.sendWindow }),
    conditions: rule.conditions === undefined ? undefined : compiledPattern(rule.conditions),
    cooldownMillis: rule.cooldown === undefined ? undefined : durationMillis(rule.cooldown),
    exclusive:
      rule.exclusive === undefined
        ? undefined
        : { group: rule.exclusive.group, priority: rule.exclusive.priority, withinMillis: durationMillis(rule.exclusive.within) },
    activeFrom: rule.activeFrom === undefined ? undefined : Date.parse(rule.activeFrom),
    activeUntil: rule.activeUntil === undefined ? undefined : Date.parse(rule.activeUntil),
    ...(file === undefined ? {} : { file }),
  };
}

/** Whether the rule may fire at `now`: enabled, and inside its active period. */
export function isActive(rule: CompiledRule, now: number): boolean {
  return rule.rule.enabled && (rule.activeFrom === undefined || now >= rule.activeFrom) && (rule.activeUntil === undefined || now < rule.activeUntil);
}
