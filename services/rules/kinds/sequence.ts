import { z } from 'zod';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { type CompiledSequence, instancesOf, planSequence, type SeenEvent, withEvent } from '../core/sequence.js';
import { type TriggerState, valuesAt, withDecided } from '../core/trigger-state.js';
import { busFilter, compiledPattern, Duration, durationMillis, EventPath, EventPattern } from './fields.js';
import type {
  BusPattern,
  Candidate,
  CompiledTrigger,
  KindProblem,
  OnceTimer,
  ProjectFacts,
  Step,
  TriggerContext,
  TriggerKind,
  TriggerPattern,
} from './kind.js';

export const SequenceStep = z
  .object({
    event: EventPattern.meta({ description: 'Which customer event is this step.' }),
    key: EventPath.optional().meta({ description: "Where this step's correlation key is, if not at the trigger's `key`." }),
  })
  .strict();

/** `sequence`: steps in order, optionally "and then no B within T" (checkout started, no order within an hour). */
export const SequenceTrigger = z
  .object({
    type: z.literal('sequence'),
    key: EventPath.optional().meta({
      description:
        'Correlates the steps: events count together only if they carry the same value here (the same checkout, product). Omitted: one sequence per person.',
    }),
    steps: z
      .array(SequenceStep)
      .min(1)
      .max(10)
      .meta({ description: 'Events that must happen in this order (by the time they happened, whatever order they arrive in).' }),
    within: Duration.optional().meta({ description: 'All steps must happen within this time of the first.' }),
    absent: z
      .object({
        event: EventPattern.meta({ description: 'The event that must not follow, such as the order for this checkout.' }),
        key: EventPath.optional().meta({ description: "Where its correlation key is, if not at the trigger's `key`." }),
        within: Duration.meta({ description: 'How long after the last step it must stay absent; the message goes then.' }),
      })
      .strict()
      .optional()
      .meta({ description: '"And then no B within T": the rule fires when T has passed after the last step without B.' }),
  })
  .strict();
export type SequenceTrigger = z.infer<typeof SequenceTrigger>;

/**
 * What a sequence does: keeps the events of each correlation value (or of the person) in one
 * state item, and from them (core/sequence.ts, pure) which runs wait, are due or were cancelled;
 * sets and cancels timers to match. Patterns are the steps in order, then the absent event.
 * Also a time trigger's delay after an event: a sequence of one step whose message waits.
 */
export function followsSequence(sequence: CompiledSequence, patterns: readonly TriggerPattern[], feed: readonly BusPattern[]): CompiledTrigger {
  const lastStep = sequence.steps.length - 1;
  const absentRole = sequence.steps.length;

  /** Sets and cancels timers so they match the runs that wait, and asks for the messages due now. */
  async function settle(context: TriggerContext, key: string, state: TriggerState, profile: Profile, now: number): Promise<Step> {
    const instances = instancesOf(sequence, state.events, now);
    const plan = planSequence(instances, new Map(Object.entries(state.timers)), new Set(state.decided), now);
    const timers = { ...state.timers };
    for (const instance of plan.schedule) {
      await context.schedule({ profileId: profile.profileId, stateKey: key, instanceId: instance.id, dueAt: instance.dueAt });
      timers[instance.id] = instance.dueAt;
    }
    for (const id of plan.cancel) {
      await context.cancel({ profileId: profile.profileId, stateKey: key, instanceId: id, dueAt: timers[id] as number });
      delete timers[id];
    }
    let next = withDecided(
      { ...state, timers },
      plan.stale.map((instance) => instance.id),
    );
    const candidates: Candidate[] = [];
    for (const instance of plan.fire) {
      const lastEventId = instance.eventIds.at(-1) as string;
      const outcome = await context.due(profile, key, instance.id, next.details[lastEventId] ?? {}, next, now);
      next = outcome.state;
      candidates.push(...outcome.candidates);
    }
    return { state: next, candidates };
  }

  return {
    patterns,
    watches: [],
    feed,
    waits: true,
    schedule: undefined,
    timeZone: undefined,
    problems: (facts: ProjectFacts): KindProblem[] => [
      ...patterns.flatMap(({ pattern, path, key, keyPath }) => {
        if (key === undefined) return [];
        const missing = facts.missingField(pattern, key);
        return missing === undefined ? [] : [{ path: keyPath ?? path, message: `can never match: ${missing} have no field "${key}" to correlate on` }];
      }),
      ...(patterns.length > 1 && patterns.every(({ key }) => key === undefined) ? uncorrelated(patterns) : []),
    ],
    async onUpdate(context: TriggerContext, update: ProfileUpdated, matched: readonly number[], now: number): Promise<Candidate[]> {
      const at = Date.parse(update.trigger.detail.occurredAt);
      const eventId = update.trigger.detail.eventId;
      // Which state items the event belongs to: one per correlation value, or the person's one.
      const byKey = new Map<string, { steps: number[]; absent: boolean }>();
      for (const role of matched) {
        const path = role === absentRole ? sequence.absent?.key : sequence.steps[role]?.key;
        for (const key of path === undefined ? [''] : valuesAt(update.trigger, path)) {
          const entry = byKey.get(key) ?? { steps: [], absent: false };
          if (role === absentRole) entry.absent = true;
          else entry.steps.push(role);
          byKey.set(key, entry);
        }
      }
      const candidates: Candidate[] = [];
      for (const [key, role] of byKey) {
        const seen: SeenEvent = { id: eventId, at, steps: [...new Set(role.steps)].sort(), absent: role.absent };
        candidates.push(
          ...(await context.change(update.profileId, key, now, async (state) => {
            const events = withEvent(state.events, seen);
            const kept = new Set(events.map((event) => event.id));
            const details = Object.fromEntries(Object.entries(state.details).filter(([id]) => kept.has(id)));
            if (seen.steps.includes(lastStep) && kept.has(seen.id)) details[seen.id] = update.trigger.detail;
            return settle(context, key, { ...state, events, details }, update.profile, now);
          })),
        );
      }
      return candidates;
    },
    onTimer(context: TriggerContext, timer: OnceTimer, profile: Profile, now: number): Promise<Candidate[]> {
      return context.change(timer.profileId, timer.stateKey, now, async (state) => {
        const instance = instancesOf(sequence, state.events, now).find((candidate) => candidate.id === timer.instanceId);
        if (instance === undefined || instance.status !== 'due' || state.decided.includes(instance.id)) return { state, candidates: [] };
        const lastEventId = instance.eventIds.at(-1) as string;
        return context.due(profile, timer.stateKey, instance.id, state.details[lastEventId] ?? {}, state, now);
      });
    },
    onSchedule: async () => [],
  };
}

