import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { LineItem, Traits } from '#shared/events/common.js';
import * as Events from '#shared/events/index.js';
import { ownValue } from '#shared/lookup.js';
import { identityOf, idString } from '../identity.js';
import { parseJson } from '../json.js';
import { accept, type Decision, type Delivery, headerOf, malformedJson, refuse, type WebhookRequest } from '../request.js';
import { basicAuthUser } from '../signatures.js';
import { toUtcInstant } from '../time.js';
import { canonicalEventId, checked, describeIssue, invalid, moneyOf, type Normalised, type WebhookSecrets } from './common.js';

/** Segment's own limits: 32 KB a message, 2,500 messages a batch. */
export const maxMessageBytes = 32 * 1024;
export const maxBatchMessages = 2500;

const Text = z.string().nullish();
const Loose = z.record(z.string(), z.unknown());

/** One Segment message, as its HTTP Tracking API takes it; every field but the type is optional there. */
const Message = z.object({
  type: z.enum(['track', 'identify', 'page', 'screen', 'alias', 'group']),
  messageId: z.union([z.string(), z.number()]).nullish(),
  userId: z.union([z.string(), z.number()]).nullish(),
  anonymousId: z.union([z.string(), z.number()]).nullish(),
  previousId: z.union([z.string(), z.number()]).nullish(),
  event: Text,
  name: Text,
  category: Text,
  timestamp: Text,
  originalTimestamp: Text,
  sentAt: Text,
  traits: Loose.nullish(),
  properties: Loose.nullish(),
  context: Loose.nullish(),
});
type Message = z.infer<typeof Message>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Segment's spec: `currency` is ISO 4217 and defaults to USD. */
const currencyOf = (properties: Record<string, unknown>) =>
  str(properties.currency)
    ?.toUpperCase()
    .match(/^[A-Z]{3}$/)
    ? (str(properties.currency) as string).toUpperCase()
    : 'USD';

/** A web address the email can show, or nothing (a malformed one is dropped, not sent on). */
function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function lineItem(product: Record<string, unknown>, currency: string): LineItem {
  const quantity = Number(product.quantity ?? 1);
  return {
    productId: idString(product.product_id) ?? idString(product.id),
    variantId: str(product.variant),
    sku: idString(product.sku),
    name: str(product.name) ?? '',
    quantity: Number.isSafeInteger(quantity) && quantity >= 0 ? quantity : 1,
    price: moneyOf(product.price, currency),
    category: str(product.category),
    imageUrl: httpUrl(product.image_url),
    url: httpUrl(product.url),
  };
}

const productsOf = (properties: Record<string, unknown>, currency: string): LineItem[] =>
  (Array.isArray(properties.products) ? properties.products : []).map((product) => lineItem(record(product), currency));

function traitsOf(message: Message): { traits: Traits; email: unknown; phone: unknown } {
  const context = record(message.context);
  const traits = { ...record(context.traits), ...record(message.traits) };
  const location = record(context.location);
  const address = record(traits.address);
  const [first, ...rest] = (str(traits.name) ?? '').split(/\s+/);
  const birthday = str(traits.birthday)?.match(/^(\d{4}-\d{2}-\d{2})/)?.[1];
  return {
    email: traits.email ?? record(message.properties).email,
    phone: traits.phone,
    traits: {
      firstName: str(traits.firstName) ?? str(traits.first_name) ?? (first || undefined),
      lastName: str(traits.lastName) ?? str(traits.last_name) ?? (rest.join(' ') || undefined),
      locale: str(context.locale),
      timeZone: str(context.timezone),
      country: str(location.country) ?? str(address.country),
      city: str(location.city) ?? str(address.city),
      birthday,
    },
  };
}

function contextOf(message: Message) {
  const context = record(message.context);
  const userAgent = str(context.userAgent);
  const ip = str(context.ip);
  return userAgent || ip ? { userAgent, ip } : undefined;
}

export interface SegmentSource {
  /** The source name the write key stands for: the `shop` of every event from it. */
  readonly shop: string;
  readonly receivedAt: number;
}

/** Segment deduplicates on messageId; a message without one is identified by its content. */
export function segmentMessageId(raw: unknown): string {
  return idString(record(raw).messageId) ?? createHash('sha256').update(JSON.stringify(raw)).digest('hex');
}

