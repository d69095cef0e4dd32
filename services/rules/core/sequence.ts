import type { CompiledPattern } from '#shared/event-pattern/index.js';

/**
 * Sequences as a pure function of the events seen: the same set of events gives the same
 * instances whatever order they arrived in, and an event seen twice is one event.
 */

/** A sequence, or a delay after an event (a sequence of one step whose message waits `dueAfterMillis`). */
export interface CompiledSequence {
  readonly steps: readonly { readonly pattern: CompiledPattern; readonly key: string | undefined }[];
  readonly withinMillis: number | undefined;
  readonly absent: { readonly pattern: CompiledPattern; readonly key: string | undefined; readonly withinMillis: number } | undefined;
  /** How long after the last step the message is due (absent.within, or a time trigger's delay). */
  readonly dueAfterMillis: number;
}

/** Whether the steps are joined by a correlation value (a checkout, a product) rather than per person. */
export function isCorrelated(sequence: CompiledSequence): boolean {
  return sequence.steps.some((step) => step.key !== undefined);
}

/** An event a sequence rule saw for one person and correlation key. */
export interface SeenEvent {
  readonly id: string;
  /** When it happened (occurredAt), in epoch milliseconds. */
  readonly at: number;
  /** The steps it matches. */
  readonly steps: readonly number[];
  /** Whether it matches the event that must stay absent. */
  readonly absent: boolean;
}

/** One run of the sequence: its steps in order, and when its message falls due. */
export interface Instance {
  /** The first step's event id: stable, so a timer and a message id can be named after it. */
  readonly id: string;
  readonly eventIds: readonly string[];
  readonly completedAt: number;
  readonly dueAt: number;
  /** cancelled: the absent event came, or a later run of the same sequence took over. */
  readonly status: 'waiting' | 'due' | 'cancelled';
}

/** Events kept per person and key: enough for any realistic sequence, bounded for cost. */
export const maxSeenEvents = 50;

// Events are kept once per id (withEvent), so two are never equal: the id breaks a tie in time.
// Stryker disable next-line EqualityOperator: ids are never equal.
const byTime = (a: SeenEvent, b: SeenEvent) => a.at - b.at || (a.id < b.id ? -1 : 1);

/** Adds an event (once, however often it is seen), keeping the newest `maxSeenEvents`. */
export function withEvent(events: readonly SeenEvent[], event: SeenEvent): SeenEvent[] {
  if (events.some((seen) => seen.id === event.id)) return [...events];
  return [...events, event].sort(byTime).slice(-maxSeenEvents);
}

/**
 * The completed runs of the sequence in the events, each with its status at `now`.
 * Runs are found greedily in time order: a run starts at the earliest unused first step, takes
 * each next step at the earliest later event, within `within` of its start. A run is cancelled
 * when the absent event comes within its due time (for a correlated sequence, any absent event
 * with the same key up to the due time, since it belongs to this checkout or cart whenever it
 * happened; per person, only one after the last step), or when a later run completes before it
 * fell due (the latest activity restarts the clock: one reminder for a checkout updated twice).
 */
export function instancesOf(sequence: CompiledSequence, events: readonly SeenEvent[], now: number): Instance[] {
  const correlated = isCorrelated(sequence);
  const sorted = [...events].sort(byTime);
  const runs: { eventIds: string[]; completedAt: number }[] = [];
  let from = 0;
  // Stryker disable next-line EqualityOperator: at from = length the search below finds no start and the loop ends anyway.
  while (from < sorted.length) {
    const start = sorted.findIndex((event, index) => index >= from && event.steps.includes(0));
    if (start < 0) break;
    const first = sorted[start] as SeenEvent;
    const eventIds = [first.id];
    let at = start;
    let complete = true;
    for (let step = 1; step < sequence.steps.length; step++) {
      const next = sorted.findIndex(
        (event, index) => index > at && event.steps.includes(step) && (sequence.withinMillis === undefined || event.at - first.at <= sequence.withinMillis),
      );
      // Stryker disable next-line EqualityOperator: next is searched after index `at` ≥ 0, so it is never 0.
      if (next < 0) {
        complete = false;
        break;
      }
      eventIds.push((sorted[next] as SeenEvent).id);
      at = next;
    }
    if (!complete) {
      // No run completes from this start; a later start may still (its window is later).
      from = start + 1;
      continue;
    }
    runs.push({ eventIds, completedAt: (sorted[at] as SeenEvent).at });
    from = at + 1;
  }
  const absences = sorted.filter((event) => event.absent);
  return runs.map((run, index) => {
    const dueAt = run.completedAt + sequence.dueAfterMillis;
    const own = new Set(run.eventIds);
    const absentCame =
      // Stryker disable next-line ConditionalExpression: events are marked absent only when the sequence has an absent pattern; this is the contract, not a case.
      sequence.absent !== undefined && absences.some((event) => !own.has(event.id) && event.at <= dueAt && (correlated || event.at >= run.completedAt));
    // Runs complete in time order, so every later run completed at or after this one; one completed in the same millisecond takes over too.
    const supersededBy = runs.slice(index + 1).some((later) => later.completedAt <= dueAt);
    const status = absentCame || (supersededBy && sequence.dueAfterMillis > 0) ? 'cancelled' : dueAt <= now ? 'due' : 'waiting';
    return { id: run.eventIds[0] as string, eventIds: run.eventIds, completedAt: run.completedAt, dueAt, status };
  });
}

/** What the timers and messages of one sequence state should become. */
export interface SequencePlan {
  /** Runs to set a timer for (their message is due later). */
  readonly schedule: readonly Instance[];
  /** Timers (by instance id) no longer wanted: cancelled runs. A timer that fires anyway finds nothing to do. */
  readonly cancel: readonly string[];
  /** Runs whose message is due now and not yet decided. */
  readonly fire: readonly Instance[];
  /** Runs due so long ago that messaging now would confuse (a replay of old events): decided without a message. */
  readonly stale: readonly Instance[];
}

/** How late a message may still go: later than this after its due time, a run is dropped. */
export const staleAfterMillis = 24 * 3_600_000;

export function planSequence(instances: readonly Instance[], timers: ReadonlyMap<string, number>, decided: ReadonlySet<string>, now: number): SequencePlan {
  const open = instances.filter((instance) => !decided.has(instance.id));
  const waiting = open.filter((instance) => instance.status === 'waiting');
  const due = open.filter((instance) => instance.status === 'due');
  return {
    schedule: waiting.filter((instance) => timers.get(instance.id) !== instance.dueAt),
    // A due run may hold a timer for its send window's opening: only runs that are over lose theirs.
    cancel: [...timers.keys()].filter((id) => !waiting.some((instance) => instance.id === id) && !due.some((instance) => instance.id === id)),
    fire: due.filter((instance) => now - instance.dueAt <= staleAfterMillis),
    stale: due.filter((instance) => now - instance.dueAt > staleAfterMillis),
  };
}
