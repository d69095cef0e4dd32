import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readDeadLetters } from '../../local/event-bus.js';
import { localWebhookSecrets } from '../../local/runtime.js';
import { fixtureJson } from '../support/fixtures.js';
import { postWebhook, signed } from '../support/intake.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// BigCommerce's webhooks carry ids only: enrichment reads the order, cart or customer from
// BigCommerce's REST API (here a local server answering with BigCommerce's documented bodies)
// and the event reaches profiles like any other. It waits out a 429 as told, drops an order
// deleted meanwhile (404), and sends the event of a store without a token to the dead letters.
let runtime: TestRuntime;
let api: Server;
const store = 'abc123';
const requests: { path: string; token: string | undefined }[] = [];
let rateLimitedOnce = false;
/** Product 192 as the store has it now: BigCommerce's documented product, named and tracked by variant; its variants' stock. */
const smithJournal: Json = {
  ...fixtureJson<{ data: Json }>('bigcommerce-api/v3-product.json').data,
  id: 192,
  name: 'Smith Journal',
  inventory_tracking: 'variant',
};
const stock = new Map<number, number>();
const stockOf = (variantId: number) => stock.get(variantId) ?? 0;

type Json = Record<string, unknown>;
const order = (id: number, email: string): Json => {
  const documented = fixtureJson<Json & { billing_address: Json }>('bigcommerce-api/v2-order.json');
  return { ...documented, id, customer_id: 0, billing_address: { ...documented.billing_address, email, first_name: 'Bruno' } };
};

