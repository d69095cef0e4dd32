import { z } from 'zod';
import type { LineItem, Money, Traits } from '#shared/events/common.js';
import * as Events from '#shared/events/index.js';
import { decimalFromNumber } from '#shared/money.js';
import { webUrl } from '#shared/web-url.js';
import { identityOf, idString } from '../identity.js';
import { parseJson } from '../json.js';
import { type Decision, headerOf, ignore, malformedJson, refuse, type WebhookRequest } from '../request.js';
import { verifyBodyHmac } from '../signatures.js';
import { toUtcInstant } from '../time.js';
import { canonicalEventId, checked, combine, decideNormalised, invalid, moneyOf, type Normalised, secretFor, type WebhookSecrets } from './common.js';

const Id = z.union([z.number(), z.string()]);
const Amount = z.union([z.string(), z.number()]).nullish();

const Billing = z
  .object({
    first_name: z.string().nullish(),
    last_name: z.string().nullish(),
    email: z.string().nullish(),
    phone: z.string().nullish(),
    country: z.string().nullish(),
    city: z.string().nullish(),
  })

  .nullish();

const WooLineItem = z.object({
  product_id: Id.nullish(),
  variation_id: Id.nullish(),
  sku: z.string().nullish(),
  name: z.string().nullish(),
  quantity: z.number(),
  price: Amount,
});

/** A WooCommerce webhook body is the REST API v3 resource itself. */
const Order = z.object({
  id: Id,
  number: z.string().nullish(),
  status: z.string(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  total: Amount,
  discount_total: Amount,
  customer_id: Id.nullish(),
  date_created_gmt: z.string().nullish(),
  date_modified_gmt: z.string().nullish(),
  date_paid_gmt: z.string().nullish(),
  date_completed_gmt: z.string().nullish(),
  cart_hash: z.string().nullish(),
  billing: Billing,
  line_items: z.array(WooLineItem).default([]),
  refunds: z.array(z.object({ id: Id, total: Amount })).nullish(),
});

const Customer = z.object({
  id: Id,
  email: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  date_created_gmt: z.string().nullish(),
  date_modified_gmt: z.string().nullish(),
  billing: Billing,
});

const Deleted = z.object({ id: Id });

/** Order statuses in which the shopper has placed the order (on-hold: awaiting a bank transfer). */
const placedStatuses = new Set(['processing', 'completed', 'on-hold']);

interface Delivery {
  readonly shop: string;
  readonly topic: string;
  readonly receivedAt: string;
}

/** WooCommerce writes refunded and cancelled totals as negative amounts; events carry the amount. */
const money = (amount: unknown, currency: string): Money | undefined => {
  const value = moneyOf(amount, currency);
  return value && { ...value, amount: value.amount.replace(/^-/, '') };
};

function base(delivery: Delivery, id: string, occurredAt: string | undefined) {
  return {
    eventId: canonicalEventId('woocommerce', delivery.shop, id),
    occurredAt: occurredAt ?? delivery.receivedAt,
    receivedAt: delivery.receivedAt,
    origin: { platform: 'woocommerce' as const, shop: delivery.shop, topic: delivery.topic },
  };
}

const ProductPayload = z.object({
  id: Id,
  name: z.string().nullish(),
  permalink: z.string().nullish(),
  status: z.string().nullish(),
  sku: z.string().nullish(),
  price: Amount,
  regular_price: Amount,
  on_sale: z.boolean().nullish(),
  manage_stock: z.boolean().nullish(),
  stock_quantity: z.number().int().nullish().catch(undefined),
  stock_status: z.string().nullish(),
  date_modified_gmt: z.string().nullish(),
  categories: z
    .array(z.object({ name: z.string().nullish() }).catch({ name: undefined }))
    .nullish()
    .catch(undefined),
  tags: z
    .array(z.object({ name: z.string().nullish() }).catch({ name: undefined }))
    .nullish()
    .catch(undefined),
  images: z
    .array(z.object({ src: z.string().nullish() }).catch({ src: undefined }))
    .nullish()
    .catch(undefined),
});

const productStatuses: Record<string, 'active' | 'draft' | 'archived' | 'deleted'> = {
  publish: 'active',
  draft: 'draft',
  pending: 'draft',
  private: 'archived',
  trash: 'deleted',
};

/**
 * A WooCommerce product (the REST API's product, which its product webhooks deliver) as one
 * variant: the webhook names a variable product's variations by id only. Stock counts where the
 * store manages it; otherwise "out of stock" is none left and any other status is for sale.
 */
function normaliseProduct(delivery: Delivery, payload: unknown): Normalised {
  const parsed = ProductPayload.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error.issues);
  const p = parsed.data;
  const productId = idString(p.id) as string;
  const at = toUtcInstant(p.date_modified_gmt);
  if (delivery.topic === 'product.deleted')
    return checked(Events.ProductUpdated, { ...base(delivery, `product-deleted|${productId}`, at), change: { kind: 'deleted', productId } });
  const price = decimalFromNumber(p.price);
  const regular = decimalFromNumber(p.regular_price);
  const inventory = p.manage_stock && typeof p.stock_quantity === 'number' ? p.stock_quantity : p.stock_status === 'outofstock' ? 0 : undefined;
  const names = (list: readonly { name?: string | null }[] | null | undefined) => (list ?? []).flatMap((entry) => (entry.name ? [entry.name] : []));
  const product = {
    productId,
    ...(p.name ? { title: p.name } : {}),
    ...(webUrl(p.permalink) ? { url: webUrl(p.permalink) } : {}),
    ...(webUrl(p.images?.[0]?.src) ? { imageUrl: webUrl(p.images?.[0]?.src) } : {}),
    ...(names(p.categories)[0] ? { category: names(p.categories)[0] } : {}),
    tags: names(p.tags),
    status: productStatuses[p.status ?? 'publish'] ?? 'active',
    variants: [
      {
        variantId: productId,
        ...(p.sku ? { sku: p.sku } : {}),
        ...(price === undefined ? {} : { price: { amount: price } }),
        ...(p.on_sale && regular !== undefined && regular !== price ? { compareAtPrice: { amount: regular } } : {}),
        ...(inventory === undefined ? {} : { inventory }),
      },
    ],
  };
  return checked(Events.ProductUpdated, {
    ...base(delivery, `product|${productId}|${p.date_modified_gmt ?? delivery.receivedAt}`, at),
    change: { kind: 'product', product },
  });
}

