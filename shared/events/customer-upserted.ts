import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'customer.upserted';
export const version = 1;

export const schema = CanonicalEventBase.extend({
  properties: z.object({
    /** The platform's customer id; absent for a Segment identify or alias, which name users by their keys only. */
    customerId: z.string().min(1).optional(),
    createdAt: z.iso.datetime({ offset: false }).optional(),
  }),
});
export type CustomerUpserted = z.infer<typeof schema>;
