import { z } from 'zod';
import { CanonicalEventBase, Money } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'product.viewed';
export const version = 1;

export const schema = CanonicalEventBase.extend({
  properties: z.object({
    productId: z.string().min(1),
    variantId: z.string().optional(),
    sku: z.string().optional(),
    name: z.string().optional(),
    category: z.string().optional(),
    price: Money.optional(),
    url: z.string().optional(),
    /** The product's picture, where the source sends one (Segment's `image_url`): the catalogue keeps it for a Segment-only shop. */
    imageUrl: z.url().optional(),
  }),
});
export type ProductViewed = z.infer<typeof schema>;
