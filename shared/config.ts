import type { z } from 'zod';

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
