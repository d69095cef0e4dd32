import { z } from 'zod';
import { CanonicalEventBase, LineItem } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'order.fulfilled';
export const version = 1;

/** Some or all of an order left the shop (Shopify fulfillment `success`, WooCommerce `completed`): what went, and how to follow it. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    orderId: z.string().min(1),
    /** The platform's shipment, when an order ships in several. */
    fulfillmentId: z.string().min(1).optional(),
    items: z.array(LineItem).default([]),
    trackingCompany: z.string().optional(),
    trackingNumber: z.string().optional(),
    trackingUrl: z.url().optional(),
  }),
});
export type OrderFulfilled = z.infer<typeof schema>;
