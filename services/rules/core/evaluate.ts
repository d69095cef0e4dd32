import { createHash } from 'node:crypto';
import { matches } from '../../../shared/event-pattern/index.js';
import type { MessageRequested } from '../../../shared/events/message-requested.js';
import type { Profile } from '../../../shared/events/profile.js';
import type { ProfileUpdated } from '../../../shared/events/profile-updated.js';
import type { CompiledRule } from './rule.js';
import type { RuleIndex } from './rule-index.js';
import { assignVariant } from './variants.js';

/**
 * The same rule, person and triggering event always give the same message id, so a redelivered
 * trigger asks for the same message again and dispatch can send it once.
 */
export function messageIdFor(ruleId: string, profileId: string, triggerEventId: string): string {
  return `msg_${createHash('sha256').update(`${ruleId}|${profileId}|${triggerEventId}`).digest('hex').slice(0, 32)}`;
}

/** What Nudge remembers of one rule for one person. */
export interface RuleState {
  readonly firedCount: number;
  readonly lastFiredAt: string;
  readonly lastMessageId: string;
}

export type Admission =
  | { readonly kind: 'admit' }
  /** The same trigger again (a redelivery): ask for the same message again; dispatch sends it once. */
  | { readonly kind: 'repeat' }
  | { readonly kind: 'refuse'; readonly reason: 'cooldown' | 'once' };

/** Whether a person may get this rule's message now, given what they got from it before. */
export function admit(rule: CompiledRule, state: RuleState | undefined, messageId: string, now: Date): Admission {
  if (state === undefined) return { kind: 'admit' };
  if (state.lastMessageId === messageId) return { kind: 'repeat' };
  if (rule.rule.reentry === 'once') return { kind: 'refuse', reason: 'once' };
  if (rule.cooldownMillis !== undefined && now.getTime() - Date.parse(state.lastFiredAt) < rule.cooldownMillis) return { kind: 'refuse', reason: 'cooldown' };
  return { kind: 'admit' };
}

export function stateAfter(state: RuleState | undefined, messageId: string, now: Date): RuleState {
  return { firedCount: (state?.firedCount ?? 0) + 1, lastFiredAt: now.toISOString(), lastMessageId: messageId };
}

function isActive(rule: CompiledRule, now: Date): boolean {
  const time = now.getTime();
  return (rule.activeFrom === undefined || time >= rule.activeFrom) && (rule.activeUntil === undefined || time < rule.activeUntil);
}

/** Enabled, active rules whose event pattern matches the trigger and whose conditions hold on the profile. */
export function firingRules(index: RuleIndex, update: ProfileUpdated, now: Date): CompiledRule[] {
  return index.matching(update.trigger).filter((rule) => isActive(rule, now) && (rule.conditions === undefined || matches(rule.conditions, update.profile)));
}

/**
 * The message a rule asks for: its id from (rule, person, trigger instance), so asking again for
 * the same instance is the same message; what dispatch needs of the rule; and the template's context.
 */
export function requestFor(rule: CompiledRule, profile: Profile, instance: string, event: Record<string, unknown>, now: Date): MessageRequested {
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
    requestedAt: now.toISOString(),
    context: { profile, event },
  };
}

export function messageRequest(rule: CompiledRule, update: ProfileUpdated, now: Date): MessageRequested {
  return requestFor(rule, update.profile, update.trigger.detail.eventId, update.trigger.detail, now);
}

export interface Decision {
  readonly rule: CompiledRule;
  readonly request: MessageRequested;
  readonly admission: Admission;
}

/** What to do about each firing rule, given each rule's state for this person. */
export function decide(firing: readonly CompiledRule[], update: ProfileUpdated, states: ReadonlyMap<string, RuleState>, now: Date): Decision[] {
  return firing.map((rule) => {
    const request = messageRequest(rule, update, now);
    return { rule, request, admission: admit(rule, states.get(rule.rule.id), request.messageId, now) };
  });
}
