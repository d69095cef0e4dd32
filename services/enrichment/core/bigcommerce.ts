import { z } from 'zod';
import type { LineItem, Money } from '#shared/events/common.js';
import type { ReportedProduct } from '#shared/events/product.js';
import { decimalFromNumber } from '#shared/money.js';
import { webUrl } from '#shared/web-url.js';

/**
 * BigCommerce's REST answers, read loosely (a field Nudge cannot read is left out, never the
 * event), and what each adds to a thin event: the person, the items and the money.
 */

const Id = z.union([z.number(), z.string()]);
const Amount = z.union([z.string(), z.number()]).nullish();

const Address = z
  .object({
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    email: z.string().nullish(),
    phone: z.string().nullish(),
    country_iso2: z.string().nullish(),
    city: z.string().nullish(),
  })
  .nullish()
  .catch(undefined);

export const BigCommerceOrder = z.object({
  id: Id,
  customer_id: Id.nullish(),
  date_created: z.string().nullish(),
  status_id: z.number().nullish(),
  total_inc_tax: Amount,
  subtotal_inc_tax: Amount,
  discount_amount: Amount,
  refunded_amount: Amount,
  currency_code: z.string().nullish(),
  default_currency_code: z.string().nullish(),
  cart_id: z.string().nullish(),
  customer_locale: z.string().nullish(),
  billing_address: Address,
});
export type BigCommerceOrder = z.infer<typeof BigCommerceOrder>;

export const BigCommerceOrderProduct = z.object({
  product_id: Id.nullish(),
  variant_id: Id.nullish(),
  name: z.string().nullish(),
  sku: z.string().nullish(),
  quantity: z.number().int().nonnegative().catch(1),
  price_inc_tax: Amount,
  base_price: Amount,
});

export const BigCommerceCart = z.object({
  data: z.object({
    id: z.string(),
    customer_id: Id.nullish(),
    email: z.string().nullish(),
    currency: z.object({ code: z.string().nullish() }).nullish(),
    cart_amount: Amount,
    line_items: z
      .object({
        physical_items: z.array(z.unknown()).nullish(),
        digital_items: z.array(z.unknown()).nullish(),
      })
      .nullish(),
  }),
});

const CartItem = z.object({
  product_id: Id.nullish(),
  variant_id: Id.nullish(),
  sku: z.string().nullish(),
  name: z.string().nullish(),
  quantity: z.number().int().nonnegative().catch(1),
  sale_price: Amount,
  list_price: Amount,
  image_url: z.string().nullish(),
});

export const BigCommerceCustomers = z.object({
  data: z.array(
    z.object({
      id: Id,
      email: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
      phone: z.string().nullish(),
      date_created: z.string().nullish(),
    }),
  ),
});

const idText = (id: string | number | null | undefined) => (id === null || id === undefined || String(id) === '' ? undefined : String(id));
const text = (value: string | null | undefined) => (value === null || value === undefined || value.trim() === '' ? undefined : value.trim());

function money(amount: unknown, currency: string | null | undefined): Money | undefined {
  const decimal = decimalFromNumber(amount);
  if (decimal === undefined || currency === null || currency === undefined || !/^[A-Z]{3}$/.test(currency)) return undefined;
  // BigCommerce writes four decimals ("225.0000"): the money is the same with two.
  return { amount: decimal.replace(/^(-?\d+\.\d\d)0+$/, '$1').replace(/^(-?\d+)\.0+$/, '$1.00'), currency };
}

/** A web address a shopper can open, or nothing. */

