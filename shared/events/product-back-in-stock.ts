import { z } from 'zod';
import { Origin, UtcInstant } from './common.js';
import { Interest, Product } from './product.js';

export const source = 'nudge.catalogue';
export const detailType = 'product.back-in-stock';
export const version = 1;

/**
 * A variant that had none left can be bought again. The catalogue publishes it once per change;
 * the profiles service then tells it to each person who viewed, carted or asked about the product
 * lately, as the trigger of a profile.updated with `interest` set, so a rule reads it like any event.
 */
export const schema = z.object({
  eventId: z.string().min(1),
  occurredAt: UtcInstant,
  origin: Origin,
  properties: z.object({
    productId: z.string().min(1),
    variantId: z.string().min(1),
    product: Product,
    /** Units available now. */
    inventory: z.number().int().positive(),
    /** How this person showed interest: only in the copy a person's rule sees. */
    interest: Interest.optional(),
  }),
});
export type ProductBackInStock = z.infer<typeof schema>;
