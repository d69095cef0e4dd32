/**
 * The one shape of an outcome that can fail in an expected way: a value, or the reason it is not
 * one. Unexpected failures are thrown; of those, a PermanentError says that retrying cannot help.
 */
export type Result<T, E = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = <E>(error: E): Result<never, E> => ({ ok: false, error });

/**
 * A failure that no retry can mend (an event that breaks its contract): the consumer sends it
 * straight to its dead-letter queue with the reason (`PermanentFailures`), and dispatch reports a
 * message it concerns as `message.failed`. A failure a value can say (a template that cannot render
 * this person) is a `Result` instead.
 */
export class PermanentError extends Error {
  constructor(
    readonly reason: string,
    options?: { readonly cause?: unknown },
  ) {
    super(reason, options);
    this.name = new.target.name;
  }
}

export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}
