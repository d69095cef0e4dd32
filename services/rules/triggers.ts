import { matches } from '../../shared/event-pattern/index.js';
import { PatternSet } from '../../shared/event-pattern/pattern-set.js';
import type { MessageRequested } from '../../shared/events/message-requested.js';
import type { Profile } from '../../shared/events/profile.js';
import type { ProfileUpdated } from '../../shared/events/profile-updated.js';
import type { TimerFired } from '../../shared/events/timer-fired.js';
import { nextOpening, nextYearly } from './core/calendar.js';
import { requestFor } from './core/evaluate.js';
import { applyReport, type Geofence } from './core/geofence.js';
import type { CompiledRule, CompiledSequence } from './core/rule.js';
import { instancesOf, planSequence, type SeenEvent, withEvent } from './core/sequence.js';
import { emptyTriggerState, type TriggerState, valuesAt, withDecided } from './core/trigger-state.js';

/**
 * Time, place and sequence triggers: what the rules service does with a profile update or a due
 * timer, behind three ports, so the service (DynamoDB, EventBridge Scheduler) and the simulator
 * (memory, a virtual clock) run the same code. Decisions are the pure functions in core/.
 */

export interface TimerRef {
  readonly ruleId: string;
  readonly profileId: string;
  readonly stateKey: string;
  readonly instanceId: string;
}

export interface Timers {
  /** Creates a one-time timer; creating the same timer again is harmless. */
  schedule(timer: TimerRef & { readonly dueAt: number }): Promise<void>;
  /** Deletes a timer; one already fired or gone is no error. */
  cancel(timer: TimerRef & { readonly dueAt: number }): Promise<void>;
}

export interface VersionedState {
  readonly state: TriggerState;
  readonly version: number;
}

export interface TriggerStateStore {
  load(profileId: string, ruleId: string, stateKey: string): Promise<VersionedState | undefined>;
  /** Saves unless someone saved since `version` was read (undefined: the item must not exist). */
  save(profileId: string, ruleId: string, stateKey: string, state: TriggerState, version: number | undefined, now: number): Promise<'saved' | 'conflict'>;
}

export interface ProfileSource {
  get(profileId: string): Promise<Profile | undefined>;
  /** Every profile, page by page (for recurring rules over a segment). */
  all(): AsyncIterable<Profile>;
}

/** A message a trigger wants to send; the caller applies cooldown and re-entry and publishes it. */
export interface Candidate {
  readonly rule: CompiledRule;
  readonly request: MessageRequested;
}

export interface TriggerPorts {
  readonly states: TriggerStateStore;
  readonly timers: Timers;
  readonly profiles: ProfileSource;
  readonly geofences: ReadonlyMap<string, Geofence>;
}

type Role = { readonly rule: CompiledRule; readonly role: 'step'; readonly step: number } | { readonly rule: CompiledRule; readonly role: 'absent' };

const dateStateKey = (trait: string) => `date:${trait}`;
const geofenceStateKey = (id: string) => `geofence:${id}`;
const maxSaveAttempts = 5;

function isActive(rule: CompiledRule, now: number): boolean {
  return rule.rule.enabled && (rule.activeFrom === undefined || now >= rule.activeFrom) && (rule.activeUntil === undefined || now < rule.activeUntil);
}

