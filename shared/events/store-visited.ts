import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'store.visited';
export const version = 1;

/** A shopper was seen in a store (an in-store beacon or a check-in in the app). */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    storeId: z.string().min(1),
  }),
});
export type StoreVisited = z.infer<typeof schema>;
