import { z } from 'zod';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { applyReport } from '../core/geofence.js';
import type { TriggerState } from '../core/trigger-state.js';
import { firesOnEvent } from './event.js';
import { compiledPattern, Duration, durationMillis, type EventPattern } from './fields.js';
import type { Candidate, CompiledTrigger, KindProblem, OnceTimer, ProjectFacts, TriggerContext, TriggerKind } from './kind.js';
import { onTrigger } from './sequence.js';

/** `place`: entering, leaving or lingering near a geofence, or a store visit the shop app reported. */
export const PlaceTrigger = z
  .object({
    type: z.literal('place'),
    on: z.enum(['enter', 'exit', 'dwell', 'visit']).meta({
      description: 'enter, exit or dwell (inside for at least `dwell`) a geofence from location reports; visit: a store visit the shop app reported.',
    }),
    geofences: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Ids from rules/geofences.json (enter, exit, dwell).' }),
    stores: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Store ids (visit); omitted: any store.' }),
    dwell: Duration.optional(),
  })
  .strict()
  .superRefine((trigger, context) => {
    if (trigger.on !== 'visit' && trigger.geofences === undefined)
      context.addIssue({ code: 'custom', path: ['geofences'], message: `"${trigger.on}" needs the geofences it watches` });
    if (trigger.on === 'dwell' && trigger.dwell === undefined) context.addIssue({ code: 'custom', path: ['dwell'], message: 'say how long, such as "10m"' });
    if (trigger.on !== 'dwell' && trigger.dwell !== undefined)
      context.addIssue({ code: 'custom', path: ['dwell'], message: '"dwell" goes with "on": "dwell"' });
    if (trigger.on === 'visit' && trigger.geofences !== undefined)
      context.addIssue({ code: 'custom', path: ['geofences'], message: 'a visit is reported by the app per store; use "stores"' });
  });
export type PlaceTrigger = z.infer<typeof PlaceTrigger>;

/** A store visit, as the shop app reports it. */
export function storeVisitPattern(stores: readonly string[] | undefined): EventPattern {
  return { 'detail-type': ['store.visited'], ...(stores ? { detail: { properties: { storeId: [...stores] } } } : {}) };
}

const locationReported: EventPattern = { 'detail-type': ['location.reported'] };
const geofenceKey = (id: string) => `geofence:${id}`;

/**
 * Enter, exit or dwell: one state item per geofence, where the person is (core/geofence.ts decides
 * from each location report, with a band against GPS jitter); a dwell is a timer set on entering
 * and cancelled on leaving.
 */
function geofenced(on: 'enter' | 'exit' | 'dwell', geofences: readonly string[], dwellMillis: number): CompiledTrigger {
  return {
    patterns: [{ path: 'trigger', pattern: compiledPattern(locationReported) }],
    watches: [],
    feed: [onTrigger(locationReported)],
    waits: true,
    schedule: undefined,
    timeZone: undefined,
    problems: (facts: ProjectFacts): KindProblem[] =>
      geofences.flatMap((id, index) =>
        facts.geofences.has(id)
          ? []
          : [
              {
                path: `trigger.geofences.${index}`,
                message: `no geofence "${id}" in geofences.json; known: ${[...facts.geofences.keys()].join(', ') || 'none'}`,
              },
            ],
      ),
    async onUpdate(context: TriggerContext, update: ProfileUpdated, _matched, now: number): Promise<Candidate[]> {
      const properties = (update.trigger.detail as { properties?: { latitude?: unknown; longitude?: unknown } }).properties;
      if (typeof properties?.latitude !== 'number' || typeof properties.longitude !== 'number') return [];
      const report = {
        eventId: update.trigger.detail.eventId,
        at: Date.parse(update.trigger.detail.occurredAt),
        latitude: properties.latitude,
        longitude: properties.longitude,
      };
      const candidates: Candidate[] = [];
      for (const fenceId of geofences) {
        const fence = context.geofences.get(fenceId);
        if (fence === undefined) continue;
        const stateKey = geofenceKey(fenceId);
        candidates.push(
          ...(await context.change(update.profileId, stateKey, now, async (state) => {
            const { state: place, transition } = applyReport(fence, state.place, report);
            // Someone who was never inside and is outside now needs no state: most reports are far from any store.
            if (state.place === undefined && !place.inside) return { state, candidates: [] };
            let next: TriggerState = { ...state, place };
            if (transition === undefined) return { state: next, candidates: [] };
            if (on === 'dwell') {
              if (transition === 'enter') {
                const dueAt = place.since + dwellMillis;
                await context.schedule({ profileId: update.profileId, stateKey, instanceId: place.entryId as string, dueAt });
                next = { ...next, timers: { ...next.timers, [place.entryId as string]: dueAt } };
              } else {
                for (const [instanceId, dueAt] of Object.entries(next.timers))
                  await context.cancel({ profileId: update.profileId, stateKey, instanceId, dueAt });
                next = { ...next, timers: {} };
              }
              return { state: next, candidates: [] };
            }
            if (transition !== on) return { state: next, candidates: [] };
            return context.due(update.profile, stateKey, report.eventId, { geofence: fenceId, ...update.trigger.detail }, next, now);
          })),
        );
      }
      return candidates;
    },
    onTimer(context: TriggerContext, timer: OnceTimer, profile: Profile, now: number): Promise<Candidate[]> {
      return context.change(timer.profileId, timer.stateKey, now, async (state) => {
        const place = state.place;
        if (place === undefined || !place.inside || place.entryId !== timer.instanceId || state.decided.includes(timer.instanceId))
          return { state, candidates: [] };
        return context.due(profile, timer.stateKey, timer.instanceId, { geofence: timer.stateKey.slice('geofence:'.length) }, state, now);
      });
    },
    onSchedule: async () => [],
  };
}

export const placeKind: TriggerKind<PlaceTrigger> = {
  type: 'place',
  compile(spec, rule) {
    if (spec.on === 'visit') {
      const visit = storeVisitPattern(spec.stores);
      return firesOnEvent({ path: 'trigger.stores', pattern: compiledPattern(visit) }, visit, rule);
    }
    return geofenced(spec.on, spec.geofences ?? [], spec.dwell === undefined ? 0 : durationMillis(spec.dwell));
  },
};
