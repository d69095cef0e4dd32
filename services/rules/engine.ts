import { AsyncLocalStorage } from 'node:async_hooks';
import { nextOpening } from '#shared/calendar.js';
import { now } from '#shared/clock.js';
import type { Decision } from '#shared/decisions.js';
import { matches, unmetConditions } from '#shared/event-pattern/index.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import type { TimerFired } from '#shared/events/timer-fired.js';
import { type Admission, admit, admitToGroup, groupStateId, pickExclusive, stateAfter } from './core/admission.js';
import { requestFor } from './core/message-request.js';
import { type CompiledRule, isActive } from './core/rule.js';
import { RuleIndex } from './core/rule-index.js';
import { decidedInstance, emptyTriggerState, type TriggerState, withDecided } from './core/trigger-state.js';
import type { Candidate, Step, TimerSpec, TriggerContext } from './kinds/kind.js';
import type { ProfileScanScope, RulePorts } from './ports.js';

/** What one profile update or timer comes to, after each rule's cooldown and re-entry. */
export interface Evaluation {
  readonly requests: MessageRequested[];
  readonly refused: { readonly ruleId: string; readonly profileId: string; readonly reason: string }[];
  /** Rules whose message fell due for someone who did not meet their conditions (or outside their active period). */
  readonly unqualified: string[];
  /** Each decision about a person, with its reason, for `nudge why` (not kept for a recurring run's non-qualifiers). */
  readonly trail: Decision[];
}

/** What triggers decided, before cooldown and re-entry. */
export interface Triggered {
  readonly candidates: Candidate[];
  readonly unqualified: string[];
  readonly trail: Decision[];
}

/** What one evaluation learns on its way, across its awaits (evaluations may interleave). */
interface Collector {
  readonly unqualified: string[];
  readonly trail: Decision[];
  /** Whether the people who do not qualify are worth a decision each: not for a recurring run over every profile. */
  readonly explainMisses: boolean;
  /** The event that caused the evaluation, for the waits it calls off. */
  readonly cause: string | undefined;
  /** The evaluation's time: the event's arrival, or the timer's due time. */
  readonly now: number;
}

/** Lost races on one state item before the delivery is failed and retried later. */
const maxSaveAttempts = 5;

/**
 * The rules engine: one for every kind of trigger. For a profile update it finds the rules whose
 * patterns match the event (one index over every pattern of every rule, so cost grows with the
 * rules that could match) and the rules that watch a changed field, and asks each rule's trigger
 * (kinds/) what the update does; for a timer, the trigger it belongs to. What is the same for
 * every kind is here: reading and writing state with a version condition, send windows, the
 * active period, conditions, the message request, and cooldown and re-entry per person.
 */
