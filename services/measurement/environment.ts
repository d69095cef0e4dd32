import { z } from 'zod';
import { EnvironmentParts } from '#shared/config.js';

/** The measurement function's environment: the stack and the local runtime set it from this. */
export const MeasurementEnvironment = z.object({
  TABLE_NAME: z.string().min(3),
  ...EnvironmentParts.project,
  ...EnvironmentParts.consumer,
});
