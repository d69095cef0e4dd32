import type { CompiledRule } from './rule.js';

/** What Nudge remembers of one rule for one person: cooldown and re-entry are decided from it. */
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
export function admit(rule: CompiledRule, state: RuleState | undefined, messageId: string, now: number): Admission {
  if (state === undefined) return { kind: 'admit' };
  if (state.lastMessageId === messageId) return { kind: 'repeat' };
  if (rule.rule.reentry === 'once') return { kind: 'refuse', reason: 'once' };
  if (rule.cooldownMillis !== undefined && now - Date.parse(state.lastFiredAt) < rule.cooldownMillis) return { kind: 'refuse', reason: 'cooldown' };
  return { kind: 'admit' };
}

export function stateAfter(state: RuleState | undefined, messageId: string, now: number): RuleState {
  return { firedCount: (state?.firedCount ?? 0) + 1, lastFiredAt: new Date(now).toISOString(), lastMessageId: messageId };
}
