import { z } from 'zod';
import { CanonicalEventBase, LineItem, Money } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'checkout.started';
export const version = 1;

/** A shopper began a checkout (Shopify checkouts/create and update, Segment "Checkout Started"). */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    checkoutId: z.string().min(1),
    cartId: z.string().optional(),
    total: Money.optional(),
    items: z.array(LineItem),
    /** Where the shopper can finish the checkout, for reminders. */
    recoveryUrl: z.string().optional(),
    acceptsMarketing: z.boolean().optional(),
  }),
});
export type CheckoutStarted = z.infer<typeof schema>;
