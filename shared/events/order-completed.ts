import { z } from 'zod';
import { CanonicalEventBase, LineItem, Money } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'order.completed';
export const version = 1;

export const schema = CanonicalEventBase.extend({
  properties: z.object({
    orderId: z.string().min(1),
    orderNumber: z.string().optional(),
    /** Absent only while the event awaits enrichment (see needsEnrichment). */
    total: Money.optional(),
    /** What the customer paid, in the currency they paid in, whenever the platform tells it (also when it is the shop's). */
    presentmentTotal: Money.optional(),
    subtotal: Money.optional(),
    discount: Money.optional(),
    items: z.array(LineItem),
    checkoutId: z.string().optional(),
    cartId: z.string().optional(),
    acceptsMarketing: z.boolean().optional(),
    /** Where the shopper sees the order's status (Shopify's order status page), for the thank-you email. */
    statusUrl: z.url().optional(),
  }),
});
export type OrderCompleted = z.infer<typeof schema>;
