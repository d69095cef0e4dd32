import { z } from 'zod';

/** The measurement function's environment: the stack and the local runtime set it from this. */
export const MeasurementEnvironment = z.object({
  TABLE_NAME: z.string().min(3),
  /** The project (rules/, templates/, config/) as bundled beside the code. */
  PROJECT_DIR: z.string().min(1),
  CONFIG_DIR: z.string().min(1).optional(),
});
