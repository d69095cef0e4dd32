import { z } from 'zod';
import { EnvironmentParts } from '#shared/config.js';

/** The profiles function's environment: the stack and the local runtime set it from this. */
export const ProfilesEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  ...EnvironmentParts.project,
  ...EnvironmentParts.consumer,
});

/** The data-subject function's environment (export and erasure). */
export const ProfilesAdminEnvironment = z.object({ TABLE_NAME: z.string().min(3) });
