import { z } from 'zod';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { decidedInstance } from '../core/trigger-state.js';
import { busFilter, compiledPattern, EventPattern } from './fields.js';
import type { BusPattern, Candidate, CompiledTrigger, OnceTimer, RuleSettings, TriggerContext, TriggerKind, TriggerPattern } from './kind.js';

/** `event`: a message for each matching customer event, such as a thank-you for every order. */
export const EventTrigger = z
  .object({
    type: z.literal('event'),
    /** Matched against the customer event on the bus (source, detail-type, detail). */
    event: EventPattern.meta({ description: 'Which customer events fire the rule: an event pattern over the event as it is on the bus.' }),
  })
  .strict();
export type EventTrigger = z.infer<typeof EventTrigger>;

/** The state key of messages that wait for their send window. */
const deferredKey = 'deferred';

/**
 * What a trigger that fires on one event does (also a store visit, which is one event of the shop
 * app): asks for the message now, or, outside the send window, keeps the event and sets a timer
 * for the opening.
 */
export function firesOnEvent(pattern: TriggerPattern, event: EventPattern, rule: RuleSettings): CompiledTrigger {
  const waits = rule.sendWindow !== undefined;
  const feed: BusPattern = busFilter({ detail: { trigger: event, ...(rule.conditions ? { profile: rule.conditions } : {}) } }) ?? {};
  return {
    patterns: [pattern],
    watches: [],
    feed: [feed],
    waits,
    schedule: undefined,
    timeZone: undefined,
    problems: () => [],
    async onUpdate(context: TriggerContext, update: ProfileUpdated, _matched, now: number): Promise<Candidate[]> {
      const detail = update.trigger.detail;
      // With a send window the message may wait for it: it is then the same message as the one that
      // waited, so an event redelivered inside the window after the held one went is asked for again
      // with the same id (and sent once), not as a second message.
      const instance = waits ? decidedInstance(deferredKey, detail.eventId) : detail.eventId;
      const candidate = context.request(update.profile, instance, detail, now);
      if (candidate === undefined) return [];
      const opening = context.opening(update.profile, now);
      if (opening === undefined) return [candidate];
      const instanceId = detail.eventId;
      return context.change(update.profileId, deferredKey, now, async (state) => {
        if (state.decided.includes(instanceId) || state.timers[instanceId] !== undefined) return { state, candidates: [] };
        await context.schedule({ profileId: update.profileId, stateKey: deferredKey, instanceId, dueAt: opening });
        return {
          state: { ...state, timers: { ...state.timers, [instanceId]: opening }, details: { ...state.details, [instanceId]: detail } },
          candidates: [],
        };
      });
    },
    onTimer(context: TriggerContext, timer: OnceTimer, profile: Profile, now: number): Promise<Candidate[]> {
      return context.change(timer.profileId, timer.stateKey, now, async (state) => {
        if (state.decided.includes(timer.instanceId) || state.timers[timer.instanceId] === undefined) return { state, candidates: [] };
        return context.due(profile, timer.stateKey, timer.instanceId, state.details[timer.instanceId] ?? {}, state, now);
      });
    },
    onSchedule: async () => [],
  };
}

export const eventKind: TriggerKind<EventTrigger> = {
  type: 'event',
  compile: (spec, rule) => firesOnEvent({ path: 'trigger.event', pattern: compiledPattern(spec.event) }, spec.event, rule),
};
