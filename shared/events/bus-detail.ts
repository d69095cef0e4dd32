import type { z } from 'zod';
import type { Contract } from './index.js';

/**
 * Details this process has already checked against their contract with `checkDetail`, so the
 * publisher does not check them a second time on their way out (intake checks first, to answer the
 * sender 400 with the issues). Only `checkDetail`'s own output is in here, so nothing can claim it.
 */
const checkedDetails = new WeakSet<object>();

/** Checks a detail against its contract, as the publisher will; a detail that passes is not checked again when published. */
export function checkDetail<C extends Contract>(contract: C, detail: unknown): z.ZodSafeParseResult<z.output<C['schema']>> {
  const result = contract.schema.safeParse(detail) as z.ZodSafeParseResult<z.output<C['schema']>>;
  if (result.success && typeof result.data === 'object' && result.data !== null) checkedDetails.add(result.data);
  return result;
}

/** A detail as it goes on the bus: checked against its contract (which throws) unless just checked, stamped with the contract's version. */
export function busDetail<C extends Contract>(contract: C, detail: z.input<C['schema']>): string {
  const checked = typeof detail === 'object' && detail !== null && checkedDetails.has(detail) ? detail : contract.schema.parse(detail);
  return JSON.stringify({ ...(checked as object), contractVersion: contract.version });
}

/** The bytes the version stamp adds to a detail's JSON (`,"contractVersion":1`), for measuring it before it is written. */
export const stampBytes = (version: number): number => Buffer.byteLength(`,"contractVersion":${version}`);
