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
  | { readonly kind: 'refuse'; readonly reason: 'cooldown' | 'once' | 'exclusive' };

/** Whether a person may get this rule's message now, given what they got from it before. */
export function admit(rule: CompiledRule, state: RuleState | undefined, messageId: string, now: number): Admission {
  if (state === undefined) return { kind: 'admit' };
  if (state.lastMessageId === messageId) return { kind: 'repeat' };
  if (rule.rule.reentry === 'once') return { kind: 'refuse', reason: 'once' };
  if (rule.cooldownMillis !== undefined && now - Date.parse(state.lastFiredAt) < rule.cooldownMillis) return { kind: 'refuse', reason: 'cooldown' };
  return { kind: 'admit' };
}

/** The firing state a rule's exclusive group is kept under, beside the rules' own (rule ids have no colon). */
export const groupStateId = (group: string) => `group:${group}`;

/**
 * Whether a person may get a message of the rule's exclusive group now: not while another message
 * of the group is held for them (`within` after it). The same message again is a repeat.
 */
export function admitToGroup(rule: CompiledRule, state: RuleState | undefined, messageId: string, now: number): Admission {
  if (rule.exclusive === undefined || state === undefined) return { kind: 'admit' };
  if (state.lastMessageId === messageId) return { kind: 'repeat' };
  if (now - Date.parse(state.lastFiredAt) < rule.exclusive.withinMillis) return { kind: 'refuse', reason: 'exclusive' };
  return { kind: 'admit' };
}

/**
 * Of the candidates that fire at once, one per person and exclusive group: the highest priority
 * (then the rule id, so the choice is the same every time). The others are held as `exclusive`.
 */
export function pickExclusive<C extends { readonly rule: CompiledRule; readonly request: { readonly profileId: string } }>(
  candidates: readonly C[],
): { readonly picked: C[]; readonly held: C[] } {
  const best = new Map<string, C>();
  for (const candidate of candidates) {
    const exclusive = candidate.rule.exclusive;
    if (exclusive === undefined) continue;
    const key = `${exclusive.group}|${candidate.request.profileId}`;
    const current = best.get(key);
    const outranks =
      current === undefined ||
      exclusive.priority > (current.rule.exclusive?.priority ?? 0) ||
      (exclusive.priority === current.rule.exclusive?.priority && candidate.rule.rule.id < current.rule.rule.id);
    if (outranks) best.set(key, candidate);
  }
  const picked: C[] = [];
  const held: C[] = [];
  for (const candidate of candidates) {
    const exclusive = candidate.rule.exclusive;
    if (exclusive === undefined || best.get(`${exclusive.group}|${candidate.request.profileId}`) === candidate) picked.push(candidate);
    else held.push(candidate);
  }
  return { picked, held };
}

export function stateAfter(state: RuleState | undefined, messageId: string, now: number): RuleState {
  return { firedCount: (state?.firedCount ?? 0) + 1, lastFiredAt: new Date(now).toISOString(), lastMessageId: messageId };
}
