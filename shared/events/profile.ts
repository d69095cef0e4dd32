import { z } from 'zod';
import { DecimalString, UtcInstant } from './common.js';

/**
 * The profile as other services see it: what profiles publishes and rules and dispatch read.
 * Trait times (`traitsAt`) let a late, older event lose to a newer one (order independence).
 */
export const Profile = z.object({
  profileId: z.string().min(1),
  email: z.email().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  locale: z.string().optional(),
  timeZone: z.string().optional(),
  orderCount: z.number().int().nonnegative(),
  /** Lifetime revenue per currency, as exact decimals. */
  revenue: z.record(z.string(), DecimalString),
  firstOrderAt: UtcInstant.optional(),
  lastOrderAt: UtcInstant.optional(),
  firstSeenAt: UtcInstant,
  lastSeenAt: UtcInstant,
  traitsAt: z.record(z.string(), UtcInstant),
});
export type Profile = z.infer<typeof Profile>;
