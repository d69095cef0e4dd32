import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'referral.completed';
export const version = 1;

/** Someone this customer referred became a customer: the referrer earns loyalty. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    referralId: z.string().optional(),
    /** The new customer, as the sender identifies them (email or id). */
    referredCustomer: z.string().optional(),
  }),
});
export type ReferralCompleted = z.infer<typeof schema>;
