import { createHash } from 'node:crypto';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import type { CompiledRule } from './rule.js';
import { assignVariant } from './variants.js';

/**
 * The same rule, person and triggering event always give the same message id, so a redelivered
 * trigger asks for the same message again and dispatch can send it once.
 */
export function messageIdFor(ruleId: string, profileId: string, triggerEventId: string): string {
  return `msg_${createHash('sha256').update(`${ruleId}|${profileId}|${triggerEventId}`).digest('hex').slice(0, 32)}`;
}

/**
 * The message a rule asks for: its id from (rule, person, trigger instance), so asking again for
 * the same instance is the same message; what dispatch needs of the rule; and the template's context.
 */
export function requestFor(rule: CompiledRule, profile: Profile, instance: string, event: Record<string, unknown>, now: number): MessageRequested {
  const variant = rule.rule.variants === undefined ? undefined : assignVariant(rule.rule.id, profile.profileId, rule.rule.variants);
  return {
    messageId: messageIdFor(rule.rule.id, profile.profileId, instance),
    ruleId: rule.rule.id,
    profileId: profile.profileId,
    channel: variant?.channel ?? rule.rule.channel,
    template: variant?.template ?? rule.rule.template,
    ...(variant === undefined ? {} : { variant: variant.id }),
    ...(variant?.subject === undefined ? {} : { subject: variant.subject }),
    purpose: rule.rule.purpose,
    holdoutPercent: rule.rule.holdout,
    ...(rule.rule.webhook ? { webhook: rule.rule.webhook } : {}),
    requestedAt: new Date(now).toISOString(),
    context: { profile, event },
  };
}
