import { z } from 'zod';
import { CanonicalEventBase, Money } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'order.refunded';
export const version = 1;

export const schema = CanonicalEventBase.extend({
  properties: z.object({
    orderId: z.string().min(1),
    refundId: z.string().optional(),
    /** The amount refunded by this refund (not the running total). */
    amount: Money.optional(),
  }),
});
export type OrderRefunded = z.infer<typeof schema>;
