import { z } from 'zod';
import { UtcInstant } from './common.js';

export const source = 'nudge.scheduler';
export const detailType = 'timer.fired';
export const version = 1;

/**
 * Put on the bus by EventBridge Scheduler (locally: the local Scheduler) when a timer is due.
 * One-time timers name the trigger state they belong to; the rules service re-reads that state
 * and does nothing if the sequence completed or was cancelled meanwhile (late cancellations are
 * normal). Recurring timers name only the rule; `dueAt` is the schedule's own time
 * (`<aws.scheduler.scheduled-time>`), so a retried delivery asks for the same messages.
 */
export const schema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('once'),
    ruleId: z.string().min(1),
    profileId: z.string().min(1),
    /** The trigger state's key (a correlation value, a geofence, a date trait); '' for one per person. */
    stateKey: z.string(),
    /** Which instance of the trigger (a sequence's first event, a dwell's entry, a year's birthday). */
    instanceId: z.string().min(1),
    dueAt: UtcInstant,
  }),
  z.object({
    kind: z.literal('recurring'),
    ruleId: z.string().min(1),
    dueAt: z.string().min(1),
  }),
]);
export type TimerFired = z.infer<typeof schema>;
