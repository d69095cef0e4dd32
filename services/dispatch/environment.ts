import { z } from 'zod';

/** The dispatch function's environment: the stack and the local runtime set it from this. */
export const DispatchEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  EVENT_BUS_ARN: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  /** The project (rules/, templates/, config/) as bundled beside the code. */
  PROJECT_DIR: z.string().min(1),
  CONFIG_DIR: z.string().min(1).optional(),
  SENDER_ADDRESS: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  SCHEDULE_GROUP: z.string().min(1),
  SCHEDULER_ROLE_ARN: z.string().min(1),
  TIMER_DLQ_ARN: z.string().min(1),
  PUBLIC_URL: z.string().url(),
  UNSUBSCRIBE_KEY_ID: z.string().min(1),
  OUTGOING_WEBHOOK_KEY_ID: z.string().min(1),
});

/** The SES feedback function's environment. */
export const SesFeedbackEnvironment = z.object({ EVENT_BUS_NAME: z.string().min(1), TABLE_NAME: z.string().min(3) });
