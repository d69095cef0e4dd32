import { z } from 'zod';
import { type CompiledPattern, compilePattern } from '../../../shared/event-pattern/index.js';
import { Channel } from '../../../shared/events/common.js';

/** An EventBridge event pattern, checked by the same compiler that matches it. */
const EventPattern = z.record(z.string(), z.unknown()).superRefine((pattern, context) => {
  const compiled = compilePattern(pattern);
  if (!compiled.ok) {
    context.addIssue({ code: 'custom', message: `invalid event pattern at ${compiled.error.path || '(root)'}: ${compiled.error.message}` });
  }
});

export const EventTrigger = z.object({
  type: z.literal('event'),
  /** Matched against the customer event on the bus (source, detail-type, detail). */
  event: EventPattern,
});

export const Rule = z.object({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-case letters, digits and dashes, such as "thank-you"'),
  name: z.string().min(1),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  trigger: EventTrigger,
  channel: Channel,
  template: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'the name of a file in templates/ without .liquid'),
});
export type Rule = z.infer<typeof Rule>;

export interface CompiledRule {
  readonly rule: Rule;
  readonly eventPattern: CompiledPattern;
  /** The file the rule came from, for messages that point a marketer to it. */
  readonly file?: string;
}

export function compileRule(rule: Rule): CompiledRule {
  const compiled = compilePattern(rule.trigger.event);
  // The schema already refused invalid patterns, so this only guards against misuse.
  if (!compiled.ok) throw new Error(`Rule ${rule.id}: ${compiled.error.message}`);
  return { rule, eventPattern: compiled.pattern };
}
