import type { MessageRequested } from '../../shared/events/message-requested.js';
import type { ProfileUpdated } from '../../shared/events/profile-updated.js';
import type { TimerFired } from '../../shared/events/timer-fired.js';
import type { RuleStateStore } from './adapters/rule-state-store.js';
import { nextOpening } from './core/calendar.js';
import { admit, firingRules, messageRequest, stateAfter } from './core/evaluate.js';
import type { RuleIndex } from './core/rule-index.js';
import type { Candidate, TriggerEngine } from './triggers.js';

export interface Evaluation {
  readonly requests: MessageRequested[];
  readonly refused: { ruleId: string; reason: string }[];
  /** Event rules that fired outside their send window: each waits on a timer for the opening. */
  readonly deferred: string[];
}

/**
 * Evaluates one profile update: the event rules that fire (or wait for their send window), and
 * what the update does to time, place and sequence rules; then cooldown and re-entry per person.
 */
export async function evaluateUpdate(index: RuleIndex, engine: TriggerEngine, store: RuleStateStore, update: ProfileUpdated, now: Date): Promise<Evaluation> {
  const candidates: Candidate[] = [];
  const deferred: string[] = [];
  for (const rule of firingRules(index, update, now)) {
    const window = rule.rule.sendWindow;
    if (window !== undefined && nextOpening(window, update.profile.timeZone ?? 'UTC', now.getTime()) > now.getTime()) {
      await engine.defer(rule, update, now.getTime());
      deferred.push(rule.rule.id);
    } else {
      candidates.push({ rule, request: messageRequest(rule, update, now) });
    }
  }
  candidates.push(...(await engine.onProfileUpdated(update, now.getTime())));
  return { ...(await admitCandidates(store, candidates, now)), deferred };
}

/** Evaluates a due timer: the messages it still stands for, after cooldown and re-entry. */
export async function evaluateTimer(engine: TriggerEngine, store: RuleStateStore, timer: TimerFired): Promise<Omit<Evaluation, 'deferred'>> {
  const candidates = await engine.onTimer(timer);
  return admitCandidates(store, candidates, new Date(Date.parse(timer.dueAt) || Date.now()));
}

/**
 * Applies each rule's cooldown and re-entry for the person. A state write that loses a race is
 * re-read and decided again, so two concurrent triggers cannot both pass a cooldown.
 */
export async function admitCandidates(store: RuleStateStore, candidates: readonly Candidate[], now: Date): Promise<Omit<Evaluation, 'deferred'>> {
  const requests: MessageRequested[] = [];
  const refused: Evaluation['refused'] = [];
  for (const { rule, request } of candidates) {
    const ruleId = rule.rule.id;
    let previous = (await store.load(request.profileId, [ruleId])).get(ruleId);
    let admission = admit(rule, previous, request.messageId, now);
    while (admission.kind === 'admit') {
      const outcome = await store.record(request.profileId, ruleId, previous, stateAfter(previous, request.messageId, now));
      if (outcome === 'recorded') break;
      previous = (await store.load(request.profileId, [ruleId])).get(ruleId);
      admission = admit(rule, previous, request.messageId, now);
    }
    if (admission.kind === 'refuse') refused.push({ ruleId, reason: admission.reason });
    else requests.push(request);
  }
  return { requests, refused };
}