/** An RFC 2822 date ("Tue, 20 Nov 2012 00:00:00 +0000", as the v2 API writes them) or ISO 8601, as UTC. */
export function utcOf(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** What enrichment adds to an event: keys, traits and properties, merged over the thin event's. */
export interface Enriched {
  readonly identity: Record<string, string>;
  readonly traits: Record<string, string>;
  readonly properties: Record<string, unknown>;
}

/** BigCommerce names a guest by customer id 0: a real customer id is above it. */
const customerKey = (store: string, id: string | number | null | undefined): Record<string, string> => {
  const value = idText(id);
  return value === undefined || value === '0' ? {} : { customerId: `bigcommerce:${store}:${value}` };
};

/** An email as a key: lower case, and only if it is one. */
const emailKey = (value: string | null | undefined): Record<string, string> => {
  const email = text(value)?.toLowerCase();
  return email !== undefined && z.email().safeParse(email).success ? { email } : {};
};

export function orderEnrichment(store: string, order: BigCommerceOrder, products: readonly unknown[]): Enriched {
  const currency = order.currency_code ?? order.default_currency_code;
  const billing = order.billing_address;
  const items: LineItem[] = products.flatMap((raw) => {
    const parsed = BigCommerceOrderProduct.safeParse(raw);
    if (!parsed.success) return [];
    const item = parsed.data;
    const price = money(item.price_inc_tax ?? item.base_price, currency);
    return [
      {
        ...(idText(item.product_id) && idText(item.product_id) !== '0' ? { productId: idText(item.product_id) } : {}),
        ...(idText(item.variant_id) && idText(item.variant_id) !== '0' ? { variantId: idText(item.variant_id) } : {}),
        ...(text(item.sku) ? { sku: text(item.sku) } : {}),
        name: text(item.name) ?? '',
        quantity: item.quantity,
        ...(price ? { price } : {}),
      },
    ];
  });
  const total = money(order.total_inc_tax, currency);
  return {
    identity: { ...emailKey(billing?.email), ...customerKey(store, order.customer_id) },
    traits: {
      ...(text(billing?.first_name) ? { firstName: text(billing?.first_name) as string } : {}),
      ...(text(billing?.last_name) ? { lastName: text(billing?.last_name) as string } : {}),
      ...(text(billing?.country_iso2) ? { country: (text(billing?.country_iso2) as string).toUpperCase() } : {}),
      ...(text(billing?.city) ? { city: text(billing?.city) as string } : {}),
    },
    properties: {
      ...(total ? { total } : {}),
      ...(money(order.subtotal_inc_tax, currency) ? { subtotal: money(order.subtotal_inc_tax, currency) } : {}),
      items,
      ...(text(order.cart_id) ? { cartId: text(order.cart_id) } : {}),
    },
  };
}

export function cartEnrichment(store: string, body: z.infer<typeof BigCommerceCart>): Enriched {
  const cart = body.data;
  const currency = cart.currency?.code;
  const raw = [...(cart.line_items?.physical_items ?? []), ...(cart.line_items?.digital_items ?? [])];
  const items: LineItem[] = raw.flatMap((entry) => {
    const parsed = CartItem.safeParse(entry);
    if (!parsed.success) return [];
    const item = parsed.data;
    const price = money(item.sale_price ?? item.list_price, currency);
    const image = webUrl(item.image_url);
    return [
      {
        ...(idText(item.product_id) ? { productId: idText(item.product_id) } : {}),
        ...(idText(item.variant_id) ? { variantId: idText(item.variant_id) } : {}),
        ...(text(item.sku) ? { sku: text(item.sku) } : {}),
        name: text(item.name) ?? '',
        quantity: item.quantity,
        ...(price ? { price } : {}),
        ...(image ? { imageUrl: image } : {}),
      },
    ];
  });
  const total = money(cart.cart_amount, currency);
  return {
    identity: { ...emailKey(cart.email), ...customerKey(store, cart.customer_id) },
    traits: {},
    properties: { items, ...(total ? { total } : {}) },
  };
}

export function customerEnrichment(store: string, body: z.infer<typeof BigCommerceCustomers>, customerId: string): Enriched | undefined {
  const customer = body.data.find((candidate) => idText(candidate.id) === customerId);
  if (customer === undefined) return undefined;
  const createdAt = utcOf(customer.date_created);
  return {
    identity: { ...emailKey(customer.email), ...customerKey(store, customer.id) },
    traits: {
      ...(text(customer.first_name) ? { firstName: text(customer.first_name) as string } : {}),
      ...(text(customer.last_name) ? { lastName: text(customer.last_name) as string } : {}),
    },
    properties: createdAt ? { createdAt } : {},
  };
}

/**
 * The thin event with what BigCommerce told: keys and traits added (the thin event's kept), the
 * properties the event's kind takes, `needsEnrichment` gone; the same event id, so it counts once.
 */
export function enrichedDetail(detailType: string, thin: Record<string, unknown>, enriched: Enriched): Record<string, unknown> {
  const { needsEnrichment: _done, ...rest } = thin as { needsEnrichment?: unknown } & Record<string, unknown>;
  const properties = { ...(rest.properties as Record<string, unknown>) };
  const added = enriched.properties;
  switch (detailType) {
    case 'order.completed':
      Object.assign(properties, added);
      break;
    case 'order.cancelled':
      if (added.total !== undefined) properties.total = added.total;
      break;
    case 'order.fulfilled':
      properties.items = added.items;
      break;
    case 'cart.updated':
      Object.assign(properties, { items: added.items, ...(added.total === undefined ? {} : { total: added.total }) });
      break;
    case 'customer.upserted':
      Object.assign(properties, added);
      break;
    default:
      // A refund names its order only: the person is what enrichment adds; the amount is the refund's own.
      break;
  }
  return {
    ...rest,
    identity: { ...(rest.identity as Record<string, unknown>), ...enriched.identity },
    traits: { ...enriched.traits, ...(rest.traits as Record<string, unknown>) },
    properties,
  };
}

const Price = z.number().nonnegative().nullish().catch(undefined);
const Level = z.number().int().nullish().catch(undefined);

export const BigCommerceProduct = z.object({
  data: z.object({
    id: Id,
    name: z.string().nullish(),
    price: Price,
    sale_price: Price,
    retail_price: Price,
    categories: z.array(Id).nullish().catch(undefined),
    search_keywords: z.string().nullish().catch(undefined),
    inventory_level: Level,
    inventory_tracking: z.string().nullish().catch(undefined),
    is_visible: z.boolean().nullish().catch(undefined),
    availability: z.string().nullish().catch(undefined),
    base_variant_id: Id.nullish().catch(undefined),
    sku: z.string().nullish().catch(undefined),
    custom_url: z.object({ url: z.string().nullish() }).nullish().catch(undefined),
    images: z
      .array(z.object({ is_thumbnail: z.boolean().nullish(), url_standard: z.string().nullish() }).catch({ is_thumbnail: false, url_standard: undefined }))
      .nullish()
      .catch(undefined),
  }),
});
export type BigCommerceProduct = z.infer<typeof BigCommerceProduct>;

const BigCommerceVariant = z.object({
  id: Id,
  sku: z.string().nullish().catch(undefined),
  /** `null` is "the product's price"; a price that is not one is no price (never the product's by guess). */
  price: z.union([z.number().nonnegative(), z.null()]).optional().catch(Number.NaN),
  sale_price: Price,
  retail_price: Price,
  inventory_level: Level,
  option_values: z
    .array(z.object({ label: z.string().nullish() }).catch({ label: undefined }))
    .nullish()
    .catch(undefined),
});

/** Get all product variants: the page read, each variant Nudge can read (one it cannot is left out, not the product). */
export const BigCommerceVariants = z.object({ data: z.array(z.unknown()) });

/** A catalogue amount (`7.95`, a number in the store's currency), as a decimal string; zero is "not set" for sale and retail prices. */
const amountOf = (value: number | null | undefined): string | undefined => {
  const decimal = decimalFromNumber(value);
  if (decimal === undefined) return undefined;
  const cents = decimal.split('.')[1] ?? '';
  return cents.length >= 2 ? decimal : `${decimal.split('.')[0]}.${cents.padEnd(2, '0')}`;
};

/**
 * The price a shopper pays and the struck-through "was" price, as BigCommerce's storefront shows
 * them: a sale price (above zero, below the price) is the price and the price is the "was"; else
 * the price, with the retail price (MSRP) as the "was" when it is higher.
 */
function prices(price: number | undefined, sale: number | undefined, retail: number | undefined) {
  if (price === undefined) return {};
  if (sale !== undefined && sale > 0 && sale < price)
    return { price: { amount: amountOf(sale) as string }, compareAtPrice: { amount: amountOf(price) as string } };
  return {
    price: { amount: amountOf(price) as string },
    ...(retail !== undefined && retail > price ? { compareAtPrice: { amount: amountOf(retail) as string } } : {}),
  };
}

/**
 * A BigCommerce product as the catalogue reads it, from Get a Product and Get all product variants.
 * Prices are in the store's default currency, which neither names (config/shops.json does). Its
 * address is the store's permanent one (`store-{hash}.mybigcommerce.com`, which BigCommerce
 * forwards to the store's domain) and the product's path; its category is its first category's id.
 */
export function productEnrichment(store: string, productId: string, body: BigCommerceProduct, variantBodies: readonly unknown[]): ReportedProduct {
  const product = body.data;
  const tracking = product.inventory_tracking ?? 'none';
  const productPrice = product.price ?? undefined;
  const variants = variantBodies.flatMap((raw) => {
    const parsed = BigCommerceVariant.safeParse(raw);
    return parsed.success ? [parsed.data] : [];
  });
  const stockOf = (variantLevel: number | null | undefined): { inventory?: number } => {
    const level = tracking === 'variant' ? variantLevel : tracking === 'product' ? product.inventory_level : undefined;
    return level === null || level === undefined ? {} : { inventory: level };
  };
  const read =
    variants.length > 0
      ? variants.map((variant) => {
          const options = (variant.option_values ?? []).flatMap((value) => (text(value.label) ? [text(value.label) as string] : []));
          // A variant without its own price takes the product's (BigCommerce's `price: null`); an unreadable one has none.
          const own = variant.price ?? undefined;
          const priced =
            own === undefined
              ? prices(productPrice, product.sale_price ?? undefined, product.retail_price ?? undefined)
              : Number.isNaN(own)
                ? {}
                : prices(own, variant.sale_price ?? undefined, variant.retail_price ?? undefined);
          return {
            variantId: idText(variant.id) as string,
            ...(options.length > 0 ? { title: options.join(' / ') } : {}),
            ...(text(variant.sku) ? { sku: text(variant.sku) } : {}),
            ...priced,
            ...stockOf(variant.inventory_level),
          };
        })
      : [
          {
            variantId: idText(product.base_variant_id) ?? productId,
            ...(text(product.sku) ? { sku: text(product.sku) } : {}),
            ...prices(productPrice, product.sale_price ?? undefined, product.retail_price ?? undefined),
            ...stockOf(product.inventory_level),
          },
        ];
  const path = text(product.custom_url?.url);
  const url = path === undefined ? undefined : webUrl(`https://store-${store}.mybigcommerce.com${path.startsWith('/') ? path : `/${path}`}`);
  const images = product.images ?? [];
  const image = webUrl((images.find((candidate) => candidate.is_thumbnail) ?? images[0])?.url_standard);
  const category = idText(product.categories?.[0]);
  const hidden = product.is_visible === false || product.availability === 'disabled';
  return {
    productId,
    ...(text(product.name) ? { title: text(product.name) } : {}),
    ...(url ? { url } : {}),
    ...(image ? { imageUrl: image } : {}),
    ...(category ? { category } : {}),
    tags: (product.search_keywords ?? '').split(',').flatMap((keyword) => (text(keyword) ? [text(keyword) as string] : [])),
    status: hidden ? 'draft' : 'active',
    variants: read,
  };
}
