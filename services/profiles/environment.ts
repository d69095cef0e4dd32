import { z } from 'zod';

/** The profiles function's environment: the stack and the local runtime set it from this. */
export const ProfilesEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  /** The project (rules/, templates/, config/) as bundled beside the code. */
  PROJECT_DIR: z.string().min(1),
  CONFIG_DIR: z.string().min(1).optional(),
});

/** The data-subject function's environment (export and erasure). */
export const ProfilesAdminEnvironment = z.object({ TABLE_NAME: z.string().min(3) });
