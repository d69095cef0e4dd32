import { z } from 'zod';

/** The intake function's environment: the stack and the local runtime set it from this. */
export const IntakeEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  WEBHOOK_SECRETS_ID: z.string().min(1),
  UNSUBSCRIBE_KEY_ID: z.string().min(1),
});
