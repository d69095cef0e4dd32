import type { z } from 'zod';
import * as CustomerUpserted from './customer-upserted.js';
import * as MessageFailed from './message-failed.js';
import * as MessageRequested from './message-requested.js';
import * as MessageSent from './message-sent.js';
import * as MessageSuppressed from './message-suppressed.js';
import * as OrderCompleted from './order-completed.js';
import * as ProfileUpdated from './profile-updated.js';

/** An event contract: where it comes from, what it is called, and the schema of its detail. */
export interface Contract<S extends z.ZodType = z.ZodType> {
  readonly source: string;
  readonly detailType: string;
  readonly schema: S;
}

export { CustomerUpserted, MessageFailed, MessageRequested, MessageSent, MessageSuppressed, OrderCompleted, ProfileUpdated };

/** Canonical customer events: what intake publishes and profiles consumes. */
export type CustomerEventContract = typeof OrderCompleted | typeof CustomerUpserted;
export const customerEvents: readonly CustomerEventContract[] = [OrderCompleted, CustomerUpserted];

/** Every event on the bus, for the catalogue in the README and for tests. */
export const catalogue: readonly Contract[] = [...customerEvents, ProfileUpdated, MessageRequested, MessageSent, MessageSuppressed, MessageFailed];

export function contractFor(source: string, detailType: string): Contract | undefined {
  return catalogue.find((contract) => contract.source === source && contract.detailType === detailType);
}
