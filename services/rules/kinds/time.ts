import { z } from 'zod';
import { localDateTimePattern, localMoment, nextYearly, waveInstants } from '#shared/calendar.js';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { nextRun, parseCron, runsInSkippedHours } from '../core/cron.js';
import type { TriggerState } from '../core/trigger-state.js';
import { compiledPattern, Duration, durationMillis, EventPattern, isTimeZone, LocalTime } from './fields.js';
import type { Candidate, CompiledTrigger, OnceTimer, RunSchedule, TriggerContext, TriggerKind } from './kind.js';
import { followsSequence, onTrigger } from './sequence.js';

/** `time`: a delay after an event, a yearly date of the profile, a recurring schedule, or a one-off broadcast. */
export const TimeTrigger = z
  .object({
    type: z.literal('time'),
    after: z.object({ event: EventPattern }).strict().optional().meta({ description: 'A delay after an event: fires `delay` after each matching event.' }),
    delay: Duration.optional(),
    date: z
      .enum(['birthday', 'firstOrderAt'])
      .optional()
      .meta({ description: "Yearly on a date of the profile (29 February: on 28 February in other years), at `at` in the profile's time zone." }),
    at: LocalTime.optional(),
    cron: z
      .string()
      .optional()
      .meta({ description: 'A recurring schedule over every profile that meets the conditions, as EventBridge Scheduler writes it: "cron(0 9 ? * MON *)".' }),
    once: z.string().regex(localDateTimePattern, 'a local date and time without offset, such as "2026-11-27T09:00"').optional().meta({
      description:
        'A one-off broadcast to every profile that meets the conditions, at this local date and time (YYYY-MM-DDTHH:MM) in each person\'s time zone (else `timeZone`, else UTC): "2026-11-27T09:00".',
    }),
    timeZone: z
      .string()
      .optional()
      .meta({ description: 'The IANA time zone of `cron`, such as "Europe/Berlin"; also the fallback for profiles without one (dates, broadcasts).' }),
  })
  .strict()
  .superRefine((trigger, context) => {
    const forms = [
      trigger.after !== undefined || trigger.delay !== undefined,
      trigger.date !== undefined,
      trigger.cron !== undefined,
      trigger.once !== undefined,
    ].filter(Boolean).length;
    if (forms !== 1) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'a time trigger is one of: "after" with "delay", "date" with "at", "cron" with "timeZone", or "once"',
      });
      return;
    }
    if (trigger.once !== undefined && localMoment(trigger.once, 'UTC') === undefined)
      context.addIssue({ code: 'custom', path: ['once'], message: `"${trigger.once}" is no date: use a real one, such as "2026-11-27T09:00"` });
    if ((trigger.after === undefined) !== (trigger.delay === undefined))
      context.addIssue({ code: 'custom', path: [trigger.after ? 'delay' : 'after'], message: '"after" and "delay" go together' });
    if (trigger.date !== undefined && trigger.at === undefined)
      context.addIssue({ code: 'custom', path: ['at'], message: 'say at what local time, such as "09:00"' });
    if (trigger.cron !== undefined && trigger.timeZone === undefined)
      context.addIssue({ code: 'custom', path: ['timeZone'], message: 'a cron schedule needs its time zone, such as "Europe/Berlin"' });
    if (trigger.timeZone !== undefined && !isTimeZone(trigger.timeZone)) {
      context.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown time zone "${trigger.timeZone}"; use an IANA name such as "America/New_York"` });
      return;
    }
    if (trigger.cron !== undefined) {
      const parsed = parseCron(trigger.cron);
      if (!parsed.ok) {
        context.addIssue({ code: 'custom', path: ['cron'], message: parsed.error });
        return;
      }
      const skipped = runsInSkippedHours(parsed.value, trigger.timeZone ?? 'UTC', Date.now());
      if (skipped.length > 0) {
        context.addIssue({
          code: 'custom',
          path: ['cron'],
          message: `runs in the hour daylight saving skips in ${trigger.timeZone} (${skipped.slice(0, 2).join(', ')} local), where EventBridge Scheduler skips the run; choose a time outside it`,
        });
      }
    }
  });
export type TimeTrigger = z.infer<typeof TimeTrigger>;

/** The first run of a schedule after `after`: the cron's next in its zone, or the broadcast's next wave. */
export function nextRunOf(schedule: RunSchedule, after: number): number | undefined {
  if ('waves' in schedule) return schedule.waves.find((wave) => wave > after);
  const cron = parseCron(schedule.cron);
  return cron.ok ? nextRun(cron.value, schedule.timeZone, after) : undefined;
}

/** The wave of a broadcast after the one at `after`; none for a recurring schedule or after the last wave. */
export function nextWave(schedule: RunSchedule | undefined, after: number): number | undefined {
  return schedule !== undefined && 'waves' in schedule ? nextRunOf(schedule, after) : undefined;
}

const noEvents = { patterns: [], problems: () => [], onUpdate: async () => [] } as const;

/**
 * A yearly date of the profile: one state item per date, holding exactly one timer, the next
 * occurrence for the person's date and time zone. Planned again when either changes, and once
 * an occurrence is decided.
 */
function yearly(trait: 'birthday' | 'firstOrderAt', at: string, timeZone: string | undefined): CompiledTrigger {
  const stateKey = `date:${trait}`;
  const occurrence = (context: TriggerContext, profile: Profile, after: number) => {
    const date = trait === 'birthday' ? profile.birthday : profile.firstOrderAt;
    return date === undefined ? undefined : nextYearly(date, at, context.zone(profile), after, trait === 'firstOrderAt');
  };
  /** Keeps exactly one timer: the next occurrence. */
  async function plan(context: TriggerContext, profile: Profile, state: TriggerState, now: number): Promise<TriggerState> {
    const next = occurrence(context, profile, now);
    const timers = { ...state.timers };
    for (const [instanceId, dueAt] of Object.entries(state.timers)) {
      if (next?.instanceId === instanceId && next.dueAt === dueAt) continue;
      await context.cancel({ profileId: profile.profileId, stateKey, instanceId, dueAt });
      delete timers[instanceId];
    }
    if (next !== undefined && timers[next.instanceId] === undefined && !state.decided.includes(next.instanceId)) {
      await context.schedule({ profileId: profile.profileId, stateKey, ...next });
      timers[next.instanceId] = next.dueAt;
    }
    return { ...state, timers };
  }
  return {
    ...noEvents,
    watches: [trait, 'timeZone'],
    // The next date is planned when the date or the person's time zone changes.
    feed: [{ detail: { changed: [trait, 'timeZone'] } }],
    waits: true,
    schedule: undefined,
    timeZone,
    async onUpdate(context: TriggerContext, update: ProfileUpdated, _matched, now: number): Promise<Candidate[]> {
      return context.change(update.profileId, stateKey, now, async (state) => ({ state: await plan(context, update.profile, state, now), candidates: [] }));
    },
    onTimer(context: TriggerContext, timer: OnceTimer, profile: Profile, now: number): Promise<Candidate[]> {
      return context.change(timer.profileId, timer.stateKey, now, async (state) => {
        const current = occurrence(context, profile, now - 60_000);
        // The date or time zone changed since this timer was set: a newer timer stands for it.
        if (current === undefined || current.instanceId !== timer.instanceId || state.decided.includes(timer.instanceId)) return { state, candidates: [] };
        const { state: after, candidates } = await context.due(profile, timer.stateKey, timer.instanceId, { date: trait }, state, now);
        // Once decided, the next year's occurrence is planned.
        if (after.decided.includes(timer.instanceId)) return { state: await plan(context, profile, after, now), candidates };
        return { state: after, candidates };
      });
    },
    onSchedule: async () => [],
  };
}

/**
 * A one-off broadcast at a local date and time in each person's zone: one run over every profile
 * at each instant that local time comes round somewhere (its waves), each messaging the people
 * whose own moment it is. The instance is the broadcast's, not the wave's, so a person is asked for
 * one message whichever wave finds them (one whose zone changed between waves gets the same id).
 */
function broadcast(once: string, timeZone: string | undefined): CompiledTrigger {
  // Worked out when first asked (20 to 90 ms over every time zone), not at every cold start of every
  // service that loads the rules.
  let computed: readonly number[] | undefined;
  const waves = (): readonly number[] => {
    computed ??= waveInstants(once);
    return computed;
  };
  /** The wave a person belongs to: the one at their moment (a zone no wave was made for: the first wave after it, else the last). */
  const waveOf = (zone: string): number | undefined => {
    const moment = localMoment(once, zone) ?? localMoment(once, timeZone ?? 'UTC');
    return moment === undefined ? undefined : (waves().find((wave) => wave >= moment) ?? waves().at(-1));
  };
  return {
    ...noEvents,
    watches: [],
    feed: [],
    waits: true,
    schedule: {
      get waves() {
        return waves();
      },
    },
    timeZone,
    onTimer: async () => [],
    async onSchedule(context: TriggerContext, scheduledAt: string, now: number): Promise<Candidate[]> {
      const wave = Date.parse(scheduledAt);
      const candidates: Candidate[] = [];
      for await (const profile of context.profiles()) {
        if (waveOf(context.zone(profile)) !== wave) continue;
        const candidate = context.request(profile, `broadcast|${once}`, { broadcastAt: once, scheduledAt: new Date(now).toISOString() }, now);
        if (candidate !== undefined) candidates.push(candidate);
      }
      return candidates;
    },
  };
}

/** A recurring schedule: at each run, a message to every profile that meets the conditions. */
function recurring(cron: string, timeZone: string): CompiledTrigger {
  return {
    ...noEvents,
    watches: [],
    feed: [],
    waits: true,
    schedule: { cron, timeZone },
    timeZone,
    onTimer: async () => [],
    async onSchedule(context: TriggerContext, scheduledAt: string, now: number): Promise<Candidate[]> {
      const candidates: Candidate[] = [];
      for await (const profile of context.profiles()) {
        const candidate = context.request(profile, `schedule|${scheduledAt}`, { scheduledAt: new Date(now).toISOString() }, now);
        if (candidate !== undefined) candidates.push(candidate);
      }
      return candidates;
    },
  };
}

export const timeKind: TriggerKind<TimeTrigger> = {
  type: 'time',
  compile(spec) {
    if (spec.after && spec.delay) {
      const pattern = compiledPattern(spec.after.event);
      return followsSequence(
        { steps: [{ pattern, key: undefined }], withinMillis: undefined, absent: undefined, dueAfterMillis: durationMillis(spec.delay) },
        [{ path: 'trigger.after.event', pattern }],
        [onTrigger(spec.after.event)],
      );
    }
    if (spec.date && spec.at) return yearly(spec.date, spec.at, spec.timeZone);
    if (spec.once !== undefined) return broadcast(spec.once, spec.timeZone);
    return recurring(spec.cron ?? '', spec.timeZone ?? 'UTC');
  },
};
