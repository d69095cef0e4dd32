import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'order.delivered';
export const version = 1;

/** The carrier says a shipment reached the customer (Shopify's `delivered` shipment status or fulfillment event): when to ask for a review. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    orderId: z.string().min(1),
    fulfillmentId: z.string().min(1).optional(),
  }),
});
export type OrderDelivered = z.infer<typeof schema>;
