import type { BusPublisher } from '#shared/adapters/bus-publisher.js';
import type { Contract } from '#shared/events/index.js';
import { PermanentError } from '#shared/result.js';
import type { ApiAnswer } from './adapters/bigcommerce-api.js';
import {
  BigCommerceCart,
  BigCommerceCustomers,
  BigCommerceOrder,
  BigCommerceProduct,
  BigCommerceVariants,
  cartEnrichment,
  customerEnrichment,
  type Enriched,
  enrichedDetail,
  orderEnrichment,
  productEnrichment,
} from './core/bigcommerce.js';

export interface EnrichmentPorts {
  readonly api: { get(store: string, token: string, path: string): Promise<ApiAnswer> };
  /** The store's API token, only among those configured. */
  tokenFor(store: string): Promise<string | undefined>;
  readonly publisher: Pick<BusPublisher, 'publish'>;
}

export type EnrichmentOutcome = 'enriched' | 'published-thin' | 'gone';

type ThinDetail = {
  readonly origin: { readonly shop?: string | undefined };
  readonly needsEnrichment?: { readonly resource: 'order' | 'cart' | 'customer' | 'product'; readonly id: string } | undefined;
} & Record<string, unknown>;

const bodyOf = <T>(
  answer: ApiAnswer,
  parse: (body: unknown) => { success: true; data: T } | { success: false; error: { message: string } },
  what: string,
): T | undefined => {
  if (answer.kind === 'gone') return undefined;
  const parsed = parse(answer.body);
  if (!parsed.success) throw new PermanentError(`BigCommerce's ${what} could not be read: ${parsed.error.message}`);
  return parsed.data;
};

/**
 * A thin BigCommerce event completed from BigCommerce's API and put back on the bus, the same
 * event (same id) with the person, items and money filled in. An order deleted meanwhile (404)
 * is dropped, said in the log; a cart gone (converted, deleted) still tells what it can by its key.
 */
export async function enrichEvent(contract: Contract, detailType: string, detail: ThinDetail, ports: EnrichmentPorts): Promise<EnrichmentOutcome> {
  const need = detail.needsEnrichment;
  if (need === undefined) return 'published-thin';
  const store = detail.origin.shop;
  if (store === undefined) throw new PermanentError('A BigCommerce event names no store');
  const token = await ports.tokenFor(store);
  if (token === undefined)
    throw new PermanentError(
      `No BigCommerce API token for store ${store}: add "${store}": "<token>" to the BigCommerce tokens secret, then redrive the dead letters`,
    );
  if (need.resource === 'product') {
    const path = `/v3/catalog/products/${encodeURIComponent(need.id)}`;
    const product = bodyOf(await ports.api.get(store, token, `${path}?include=images`), (body) => BigCommerceProduct.safeParse(body), `product ${need.id}`);
    // Deleted since: its own store/product/deleted callback tells the catalogue.
    if (product === undefined) return 'gone';
    const variants = bodyOf(
      await ports.api.get(store, token, `${path}/variants?limit=250`),
      (body) => BigCommerceVariants.safeParse(body),
      `variants of product ${need.id}`,
    );
    const { needsEnrichment: _done, ...rest } = detail;
    await ports.publisher.publish(contract, {
      ...rest,
      change: { kind: 'product', product: productEnrichment(store, need.id, product, variants?.data ?? []) },
    });
    return 'enriched';
  }
  let enriched: Enriched | undefined;
  switch (need.resource) {
    case 'order': {
      const order = bodyOf(
        await ports.api.get(store, token, `/v2/orders/${encodeURIComponent(need.id)}`),
        (body) => BigCommerceOrder.safeParse(body),
        `order ${need.id}`,
      );
      if (order === undefined) return 'gone';
      const products = await ports.api.get(store, token, `/v2/orders/${encodeURIComponent(need.id)}/products`);
      enriched = orderEnrichment(store, order, products.kind === 'found' && Array.isArray(products.body) ? products.body : []);
      break;
    }
    case 'cart': {
      const cart = bodyOf(
        await ports.api.get(store, token, `/v3/carts/${encodeURIComponent(need.id)}`),
        (body) => BigCommerceCart.safeParse(body),
        `cart ${need.id}`,
      );
      enriched = cart === undefined ? undefined : cartEnrichment(store, cart);
      break;
    }
    case 'customer': {
      const customers = bodyOf(
        await ports.api.get(store, token, `/v3/customers?id:in=${encodeURIComponent(need.id)}`),
        (body) => BigCommerceCustomers.safeParse(body),
        `customer ${need.id}`,
      );
      enriched = customers === undefined ? undefined : customerEnrichment(store, customers, need.id);
      if (enriched === undefined) return 'gone';
      break;
    }
  }
  if (enriched === undefined) {
    // A cart that is gone still names itself: the converted or abandoned fact reaches whoever it is known to be.
    const { needsEnrichment: _gone, ...thin } = detail;
    await ports.publisher.publish(contract, thin);
    return 'published-thin';
  }
  await ports.publisher.publish(contract, enrichedDetail(detailType, detail, enriched));
  return 'enriched';
}
