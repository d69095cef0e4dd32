import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Publication } from '../../../shared/adapters/bus-publisher.js';
import { DecimalString } from '../../../shared/events/common.js';
import * as Events from '../../../shared/events/index.js';
import { toUtcInstant } from './time.js';

/** What intake knows of a Shopify delivery from its headers (either spelling; see headerValue). */
export interface ShopifyDelivery {
  readonly topic: string;
  readonly shop: string;
  readonly webhookId: string | undefined;
  readonly eventId: string | undefined;
  readonly triggeredAt: string | undefined;
}

export type Normalised =
  | { readonly kind: 'event'; readonly publication: Publication }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly field: string; readonly message: string };

export const handledShopifyTopics = ['orders/create'] as const;

const ShopifyMoney = z.union([z.string(), z.number()]).transform(String).pipe(DecimalString);

/**
 * The part of a Shopify order that Nudge reads. Shopify's numeric ids exceed 2^53 and lose
 * precision in JSON.parse, so ids come from `admin_graphql_api_id` ("gid://shopify/Order/…"),
 * which carries them exactly as a string.
 */
const ShopifyOrder = z.object({
  id: z.number(),
  admin_graphql_api_id: z.string().optional(),
  name: z.string().optional(),
  email: z.string().nullish(),
  contact_email: z.string().nullish(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  total_price: ShopifyMoney,
  subtotal_price: ShopifyMoney.optional(),
  total_discounts: ShopifyMoney.optional(),
  created_at: z.string(),
  processed_at: z.string().nullish(),
  checkout_token: z.string().nullish(),
  cart_token: z.string().nullish(),
  buyer_accepts_marketing: z.boolean().optional(),
  customer_locale: z.string().nullish(),
  customer: z
    .object({
      id: z.number().optional(),
      admin_graphql_api_id: z.string().optional(),
      email: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
    })
    .nullish(),
  line_items: z.array(
    z.object({
      product_id: z.number().nullish(),
      variant_id: z.number().nullish(),
      sku: z.string().nullish(),
      name: z.string().optional(),
      title: z.string(),
      quantity: z.number().int(),
      price: ShopifyMoney,
    }),
  ),
});

export function normaliseShopify(delivery: ShopifyDelivery, payload: unknown, receivedAt: Date): Normalised {
  if (delivery.topic !== 'orders/create') return { kind: 'ignored', reason: `topic ${delivery.topic} is not handled` };
  const parsed = ShopifyOrder.safeParse(payload);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    return { kind: 'invalid', field: issue?.path.join('.') ?? '', message: issue?.message ?? 'invalid order' };
  }
  const order = parsed.data;
  const occurredAt = toUtcInstant(order.processed_at ?? order.created_at);
  if (occurredAt === undefined) return { kind: 'invalid', field: 'processed_at', message: 'not a timestamp' };
  const email = normaliseEmail(order.email ?? order.contact_email ?? order.customer?.email);
  const customerId = order.customer ? (gidNumber(order.customer.admin_graphql_api_id) ?? order.customer.id?.toString()) : undefined;
  if (email === undefined && customerId === undefined) {
    return { kind: 'invalid', field: 'email', message: 'the order has neither an email nor a customer' };
  }
  const money = (amount: string) => ({ amount, currency: order.currency });
  const detail: Events.OrderCompleted.OrderCompleted = {
    eventId: eventIdFor(delivery),
    occurredAt,
    receivedAt: receivedAt.toISOString(),
    origin: { platform: 'shopify', shop: delivery.shop, topic: delivery.topic },
    identity: { email, customerId: customerId === undefined ? undefined : `shopify:${customerId}` },
    traits: {
      firstName: order.customer?.first_name ?? undefined,
      lastName: order.customer?.last_name ?? undefined,
      locale: order.customer_locale ?? undefined,
    },
    properties: {
      orderId: gidNumber(order.admin_graphql_api_id) ?? order.id.toString(),
      orderNumber: order.name,
      total: money(order.total_price),
      subtotal: order.subtotal_price === undefined ? undefined : money(order.subtotal_price),
      discount: order.total_discounts === undefined ? undefined : money(order.total_discounts),
      checkoutId: order.checkout_token ?? undefined,
      cartId: order.cart_token ?? undefined,
      acceptsMarketing: order.buyer_accepts_marketing,
      items: order.line_items.map((item) => ({
        productId: item.product_id?.toString(),
        variantId: item.variant_id?.toString(),
        sku: item.sku ?? undefined,
        name: item.name ?? item.title,
        quantity: item.quantity,
        price: money(item.price),
      })),
    },
  };
  const checked = Events.OrderCompleted.schema.safeParse(detail);
  if (!checked.success) {
    const [issue] = checked.error.issues;
    return { kind: 'invalid', field: issue?.path.join('.') ?? '', message: issue?.message ?? 'invalid order' };
  }
  return { kind: 'event', publication: { contract: Events.OrderCompleted, detail: checked.data } };
}

/**
 * The same Shopify event always gets the same id: Shopify's event id when present (one event sent
 * to several subscriptions), else the webhook id (stable across Shopify's retries).
 */
export function eventIdFor(delivery: ShopifyDelivery): string {
  const platformId = delivery.eventId ?? delivery.webhookId ?? '';
  const digest = createHash('sha256').update(`shopify|${delivery.shop}|${delivery.topic}|${platformId}`).digest('hex');
  return `ev_${digest.slice(0, 32)}`;
}

function gidNumber(gid: string | undefined): string | undefined {
  const match = gid?.match(/\/(\d+)$/);
  return match?.[1];
}

export function normaliseEmail(email: string | null | undefined): string | undefined {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : undefined;
}
