import { createHash } from 'node:crypto';
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, type SchedulerClient } from '@aws-sdk/client-scheduler';
import * as TimerFired from '../../../shared/events/timer-fired.js';
import type { TimerRef, Timers } from '../triggers.js';

export interface SchedulerTarget {
  readonly groupName: string;
  /** The bus timers put `timer.fired` on, the role Scheduler uses for it, and where failed deliveries go. */
  readonly eventBusArn: string;
  readonly roleArn: string;
  readonly deadLetterQueueArn: string;
}

/**
 * The deterministic name of a timer: the same trigger instance and due time always give the same
 * name, so setting it twice is one schedule and cancelling it is a delete by name.
 * Scheduler names are at most 64 characters of [0-9a-zA-Z-_.].
 */
export function timerName(timer: TimerRef & { readonly dueAt: number }): string {
  const digest = createHash('sha256').update(`${timer.ruleId}|${timer.profileId}|${timer.stateKey}|${timer.instanceId}|${timer.dueAt}`).digest('hex');
  return `t-${timer.ruleId.slice(0, 24)}-${digest.slice(0, 32)}`;
}

/** Scheduler's `at()` takes a local date-time to the second, without a zone (UTC is given separately). */
export const atExpression = (dueAt: number) => `at(${new Date(Math.ceil(dueAt / 1000) * 1000).toISOString().slice(0, 19)})`;

/** One-time EventBridge Scheduler schedules that put `timer.fired` on the bus and delete themselves. */
export class SchedulerTimers implements Timers {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: SchedulerTarget,
  ) {}

  async schedule(timer: TimerRef & { readonly dueAt: number }): Promise<void> {
    const detail: TimerFired.TimerFired = { kind: 'once', ...timer, dueAt: new Date(timer.dueAt).toISOString() };
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: timerName(timer),
          GroupName: this.target.groupName,
          // A timer already due (a late location report's dwell) runs as soon as Scheduler can: a
          // minute ahead, as `at()` is not meant for the past. Its detail keeps the real due time.
          ScheduleExpression: atExpression(Math.max(timer.dueAt, Date.now() + 60_000)),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.target.eventBusArn,
            RoleArn: this.target.roleArn,
            Input: JSON.stringify(detail),
            EventBridgeParameters: { Source: TimerFired.source, DetailType: TimerFired.detailType },
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 24 * 3600 },
            DeadLetterConfig: { Arn: this.target.deadLetterQueueArn },
          },
        }),
      );
    } catch (error) {
      // The same name is the same timer: set before (a retried event), nothing to do.
      if (!(error instanceof ConflictException)) throw error;
    }
  }

  async cancel(timer: TimerRef & { readonly dueAt: number }): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: timerName(timer), GroupName: this.target.groupName }));
    } catch (error) {
      // Fired and deleted already, or never made: a fired timer re-checks state anyway.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}
