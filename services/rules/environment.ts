import { z } from 'zod';

/** The rules function's environment: the stack and the local runtime set it from this. */
export const RulesEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  EVENT_BUS_ARN: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  /** The project (rules/, templates/, config/) as bundled beside the code. */
  PROJECT_DIR: z.string().min(1),
  CONFIG_DIR: z.string().min(1).optional(),
  SCHEDULE_GROUP: z.string().min(1),
  SCHEDULER_ROLE_ARN: z.string().min(1),
  TIMER_DLQ_ARN: z.string().min(1),
});
