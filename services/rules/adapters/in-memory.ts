import type { Profile } from '../../../shared/events/profile.js';
import type { TriggerState } from '../core/trigger-state.js';
import type { ProfileSource, TimerRef, Timers, TriggerStateStore, VersionedState } from '../triggers.js';

/**
 * The trigger engine's ports in memory, for the simulator and the benchmark: the same engine
 * code as the service, with state in maps and timers in a list a virtual clock drains.
 */
export class MemoryTriggerStates implements TriggerStateStore {
  private readonly items = new Map<string, VersionedState>();

  async load(profileId: string, ruleId: string, stateKey: string): Promise<VersionedState | undefined> {
    return this.items.get(`${profileId}|${ruleId}|${stateKey}`);
  }

  async save(profileId: string, ruleId: string, stateKey: string, state: TriggerState, version: number | undefined): Promise<'saved' | 'conflict'> {
    const key = `${profileId}|${ruleId}|${stateKey}`;
    if (this.items.get(key)?.version !== version) return 'conflict';
    this.items.set(key, { state, version: (version ?? 0) + 1 });
    return 'saved';
  }

  get size(): number {
    return this.items.size;
  }
}

export type PendingTimer = TimerRef & { readonly dueAt: number };

export class MemoryTimers implements Timers {
  private readonly pending = new Map<string, PendingTimer>();
  scheduled = 0;
  cancelled = 0;

  async schedule(timer: PendingTimer): Promise<void> {
    this.scheduled++;
    this.pending.set(`${timer.ruleId}|${timer.profileId}|${timer.stateKey}|${timer.instanceId}|${timer.dueAt}`, timer);
  }

  async cancel(timer: PendingTimer): Promise<void> {
    this.cancelled++;
    this.pending.delete(`${timer.ruleId}|${timer.profileId}|${timer.stateKey}|${timer.instanceId}|${timer.dueAt}`);
  }

  /** Removes and returns the timers due by `now`, earliest first. */
  takeDue(now: number): PendingTimer[] {
    const due = [...this.pending.entries()].filter(([, timer]) => timer.dueAt <= now).sort(([, a], [, b]) => a.dueAt - b.dueAt);
    for (const [key] of due) this.pending.delete(key);
    return due.map(([, timer]) => timer);
  }

  /** The earliest pending due time. */
  next(): number | undefined {
    let earliest: number | undefined;
    for (const timer of this.pending.values()) if (earliest === undefined || timer.dueAt < earliest) earliest = timer.dueAt;
    return earliest;
  }
}

export class MemoryProfiles implements ProfileSource {
  constructor(private readonly profiles: Map<string, Profile>) {}

  async get(profileId: string): Promise<Profile | undefined> {
    return this.profiles.get(profileId);
  }

  async *all(): AsyncIterable<Profile> {
    yield* this.profiles.values();
  }
}
