import { z } from 'zod';
import { type LineItem, Money, type Traits } from '#shared/events/common.js';
import * as Events from '#shared/events/index.js';
import { ownValue } from '#shared/lookup.js';
import { addDecimal, decimalFromNumber } from '#shared/money.js';
import { webUrl } from '#shared/web-url.js';
import { hasIdentity, identityOf, idString } from '../identity.js';
import { parseJson } from '../json.js';
import { type Decision, malformedJson, refuse, type WebhookRequest } from '../request.js';
import { verifyBodyHmac } from '../signatures.js';
import { toUtcInstant } from '../time.js';
import { canonicalEventId, checked, combine, decideNormalised, moneyOf, type Normalised, secretFor, type WebhookSecrets } from './common.js';

/** Shopify sends `X-Shopify-Topic`; its newer deliveries use `shopify-topic`. Accept both. */
function header(request: WebhookRequest, name: string): string | undefined {
  return request.headers[`x-shopify-${name}`] ?? request.headers[`shopify-${name}`];
}

const Id = z.union([z.number(), z.string()]);
const Amount = z.union([z.string(), z.number()]).nullish();

/** An address is context, not the order: one Nudge cannot read is left out rather than failing the order. */
const Address = z
  .object({ first_name: z.string().nullish(), last_name: z.string().nullish(), country_code: z.string().nullish(), city: z.string().nullish() })
  .nullish()
  .catch(undefined);

const Customer = z.object({
  id: Id.nullish(),
  admin_graphql_api_id: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  updated_at: z.string().nullish(),
  created_at: z.string().nullish(),
  default_address: Address,
});

const ShopifyLineItem = z.object({
  product_id: Id.nullish(),
  variant_id: Id.nullish(),
  sku: z.string().nullish(),
  name: z.string().nullish(),
  title: z.string().nullish(),
  quantity: z.number(),
  price: Amount,
});

/** Shopify's `*_set` amounts (`shop_money`, `presentment_money`); read loosely, checked as Money where used. */
const MoneySet = z
  .object({ presentment_money: z.object({ amount: Amount, currency_code: z.string().nullish() }).nullish() })
  .nullish()
  .catch(undefined);

