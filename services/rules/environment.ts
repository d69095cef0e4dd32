import { z } from 'zod';
import { EnvironmentParts } from '#shared/config.js';

/** The rules function's environment: the stack and the local runtime set it from this. */
export const RulesEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  ...EnvironmentParts.project,
  ...EnvironmentParts.consumer,
  ...EnvironmentParts.scheduling,
});