beforeAll(async () => {
  api = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: `${url.pathname}${url.search}`, token: request.headers['x-auth-token'] as string | undefined });
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    const path = url.pathname.replace(`/stores/${store}`, '');
    if (path === '/v2/orders/250') {
      // The first answer is BigCommerce's rate limit: wait this long, then ask again.
      if (!rateLimitedOnce) {
        rateLimitedOnce = true;
        // As documented: the status line and the reset header, no body.
        response.writeHead(429, { 'X-Rate-Limit-Time-Reset-Ms': '300', 'X-Rate-Limit-Requests-Left': '0' });
        return response.end();
      }
      return reply(200, order(250, 'bruno.bigcommerce@example.com'));
    }
    if (path === '/v2/orders/250/products') return reply(200, fixtureJson('bigcommerce-api/v2-order-products.json'));
    if (path === '/v3/catalog/products/192') return reply(200, { ...fixtureJson<Json>('bigcommerce-api/v3-product.json'), data: smithJournal });
    if (path === '/v3/catalog/products/192/variants') {
      const documented = fixtureJson<{ data: Json[] }>('bigcommerce-api/v3-product-variants.json');
      return reply(200, { ...documented, data: documented.data.map((variant) => ({ ...variant, inventory_level: stockOf(variant.id as number) })) });
    }
    if (path === '/v2/orders/404') return reply(404, [{ status: 404, message: 'The requested resource was not found.' }]);
    return reply(404, [{ status: 404, message: 'The requested resource was not found.' }]);
  });
  await new Promise<void>((resolveListen) => api.listen(0, '127.0.0.1', resolveListen));
  runtime = await startTestRuntime({ bigCommerceApiUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}` });
  await clearInbox(runtime);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await new Promise((resolveClose) => api?.close(resolveClose));
});

async function callback(id: number, scope = 'store/order/created', storeHash = store): Promise<void> {
  await post({
    ...fixtureJson('webhooks/bigcommerce/bigcommerce-store-order-created.json'),
    producer: `stores/${storeHash}`,
    scope,
    hash: `hash-${id}-${storeHash}`,
    created_at: Math.floor(Date.now() / 1000),
    data: { type: 'order', id },
  });
}

/** One of BigCommerce's documented callbacks, from this store, now, about product 192. */
async function productCallback(fixture: string, data: (documented: Json) => Json, at = Math.floor(Date.now() / 1000)): Promise<void> {
  const documented = fixtureJson<Json & { data: Json }>(`webhooks/bigcommerce/${fixture}`);
  await post({ ...documented, producer: `stores/${store}`, created_at: at, data: data(documented.data) });
}

async function post(callbackBody: Json): Promise<void> {
  const body = JSON.stringify(callbackBody);
  const request = signed.bigcommerce(body, localWebhookSecrets.bigcommerce?.['*'] as string, Date.now());
  expect((await postWebhook(runtime.httpUrl, request)).status).toBe(200);
  await runtime.idle();
}

describe('BigCommerce enrichment', () => {
  it('completes a thin order from the API, after waiting out a 429, and the customer gets the thank-you', async () => {
    await callback(250);
    const orders = requests.filter((request) => request.path === `/stores/${store}/v2/orders/250`);
    expect(orders).toHaveLength(2);
    expect(new Set(requests.map((request) => request.token))).toEqual(new Set(['local-bigcommerce-token']));
    const enriched = runtime
      .busLog()
      .find(
        (event) => event['detail-type'] === 'order.completed' && event.detail.needsEnrichment === undefined && JSON.stringify(event.detail).includes('bruno'),
      );
    expect(enriched?.detail).toMatchObject({
      identity: { email: 'bruno.bigcommerce@example.com', orderRef: `bigcommerce:${store}:250` },
      traits: { firstName: 'Bruno' },
      properties: { orderId: '250', items: expect.arrayContaining([expect.objectContaining({ quantity: expect.any(Number) })]) },
    });
    const subjects = (await inbox(runtime)).filter((email) => email.destination.to.includes('bruno.bigcommerce@example.com')).map((email) => email.subject);
    expect(subjects).toEqual(['Thank you for your order, Bruno!']);
  }, 60_000);

  it('drops an order deleted before it could be read (404), with nothing in the dead letters', async () => {
    await callback(404);
    expect(
      runtime.busLog().filter((event) => JSON.stringify(event.detail).includes(`bigcommerce:${store}:404`) && event.detail.needsEnrichment === undefined),
    ).toEqual([]);
    expect(readDeadLetters(runtime.dataDir, 'enrichment')).toEqual([]);
  }, 60_000);

  it('keeps a BigCommerce product read from the API, and a restock told by a SKU callback is back in stock', async () => {
    await productCallback('bigcommerce-store-product-created.json', (data) => ({ ...data, id: 192 }));
    const kept = runtime
      .busLog()
      .filter(
        (event) =>
          event['detail-type'] === 'product.updated' && event.detail.needsEnrichment === undefined && JSON.stringify(event.detail).includes('Smith Journal'),
      );
    expect(kept).toHaveLength(1);
    expect(kept[0]?.detail.change).toMatchObject({
      kind: 'product',
      product: {
        productId: '192',
        url: `https://store-${store}.mybigcommerce.com/all/1l-le-parfait-jar/`,
        variants: [{ variantId: '382', inventory: 0 }, {}, {}],
      },
    });
    expect(requests.map((request) => request.path)).toEqual(
      expect.arrayContaining([`/stores/${store}/v3/catalog/products/192?include=images`, `/stores/${store}/v3/catalog/products/192/variants?limit=250`]),
    );

    // Beige is restocked: BigCommerce tells the SKU's stock; enrichment reads the product again.
    stock.set(382, 5);
    await productCallback(
      'bigcommerce-store-sku-inventory-updated.json',
      (data) => ({
        ...data,
        inventory: { ...(data.inventory as Json), product_id: 192, variant_id: 382, value: 5 },
      }),
      Math.floor(Date.now() / 1000) + 1,
    );
    const back = runtime.busLog().filter((event) => event['detail-type'] === 'product.back-in-stock' && JSON.stringify(event.detail).includes('Smith Journal'));
    expect(back).toHaveLength(1);
    expect(back[0]?.detail).toMatchObject({ properties: { product: { productId: '192' }, variantId: '382', inventory: 5 } });
    expect(readDeadLetters(runtime.dataDir, 'enrichment')).toEqual([]);
    expect(readDeadLetters(runtime.dataDir, 'profiles')).toEqual([]);
  }, 60_000);
});