const Order = z.object({
  id: Id,
  admin_graphql_api_id: z.string().nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  contact_email: z.string().nullish(),
  phone: z.string().nullish(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  total_price: Amount,
  total_price_set: MoneySet,
  subtotal_price: Amount,
  total_discounts: Amount,
  created_at: z.string(),
  processed_at: z.string().nullish(),
  cancelled_at: z.string().nullish(),
  cancel_reason: z.string().nullish(),
  checkout_token: z.string().nullish(),
  cart_token: z.string().nullish(),
  order_status_url: z.unknown().optional(),
  buyer_accepts_marketing: z.boolean().nullish(),
  customer_locale: z.string().nullish(),
  customer: Customer.nullish(),
  billing_address: Address,
  shipping_address: Address,
  client_details: z.object({ user_agent: z.string().nullish(), browser_ip: z.string().nullish() }).nullish(),
  line_items: z.array(ShopifyLineItem),
});

const Checkout = z.object({
  token: z.string(),
  cart_token: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .nullish(),
  presentment_currency: z.string().nullish(),
  total_price: Amount,
  created_at: z.string(),
  updated_at: z.string().nullish(),
  abandoned_checkout_url: z.string().nullish(),
  buyer_accepts_marketing: z.boolean().nullish(),
  customer_locale: z.string().nullish(),
  customer: Customer.nullish(),
  billing_address: Address,
  shipping_address: Address,
  line_items: z.array(ShopifyLineItem),
});

const Cart = z.object({ token: z.string(), updated_at: z.string().nullish(), created_at: z.string().nullish(), line_items: z.array(ShopifyLineItem) });

const Refund = z.object({
  id: Id,
  order_id: Id,
  created_at: z.string().nullish(),
  processed_at: z.string().nullish(),
  // The amount is optional on the event, so transactions Nudge cannot read leave it out, not the refund.
  transactions: z
    .array(z.object({ amount: z.unknown(), currency: z.string().nullish(), kind: z.string().nullish() }))
    .nullish()
    .catch(undefined),
});

const EmailConsent = z.object({
  customer_id: Id,
  email_address: z.string().nullish(),
  email_marketing_consent: z.object({ state: z.string().nullish(), opt_in_level: z.string().nullish(), consent_updated_at: z.string().nullish() }).nullish(),
});

const SmsConsent = z.object({
  id: Id,
  phone: z.string().nullish(),
  sms_marketing_consent: z.object({ state: z.string().nullish(), opt_in_level: z.string().nullish(), consent_updated_at: z.string().nullish() }).nullish(),
});

/** A shipment of an order: `status` success is shipped; `shipment_status` delivered is at the customer's door. */
const Fulfillment = z.object({
  id: Id,
  admin_graphql_api_id: z.string().nullish(),
  order_id: Id,
  status: z.string().nullish(),
  shipment_status: z.string().nullish(),
  email: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  tracking_company: z.string().nullish(),
  tracking_number: z.string().nullish(),
  tracking_url: z.string().nullish(),
  line_items: z
    .array(ShopifyLineItem.extend({ price_set: z.object({ shop_money: z.object({ currency_code: z.string().nullish() }).nullish() }).nullish() }))
    .default([]),
});
/** A carrier's step for a shipment (`in_transit`, `out_for_delivery`, `delivered`, …). */
const FulfillmentEvent = z.object({
  id: Id,
  fulfillment_id: Id,
  order_id: Id,
  status: z.string(),
  happened_at: z.string().nullish(),
  created_at: z.string().nullish(),
});

/** Shopify's mandatory compliance webhooks: a customer's data asked for or to be erased, or a whole shop's. */
const ComplianceCustomer = z
  .object({
    id: Id.nullish(),
    email: z.string().nullish(),
    phone: z.string().nullish(),
  })
  .nullish();
const DataRequest = z.object({
  customer: ComplianceCustomer,
  orders_requested: z.array(Id).nullish(),
  data_request: z.object({ id: Id }).nullish(),
});
const CustomerRedact = z.object({ customer: ComplianceCustomer, orders_to_redact: z.array(Id).nullish() });

/** Shopify's numeric ids lose precision in some senders; `admin_graphql_api_id` carries them exactly. */
const ProductVariantPayload = z.object({
  id: Id,
  admin_graphql_api_id: z.string().nullish(),
  title: z.string().nullish(),
  sku: z.string().nullish(),
  price: Amount,
  compare_at_price: Amount,
  inventory_quantity: z.number().int().nullish().catch(undefined),
  inventory_item_id: Id.nullish(),
  // Until 2024-07: "shopify" when Shopify tracks stock, null when it does not.
  inventory_management: z.string().nullish(),
});

const ProductPayload = z.object({
  id: Id,
  admin_graphql_api_id: z.string().nullish(),
  title: z.string().nullish(),
  handle: z.string().nullish(),
  product_type: z.string().nullish(),
  tags: z.union([z.string(), z.array(z.string())]).nullish(),
  status: z.string().nullish(),
  updated_at: z.string().nullish(),
  image: z.object({ src: z.string().nullish() }).nullish().catch(undefined),
  images: z
    .array(z.object({ src: z.string().nullish() }).catch({ src: undefined }))
    .nullish()
    .catch(undefined),
  // Every product has variants (one, "Default Title", at least); a variant Nudge cannot read is left out, never the whole product.
  variants: z.array(z.unknown()),
});

const InventoryLevel = z.object({ inventory_item_id: Id, location_id: Id, available: z.number().int().nullish(), updated_at: z.string().nullish() });

const productStatuses: Record<string, 'active' | 'draft' | 'archived'> = { active: 'active', draft: 'draft', archived: 'archived' };

/** A Shopify product as the catalogue reads it; its prices are in the shop's currency, which the payload does not name. */
function productOf(shop: string, p: z.infer<typeof ProductPayload>) {
  const productId = exactId(p.id, p.admin_graphql_api_id) as string;
  const tags = typeof p.tags === 'string' ? p.tags.split(',') : (p.tags ?? []);
  const variants = (p.variants ?? []).flatMap((raw) => {
    const parsed = ProductVariantPayload.safeParse(raw);
    if (!parsed.success) return [];
    const v = parsed.data;
    const price = decimalFromNumber(v.price);
    const compareAt = decimalFromNumber(v.compare_at_price);
    // Stock counts only where Shopify tracks it: an untracked variant is always for sale.
    const tracked = v.inventory_management !== null && typeof v.inventory_quantity === 'number';
    return [
      {
        variantId: exactId(v.id, v.admin_graphql_api_id) as string,
        ...(given(v.title ?? undefined) && v.title !== 'Default Title' ? { title: v.title as string } : {}),
        ...(given(v.sku ?? undefined) ? { sku: v.sku as string } : {}),
        ...(price === undefined ? {} : { price: { amount: price } }),
        // Shopify sends "0.00" for no compare-at price.
        ...(compareAt === undefined || Number(compareAt) === 0 ? {} : { compareAtPrice: { amount: compareAt } }),
        ...(tracked ? { inventory: v.inventory_quantity as number } : {}),
        ...(v.inventory_item_id == null ? {} : { inventoryItemId: idString(v.inventory_item_id) as string }),
      },
    ];
  });
  return {
    productId,
    ...(given(p.title ?? undefined) ? { title: p.title as string } : {}),
    ...(given(p.handle ?? undefined) ? { url: `https://${shop}/products/${encodeURIComponent(p.handle as string)}` } : {}),
    ...(webUrl(p.image?.src ?? p.images?.[0]?.src) === undefined ? {} : { imageUrl: webUrl(p.image?.src ?? p.images?.[0]?.src) }),
    ...(given(p.product_type ?? undefined) ? { category: p.product_type as string } : {}),
    tags: tags.map((tag) => tag.trim()).filter((tag) => tag !== ''),
    status: productStatuses[p.status ?? 'active'] ?? 'active',
    variants,
  };
}

function exactId(id: unknown, gid: string | null | undefined): string | undefined {
  return gid?.match(/\/(\d+)$/)?.[1] ?? idString(id);
}

/** Shopify sends "" for a contact it does not have, so a blank value gives way to the next source. */
function given(...values: (string | null | undefined)[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.trim() !== '');
}

type Address = z.infer<typeof Address>;

/** The country national phone numbers are read in: the billing, then the shipping, then the customer's address. */
function countryOf(billing: Address, shipping: Address, customer: z.infer<typeof Customer> | null | undefined): string | undefined {
  return given(billing?.country_code, shipping?.country_code, customer?.default_address?.country_code);
}

/** Money that satisfies the contract, or nothing: one odd amount is left out rather than failing the event. */
function exactMoney(amount: unknown, currency: string | null | undefined): Money | undefined {
  const money = Money.safeParse({ amount: decimalFromNumber(amount), currency });
  return money.success ? money.data : undefined;
}

/** The sum of a refund's transactions, in their currency's own digits ("1.235" KWD stays "1.235"). */
function refundAmount(transactions: readonly { amount?: unknown; currency?: string | null }[]): Money | undefined {
  const currency = transactions[0]?.currency;
  let sum: string | undefined;
  for (const transaction of transactions) {
    const amount = decimalFromNumber(transaction.amount);
    // A sum without an unreadable transaction would be a wrong amount told as exact: leave it out instead.
    if (amount === undefined || transaction.currency !== currency) return undefined;
    sum = sum === undefined ? amount : addDecimal(sum, amount);
  }
  return exactMoney(sum, currency);
}

function lineItems(items: z.infer<typeof ShopifyLineItem>[], currency: string | null | undefined): LineItem[] {
  return items.map((item) => ({
    productId: idString(item.product_id ?? undefined),
    variantId: idString(item.variant_id ?? undefined),
    sku: item.sku ?? undefined,
    name: item.name ?? item.title ?? '',
    quantity: item.quantity,
    price: moneyOf(item.price, currency),
  }));
}

function customerKeys(customer: z.infer<typeof Customer> | null | undefined) {
  const id = customer ? exactId(customer.id, customer.admin_graphql_api_id) : undefined;
  return { customerId: id === undefined ? undefined : `shopify:${id}` };
}

function traitsOf(customer: z.infer<typeof Customer> | null | undefined, billing: Address, locale: string | null | undefined): Traits {
  return {
    firstName: given(customer?.first_name, billing?.first_name),
    lastName: given(customer?.last_name, billing?.last_name),
    locale: given(locale),
    country: given(billing?.country_code, customer?.default_address?.country_code),
    city: given(billing?.city, customer?.default_address?.city),
  };
}

const consentStates: Record<string, 'subscribed' | 'unsubscribed' | 'not-subscribed'> = {
  subscribed: 'subscribed',
  unsubscribed: 'unsubscribed',
  not_subscribed: 'not-subscribed',
  pending: 'not-subscribed',
  redacted: 'unsubscribed',
  invalid: 'unsubscribed',
};

type ShopifyConsent = { state?: string | null; opt_in_level?: string | null; consent_updated_at?: string | null } | null | undefined;

/** Shopify's email and SMS consent webhooks: one consent.changed for the channel, or nothing without a state. */
function consentChanged(
  delivery: Delivery,
  channel: 'email' | 'sms',
  id: string,
  contact: { email?: unknown; phone?: unknown },
  consent: ShopifyConsent,
): Normalised {
  const state = ownValue(consentStates, consent?.state ?? undefined);
  if (state === undefined) return { kind: 'ignored', reason: `the payload carries no ${channel} consent state` };
  const customerId = `shopify:${id}`;
  const decidedAt = consent?.consent_updated_at;
  return checked(Events.ConsentChanged, {
    ...base(delivery, `consent.changed|${channel}|${customerId}|${decidedAt ?? delivery.triggeredAt ?? state}`, toUtcInstant(decidedAt)),
    identity: identityOf({ ...contact, customerId }),
    traits: {},
    properties: { channel, state, optInLevel: consent?.opt_in_level ?? undefined },
  });
}

interface Delivery {
  readonly shop: string;
  readonly topic: string;
  readonly triggeredAt: string | undefined;
  readonly receivedAt: string;
}

function base(delivery: Delivery, id: string, occurredAt: string | undefined) {
  return {
    eventId: canonicalEventId('shopify', delivery.shop, id),
    occurredAt: occurredAt ?? delivery.triggeredAt ?? delivery.receivedAt,
    receivedAt: delivery.receivedAt,
    origin: { platform: 'shopify' as const, shop: delivery.shop, topic: delivery.topic },
  };
}

function normalise(delivery: Delivery, payload: unknown): Normalised {
  const { topic } = delivery;
  switch (topic) {
    case 'orders/create':
    case 'orders/paid':
    case 'orders/updated':
    case 'orders/cancelled': {
      const order = Order.safeParse(payload);
      if (!order.success) return { kind: 'invalid', issues: order.error.issues };
      const o = order.data;
      const orderId = exactId(o.id, o.admin_graphql_api_id) as string;
      const identity = {
        ...identityOf({
          email: given(o.email, o.contact_email, o.customer?.email),
          phone: given(o.phone, o.customer?.phone),
          country: countryOf(o.billing_address, o.shipping_address, o.customer),
          ...customerKeys(o.customer),
        }),
        orderRef: `shopify:${orderId}`,
        ...(o.cart_token ? { cartRef: `shopify:${o.cart_token}` } : {}),
      };
      const traits = traitsOf(o.customer, o.billing_address, o.customer_locale);
      if (topic === 'orders/cancelled') {
        return checked(Events.OrderCancelled, {
          ...base(delivery, `order.cancelled|${orderId}`, toUtcInstant(o.cancelled_at)),
          identity,
          traits,
          properties: { orderId, orderNumber: o.name ?? undefined, reason: o.cancel_reason ?? undefined, total: moneyOf(o.total_price, o.currency) },
        });
      }
      // Create, paid and updated describe one order: one event id per order, so it counts once.
      return checked(Events.OrderCompleted, {
        ...base(delivery, `order.completed|${orderId}`, toUtcInstant(o.processed_at ?? o.created_at)),
        identity,
        traits,
        context: o.client_details?.user_agent ? { userAgent: o.client_details.user_agent, ip: o.client_details.browser_ip ?? undefined } : undefined,
        properties: {
          orderId,
          orderNumber: o.name ?? undefined,
          total: moneyOf(o.total_price, o.currency),
          presentmentTotal: exactMoney(o.total_price_set?.presentment_money?.amount, o.total_price_set?.presentment_money?.currency_code),
          subtotal: moneyOf(o.subtotal_price, o.currency),
          discount: moneyOf(o.total_discounts, o.currency),
          items: lineItems(o.line_items, o.currency),
          checkoutId: o.checkout_token ?? undefined,
          cartId: o.cart_token ?? undefined,
          statusUrl: webUrl(o.order_status_url),
          acceptsMarketing: o.buyer_accepts_marketing ?? undefined,
        },
      });
    }
    case 'refunds/create': {
      const refund = Refund.safeParse(payload);
      if (!refund.success) return { kind: 'invalid', issues: refund.error.issues };
      const r = refund.data;
      const refunds = (r.transactions ?? []).filter((transaction) => transaction.kind === 'refund');
      const orderId = idString(r.order_id) as string;
      return checked(Events.OrderRefunded, {
        ...base(delivery, `order.refunded|${idString(r.id)}`, toUtcInstant(r.processed_at ?? r.created_at)),
        // A refund names only its order; the order's alias leads to the person who placed it.
        identity: { orderRef: `shopify:${orderId}` },
        traits: {},
        properties: { orderId, refundId: idString(r.id), amount: refundAmount(refunds) },
      });
    }
    case 'checkouts/create':
    case 'checkouts/update': {
      const checkout = Checkout.safeParse(payload);
      if (!checkout.success) return { kind: 'invalid', issues: checkout.error.issues };
      const c = checkout.data;
      const currency = c.currency ?? c.presentment_currency;
      const version = topic === 'checkouts/create' ? 'created' : (c.updated_at ?? 'updated');
      return checked(Events.CheckoutStarted, {
        ...base(delivery, `checkout.started|${c.token}|${version}`, toUtcInstant(topic === 'checkouts/create' ? c.created_at : (c.updated_at ?? c.created_at))),
        identity: {
          ...identityOf({
            email: given(c.email, c.customer?.email),
            phone: given(c.phone, c.customer?.phone),
            country: countryOf(c.billing_address, c.shipping_address, c.customer),
            ...customerKeys(c.customer),
          }),
          ...(c.cart_token ? { cartRef: `shopify:${c.cart_token}` } : {}),
        },
        traits: traitsOf(c.customer, c.billing_address, c.customer_locale),
        properties: {
          checkoutId: c.token,
          cartId: c.cart_token ?? undefined,
          total: moneyOf(c.total_price, currency),
          items: lineItems(c.line_items, currency),
          recoveryUrl: c.abandoned_checkout_url ?? undefined,
          acceptsMarketing: c.buyer_accepts_marketing ?? undefined,
        },
      });
    }
    case 'carts/create':
    case 'carts/update': {
      const cart = Cart.safeParse(payload);
      if (!cart.success) return { kind: 'invalid', issues: cart.error.issues };
      const c = cart.data;
      return checked(Events.CartUpdated, {
        ...base(delivery, `cart.updated|${c.token}|${c.updated_at ?? c.created_at ?? ''}`, toUtcInstant(c.updated_at ?? c.created_at)),
        // A cart names no one yet; its checkout (with the same cart token) names the person.
        identity: { cartRef: `shopify:${c.token}` },
        traits: {},
        properties: { cartId: c.token, items: lineItems(c.line_items, undefined) },
      });
    }
    case 'customers/create':
    case 'customers/update': {
      const customer = Customer.safeParse(payload);
      if (!customer.success) return { kind: 'invalid', issues: customer.error.issues };
      const c = customer.data;
      const { customerId } = customerKeys(c);
      if (customerId === undefined) return { kind: 'invalid', issues: [{ path: ['id'], message: 'a customer needs an id' }] };
      return checked(Events.CustomerUpserted, {
        ...base(delivery, `customer.upserted|${customerId}|${c.updated_at ?? c.created_at ?? ''}`, toUtcInstant(c.updated_at ?? c.created_at)),
        identity: identityOf({ email: c.email, phone: c.phone, country: countryOf(undefined, undefined, c), customerId }),
        traits: traitsOf(c, undefined, undefined),
        properties: { customerId, createdAt: toUtcInstant(c.created_at) },
      });
    }
    case 'customers_email_marketing_consent/update': {
      const consent = EmailConsent.safeParse(payload);
      if (!consent.success) return { kind: 'invalid', issues: consent.error.issues };
      const c = consent.data;
      return consentChanged(delivery, 'email', idString(c.customer_id) as string, { email: c.email_address }, c.email_marketing_consent);
    }
    // Shopify's documented name since 2023-07; the slash spelling is still accepted for older subscriptions.
    case 'customers_marketing_consent/update':
    case 'customers/marketing_consent/update': {
      const consent = SmsConsent.safeParse(payload);
      if (!consent.success) return { kind: 'invalid', issues: consent.error.issues };
      const c = consent.data;
      return consentChanged(delivery, 'sms', idString(c.id) as string, { phone: c.phone }, c.sms_marketing_consent);
    }
    case 'fulfillments/create':
    case 'fulfillments/update': {
      const parsed = Fulfillment.safeParse(payload);
      if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
      const f = parsed.data;
      const orderId = idString(f.order_id) as string;
      const fulfillmentId = exactId(f.id, f.admin_graphql_api_id) as string;
      const shipped = f.status === 'success';
      const delivered = f.shipment_status === 'delivered';
      if (!shipped && !delivered) return { kind: 'ignored', reason: `fulfillment status ${f.status ?? 'none'}: not shipped yet` };
      const identity = { ...identityOf({ email: f.email }), orderRef: `shopify:${orderId}` };
      const at = toUtcInstant(f.updated_at ?? f.created_at);
      const currency = f.line_items[0]?.price_set?.shop_money?.currency_code;
      const tracking = webUrl(f.tracking_url);
      // Shipped and delivered are two facts, each told once however many updates repeat it.
      return combine([
        ...(shipped
          ? [
              checked(Events.OrderFulfilled, {
                ...base(delivery, `order.fulfilled|${fulfillmentId}`, toUtcInstant(f.created_at) ?? at),
                identity,
                traits: {},
                properties: {
                  orderId,
                  fulfillmentId,
                  items: lineItems(f.line_items, currency),
                  trackingCompany: given(f.tracking_company),
                  trackingNumber: given(f.tracking_number),
                  ...(tracking === undefined ? {} : { trackingUrl: tracking }),
                },
              }),
            ]
          : []),
        ...(delivered
          ? [
              checked(Events.OrderDelivered, {
                ...base(delivery, `order.delivered|${fulfillmentId}`, at),
                identity,
                traits: {},
                properties: { orderId, fulfillmentId },
              }),
            ]
          : []),
      ]);
    }
    case 'fulfillment_events/create': {
      const parsed = FulfillmentEvent.safeParse(payload);
      if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
      const e = parsed.data;
      if (e.status !== 'delivered') return { kind: 'ignored', reason: `shipment status ${e.status}: only delivered is used` };
      const orderId = idString(e.order_id) as string;
      const fulfillmentId = idString(e.fulfillment_id) as string;
      // The carrier's event names the order only: the person is whoever placed it.
      return checked(Events.OrderDelivered, {
        ...base(delivery, `order.delivered|${fulfillmentId}`, toUtcInstant(e.happened_at ?? e.created_at)),
        identity: { orderRef: `shopify:${orderId}` },
        traits: {},
        properties: { orderId, fulfillmentId },
      });
    }
    case 'customers/data_request':
    case 'customers/redact': {
      const parsed = (topic === 'customers/redact' ? CustomerRedact : DataRequest).safeParse(payload);
      if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
      const { customer } = parsed.data;
      const identity = identityOf({
        email: customer?.email,
        phone: customer?.phone,
        customerId: customer?.id == null ? undefined : `shopify:${idString(customer.id)}`,
      });
      if (!hasIdentity(identity)) return { kind: 'invalid', issues: [{ path: ['customer'], message: 'names no customer: an id, email or phone is required' }] };
      const orders = 'orders_to_redact' in parsed.data ? parsed.data.orders_to_redact : (parsed.data as z.infer<typeof DataRequest>).orders_requested;
      const requestId = 'data_request' in parsed.data ? idString(parsed.data.data_request?.id) : undefined;
      const request = topic === 'customers/redact' ? 'erase' : 'export';
      return checked(Events.PrivacyRequested, {
        ...base(
          delivery,
          `privacy|${request}|${requestId ?? ''}|${identity.customerId ?? identity.email ?? identity.phone}|${delivery.triggeredAt ?? delivery.receivedAt}`,
          undefined,
        ),
        request,
        person: identity,
        ...(requestId === undefined ? {} : { requestId }),
        orders: (orders ?? []).map((id) => idString(id) as string),
      });
    }
    case 'products/create':
    case 'products/update': {
      const parsed = ProductPayload.safeParse(payload);
      if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
      const product = productOf(delivery.shop, parsed.data);
      const at = toUtcInstant(parsed.data.updated_at ?? undefined);
      return checked(Events.ProductUpdated, {
        ...base(delivery, `product|${product.productId}|${at ?? delivery.triggeredAt ?? delivery.receivedAt}`, at),
        change: { kind: 'product', product },
      });
    }
    case 'products/delete': {
      const parsed = z.object({ id: Id }).safeParse(payload);
      if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
      const productId = idString(parsed.data.id) as string;
      return checked(Events.ProductUpdated, {
        ...base(delivery, `product-deleted|${productId}`, undefined),
        change: { kind: 'deleted', productId },
      });
    }
    case 'inventory_levels/update': {
      const parsed = InventoryLevel.safeParse(payload);
      if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
      const level = parsed.data;
      const at = toUtcInstant(level.updated_at ?? undefined);
      const [inventoryItemId, locationId] = [idString(level.inventory_item_id) as string, idString(level.location_id) as string];
      return checked(Events.ProductUpdated, {
        ...base(delivery, `inventory|${inventoryItemId}|${locationId}|${level.available ?? 'none'}|${at ?? delivery.triggeredAt ?? delivery.receivedAt}`, at),
        change: { kind: 'inventory-level', inventoryItemId, locationId, available: level.available ?? null },
      });
    }
    case 'shop/redact':
      // The shop is the one the signed header names, whatever the body says: a shop's secret erases only its own customers.
      return checked(Events.PrivacyRequested, {
        ...base(delivery, `privacy|erase-shop|${delivery.triggeredAt ?? delivery.receivedAt}`, undefined),
        request: 'erase-shop',
      });
    default:
      return { kind: 'ignored', reason: `topic ${topic} is not used by Nudge` };
  }
}

export const shopifyTopics = [
  'orders/create',
  'orders/paid',
  'orders/updated',
  'orders/cancelled',
  'refunds/create',
  'checkouts/create',
  'checkouts/update',
  'carts/create',
  'carts/update',
  'customers/create',
  'customers/update',
  'customers_marketing_consent/update',
  'customers/marketing_consent/update',
  'customers_email_marketing_consent/update',
  'fulfillments/create',
  'fulfillments/update',
  'fulfillment_events/create',
  'products/create',
  'products/update',
  'products/delete',
  'inventory_levels/update',
  'customers/data_request',
  'customers/redact',
  'shop/redact',
] as const;

export function receiveShopify(request: WebhookRequest, secrets: WebhookSecrets, now: number): Decision {
  // A host name, the same in any case: events name the shop as config/shops.json is looked up.
  const shop = header(request, 'shop-domain')?.toLowerCase();
  const secret = secretFor(secrets.shopify, shop);
  if (secret === undefined) return refuse(401, 'unknown-shop', `No Shopify signing secret is configured for shop ${shop ?? '(none)'}`);
  if (!verifyBodyHmac(request.body, header(request, 'hmac-sha256'), secret)) {
    return refuse(401, 'invalid-signature', 'The X-Shopify-Hmac-Sha256 signature does not match the body');
  }
  const topic = header(request, 'topic');
  if (topic === undefined || shop === undefined) return refuse(400, 'missing-header', 'X-Shopify-Topic and X-Shopify-Shop-Domain are required');
  const json = parseJson(request.body);
  if (!json.ok) return malformedJson(json.error);
  const delivery: Delivery = { shop, topic, triggeredAt: toUtcInstant(header(request, 'triggered-at')), receivedAt: new Date(now).toISOString() };
  // Shopify's event id is shared by every subscription that gets one event; the webhook id by every retry.
  const deliveryId = header(request, 'event-id') ?? header(request, 'webhook-id');
  return decideNormalised(normalise(delivery, json.value), deliveryId === undefined ? undefined : `shopify:${shop}:${deliveryId}`);
}
