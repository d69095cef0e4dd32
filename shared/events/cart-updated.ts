import { z } from 'zod';
import { CanonicalEventBase, LineItem, Money } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'cart.updated';
export const version = 1;

/** A cart was created or changed; `items` is the whole cart after the change, unless `change` says otherwise. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    /** Absent when the sender does not name the cart (Segment "Product Added" may not). */
    cartId: z.string().min(1).optional(),
    items: z.array(LineItem),
    total: Money.optional(),
    /** The cart became an order (BigCommerce store/cart/converted). */
    converted: z.boolean().optional(),
    /** The platform itself judged the cart abandoned (BigCommerce store/cart/abandoned). */
    abandoned: z.boolean().optional(),
    /** What changed, when the sender says (Segment "Product Added" and "Product Removed"); then `items` holds only those products. */
    change: z.enum(['added', 'removed']).optional(),
  }),
});
export type CartUpdated = z.infer<typeof schema>;
