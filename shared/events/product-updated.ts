import { z } from 'zod';
import { Enrichment, Origin, UtcInstant } from './common.js';
import { ReportedProduct } from './product.js';

export const source = 'nudge.intake';
export const detailType = 'product.updated';
export const version = 1;

/**
 * A shop changed its catalogue: a product was created or updated (the whole product, as the
 * platform sends it), deleted, or the stock of one inventory item at one location changed
 * (Shopify's `inventory_levels/update`, which names the item, not the product). The catalogue
 * keeps the newest of each and tells what the change means for shoppers: back in stock, price dropped.
 */
export const schema = z.object({
  eventId: z.string().min(1),
  occurredAt: UtcInstant,
  receivedAt: UtcInstant,
  origin: Origin,
  change: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('product'), product: ReportedProduct }),
    z.object({ kind: z.literal('deleted'), productId: z.string().min(1) }),
    z.object({
      kind: z.literal('inventory-level'),
      inventoryItemId: z.string().min(1),
      locationId: z.string().min(1),
      /** Units available at that location; null when the item stopped being stocked there. */
      available: z.number().int().nullable(),
    }),
  ]),
  /** A thin change (BigCommerce names the product only): enrichment reads the whole product, then the catalogue keeps it. */
  needsEnrichment: Enrichment.optional(),
});
export type ProductUpdated = z.infer<typeof schema>;
