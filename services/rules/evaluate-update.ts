import type { MessageRequested } from '../../shared/events/message-requested.js';
import type { ProfileUpdated } from '../../shared/events/profile-updated.js';
import type { RuleStateStore } from './adapters/rule-state-store.js';
import { admit, decide, firingRules, stateAfter } from './core/evaluate.js';
import type { RuleIndex } from './core/rule-index.js';

export interface Evaluation {
  readonly requests: MessageRequested[];
  readonly refused: { ruleId: string; reason: string }[];
}

/**
 * Evaluates one profile update: the rules that fire, filtered by each rule's cooldown and re-entry
 * for this person. A state write that loses a race is re-read and decided again, so two concurrent
 * triggers cannot both pass a cooldown.
 */
export async function evaluateUpdate(index: RuleIndex, store: RuleStateStore, update: ProfileUpdated, now: Date): Promise<Evaluation> {
  const firing = firingRules(index, update, now);
  if (firing.length === 0) return { requests: [], refused: [] };
  const states = await store.load(
    update.profileId,
    firing.map(({ rule }) => rule.id),
  );
  const requests: MessageRequested[] = [];
  const refused: Evaluation['refused'] = [];
  for (const decision of decide(firing, update, states, now)) {
    let { admission } = decision;
    let previous = states.get(decision.rule.rule.id);
    while (admission.kind === 'admit') {
      const outcome = await store.record(update.profileId, decision.rule.rule.id, previous, stateAfter(previous, decision.request.messageId, now));
      if (outcome === 'recorded') break;
      previous = (await store.load(update.profileId, [decision.rule.rule.id])).get(decision.rule.rule.id);
      admission = admit(decision.rule, previous, decision.request.messageId, now);
    }
    if (admission.kind === 'refuse') refused.push({ ruleId: decision.rule.rule.id, reason: admission.reason });
    else requests.push(decision.request);
  }
  return { requests, refused };
}