/** WooCommerce customer and order ids are per store, so the store is part of the key. */
const storeKey = (delivery: Delivery, id: string) => `woocommerce:${delivery.shop}:${id}`;

function traitsOf(billing: z.infer<typeof Billing>, names?: { first_name?: string | null; last_name?: string | null }): Traits {
  return {
    firstName: names?.first_name || billing?.first_name || undefined,
    lastName: names?.last_name || billing?.last_name || undefined,
    country: billing?.country || undefined,
    city: billing?.city || undefined,
  };
}

function lineItems(items: readonly z.infer<typeof WooLineItem>[], currency: string): LineItem[] {
  return items.map((item) => ({
    productId: idString(item.product_id),
    // WooCommerce sends 0 for "no variation" and "" for "no SKU".
    variantId: item.variation_id && String(item.variation_id) !== '0' ? idString(item.variation_id) : undefined,
    sku: item.sku || undefined,
    name: item.name ?? '',
    quantity: item.quantity,
    price: money(item.price, currency),
  }));
}

function normaliseOrder(delivery: Delivery, payload: unknown): Normalised {
  if (delivery.topic === 'order.deleted') {
    const deleted = Deleted.safeParse(payload);
    if (!deleted.success) return invalid(deleted.error.issues);
    const orderId = idString(deleted.data.id) as string;
    return checked(Events.OrderCancelled, {
      ...base(delivery, `order.cancelled|${orderId}`, undefined),
      identity: { orderRef: storeKey(delivery, orderId) },
      traits: {},
      properties: { orderId, reason: 'deleted' },
    });
  }
  const parsed = Order.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error.issues);
  const order = parsed.data;
  const orderId = idString(order.id) as string;
  const customer = idString(order.customer_id);
  const identity = {
    // customer_id 0 is a guest checkout.
    ...identityOf({
      email: order.billing?.email,
      phone: order.billing?.phone,
      customerId: customer && customer !== '0' ? storeKey(delivery, customer) : undefined,
    }),
    orderRef: storeKey(delivery, orderId),
  };
  const traits = traitsOf(order.billing);
  const modifiedAt = toUtcInstant(order.date_modified_gmt);
  const total = money(order.total, order.currency);
  if (placedStatuses.has(order.status)) {
    // order.created and every later order.updated describe one order: one event id, counted once.
    const placed = checked(Events.OrderCompleted, {
      ...base(delivery, `order.completed|${orderId}`, toUtcInstant(order.date_paid_gmt ?? order.date_created_gmt)),
      identity,
      traits,
      properties: {
        orderId,
        orderNumber: order.number ?? undefined,
        total,
        discount: money(order.discount_total, order.currency),
        items: lineItems(order.line_items, order.currency),
        cartId: order.cart_hash || undefined,
      },
    });
    if (order.status !== 'completed') return placed;
    // WooCommerce's completed is "fulfilled and complete": the order left the shop.
    return combine([
      placed,
      checked(Events.OrderFulfilled, {
        ...base(delivery, `order.fulfilled|${orderId}`, toUtcInstant(order.date_completed_gmt) ?? modifiedAt),
        identity,
        traits,
        properties: { orderId, items: lineItems(order.line_items, order.currency) },
      }),
    ]);
  }
  switch (order.status) {
    case 'pending':
      // Created but not paid: the shopper is in the checkout.
      return checked(Events.CheckoutStarted, {
        ...base(delivery, `checkout.started|${orderId}|${order.date_modified_gmt ?? ''}`, modifiedAt ?? toUtcInstant(order.date_created_gmt)),
        identity,
        traits,
        properties: { checkoutId: `order-${orderId}`, cartId: order.cart_hash || undefined, total, items: lineItems(order.line_items, order.currency) },
      });
    case 'cancelled':
      return checked(Events.OrderCancelled, {
        ...base(delivery, `order.cancelled|${orderId}`, modifiedAt),
        identity,
        traits,
        properties: { orderId, orderNumber: order.number ?? undefined, total },
      });
    case 'refunded':
      return checked(Events.OrderRefunded, {
        ...base(delivery, `order.refunded|${orderId}|full`, modifiedAt),
        identity,
        traits,
        properties: { orderId, amount: total },
      });
    default:
      return { kind: 'ignored', reason: `order status ${order.status} is not used by Nudge` };
  }
}