export class TriggerEngine {
  private readonly roles: PatternSet<Role>;
  private readonly byId: ReadonlyMap<string, CompiledRule>;
  /** The enabled date and place rules, found once: every profile update checks them. */
  private readonly dateRules: readonly CompiledRule[];
  private readonly placeRules: readonly CompiledRule[];

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly ports: TriggerPorts,
  ) {
    this.byId = new Map(rules.map((rule) => [rule.rule.id, rule]));
    this.dateRules = rules.filter((rule) => rule.rule.enabled && rule.trigger.kind === 'date');
    this.placeRules = rules.filter((rule) => rule.rule.enabled && rule.trigger.kind === 'place');
    const entries: { pattern: CompiledRule['triggerPatterns'][number]['pattern']; value: Role }[] = [];
    for (const rule of rules) {
      if (!rule.rule.enabled || rule.trigger.kind !== 'sequence') continue;
      rule.trigger.steps.forEach((step, index) => {
        entries.push({ pattern: step.pattern, value: { rule, role: 'step', step: index } });
      });
      if (rule.trigger.absent) entries.push({ pattern: rule.trigger.absent.pattern, value: { rule, role: 'absent' } });
    }
    this.roles = new PatternSet(entries);
  }

  rule(ruleId: string): CompiledRule | undefined {
    return this.byId.get(ruleId);
  }

  /** What a profile update does to the time, place and sequence rules: timers set or cancelled, messages due now. */
  async onProfileUpdated(update: ProfileUpdated, now: number): Promise<Candidate[]> {
    const candidates: Candidate[] = [];
    const bySequence = new Map<CompiledRule, { steps: number[]; absent: boolean }>();
    for (const role of this.roles.match(update.trigger)) {
      const entry = bySequence.get(role.rule) ?? { steps: [], absent: false };
      if (role.role === 'step') entry.steps.push(role.step);
      else entry.absent = true;
      bySequence.set(role.rule, entry);
    }
    for (const [rule, roles] of bySequence) candidates.push(...(await this.advanceSequence(rule, roles, update, now)));
    for (const rule of this.dateRules) {
      const trait = (rule.trigger as { trait: string }).trait;
      if (update.changed.includes(trait) || update.changed.includes('timeZone')) await this.planDate(rule, update.profile, now);
    }
    if (update.trigger['detail-type'] === 'location.reported') {
      for (const rule of this.placeRules) candidates.push(...(await this.movePlace(rule, update, now)));
    }
    return candidates;
  }

  /** A due timer: re-reads the state it belongs to and asks for the message only if it is still due. */
  async onTimer(timer: TimerFired): Promise<Candidate[]> {
    const rule = this.byId.get(timer.ruleId);
    if (rule === undefined || !rule.rule.enabled) return [];
    if (timer.kind === 'recurring') return this.runRecurring(rule, timer.dueAt);
    // The timer's own time is the decision's time, however late it was delivered.
    const now = Date.parse(timer.dueAt);
    const profile = await this.ports.profiles.get(timer.profileId);
    if (profile === undefined) return [];
    switch (rule.trigger.kind) {
      case 'sequence':
        return this.mutate(rule, timer.profileId, timer.stateKey, now, async (state) => {
          const instances = instancesOf(rule.trigger as CompiledSequence, state.events, now, correlated(rule.trigger as CompiledSequence));
          const instance = instances.find((candidate) => candidate.id === timer.instanceId);
          if (instance === undefined || instance.status !== 'due' || state.decided.includes(instance.id)) return { state, candidates: [] };
          const lastEventId = instance.eventIds.at(-1) as string;
          return this.due(rule, profile, timer.stateKey, instance.id, state.details[lastEventId] ?? {}, state, now);
        });
      case 'date': {
        const trigger = rule.trigger;
        return this.mutate(rule, timer.profileId, timer.stateKey, now, async (state) => {
          const occurrence = dateOccurrence(rule, profile, now - 60_000);
          // The date or time zone changed since this timer was set: a newer timer stands for it.
          if (occurrence === undefined || occurrence.instanceId !== timer.instanceId || state.decided.includes(timer.instanceId))
            return { state, candidates: [] };
          const { state: after, candidates } = await this.due(rule, profile, timer.stateKey, timer.instanceId, { date: trigger.trait }, state, now);
          // Once decided, the next year's occurrence is planned.
          if (after.decided.includes(timer.instanceId)) return { state: await this.scheduleNextDate(rule, profile, after, now), candidates };
          return { state: after, candidates };
        });
      }
      case 'place':
        return this.mutate(rule, timer.profileId, timer.stateKey, now, async (state) => {
          const place = state.place;
          if (place === undefined || !place.inside || place.entryId !== timer.instanceId || state.decided.includes(timer.instanceId))
            return { state, candidates: [] };
          return this.due(rule, profile, timer.stateKey, timer.instanceId, { geofence: timer.stateKey.slice('geofence:'.length) }, state, now);
        });
      case 'event':
        // An event rule's message deferred to its send window.
        return this.mutate(rule, timer.profileId, timer.stateKey, now, async (state) => {
          if (state.decided.includes(timer.instanceId) || state.timers[timer.instanceId] === undefined) return { state, candidates: [] };
          return this.due(rule, profile, timer.stateKey, timer.instanceId, state.details[timer.instanceId] ?? {}, state, now);
        });
      default:
        return [];
    }
  }

  /**
   * An event rule that fired outside its send window: keeps the trigger's detail and sets a timer
   * for the window's opening, where `onTimer` asks for the message.
   */
  async defer(rule: CompiledRule, update: ProfileUpdated, now: number): Promise<void> {
    const instanceId = update.trigger.detail.eventId;
    const dueAt = nextOpening(rule.rule.sendWindow ?? { from: '00:00', to: '00:00' }, zoneOf(rule, update.profile), now);
    await this.mutate(rule, update.profileId, 'deferred', now, async (state) => {
      if (state.decided.includes(instanceId) || state.timers[instanceId] !== undefined) return { state, candidates: [] };
      await this.ports.timers.schedule({ ruleId: rule.rule.id, profileId: update.profileId, stateKey: 'deferred', instanceId, dueAt });
      return {
        state: { ...state, timers: { ...state.timers, [instanceId]: dueAt }, details: { ...state.details, [instanceId]: update.trigger.detail } },
        candidates: [],
      };
    });
  }

  private async advanceSequence(rule: CompiledRule, roles: { steps: number[]; absent: boolean }, update: ProfileUpdated, now: number): Promise<Candidate[]> {
    const sequence = rule.trigger as CompiledSequence;
    const at = Date.parse(update.trigger.detail.occurredAt);
    const eventId = update.trigger.detail.eventId;
    // Which state items the event belongs to: one per correlation value, or the person's one.
    const byKey = new Map<string, { steps: number[]; absent: boolean }>();
    const add = (keys: readonly string[], role: { steps?: number[]; absent?: boolean }) => {
      for (const key of keys) {
        const entry = byKey.get(key) ?? { steps: [], absent: false };
        entry.steps.push(...(role.steps ?? []));
        entry.absent ||= role.absent ?? false;
        byKey.set(key, entry);
      }
    };
    for (const step of roles.steps) {
      const path = sequence.steps[step]?.key;
      add(path === undefined ? [''] : valuesAt(update.trigger, path), { steps: [step] });
    }
    if (roles.absent && sequence.absent) add(sequence.absent.key === undefined ? [''] : valuesAt(update.trigger, sequence.absent.key), { absent: true });
    const lastStep = sequence.steps.length - 1;
    const candidates: Candidate[] = [];
    for (const [key, role] of byKey) {
      const seen: SeenEvent = { id: eventId, at, steps: [...new Set(role.steps)].sort(), absent: role.absent };
      candidates.push(
        ...(await this.mutate(rule, update.profileId, key, now, async (state) => {
          const events = withEvent(state.events, seen);
          const kept = new Set(events.map((event) => event.id));
          const details = Object.fromEntries(Object.entries(state.details).filter(([id]) => kept.has(id)));
          if (seen.steps.includes(lastStep) && kept.has(seen.id)) details[seen.id] = update.trigger.detail;
          const next: TriggerState = { ...state, events, details };
          return this.settleSequence(rule, update.profileId, key, next, update.profile, now);
        })),
      );
    }
    return candidates;
  }

  /** Sets and cancels timers so they match the runs that wait, and asks for the messages due now. */
  private async settleSequence(
    rule: CompiledRule,
    profileId: string,
    key: string,
    state: TriggerState,
    profile: Profile,
    now: number,
  ): Promise<{ state: TriggerState; candidates: Candidate[] }> {
    const sequence = rule.trigger as CompiledSequence;
    const instances = instancesOf(sequence, state.events, now, correlated(sequence));
    const plan = planSequence(instances, new Map(Object.entries(state.timers)), new Set(state.decided), now);
    const timers = { ...state.timers };
    for (const instance of plan.schedule) {
      await this.ports.timers.schedule({ ruleId: rule.rule.id, profileId, stateKey: key, instanceId: instance.id, dueAt: instance.dueAt });
      timers[instance.id] = instance.dueAt;
    }
    for (const id of plan.cancel) {
      await this.ports.timers.cancel({ ruleId: rule.rule.id, profileId, stateKey: key, instanceId: id, dueAt: timers[id] as number });
      delete timers[id];
    }
    let next = withDecided(
      { ...state, timers },
      plan.stale.map((instance) => instance.id),
    );
    const candidates: Candidate[] = [];
    for (const instance of plan.fire) {
      const lastEventId = instance.eventIds.at(-1) as string;
      const outcome = await this.due(rule, profile, key, instance.id, next.details[lastEventId] ?? {}, next, now);
      next = outcome.state;
      candidates.push(...outcome.candidates);
    }
    return { state: next, candidates };
  }

  /**
   * A trigger instance whose message is due: outside the rule's send window it waits for the
   * opening (a timer); otherwise, if the rule is active and the person meets its conditions now,
   * it becomes a message request. Either way it is decided once.
   */
  private async due(
    rule: CompiledRule,
    profile: Profile,
    stateKey: string,
    instanceId: string,
    event: Record<string, unknown>,
    state: TriggerState,
    now: number,
  ): Promise<{ state: TriggerState; candidates: Candidate[] }> {
    const window = rule.rule.sendWindow;
    if (window !== undefined) {
      const opening = nextOpening(window, zoneOf(rule, profile), now);
      if (opening > now) {
        if (state.timers[instanceId] !== opening)
          await this.ports.timers.schedule({ ruleId: rule.rule.id, profileId: profile.profileId, stateKey, instanceId, dueAt: opening });
        return { state: { ...state, timers: { ...state.timers, [instanceId]: opening } }, candidates: [] };
      }
    }
    const decided = withDecided(state, [instanceId]);
    if (!isActive(rule, now) || (rule.conditions !== undefined && !matches(rule.conditions, profile))) return { state: decided, candidates: [] };
    const request = requestFor(rule, profile, `${stateKey}|${instanceId}`, event, new Date(now));
    return { state: decided, candidates: [{ rule, request }] };
  }

  private async planDate(rule: CompiledRule, profile: Profile, now: number): Promise<void> {
    if (rule.trigger.kind !== 'date') return;
    await this.mutate(rule, profile.profileId, dateStateKey(rule.trigger.trait), now, async (state) => ({
      state: await this.scheduleNextDate(rule, profile, state, now),
      candidates: [],
    }));
  }

  /** Keeps exactly one timer: the next occurrence of the date for the person's date and time zone. */
  private async scheduleNextDate(rule: CompiledRule, profile: Profile, state: TriggerState, now: number): Promise<TriggerState> {
    const stateKey = dateStateKey((rule.trigger as { trait: string }).trait);
    const occurrence = dateOccurrence(rule, profile, now);
    const timers = { ...state.timers };
    for (const [instanceId, dueAt] of Object.entries(state.timers)) {
      if (occurrence?.instanceId === instanceId && occurrence.dueAt === dueAt) continue;
      await this.ports.timers.cancel({ ruleId: rule.rule.id, profileId: profile.profileId, stateKey, instanceId, dueAt });
      delete timers[instanceId];
    }
    if (occurrence !== undefined && timers[occurrence.instanceId] === undefined && !state.decided.includes(occurrence.instanceId)) {
      await this.ports.timers.schedule({ ruleId: rule.rule.id, profileId: profile.profileId, stateKey, ...occurrence });
      timers[occurrence.instanceId] = occurrence.dueAt;
    }
    return { ...state, timers };
  }

  private async movePlace(rule: CompiledRule, update: ProfileUpdated, now: number): Promise<Candidate[]> {
    if (rule.trigger.kind !== 'place') return [];
    const trigger = rule.trigger;
    const properties = (update.trigger.detail as { properties?: { latitude?: unknown; longitude?: unknown } }).properties;
    if (typeof properties?.latitude !== 'number' || typeof properties.longitude !== 'number') return [];
    const report = {
      eventId: update.trigger.detail.eventId,
      at: Date.parse(update.trigger.detail.occurredAt),
      latitude: properties.latitude,
      longitude: properties.longitude,
    };
    const candidates: Candidate[] = [];
    for (const fenceId of trigger.geofences) {
      const fence = this.ports.geofences.get(fenceId);
      if (fence === undefined) continue;
      const stateKey = geofenceStateKey(fenceId);
      candidates.push(
        ...(await this.mutate(rule, update.profileId, stateKey, now, async (state) => {
          const { state: place, transition } = applyReport(fence, state.place, report);
          // Someone who was never inside and is outside now needs no state: most reports are far from any store.
          if (state.place === undefined && !place.inside) return { state, candidates: [] };
          let next: TriggerState = { ...state, place };
          if (transition === undefined) return { state: next, candidates: [] };
          const ref = { ruleId: rule.rule.id, profileId: update.profileId, stateKey };
          if (trigger.on === 'dwell') {
            if (transition === 'enter') {
              const dueAt = place.since + (trigger.dwellMillis ?? 0);
              await this.ports.timers.schedule({ ...ref, instanceId: place.entryId as string, dueAt });
              next = { ...next, timers: { ...next.timers, [place.entryId as string]: dueAt } };
            } else {
              const timers = { ...next.timers };
              for (const [instanceId, dueAt] of Object.entries(next.timers)) {
                await this.ports.timers.cancel({ ...ref, instanceId, dueAt });
                delete timers[instanceId];
              }
              next = { ...next, timers };
            }
            return { state: next, candidates: [] };
          }
          if (transition !== trigger.on) return { state: next, candidates: [] };
          return this.due(rule, update.profile, stateKey, report.eventId, { geofence: fenceId, ...update.trigger.detail }, next, now);
        })),
      );
    }
    return candidates;
  }

  private async runRecurring(rule: CompiledRule, scheduledTime: string): Promise<Candidate[]> {
    const now = Date.parse(scheduledTime);
    if (Number.isNaN(now) || !isActive(rule, now)) return [];
    const candidates: Candidate[] = [];
    for await (const profile of this.ports.profiles.all()) {
      if (rule.conditions !== undefined && !matches(rule.conditions, profile)) continue;
      candidates.push({ rule, request: requestFor(rule, profile, `schedule|${scheduledTime}`, { scheduledAt: new Date(now).toISOString() }, new Date(now)) });
    }
    return candidates;
  }

  /** Read, decide, write with a version condition; a lost race is read and decided again. */
  private async mutate(
    rule: CompiledRule,
    profileId: string,
    stateKey: string,
    now: number,
    change: (state: TriggerState) => Promise<{ state: TriggerState; candidates: Candidate[] }>,
  ): Promise<Candidate[]> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.ports.states.load(profileId, rule.rule.id, stateKey);
      const before = stored?.state ?? emptyTriggerState;
      const { state, candidates } = await change(before);
      if (state === before) return candidates;
      const outcome = await this.ports.states.save(profileId, rule.rule.id, stateKey, state, stored?.version, now);
      if (outcome === 'saved') return candidates;
      if (attempt >= maxSaveAttempts) throw new Error(`Trigger state of ${rule.rule.id} for ${profileId} kept changing; retrying later`);
    }
  }
}

function correlated(sequence: CompiledSequence): boolean {
  return sequence.steps.some((step) => step.key !== undefined);
}

function zoneOf(rule: CompiledRule, profile: Profile): string {
  const ruleZone = rule.trigger.kind === 'date' || rule.trigger.kind === 'recurring' ? rule.trigger.timeZone : undefined;
  return profile.timeZone ?? ruleZone ?? 'UTC';
}

function dateOccurrence(rule: CompiledRule, profile: Profile, after: number) {
  if (rule.trigger.kind !== 'date') return undefined;
  const date = rule.trigger.trait === 'birthday' ? profile.birthday : profile.firstOrderAt;
  if (date === undefined) return undefined;
  return nextYearly(date, rule.trigger.at, zoneOf(rule, profile), after, rule.trigger.trait === 'firstOrderAt');
}
