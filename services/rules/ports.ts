import type { Profile } from '#shared/events/profile.js';
import type { ProfileScanScope } from '#shared/profile-scan.js';
import type { RuleState } from './core/admission.js';
import type { Geofence } from './core/geofence.js';
import type { TriggerState } from './core/trigger-state.js';

/**
 * What the rules engine needs from outside, declared once. The service fills them with DynamoDB
 * and EventBridge Scheduler (adapters/); the simulator (cli/) with memory and a virtual clock.
 */

export interface TimerRef {
  readonly ruleId: string;
  readonly profileId: string;
  readonly stateKey: string;
  readonly instanceId: string;
  /** Epoch milliseconds. */
  readonly dueAt: number;
}

export interface Timers {
  /** Creates a one-time timer; creating the same timer again is harmless. */
  schedule(timer: TimerRef): Promise<void>;
  /** Deletes a timer; one already fired or gone is no error. */
  cancel(timer: TimerRef): Promise<void>;
}

export interface VersionedState {
  readonly state: TriggerState;
  readonly version: number;
}

/** Whether a conditional write went in, or someone wrote since the read (read and decide again). */
export type WriteOutcome = 'written' | 'conflict';

/** Time, place and sequence state: one item per (person, rule, key). */
export interface TriggerStateStore {
  load(profileId: string, ruleId: string, stateKey: string): Promise<VersionedState | undefined>;
  /** Saves unless someone saved since `version` was read (undefined: the item must not exist). */
  save(profileId: string, ruleId: string, stateKey: string, state: TriggerState, version: number | undefined, now: number): Promise<WriteOutcome>;
}

/** What each rule sent each person, for cooldown and re-entry. */
export interface FiringStore {
  load(profileId: string, ruleIds: readonly string[]): Promise<Map<string, RuleState>>;
  /** Records that the rule fired, unless another delivery changed the state since it was read. */
  record(profileId: string, ruleId: string, previous: RuleState | undefined, next: RuleState): Promise<WriteOutcome>;
}

export type { ProfileScanScope };

export interface ProfileSource {
  get(profileId: string): Promise<Profile | undefined>;
  /** Every profile, page by page (for recurring rules over a segment); with a scope, one chunk of one scan segment. */
  all(scope?: ProfileScanScope): AsyncIterable<Profile>;
}

export interface RulePorts {
  readonly states: TriggerStateStore;
  readonly firings: FiringStore;
  readonly timers: Timers;
  readonly profiles: ProfileSource;
  readonly geofences: ReadonlyMap<string, Geofence>;
}
