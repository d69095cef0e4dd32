import { createHash } from 'node:crypto';
import type { BusSchedules } from '#shared/adapters/bus-schedule.js';
import * as TimerFired from '#shared/events/timer-fired.js';
import type { TimerRef, Timers } from '../ports.js';

/**
 * The deterministic name of a timer: the same trigger instance and due time always give the same
 * name, so setting it twice is one schedule and cancelling it is a delete by name.
 * Scheduler names are at most 64 characters of [0-9a-zA-Z-_.].
 */
export function timerName(timer: TimerRef): string {
  const digest = createHash('sha256').update(`${timer.ruleId}|${timer.profileId}|${timer.stateKey}|${timer.instanceId}|${timer.dueAt}`).digest('hex');
  return `t-${timer.ruleId.slice(0, 24)}-${digest.slice(0, 32)}`;
}

/** Rule timers as one-time EventBridge Scheduler schedules that put `timer.fired` on the bus. */
export class SchedulerTimers implements Timers {
  constructor(private readonly schedules: BusSchedules) {}

  async schedule(timer: TimerRef): Promise<void> {
    const detail: TimerFired.TimerFired = { kind: 'once', ...timer, dueAt: new Date(timer.dueAt).toISOString() };
    await this.schedules.create(timerName(timer), timer.dueAt, { contract: TimerFired, detail });
  }

  async cancel(timer: TimerRef): Promise<void> {
    await this.schedules.delete(timerName(timer));
  }

  /**
   * A run over every profile at `dueAt` (a broadcast's next wave): its `timer.fired` as a schedule
   * would put it, with the run's time as Scheduler writes it, so a copy of the run (the stack's own
   * schedule for the same wave) shares its campaign cursors. Named for the rule and the time.
   */
  async scheduleRun(run: { readonly ruleId: string; readonly dueAt: number }): Promise<void> {
    const dueAt = new Date(run.dueAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const digest = createHash('sha256').update(`${run.ruleId}|${dueAt}`).digest('hex');
    const detail: TimerFired.TimerFired = { kind: 'recurring', ruleId: run.ruleId, dueAt };
    await this.schedules.create(`w-${run.ruleId.slice(0, 24)}-${digest.slice(0, 32)}`, run.dueAt, { contract: TimerFired, detail });
  }
}