/**
 * Events a person may have several of at once, each followed on its own by its id: a sequence that
 * starts on one without a key is one sequence per person, seldom what is meant. (A win-back, order
 * then no order, is rightly one per person.)
 */
const usualKeys: Readonly<Record<string, string>> = {
  'checkout.started': 'detail.properties.checkoutId',
  'cart.updated': 'detail.properties.cartId',
};

function uncorrelated(patterns: readonly TriggerPattern[]): KindProblem[] {
  const firstType = patterns[0]?.pattern.branches[0]?.find((condition) => condition.path === 'detail-type')?.tests[0];
  const suggested = firstType?.kind === 'string' ? usualKeys[firstType.value] : undefined;
  if (firstType?.kind !== 'string' || suggested === undefined) return [];
  return [
    {
      path: 'trigger',
      warning: true,
      message: `no "key": each person has one sequence at a time, so a second ${firstType.value} joins the first instead of starting its own; to follow each on its own, add "key": "${suggested}"`,
    },
  ];
}

/** The feed alternative of a pattern that moves a stateful trigger on: any person, any profile. */
export const onTrigger = (event: EventPattern): BusPattern => busFilter({ detail: { trigger: event } }) ?? {};

export const sequenceKind: TriggerKind<SequenceTrigger> = {
  type: 'sequence',
  compile(spec) {
    const steps = spec.steps.map((step) => ({ pattern: compiledPattern(step.event), key: step.key ?? spec.key }));
    const absent = spec.absent && {
      pattern: compiledPattern(spec.absent.event),
      key: spec.absent.key ?? spec.key,
      withinMillis: durationMillis(spec.absent.within),
    };
    const sequence: CompiledSequence = {
      steps,
      withinMillis: spec.within === undefined ? undefined : durationMillis(spec.within),
      absent,
      dueAfterMillis: absent?.withinMillis ?? 0,
    };
    // A key written once for the whole trigger is reported there.
    const keyPath = (own: string | undefined, at: string) => (own === undefined ? 'trigger.key' : `${at}.key`);
    const patterns: TriggerPattern[] = [
      ...steps.map((step, index) => ({
        path: `trigger.steps.${index}.event`,
        pattern: step.pattern,
        key: step.key,
        keyPath: keyPath(spec.steps[index]?.key, `trigger.steps.${index}`),
      })),
      ...(absent ? [{ path: 'trigger.absent.event', pattern: absent.pattern, key: absent.key, keyPath: keyPath(spec.absent?.key, 'trigger.absent') }] : []),
    ];
    const feed = [...spec.steps.map((step) => onTrigger(step.event)), ...(spec.absent ? [onTrigger(spec.absent.event)] : [])];
    return followsSequence(sequence, patterns, feed);
  },
};
