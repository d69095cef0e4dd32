import { z } from 'zod';
import { Money, Origin, UtcInstant } from './common.js';
import { Interest, Product } from './product.js';

export const source = 'nudge.catalogue';
export const detailType = 'product.price-dropped';
export const version = 1;

/**
 * A variant's price went down (in the same currency). Told to each person who viewed or carted
 * the product lately, as product.back-in-stock is: `dropPercent` lets a rule ask for a real drop.
 */
export const schema = z.object({
  eventId: z.string().min(1),
  occurredAt: UtcInstant,
  origin: Origin,
  properties: z.object({
    productId: z.string().min(1),
    variantId: z.string().min(1),
    product: Product,
    price: Money,
    previousPrice: Money,
    /** How much cheaper, in whole percent of the previous price (rounded down). */
    dropPercent: z.number().int().min(1).max(100),
    interest: Interest.optional(),
  }),
});
export type ProductPriceDropped = z.infer<typeof schema>;
