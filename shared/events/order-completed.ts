import { z } from 'zod';
import { CanonicalEventBase, Money } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'order.completed';

const OrderItem = z.object({
  productId: z.string().optional(),
  variantId: z.string().optional(),
  sku: z.string().optional(),
  name: z.string(),
  quantity: z.number().int().nonnegative(),
  price: Money,
});

export const schema = CanonicalEventBase.extend({
  properties: z.object({
    orderId: z.string().min(1),
    orderNumber: z.string().optional(),
    total: Money,
    subtotal: Money.optional(),
    discount: Money.optional(),
    items: z.array(OrderItem),
    checkoutId: z.string().optional(),
    cartId: z.string().optional(),
    acceptsMarketing: z.boolean().optional(),
  }),
});
export type OrderCompleted = z.infer<typeof schema>;