/** Normalises one Segment message into at most one canonical event. */
export function normaliseSegmentMessage(raw: unknown, source: SegmentSource): Normalised {
  const parsed = Message.safeParse(raw);
  if (!parsed.success) return invalid(parsed.error.issues);
  const message = parsed.data;
  if (message.type === 'group') return { kind: 'ignored', reason: 'group calls (accounts) are not used by Nudge' };
  const { traits, email, phone } = traitsOf(message);
  const userId = idString(message.userId);
  const anonymousId = idString(message.type === 'alias' ? message.previousId : message.anonymousId);
  if (userId === undefined && anonymousId === undefined) {
    return invalid([
      {
        path: [message.type === 'alias' ? 'previousId' : 'userId'],
        message: message.type === 'alias' ? 'alias needs userId and previousId' : 'userId or anonymousId is required',
      },
    ]);
  }
  if (message.type === 'alias' && (userId === undefined || anonymousId === undefined))
    return invalid([{ path: ['userId'], message: 'alias needs userId and previousId' }]);
  const receivedAt = new Date(source.receivedAt).toISOString();
  const occurredAt = toUtcInstant(message.timestamp ?? message.originalTimestamp ?? message.sentAt);
  if (occurredAt === undefined && (message.timestamp ?? message.originalTimestamp ?? message.sentAt) != null) {
    return invalid([{ path: ['timestamp'], message: 'not a timestamp' }]);
  }
  const messageId = segmentMessageId(raw);
  const identity = identityOf({ email, phone, userId, anonymousId });
  const properties = record(message.properties);
  const currency = currencyOf(properties);
  const base = (factId = `msg|${messageId}`, topic = message.type === 'track' ? `track:${message.event ?? ''}` : message.type) => ({
    eventId: canonicalEventId('segment', source.shop, factId),
    occurredAt: occurredAt ?? receivedAt,
    receivedAt,
    origin: { platform: 'segment' as const, shop: source.shop, topic },
    identity,
    traits,
    context: contextOf(message),
  });

  switch (message.type) {
    case 'identify':
    case 'alias':
      return checked(Events.CustomerUpserted, { ...base(), properties: {} });
    case 'page':
    case 'screen': {
      const page = { ...record(record(message.context).page), ...properties };
      return checked(Events.PageViewed, {
        ...base(),
        properties: {
          kind: message.type,
          name: str(message.name) ?? str(page.name),
          category: str(message.category),
          url: str(page.url),
          path: str(page.path),
          title: str(page.title),
          referrer: str(page.referrer),
        },
      });
    }
    case 'track':
      break;
  }
  const name = str(message.event);
  if (name === undefined) return invalid([{ path: ['event'], message: 'a track call needs the event name' }]);
  const orderId = idString(properties.order_id);
  switch (name) {
    case 'Product Viewed': {
      const productId = idString(properties.product_id) ?? idString(properties.sku);
      if (productId === undefined) return invalid([{ path: ['properties', 'product_id'], message: 'Product Viewed needs product_id or sku' }]);
      return checked(Events.ProductViewed, {
        ...base(),
        properties: {
          productId,
          variantId: str(properties.variant),
          sku: idString(properties.sku),
          name: str(properties.name),
          category: str(properties.category),
          price: moneyOf(properties.price, currency),
          url: str(properties.url),
          imageUrl: httpUrl(properties.image_url),
        },
      });
    }
    case 'Product Added':
    case 'Product Removed':
      return checked(Events.CartUpdated, {
        ...base(),
        properties: { cartId: idString(properties.cart_id), items: [lineItem(properties, currency)], change: name === 'Product Added' ? 'added' : 'removed' },
      });
    case 'Cart Viewed':
      return checked(Events.CartUpdated, { ...base(), properties: { cartId: idString(properties.cart_id), items: productsOf(properties, currency) } });
    case 'Checkout Started':
      return checked(Events.CheckoutStarted, {
        ...base(),
        properties: {
          checkoutId: idString(properties.checkout_id) ?? orderId ?? messageId,
          total: moneyOf(properties.total ?? properties.value ?? properties.revenue, currency),
          items: productsOf(properties, currency),
        },
      });
    case 'Order Completed':
    case 'Order Updated': {
      if (orderId === undefined) return invalid([{ path: ['properties', 'order_id'], message: `${name} needs order_id` }]);
      // Completed and later updates describe one order: one event id, so it counts once.
      return checked(Events.OrderCompleted, {
        ...base(`order.completed|${orderId}`),
        identity: { ...identity, orderRef: `segment:${source.shop}:${orderId}` },
        properties: {
          orderId,
          total: moneyOf(properties.total ?? properties.revenue, currency),
          subtotal: moneyOf(properties.subtotal, currency),
          discount: moneyOf(properties.discount, currency),
          items: productsOf(properties, currency),
          checkoutId: idString(properties.checkout_id),
        },
      });
    }
    case 'Order Cancelled':
    case 'Order Refunded': {
      if (orderId === undefined) return invalid([{ path: ['properties', 'order_id'], message: `${name} needs order_id` }]);
      const identityWithOrder = { ...identity, orderRef: `segment:${source.shop}:${orderId}` };
      if (name === 'Order Cancelled') {
        return checked(Events.OrderCancelled, { ...base(), identity: identityWithOrder, properties: { orderId, total: moneyOf(properties.total, currency) } });
      }
      return checked(Events.OrderRefunded, {
        ...base(),
        identity: identityWithOrder,
        properties: { orderId, amount: moneyOf(properties.total ?? properties.revenue, currency) },
      });
    }
    case 'Product Reviewed': {
      const rating = Number(properties.rating);
      return checked(Events.ReviewSubmitted, {
        ...base(),
        properties: {
          productId: idString(properties.product_id),
          reviewId: idString(properties.review_id),
          rating: Number.isFinite(rating) ? rating : undefined,
          body: str(properties.review_body),
        },
      });
    }
    case 'Referral Completed':
      return checked(Events.ReferralCompleted, {
        ...base(),
        properties: { referralId: idString(properties.referral_id), referredCustomer: str(properties.referred_email) ?? idString(properties.referred_user_id) },
      });
    default: {
      const customName = name.slice(0, Events.CustomEvent.maxNameLength);
      return checked(Events.CustomEvent, { ...base(), properties: { name: customName, values: properties } }, Events.CustomEvent.detailTypeFor(customName));
    }
  }
}

