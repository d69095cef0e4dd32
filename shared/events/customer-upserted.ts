import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'customer.upserted';

export const schema = CanonicalEventBase.extend({
  properties: z.object({
    customerId: z.string().min(1),
    createdAt: z.iso.datetime({ offset: false }).optional(),
  }),
});
export type CustomerUpserted = z.infer<typeof schema>;
