import { z } from 'zod';
import { CanonicalEventBase, Money } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'order.cancelled';
export const version = 1;

export const schema = CanonicalEventBase.extend({
  properties: z.object({
    orderId: z.string().min(1),
    orderNumber: z.string().optional(),
    reason: z.string().optional(),
    total: Money.optional(),
  }),
});
export type OrderCancelled = z.infer<typeof schema>;