function normaliseCustomer(delivery: Delivery, payload: unknown): Normalised {
  const parsed = Customer.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error.issues);
  const customer = parsed.data;
  const customerId = storeKey(delivery, idString(customer.id) as string);
  return checked(Events.CustomerUpserted, {
    ...base(
      delivery,
      `customer.upserted|${customerId}|${customer.date_modified_gmt ?? customer.date_created_gmt ?? ''}`,
      toUtcInstant(customer.date_modified_gmt ?? customer.date_created_gmt),
    ),
    identity: identityOf({ email: customer.email ?? customer.billing?.email, phone: customer.billing?.phone, country: customer.billing?.country, customerId }),
    traits: traitsOf(customer.billing, customer),
    properties: { customerId, createdAt: toUtcInstant(customer.date_created_gmt) },
  });
}

export const wooCommerceTopics = [
  'order.created',
  'order.updated',
  'order.deleted',
  'customer.created',
  'customer.updated',
  'product.created',
  'product.updated',
  'product.deleted',
  'product.restored',
] as const;

/** The store behind a delivery: the host of X-WC-Webhook-Source ("https://shop.example.com/" → "shop.example.com"). */
function storeOf(source: string | undefined): string | undefined {
  if (source === undefined) return undefined;
  try {
    return new URL(source).host || undefined;
  } catch {
    return undefined;
  }
}

export function receiveWooCommerce(request: WebhookRequest, secrets: WebhookSecrets, now: number): Decision {
  const signature = headerOf(request, 'x-wc-webhook-signature');
  // WooCommerce checks a new webhook with an unsigned form post, and enables it only on a 2xx.
  if (signature === undefined && /^webhook_id=\d+$/.test(request.body.toString('utf8').trim())) return ignore('webhook creation ping');
  const shop = storeOf(headerOf(request, 'x-wc-webhook-source'));
  const secret = secretFor(secrets.woocommerce, shop);
  if (secret === undefined) return refuse(401, 'unknown-shop', `No WooCommerce webhook secret is configured for store ${shop ?? '(none)'}`);
  if (!verifyBodyHmac(request.body, signature, secret)) return refuse(401, 'invalid-signature', 'The X-WC-Webhook-Signature signature does not match the body');
  const topic = headerOf(request, 'x-wc-webhook-topic');
  if (topic === undefined) return refuse(400, 'missing-header', 'X-WC-Webhook-Topic is required');
  if (shop === undefined)
    return headerOf(request, 'x-wc-webhook-source') === undefined
      ? refuse(400, 'missing-header', 'X-WC-Webhook-Source is required')
      : refuse(400, 'invalid-header', 'X-WC-Webhook-Source must be the store URL, such as https://shop.example.com/');
  const json = parseJson(request.body);
  if (!json.ok) return malformedJson(json.error);
  const delivery: Delivery = { shop, topic, receivedAt: new Date(now).toISOString() };
  const [resource] = topic.split('.');
  const normalised: Normalised =
    topic === 'customer.created' || topic === 'customer.updated'
      ? normaliseCustomer(delivery, json.value)
      : resource === 'order' && topic !== 'order.restored'
        ? normaliseOrder(delivery, json.value)
        : resource === 'product'
          ? normaliseProduct(delivery, json.value)
          : { kind: 'ignored', reason: `topic ${topic} is not used by Nudge` };
  const deliveryId = headerOf(request, 'x-wc-webhook-delivery-id');
  return decideNormalised(normalised, deliveryId === undefined ? undefined : `woocommerce:${shop}:${deliveryId}`);
}
