import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { busDetail } from '../events/bus-detail.js';
import type { Publication } from './bus-publisher.js';

/** Where one-time schedules put their event: the bus, the role Scheduler uses for it, and where failed deliveries go. */
export interface ScheduleTarget {
  readonly groupName: string;
  readonly eventBusArn: string;
  readonly roleArn: string;
  readonly deadLetterQueueArn: string;
}

/** The schedule target a function's environment names (`EnvironmentParts.scheduling`). */
export const scheduleTargetOf = (env: {
  readonly SCHEDULE_GROUP: string;
  readonly EVENT_BUS_ARN: string;
  readonly SCHEDULER_ROLE_ARN: string;
  readonly TIMER_DLQ_ARN: string;
}): ScheduleTarget => ({
  groupName: env.SCHEDULE_GROUP,
  eventBusArn: env.EVENT_BUS_ARN,
  roleArn: env.SCHEDULER_ROLE_ARN,
  deadLetterQueueArn: env.TIMER_DLQ_ARN,
});

/** Scheduler's `at()` takes a date-time to the second, without a zone (UTC is given separately). */
export const atExpression = (dueAt: number) => `at(${new Date(Math.ceil(dueAt / 1000) * 1000).toISOString().slice(0, 19)})`;

/**
 * EventBridge Scheduler one-time schedules that put one event on the bus and delete themselves.
 * Names are the caller's and deterministic: the same name is the same schedule, so creating it
 * twice is harmless and cancelling is a delete by name.
 */
export class BusSchedules {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: ScheduleTarget,
  ) {}

  /** Puts the event on the bus at `dueAt`, checked against its contract now, as the publisher checks it. */
  async create(name: string, dueAt: number, event: Publication): Promise<void> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.target.groupName,
          // Already due (a late report, a retried delivery): as soon as Scheduler can, a minute
          // ahead, as `at()` is not meant for the past. The event keeps its own due time.
          ScheduleExpression: atExpression(Math.max(dueAt, Date.now() + 60_000)),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.target.eventBusArn,
            RoleArn: this.target.roleArn,
            Input: busDetail(event.contract, event.detail),
            EventBridgeParameters: { Source: event.contract.source, DetailType: event.contract.detailType },
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 24 * 3600 },
            DeadLetterConfig: { Arn: this.target.deadLetterQueueArn },
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.target.groupName }));
    } catch (error) {
      // Fired and deleted already, or never made: whoever receives the event re-checks anyway.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}
