import { z } from 'zod';
import * as Events from '#shared/events/index.js';
import { idString } from '../identity.js';
import { parseJson } from '../json.js';
import { type Decision, headerOf, malformedJson, refuse, type WebhookRequest } from '../request.js';
import { signatureToleranceSeconds, verifyStandardWebhook } from '../signatures.js';
import { toUtcInstant } from '../time.js';
import { canonicalEventId, checked, decideNormalised, invalid, type Normalised, secretFor, type WebhookSecrets } from './common.js';

const Id = z.union([z.number(), z.string()]);

/**
 * BigCommerce callbacks are thin: a scope and the ids of what changed. Nudge publishes them with
 * `needsEnrichment`, naming what to fetch from BigCommerce's API (see the README, "Enrichment").
 */
const Callback = z.object({
  scope: z.string().min(1),
  store_id: Id.nullish(),
  producer: z.string().nullish(),
  hash: z.string().min(1),
  created_at: z.number(),
  data: z.object({
    type: z.string().nullish(),
    id: Id,
    cartId: Id.nullish(),
    orderId: Id.nullish(),
    status: z.object({ previous_status_id: z.number().nullish(), new_status_id: z.number() }).nullish(),
    refund: z.object({ refund_id: Id.nullish() }).nullish(),
    address: z.object({ customer_id: Id.nullish() }).nullish(),
    /** Stock callbacks (`store/product/inventory/…`, `store/sku/inventory/…`) and SKU callbacks name the product here. */
    inventory: z.object({ product_id: Id.nullish() }).nullish(),
    sku: z.object({ product_id: Id.nullish() }).nullish(),
  }),
});
type Callback = z.infer<typeof Callback>;

/** BigCommerce order status ids that Nudge turns into events (the rest are fulfilment steps). */
const orderStatus = { shipped: 2, partiallyShipped: 3, refunded: 4, cancelled: 5, partiallyRefunded: 14 } as const;

/** The store a callback is for: the hash in `producer` ("stores/abc123"), else the store id. */
function storeOf(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { producer, store_id: storeId } = payload as { producer?: unknown; store_id?: unknown };
  const hash = typeof producer === 'string' ? producer.match(/^stores\/(.+)$/)?.[1] : undefined;
  return hash ?? idString(storeId);
}

function normalise(callback: Callback, store: string, receivedAt: string): Normalised {
  const { scope, data } = callback;
  const id = idString(data.id) as string;
  const key = (value: string) => `bigcommerce:${store}:${value}`;
  const base = (factId: string) => ({
    eventId: canonicalEventId('bigcommerce', store, factId),
    occurredAt: toUtcInstant(callback.created_at) ?? receivedAt,
    receivedAt,
    origin: { platform: 'bigcommerce' as const, shop: store, topic: scope },
    traits: {},
  });
  const byHash = base(`${scope}|${callback.hash}`);

  if (scope === 'store/order/created') {
    return checked(Events.OrderCompleted, {
      ...base(`order.completed|${id}`),
      identity: { orderRef: key(id) },
      needsEnrichment: { resource: 'order', id },
      properties: { orderId: id, items: [] },
    });
  }
  if (scope === 'store/order/statusUpdated') {
    const status = data.status?.new_status_id;
    if (status === orderStatus.cancelled) {
      return checked(Events.OrderCancelled, {
        ...byHash,
        identity: { orderRef: key(id) },
        needsEnrichment: { resource: 'order', id },
        properties: { orderId: id },
      });
    }
    if (status === orderStatus.refunded || status === orderStatus.partiallyRefunded) {
      return checked(Events.OrderRefunded, {
        ...byHash,
        identity: { orderRef: key(id) },
        needsEnrichment: { resource: 'order', id },
        properties: { orderId: id },
      });
    }
    if (status === orderStatus.shipped || status === orderStatus.partiallyShipped) {
      // One fact per order and status: BigCommerce may tell a status twice.
      return checked(Events.OrderFulfilled, {
        ...base(`order.fulfilled|${id}|${status}`),
        identity: { orderRef: key(id) },
        needsEnrichment: { resource: 'order', id },
        properties: { orderId: id, items: [] },
      });
    }
    return { kind: 'ignored', reason: `order status ${status ?? '(none)'} is not used by Nudge` };
  }
  if (scope === 'store/order/refund/created') {
    const refundId = idString(data.refund?.refund_id ?? undefined);
    return checked(Events.OrderRefunded, {
      ...byHash,
      identity: { orderRef: key(id) },
      needsEnrichment: { resource: 'order', id },
      properties: { orderId: id, refundId },
    });
  }
  if (scope.startsWith('store/cart/')) {
    if (scope === 'store/cart/deleted') return { kind: 'ignored', reason: 'a deleted cart is not used by Nudge' };
    // Line-item callbacks carry the cart's id in `cartId`; cart callbacks in `id`.
    const cartId = scope.startsWith('store/cart/lineItem/') ? idString(data.cartId ?? undefined) : id;
    if (cartId === undefined) return invalid([{ path: ['data', 'cartId'], message: 'a cart line item callback needs the cart id' }]);
    const orderId = idString(data.orderId ?? undefined);
    return checked(Events.CartUpdated, {
      ...byHash,
      identity: { cartRef: key(cartId), ...(orderId ? { orderRef: key(orderId) } : {}) },
      needsEnrichment: { resource: 'cart', id: cartId },
      properties: {
        cartId,
        items: [],
        ...(scope === 'store/cart/abandoned' ? { abandoned: true } : {}),
        ...(scope === 'store/cart/converted' ? { converted: true } : {}),
      },
    });
  }
  if (scope === 'store/customer/created' || scope === 'store/customer/updated' || scope.startsWith('store/customer/address/')) {
    const customer = scope.startsWith('store/customer/address/') ? idString(data.address?.customer_id ?? undefined) : id;
    if (customer === undefined) return invalid([{ path: ['data', 'address', 'customer_id'], message: 'an address callback needs the customer id' }]);
    const customerId = key(customer);
    return checked(Events.CustomerUpserted, {
      ...byHash,
      identity: { customerId },
      needsEnrichment: { resource: 'customer', id: customer },
      properties: { customerId },
    });
  }
  if (isCatalogueScope(scope)) return productChange(callback, store, receivedAt);
  return { kind: 'ignored', reason: `scope ${scope} is not used by Nudge` };
}

