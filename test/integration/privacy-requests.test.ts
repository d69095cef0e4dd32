import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookRequest } from '#services/intake/core/request.js';
import { localShopifySecret } from '../../local/runtime.js';
import { nudgeAsync } from '../support/cli.js';
import { fixtureBytes, fixtureJson } from '../support/fixtures.js';
import { postWebhook, signed } from '../support/intake.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// Shopify's mandatory compliance webhooks, as a shop's app receives them, against the local runtime:
// a customer's data asked for, a customer erased, a whole shop's customers erased 48 hours after it
// uninstalled the app. Shopify's own sample payloads; the shop is the one the signed header names.
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
}, 60_000);
afterAll(() => runtime?.stop());

const send = async (request: WebhookRequest) => {
  const response = await postWebhook(runtime.httpUrl, request);
  await runtime.idle();
  return { status: response.status, body: JSON.parse(response.text) as Record<string, unknown> };
};
const shopify = (body: Buffer | string, topic: string, shop: string, secret = localShopifySecret) =>
  send(signed.shopify(body, secret, topic, { 'x-shopify-shop-domain': shop, 'x-shopify-webhook-id': randomUUID(), 'x-shopify-event-id': randomUUID() }));
/** A customer of the shop, as Shopify's customers/create tells of them. */
const customer = (shop: string, id: number, email: string) =>
  shopify(
    JSON.stringify({
      ...fixtureJson('webhooks/shopify/shopify-customers-create.json'),
      id,
      admin_graphql_api_id: `gid://shopify/Customer/${id}`,
      email,
      phone: null,
    }),
    'customers/create',
    shop,
  );
const cli = (...args: string[]) => nudgeAsync(...args, '--endpoint', runtime.dynamoDbUrl);
const exists = async (key: string) => (await cli('profile', 'export', key)).status === 0;

describe("Shopify's compliance webhooks", () => {
  it('exports what Nudge holds on the customer for the shop to hand over, and records the request', async () => {
    expect((await customer('compliance-a.myshopify.com', 191167, 'john@example.com')).status).toBe(200);
    const asked = await shopify(fixtureBytes('webhooks/shopify/shopify-customers-data_request.json'), 'customers/data_request', 'compliance-a.myshopify.com');
    expect(asked).toMatchObject({ status: 200 });
    const out = mkdtempSync(join(tmpdir(), 'nudge-privacy-'));
    const listed = await cli('privacy', 'requests', '--shop', 'compliance-a.myshopify.com', '--out', out);
    expect(listed.stdout).toMatch(/compliance-a\.myshopify\.com {2}export #9999 {2}1 profile\(s\) exported \(export kept\)/);
    const [file] = readdirSync(out);
    expect(file).toBe('compliance-a.myshopify.com-9999.json');
    const exported = JSON.parse(readFileSync(join(out, file ?? ''), 'utf8'));
    expect(exported).toMatchObject({ requestId: '9999', orders: ['299938', '280263', '220458'], profiles: [{ profile: { email: 'john@example.com' } }] });
    // An export only reads: the customer is still there.
    expect(await exists('customer:shopify:191167')).toBe(true);
  });

  it('records a request Shopify delivers twice (its retry: the same webhook, ids and time) once', async () => {
    expect((await customer('compliance-retry.myshopify.com', 191167, 'john@example.com')).status).toBe(200);
    const headers = {
      'x-shopify-shop-domain': 'compliance-retry.myshopify.com',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-event-id': randomUUID(),
      'x-shopify-triggered-at': '2026-11-20T10:00:00.000Z',
    };
    const request = signed.shopify(fixtureBytes('webhooks/shopify/shopify-customers-data_request.json'), localShopifySecret, 'customers/data_request', headers);
    expect((await send(request)).status).toBe(200);
    expect((await send(request)).status).toBe(200);
    const listed = (await cli('privacy', 'requests', '--shop', 'compliance-retry.myshopify.com')).stdout;
    expect(listed.match(/export #9999/g)).toHaveLength(1);
    // And counts what one export exported, not what the two runs did together.
    expect(listed).toMatch(/export #9999 {2}1 profile\(s\) exported/);
  });

  it('erases the customer by every key the shop names, leaves the address suppressed, and answers a repeat with nothing more to do', async () => {
    const redact = fixtureBytes('webhooks/shopify/shopify-customers-redact.json');
    expect((await shopify(redact, 'customers/redact', 'compliance-a.myshopify.com')).status).toBe(200);
    expect(await exists('customer:shopify:191167')).toBe(false);
    expect(await exists('john@example.com')).toBe(false);
    expect((await shopify(redact, 'customers/redact', 'compliance-a.myshopify.com')).status).toBe(200);
    const listed = (await cli('privacy', 'requests', '--shop', 'compliance-a.myshopify.com')).stdout;
    expect(listed).toMatch(/erase {2}1 profile\(s\) erased\n.*erase {2}0 profile\(s\) erased/);
    // A customer the shop never told Nudge of: recorded, nothing erased.
    const unknown = JSON.stringify({ ...fixtureJson('webhooks/shopify/shopify-customers-redact.json'), customer: { id: 5, email: 'nobody@example.com' } });
    expect((await shopify(unknown, 'customers/redact', 'compliance-a.myshopify.com')).status).toBe(200);
  });

  it("erases every customer of a shop that uninstalled the app, and only that shop's", async () => {
    await customer('compliance-b.myshopify.com', 301, 'ann@example.com');
    await customer('compliance-b.myshopify.com', 302, 'bo@example.com');
    await customer('compliance-c.myshopify.com', 303, 'cy@example.com');
    // The body names another shop; the signed header decides whose customers go.
    const body = JSON.stringify({ shop_id: 1, shop_domain: 'compliance-c.myshopify.com' });
    expect((await shopify(body, 'shop/redact', 'compliance-b.myshopify.com')).status).toBe(200);
    expect(await exists('ann@example.com')).toBe(false);
    expect(await exists('bo@example.com')).toBe(false);
    expect(await exists('cy@example.com')).toBe(true);
    expect((await cli('privacy', 'requests', '--shop', 'compliance-b.myshopify.com')).stdout).toContain('erase-shop  2 profile(s) erased');
  });

  it('refuses an unsigned or forged request with 401, and one that names no customer with a 400 naming the field', async () => {
    const redact = fixtureBytes('webhooks/shopify/shopify-customers-redact.json');
    expect((await shopify(redact, 'customers/redact', 'compliance-a.myshopify.com', 'not-the-secret')).status).toBe(401);
    const nobody = await shopify(JSON.stringify({ shop_id: 1, shop_domain: 'x', customer: {} }), 'customers/redact', 'compliance-a.myshopify.com');
    expect(nobody).toMatchObject({ status: 400, body: { code: 'invalid-payload', field: 'customer' } });
    const wrong = await shopify(JSON.stringify({ customer: { id: { nested: true } } }), 'customers/data_request', 'compliance-a.myshopify.com');
    expect(wrong).toMatchObject({ status: 400, body: { code: 'invalid-payload', field: 'customer.id' } });
  });
});
