import type { CompiledPattern } from '#shared/event-pattern/index.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import type { TimerFired } from '#shared/events/timer-fired.js';
import type { Geofence } from '../core/geofence.js';
import type { CompiledRule, SendWindow } from '../core/rule.js';
import type { TriggerState } from '../core/trigger-state.js';
import type { EventPattern } from './fields.js';

/**
 * What a trigger kind is: the schema of its `trigger` object, and a compiler from that to a
 * CompiledTrigger that owns everything kind-specific (the bus filter it needs, its checks against
 * the project, what it does on a profile update and on a timer). The engine (../engine.ts) reads
 * and writes state, applies send windows, conditions, cooldown and re-entry the same way for all.
 * Adding a kind is one module here and one line in ./index.ts.
 */
export interface TriggerKind<Spec extends { readonly type: string }> {
  readonly type: Spec['type'];
  compile(spec: Spec, rule: RuleSettings): CompiledTrigger;
}

/** What a kind may need of the rest of its rule when it compiles. */
export interface RuleSettings {
  readonly conditions: EventPattern | undefined;
  readonly sendWindow: SendWindow | undefined;
}

/** An event pattern of a trigger, with where it is in the rule file. */
export interface TriggerPattern {
  readonly path: string;
  readonly pattern: CompiledPattern;
  /** Where this pattern's correlation key is in the event, for a kind that correlates. */
  readonly key?: string | undefined;
  /** Where that key is written in the rule file. */
  readonly keyPath?: string;
}

export type BusPattern = Record<string, unknown>;

export type RunSchedule = { readonly cron: string; readonly timeZone: string } | { readonly waves: readonly number[] };

export interface CompiledTrigger {
  /**
   * The patterns over the customer event (`detail.trigger` of a profile update). An update whose
   * event matches any goes to `onUpdate` with the indexes that matched.
   */
  readonly patterns: readonly TriggerPattern[];
  /** Profile fields whose change concerns the trigger whatever the event (a date trigger's date). */
  readonly watches: readonly string[];
  /** The profile updates it needs from the bus, as alternatives of the rules service's feed pattern. */
  readonly feed: readonly BusPattern[];
  /** Whether it sets timers, so the rules service needs `timer.fired`. */
  readonly waits: boolean;
  /**
   * A run over every profile: a recurring schedule (one Scheduler schedule puts `timer.fired` on the
   * bus at each run), or a one-off broadcast's waves (one one-time schedule at each instant, UTC).
   */
  readonly schedule: RunSchedule | undefined;
  /** The time zone for people who have none. */
  readonly timeZone: string | undefined;
  /** What the trigger refers to that the project must have (geofences, fields to correlate on). */
  problems(facts: ProjectFacts): KindProblem[];
  onUpdate(context: TriggerContext, update: ProfileUpdated, matched: readonly number[], now: number): Promise<Candidate[]>;
  /** A one-time timer of this rule fell due (`now` is its due time, however late it came). */
  onTimer(context: TriggerContext, timer: OnceTimer, profile: Profile, now: number): Promise<Candidate[]>;
  /** A run of the recurring schedule, at Scheduler's own time for it. */
  onSchedule(context: TriggerContext, scheduledAt: string, now: number): Promise<Candidate[]>;
}

/** What the project offers a trigger's checks. */
export interface ProjectFacts {
  readonly geofences: ReadonlyMap<string, Geofence>;
  /** Undefined when some event the pattern can match has a field at `path`; otherwise those events, named. */
  missingField(pattern: CompiledPattern, path: string): string | undefined;
}

/** A problem at a JSON path of the rule file. */
export interface KindProblem {
  readonly path: string;
  readonly message: string;
  /** The rule works, perhaps not as meant. */
  readonly warning?: true;
}

/** A message a trigger wants to send; the engine applies cooldown and re-entry. */
export interface Candidate {
  readonly rule: CompiledRule;
  readonly request: MessageRequested;
  /** The state it fell due from (a sequence's checkout, say), for the rules of its exclusive group. */
  readonly stateKey?: string;
}

/** One change of a trigger state: the state to write and the messages it asks for. */
export interface Step {
  readonly state: TriggerState;
  readonly candidates: readonly Candidate[];
}

/** A timer of one trigger instance; the engine adds the rule. */
export interface TimerSpec {
  readonly profileId: string;
  readonly stateKey: string;
  readonly instanceId: string;
  readonly dueAt: number;
}

/** What the engine does for a trigger, for one rule. */
export interface TriggerContext {
  readonly rule: CompiledRule;
  readonly geofences: ReadonlyMap<string, Geofence>;
  /** Reads the (person, rule, key) state, decides, writes it with a version condition; a lost race is decided again. */
  change(profileId: string, stateKey: string, now: number, decide: (state: TriggerState) => Promise<Step>): Promise<Candidate[]>;
  /**
   * An instance whose message is due: outside the send window it waits for the opening (a timer);
   * otherwise, if the rule is active and the person meets its conditions, it is a candidate.
   * Either way it is decided once.
   */
  due(profile: Profile, stateKey: string, instanceId: string, event: Record<string, unknown>, state: TriggerState, now: number): Promise<Step>;
  /** The message now, with no state kept: undefined when the rule is not active or the person does not qualify. */
  request(profile: Profile, instance: string, event: Record<string, unknown>, now: number): Candidate | undefined;
  /** Whether the send window is open for the person now; when not, when it opens. */
  opening(profile: Profile, now: number): number | undefined;
  schedule(timer: TimerSpec): Promise<void>;
  cancel(timer: TimerSpec): Promise<void>;
  /** Every profile, page by page (a recurring rule over a segment). */
  profiles(): AsyncIterable<Profile>;
  /** The person's time zone, or the trigger's, or UTC. */
  zone(profile: Profile): string;
}

export type OnceTimer = Extract<TimerFired, { kind: 'once' }>;
