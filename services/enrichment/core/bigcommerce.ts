import { z } from 'zod';
import type { LineItem, Money } from '#shared/events/common.js';
import { decimalFromNumber } from '#shared/money.js';

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
function webUrl(value: string | null | undefined): string | undefined {
  try {
    return value && /^https?:$/.test(new URL(value).protocol) ? new URL(value).href : undefined;
  } catch {
    return undefined;
  }
}

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