const singleCalls: Readonly<Record<string, Message['type']>> = {
  '/v1/track': 'track',
  '/v1/identify': 'identify',
  '/v1/page': 'page',
  '/v1/screen': 'screen',
  '/v1/alias': 'alias',
  '/v1/group': 'group',
};
export const segmentPaths = [...Object.keys(singleCalls), '/v1/batch'] as const;

export function receiveSegment(request: WebhookRequest, secrets: WebhookSecrets, now: number): Decision {
  const json = parseJson(request.body);
  const bodyWriteKey = json.ok ? str(record(json.value).writeKey) : undefined;
  // analytics-node sends the write key as Basic auth; older libraries put it in the body.
  const writeKey = basicAuthUser(headerOf(request, 'authorization')) ?? bodyWriteKey;
  const shop = ownValue(secrets.segment, writeKey);
  if (shop === undefined) {
    return refuse(
      401,
      writeKey === undefined ? 'missing-write-key' : 'invalid-write-key',
      'Send a known Segment write key as Authorization: Basic base64(writeKey + ":")',
    );
  }
  if (!json.ok) return malformedJson(json.error);
  const body = record(json.value);
  const singleType = ownValue(singleCalls, request.path);
  let messages: unknown[];
  if (singleType !== undefined) {
    if (request.body.length > maxMessageBytes) return refuse(400, 'message-too-large', `A Segment message may be at most ${maxMessageBytes} bytes`);
    messages = [{ ...body, type: singleType }];
  } else if (!Array.isArray(body.batch)) {
    return refuse(400, 'invalid-payload', 'batch: expected an array of messages', { field: 'batch' });
  } else if (body.batch.length > maxBatchMessages) {
    return refuse(400, 'batch-too-large', `A batch may hold at most ${maxBatchMessages} messages; this one has ${body.batch.length}`);
  } else {
    // Batch-level context applies to every message that has none of its own.
    messages = body.batch.map((message) =>
      body.context !== undefined && record(message).context === undefined ? { ...record(message), context: body.context } : message,
    );
  }

  const source: SegmentSource = { shop, receivedAt: now };
  const deliveries: Delivery[] = [];
  const rejected: { index: number; field: string; message: string }[] = [];
  let ignored = 0;
  messages.forEach((message, index) => {
    const normalised = normaliseSegmentMessage(message, source);
    if (normalised.kind === 'invalid') rejected.push({ index, ...describeIssue(normalised.issues) });
    else if (normalised.kind === 'ignored') ignored++;
    else {
      deliveries.push({ id: `segment:${shop}:${segmentMessageId(message)}`, publications: normalised.publications });
    }
  });
  // Like Segment: a batch with some good messages is accepted, and the bad ones are named.
  if (deliveries.length === 0 && rejected.length > 0) {
    const [first] = rejected;
    return refuse(400, 'invalid-payload', `${singleType === undefined ? `batch.${first?.index}.` : ''}${first?.message}`, { field: first?.field, rejected });
  }
  return accept(deliveries, { success: true, ...(ignored > 0 ? { ignored } : {}), ...(rejected.length > 0 ? { rejected } : {}) });
}
