import { z } from 'zod';
import { EnvironmentParts } from '#shared/config.js';

/** The dispatch function's environment: the stack and the local runtime set it from this. */
export const DispatchEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  ...EnvironmentParts.project,
  ...EnvironmentParts.consumer,
  ...EnvironmentParts.scheduling,
  SENDER_ADDRESS: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  PUBLIC_URL: z.string().url(),
  UNSUBSCRIBE_KEY_ID: z.string().min(1),
  OUTGOING_WEBHOOK_KEY_ID: z.string().min(1),
});

/** The SES feedback function's environment. */
export const SesFeedbackEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  ...EnvironmentParts.consumer,
});