/** Product and SKU callbacks: what the catalogue keeps (metafield callbacks are not). */
const isCatalogueScope = (scope: string) => /^store\/(product|sku)\//.test(scope) && !scope.includes('/metafield/');

/**
 * A product created, changed, restocked or sold (its own callback or one of its SKUs'): the whole
 * product is read from BigCommerce's API by enrichment, so whichever callback comes last, the
 * catalogue keeps what BigCommerce has now. A deletion needs nothing more.
 */
function productChange(callback: Callback, store: string, receivedAt: string): Normalised {
  const { scope, data } = callback;
  const occurredAt = toUtcInstant(callback.created_at) ?? receivedAt;
  const origin = { platform: 'bigcommerce' as const, shop: store, topic: scope };
  const productId = scope.startsWith('store/sku/')
    ? idString(data.inventory?.product_id ?? data.sku?.product_id ?? undefined)
    : idString(data.inventory?.product_id ?? data.id);
  if (productId === undefined) return invalid([{ path: ['data', 'sku', 'product_id'], message: 'a SKU callback needs the product id' }]);
  // Two sales of one unit each send the same data (and hash): the callback's time tells them apart.
  const eventId = canonicalEventId('bigcommerce', store, `product|${productId}|${scope}|${callback.hash}|${callback.created_at}`);
  if (scope === 'store/product/deleted')
    return checked(Events.ProductUpdated, { eventId, occurredAt, receivedAt, origin, change: { kind: 'deleted', productId } });
  if (scope === 'store/sku/deleted' || scope.endsWith('/created') || scope.endsWith('/updated'))
    return checked(Events.ProductUpdated, {
      eventId,
      occurredAt,
      receivedAt,
      origin,
      change: { kind: 'product', product: { productId } },
      needsEnrichment: { resource: 'product', id: productId },
    });
  return { kind: 'ignored', reason: `scope ${scope} is not used by Nudge` };
}

export const bigCommerceScopes = ['store/order/*', 'store/cart/*', 'store/customer/*', 'store/product/*', 'store/sku/*'] as const;

export function receiveBigCommerce(request: WebhookRequest, secrets: WebhookSecrets, now: number): Decision {
  const json = parseJson(request.body);
  // The store picks the secret, so it is read before the signature is checked; nothing else is.
  const store = json.ok ? storeOf(json.value) : undefined;
  const secret = secretFor(secrets.bigcommerce, store);
  if (secret === undefined) return refuse(401, 'unknown-shop', `No BigCommerce client secret is configured for store ${store ?? '(none)'}`);
  const headers = {
    id: headerOf(request, 'webhook-id'),
    timestamp: headerOf(request, 'webhook-timestamp'),
    signature: headerOf(request, 'webhook-signature'),
  };
  const verdict = verifyStandardWebhook(headers, request.body, secret, now);
  if (verdict === 'invalid') return refuse(401, 'invalid-signature', 'The webhook-signature does not match webhook-id, webhook-timestamp and the body');
  if (verdict === 'stale')
    return refuse(401, 'stale-signature', `webhook-timestamp is more than ${signatureToleranceSeconds} s away from now; a replayed delivery is refused`);
  if (!json.ok) return malformedJson(json.error);
  const callback = Callback.safeParse(json.value);
  if (!callback.success) return decideNormalised(invalid(callback.error.issues), undefined);
  const shop = store ?? 'unknown-store';
  // Retries of one callback carry the same payload hash (and the same webhook-id); stock callbacks
  // of two sales may share a hash, so theirs is told apart by the callback's time.
  const { scope, hash, created_at: createdAt } = callback.data;
  const delivery = isCatalogueScope(scope) ? `${hash}:${createdAt}` : hash;
  return decideNormalised(normalise(callback.data, shop, new Date(now).toISOString()), `bigcommerce:${shop}:${delivery}`);
}
