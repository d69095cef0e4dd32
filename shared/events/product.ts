import { z } from 'zod';
import { DecimalString, Money, UtcInstant } from './common.js';

/** A price as a platform's product webhook gives it: Shopify's and WooCommerce's name no currency (config/shops.json does). */
export const ReportedPrice = z.object({ amount: DecimalString, currency: Money.shape.currency.optional() });
export type ReportedPrice = z.infer<typeof ReportedPrice>;

const variantOf = <P extends z.ZodType>(price: P) =>
  z.object({
    variantId: z.string().min(1),
    title: z.string().optional(),
    sku: z.string().optional(),
    price: price.optional(),
    /** The "was" price a shop shows struck through, when it shows one. */
    compareAtPrice: price.optional(),
    /** Units available to sell, where the shop tracks stock; absent when it does not. */
    inventory: z.number().int().optional(),
    /** Shopify's inventory item of the variant: how `inventory_levels/update` names it. */
    inventoryItemId: z.string().min(1).optional(),
  });

/** One variant of a product (a size, a colour): its own price and stock. */
export const ProductVariant = variantOf(Money);
export type ProductVariant = z.infer<typeof ProductVariant>;

const productOf = <P extends z.ZodType>(price: P) =>
  z.object({
    productId: z.string().min(1),
    title: z.string().optional(),
    url: z.url().optional(),
    imageUrl: z.url().optional(),
    category: z.string().optional(),
    tags: z.array(z.string()).default([]),
    /** Only an active product is recommended or announced; a deleted one is kept as such (its orders still name it). */
    status: z.enum(['active', 'draft', 'archived', 'deleted']).default('active'),
    variants: z.array(variantOf(price)).max(2_000).default([]),
    updatedAt: UtcInstant.optional(),
  });

/** What the catalogue knows of a product: what templates show and recommendations choose from. */
export const Product = productOf(Money);
export type Product = z.infer<typeof Product>;

/** A product as a platform reported it: prices perhaps without their currency. */
export const ReportedProduct = productOf(ReportedPrice);
export type ReportedProduct = z.infer<typeof ReportedProduct>;

/**
 * What a person's interest in a product was, in a signal sent to them (`product.back-in-stock`,
 * `product.price-dropped`): how they showed it, when, and how many whole days ago.
 */
export const Interest = z.object({
  kind: z.enum(['viewed', 'carted', 'requested']),
  at: UtcInstant,
  daysAgo: z.number().int().nonnegative(),
});