export class RuleEngine {
  private readonly index: RuleIndex;
  private readonly watching: readonly CompiledRule[];
  private readonly byId: ReadonlyMap<string, CompiledRule>;
  private readonly order: ReadonlyMap<CompiledRule, number>;
  /** One context per rule, made once (the hot path makes none). */
  private readonly contexts = new Map<CompiledRule, TriggerContext>();
  /** What one evaluation found, across its awaits (evaluations may interleave). */
  private readonly collector = new AsyncLocalStorage<Collector>();

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly ports: RulePorts,
  ) {
    const enabled = rules.filter((rule) => rule.rule.enabled);
    this.byId = new Map(rules.map((rule) => [rule.rule.id, rule]));
    this.order = new Map(rules.map((rule, index) => [rule, index]));
    // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator: the unfiltered, always and `>= 0` replacements: a shortcut only: a rule that watches no field never matches a changed one.
    this.watching = enabled.filter((rule) => rule.trigger.watches.length > 0);
    this.index = new RuleIndex(rules);
  }

  rule(ruleId: string): CompiledRule | undefined {
    return this.byId.get(ruleId);
  }

  async onProfileUpdated(update: ProfileUpdated, now: number): Promise<Evaluation> {
    const { candidates, unqualified, trail } = await this.triggered(update, now);
    const admitted = await this.admit(candidates, now);
    return { ...admitted, unqualified, trail: [...trail, ...admitted.trail] };
  }

  async onTimer(timer: TimerFired, scope?: ProfileScanScope): Promise<Evaluation> {
    const { candidates, unqualified, trail } = await this.fired(timer, scope);
    const admitted = await this.admit(candidates, Date.parse(timer.dueAt) || now());
    return { ...admitted, unqualified, trail: [...trail, ...admitted.trail] };
  }

  /** What a profile update does to every rule: timers set or cancelled, and the messages due now (before cooldown and re-entry). */
  async triggered(update: ProfileUpdated, now: number): Promise<Triggered> {
    const matched = new Map<CompiledRule, number[]>();
    for (const { rule, role } of this.index.matching(update.trigger)) {
      const roles = matched.get(rule);
      if (roles === undefined) matched.set(rule, [role]);
      else roles.push(role);
    }
    for (const rule of this.watching) {
      // Stryker disable next-line ArrayDeclaration: a watching trigger reads no roles.
      if (!matched.has(rule) && rule.trigger.watches.some((field) => update.changed.includes(field))) matched.set(rule, []);
    }
    const collector: Collector = { unqualified: [], trail: [], explainMisses: true, cause: update.trigger['detail-type'], now };
    const inOrder = [...matched].sort(([a], [b]) => (this.order.get(a) ?? 0) - (this.order.get(b) ?? 0));
    return this.collector.run(collector, async () => {
      const candidates: Candidate[] = [];
      for (const [rule, roles] of inOrder) candidates.push(...(await rule.trigger.onUpdate(this.contextOf(rule), update, roles, now)));
      return { candidates, unqualified: collector.unqualified, trail: collector.trail };
    });
  }

  /**
   * A due timer: the messages it still stands for (before cooldown and re-entry). The timer's own
   * time is the decision's time. A recurring rule's run goes over every profile, or over the chunk
   * of a scan segment `scope` names (a campaign worker's share).
   */
  async fired(timer: TimerFired, scope?: ProfileScanScope): Promise<Triggered> {
    const now = Date.parse(timer.dueAt);
    const collector: Collector = { unqualified: [], trail: [], explainMisses: timer.kind !== 'recurring', cause: undefined, now };
    const nothing = { candidates: [], unqualified: collector.unqualified, trail: collector.trail };
    const rule = this.byId.get(timer.ruleId);
    if (rule === undefined || !rule.rule.enabled || Number.isNaN(now)) return nothing;
    const whole = this.contextOf(rule);
    const context = scope === undefined ? whole : { ...whole, profiles: () => this.ports.profiles.all(scope) };
    return this.collector.run(collector, async () => {
      if (timer.kind === 'recurring') return { ...nothing, candidates: isActive(rule, now) ? await rule.trigger.onSchedule(context, timer.dueAt, now) : [] };
      const profile = await this.ports.profiles.get(timer.profileId);
      if (profile === undefined) return nothing;
      return { ...nothing, candidates: await rule.trigger.onTimer(context, timer, profile, now) };
    });
  }

  /**
   * Applies each rule's cooldown and re-entry for the person. A write that loses a race is re-read
   * and decided again, so two concurrent triggers cannot both pass a cooldown.
   */
  async admit(candidates: readonly Candidate[], now: number): Promise<Omit<Evaluation, 'unqualified'>> {
    const requests: MessageRequested[] = [];
    const refused: Evaluation['refused'][number][] = [];
    const trail: Decision[] = [];
    const hold = (rule: CompiledRule, request: MessageRequested, reason: 'cooldown' | 'once' | 'exclusive', details?: string[]) => {
      refused.push({ ruleId: rule.rule.id, profileId: request.profileId, reason });
      trail.push({
        profileId: request.profileId,
        ruleId: rule.rule.id,
        kind: 'held',
        at: now,
        reason,
        messageId: request.messageId,
        ...(details ? { details } : {}),
      });
    };
    const { picked, held } = pickExclusive(candidates);
    for (const { rule, request } of held)
      hold(rule, request, 'exclusive', [`group ${rule.exclusive?.group}: a rule of higher priority fired at the same time`]);
    for (const { rule, request, stateKey } of picked) {
      const preferred = await this.higherPriorityWaits(rule, request.context.profile, stateKey, now);
      if (preferred !== undefined) {
        hold(rule, request, 'exclusive', [`group ${rule.exclusive?.group}: ${preferred} has priority and is still due`]);
        continue;
      }
      const admission = await this.admitOne(rule, request.profileId, request.messageId, now);
      if (admission.kind === 'refuse') hold(rule, request, admission.reason);
      else {
        requests.push(request);
        trail.push({
          profileId: request.profileId,
          ruleId: rule.rule.id,
          kind: 'fired',
          at: now,
          messageId: request.messageId,
          details: [`template ${request.template}`],
        });
      }
    }
    return { requests, refused, trail };
  }

  /**
   * Whether a rule of the same exclusive group with a higher priority still waits to decide for
   * this person and the same state (the same checkout): then this one holds, so the shop's
   * preferred message goes even when this one falls due first (an hour before a two-hour one).
   */
  private async higherPriorityWaits(rule: CompiledRule, profile: Profile, stateKey: string | undefined, now: number): Promise<string | undefined> {
    const exclusive = rule.exclusive;
    if (exclusive === undefined) return undefined;
    // Stryker disable next-line ConditionalExpression: the never replacement: a shortcut only: no trigger keeps state under no key, so a sibling would have nothing due.
    if (stateKey === undefined) return undefined;
    for (const sibling of this.rules) {
      if (sibling.exclusive?.group !== exclusive.group || sibling.exclusive.priority <= exclusive.priority || !sibling.rule.enabled) continue;
      const state = await this.ports.states.load(profile.profileId, sibling.rule.id, stateKey);
      const due = Object.values(state?.state.timers ?? {}).filter((dueAt) => dueAt >= now);
      if (due.length === 0) continue;
      // Only a sibling that would send as things stand holds this one: one whose conditions the
      // person meets, that is active then, and that its own cooldown and re-entry would let through.
      // (One that will not send must not leave the person with nothing.)
      const at = Math.min(...due);
      if (!isActive(sibling, at) || (sibling.conditions !== undefined && !matches(sibling.conditions, profile))) continue;
      const fired = (await this.ports.firings.load(profile.profileId, [sibling.rule.id])).get(sibling.rule.id);
      // Stryker disable next-line StringLiteral: the probe's message id only has to differ from every real one.
      if (admit(sibling, fired, '', at).kind === 'refuse') continue;
      return sibling.rule.id;
    }
    return undefined;
  }

  /**
   * One rule's message for one person: its exclusive group first (the state rules of a group race
   * for), then the rule's own cooldown and re-entry. Each write is conditional on what was read; a
   * lost race is read again and decided again.
   */
  private async admitOne(rule: CompiledRule, profileId: string, messageId: string, now: number): Promise<Admission> {
    const ruleId = rule.rule.id;
    const groupId = rule.exclusive === undefined ? undefined : groupStateId(rule.exclusive.group);
    for (let attempt = 0; ; attempt++) {
      // Stryker disable next-line ConditionalExpression: the always-grouped replacement: the store finds nothing for an id it never wrote, so an undefined group loads nothing.
      const states = await this.ports.firings.load(profileId, groupId === undefined ? [ruleId] : [ruleId, groupId]);
      const previous = states.get(ruleId);
      const admission = admit(rule, previous, messageId, now);
      if (admission.kind !== 'admit') return admission;
      if (groupId !== undefined) {
        const previousGroup = states.get(groupId);
        const group = admitToGroup(rule, previousGroup, messageId, now);
        if (group.kind === 'refuse') return group;
        if (
          group.kind === 'admit' &&
          (await this.ports.firings.record(profileId, groupId, previousGroup, stateAfter(previousGroup, messageId, now))) === 'conflict'
        ) {
          // Stryker disable next-line OptionalChaining: a rule with a group state has an exclusive group.
          if (attempt >= maxSaveAttempts) throw new Error(`Firing state of group ${rule.exclusive?.group} for ${profileId} kept changing; retrying later`);
          continue;
        }
      }
      // Stryker disable next-line StringLiteral: a write that went is read again as a repeat of the same message, which is asked for the same way.
      if ((await this.ports.firings.record(profileId, ruleId, previous, stateAfter(previous, messageId, now))) === 'written') return admission;
      if (attempt >= maxSaveAttempts) throw new Error(`Firing state of ${ruleId} for ${profileId} kept changing; retrying later`);
    }
  }

  private contextOf(rule: CompiledRule): TriggerContext {
    let context = this.contexts.get(rule);
    // Stryker disable next-line ConditionalExpression: the always replacement: a cache only: a new context does the same.
    if (context === undefined) {
      context = this.createContext(rule);
      this.contexts.set(rule, context);
    }
    return context;
  }

  /** What the engine does for one rule's trigger. */
  private createContext(rule: CompiledRule): TriggerContext {
    const { ports, collector } = this;
    const ruleId = rule.rule.id;
    const zone = (profile: Profile) => profile.timeZone ?? rule.trigger.timeZone ?? 'UTC';
    const request = (profile: Profile, instance: string, event: Record<string, unknown>, now: number): Candidate | undefined => {
      const active = isActive(rule, now);
      if (active && (rule.conditions === undefined || matches(rule.conditions, profile)))
        return { rule, request: requestFor(rule, profile, instance, event, now) };
      const found = collector.getStore();
      // Stryker disable next-line OptionalChaining: triggers call back only inside an evaluation, which always has a collector.
      found?.unqualified.push(ruleId);
      // Stryker disable next-line OptionalChaining: triggers call back only inside an evaluation, which always has a collector.
      if (found?.explainMisses) {
        // Stryker disable next-line ConditionalExpression: the has-conditions replacement: no conditions leave none unmet either way.
        const unmet = active || rule.conditions === undefined ? unmetConditions(rule.conditions ?? { branches: [] }, profile) : [];
        found.trail.push({
          profileId: profile.profileId,
          ruleId,
          kind: 'not-qualified',
          at: now,
          reason: active ? 'conditions' : 'inactive',
          instanceId: instance,
          ...(unmet.length > 0 ? { details: [`not met: ${unmet.join(', ')}`] } : {}),
        });
      }
      return undefined;
    };
    const waiting = (timer: TimerSpec, reason: 'timer' | 'send-window') => {
      const found = collector.getStore();
      // Stryker disable next-line OptionalChaining: triggers call back only inside an evaluation, which always has a collector.
      found?.trail.push({ profileId: timer.profileId, ruleId, kind: 'waiting', at: found.now, reason, until: timer.dueAt, instanceId: timer.instanceId });
    };
    const opening = (profile: Profile, now: number): number | undefined => {
      const window = rule.rule.sendWindow;
      if (window === undefined) return undefined;
      const at = nextOpening(window, zone(profile), now);
      return at > now ? at : undefined;
    };
    return {
      rule,
      geofences: ports.geofences,
      zone,
      request,
      opening,
      schedule: (timer) => {
        waiting(timer, 'timer');
        return ports.timers.schedule({ ruleId, ...timer });
      },
      cancel: (timer) => {
        const found = collector.getStore();
        // Stryker disable next-line ConditionalExpression: the always replacement: triggers call back only inside an evaluation, which always has a collector.
        if (found !== undefined)
          found.trail.push({
            profileId: timer.profileId,
            ruleId,
            kind: 'cancelled',
            at: found.now,
            until: timer.dueAt,
            instanceId: timer.instanceId,
            ...(found.cause === undefined ? {} : { details: [`by ${found.cause}`] }),
          });
        return ports.timers.cancel({ ruleId, ...timer });
      },
      profiles: () => ports.profiles.all(),
      async change(profileId, stateKey, now, decide) {
        for (let attempt = 1; ; attempt++) {
          const stored = await ports.states.load(profileId, ruleId, stateKey);
          const before = stored?.state ?? emptyTriggerState;
          const { state, candidates } = await decide(before);
          // Stryker disable next-line ArrayDeclaration: a decision that asks for a message always changes the state (the instance is then decided).
          if (state === before) return [...candidates];
          const outcome = await ports.states.save(profileId, ruleId, stateKey, state, stored?.version, now);
          if (outcome === 'written') return [...candidates];
          if (attempt >= maxSaveAttempts) throw new Error(`Trigger state of ${ruleId} for ${profileId} kept changing; retrying later`);
        }
      },
      async due(profile, stateKey, instanceId, event, state: TriggerState, now): Promise<Step> {
        const at = opening(profile, now);
        if (at !== undefined) {
          if (state.timers[instanceId] !== at) {
            const timer = { profileId: profile.profileId, stateKey, instanceId, dueAt: at };
            waiting(timer, 'send-window');
            await ports.timers.schedule({ ruleId, ...timer });
          }
          return { state: { ...state, timers: { ...state.timers, [instanceId]: at } }, candidates: [] };
        }
        const decided = withDecided(state, [instanceId]);
        const candidate = request(profile, decidedInstance(stateKey, instanceId), event, now);
        return { state: decided, candidates: candidate === undefined ? [] : [{ ...candidate, stateKey }] };
      },
    };
  }
}
