import type { PlaceState } from './geofence.js';
import type { SeenEvent } from './sequence.js';

/**
 * What a time, place or sequence rule remembers for one person and one key (a correlation value,
 * a geofence, a date trait): the events it saw, where the person is, its timers and what it
 * already decided. One item per (person, rule, key), written with a version condition.
 */
export interface TriggerState {
  /** Sequence rules: the events seen, by the time they happened. */
  readonly events: readonly SeenEvent[];
  /** Sequence rules: the detail of events that can complete a run, for the message's template. */
  readonly details: Readonly<Record<string, Record<string, unknown>>>;
  /** Place rules: inside or outside the geofence. */
  readonly place: PlaceState | undefined;
  /** Pending timers: instance id → due time (epoch ms). */
  readonly timers: Readonly<Record<string, number>>;
  /** Instances already decided (messaged, refused or dropped), newest last, bounded. */
  readonly decided: readonly string[];
}

export const emptyTriggerState: TriggerState = { events: [], details: {}, place: undefined, timers: {}, decided: [] };

/** Decided instance ids kept: a timer or event for an older one finds it decided or gone. */
export const maxDecided = 50;

/**
 * What names a message a state item decides (the rule and person make the rest of its id): its key
 * and instance, so two checkouts' reminders are two messages and the same one asked again is one.
 */
export const decidedInstance = (stateKey: string, instanceId: string) => `${stateKey}|${instanceId}`;

export function withDecided(state: TriggerState, instanceIds: readonly string[]): TriggerState {
  if (instanceIds.length === 0) return state;
  const timers = { ...state.timers };
  for (const id of instanceIds) delete timers[id];
  return { ...state, timers, decided: [...state.decided.filter((id) => !instanceIds.includes(id)), ...instanceIds].slice(-maxDecided) };
}

/** The values at a dotted path of an event; arrays on the way are looked through, as event patterns do. */
export function valuesAt(event: unknown, path: string): string[] {
  let current: unknown[] = [event];
  for (const segment of path.split('.')) {
    const next: unknown[] = [];
    for (const value of current) {
      const child = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[segment] : undefined;
      if (Array.isArray(child)) next.push(...child);
      else if (child !== undefined) next.push(child);
    }
    current = next;
  }
  return [...new Set(current.filter((value) => typeof value === 'string' || typeof value === 'number').map(String))];
}
