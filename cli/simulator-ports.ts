import type { RuleState } from '#services/rules/core/admission.js';
import type { TriggerState } from '#services/rules/core/trigger-state.js';
import type { FiringStore, ProfileScanScope, ProfileSource, TimerRef, Timers, TriggerStateStore, VersionedState, WriteOutcome } from '#services/rules/ports.js';
import type { Profile } from '#shared/events/profile.js';

/**
 * The rules engine's ports in memory, for `nudge simulate` (and the trigger benchmark): the same
 * engine code as the service, with state in maps and timers in a list a virtual clock drains.
 */
export class MemoryTriggerStates implements TriggerStateStore {
  private readonly items = new Map<string, VersionedState>();

  async load(profileId: string, ruleId: string, stateKey: string): Promise<VersionedState | undefined> {
    return this.items.get(`${profileId}|${ruleId}|${stateKey}`);
  }

  async save(profileId: string, ruleId: string, stateKey: string, state: TriggerState, version: number | undefined): Promise<WriteOutcome> {
    const key = `${profileId}|${ruleId}|${stateKey}`;
    if (this.items.get(key)?.version !== version) return 'conflict';
    this.items.set(key, { state, version: (version ?? 0) + 1 });
    return 'written';
  }

  get size(): number {
    return this.items.size;
  }
}

export type PendingTimer = TimerRef;

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

  /** Every profile; with a scope, those of its segment (every `segments`-th, from `segment`), a chunk from `after` (a position). */
  async *all(scope?: ProfileScanScope): AsyncIterable<Profile> {
    if (scope === undefined) {
      yield* this.profiles.values();
      return;
    }
    const share = [...this.profiles.values()].filter((_, index) => index % scope.segments === scope.segment);
    const from = scope.after === undefined ? 0 : Number(scope.after);
    const chunk = share.slice(from, from + scope.limit);
    yield* chunk;
    scope.stopped(from + chunk.length < share.length ? String(from + chunk.length) : undefined);
  }
}

export class MemoryFirings implements FiringStore {
  private readonly items = new Map<string, RuleState>();

  async load(profileId: string, ruleIds: readonly string[]): Promise<Map<string, RuleState>> {
    const found = new Map<string, RuleState>();
    for (const ruleId of ruleIds) {
      const state = this.items.get(`${profileId}|${ruleId}`);
      if (state !== undefined) found.set(ruleId, state);
    }
    return found;
  }

  async record(profileId: string, ruleId: string, previous: RuleState | undefined, next: RuleState): Promise<WriteOutcome> {
    const key = `${profileId}|${ruleId}`;
    if (this.items.get(key)?.lastMessageId !== previous?.lastMessageId) return 'conflict';
    this.items.set(key, next);
    return 'written';
  }
}
