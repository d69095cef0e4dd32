import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'review.submitted';
export const version = 1;

/** A customer reviewed a product: behaviour that earns loyalty without a purchase. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    productId: z.string().optional(),
    reviewId: z.string().optional(),
    /** The rating as given, usually 1 to 5. */
    rating: z.number().optional(),
    body: z.string().optional(),
  }),
});
export type ReviewSubmitted = z.infer<typeof schema>;
