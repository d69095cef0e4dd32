import { z } from 'zod';

/**
 * Parses a service's environment once, at cold start: a missing or malformed variable stops the
 * function there with every problem named, instead of failing on the first event.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return result.data;
}

/** A function's environment as its schema declares it: the stack and the local runtime set it through this, so a variable cannot be missed or misspelt. */
export type EnvironmentOf<S extends z.ZodObject> = { readonly [K in keyof z.input<S>]: string };

export function environmentOf<S extends z.ZodObject>(_schema: S, values: EnvironmentOf<S>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** The parts of an environment several functions share, declared once. */
export const EnvironmentParts = {
  /** A function that reads the project: rules/, templates/ and config/ as bundled beside its code. */
  project: {
    PROJECT_DIR: z.string().min(1),
    CONFIG_DIR: z.string().min(1).optional(),
  },
  /** A bus consumer: its dead-letter queue, where what no retry can mend goes at once. */
  consumer: {
    DEAD_LETTER_QUEUE_URL: z.string().url(),
  },
  /** A function that sets timers: EventBridge Scheduler's group and role, and where undelivered runs go. */
  scheduling: {
    EVENT_BUS_ARN: z.string().min(1),
    SCHEDULE_GROUP: z.string().min(1),
    SCHEDULER_ROLE_ARN: z.string().min(1),
    TIMER_DLQ_ARN: z.string().min(1),
  },
} as const;
