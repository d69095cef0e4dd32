import { randomUUID } from 'node:crypto';
import { localShopifySecret } from '../../local/runtime.js';
import { signShopifyHmac } from '../../services/intake/core/signatures.js';
import { nudgeAsync } from '../support/cli.js';
import { fixtureBytes } from '../support/fixtures.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** Shopify's example order as a new order placed now (the fixture's own date is in 2021). */
function orderNow(orderId: string, at: Date): Buffer {
  return Buffer.from(
    fixtureBytes('webhooks/shopify/shopify-orders-create.json')
      .toString('utf8')
      .replace('gid://shopify/Order/820982911946154508', `gid://shopify/Order/${orderId}`)
      .replaceAll('2021-12-31T19:00:00-05:00', at.toISOString()),
  );
}

function postOrder(runtime: TestRuntime, body: Buffer): Promise<Response> {
  return fetch(`${runtime.httpUrl}/webhooks/shopify`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'demo.myshopify.com',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-hmac-sha256': signShopifyHmac(body, localShopifySecret),
    },
    body,
  });
}

interface JsonReport {
  rules: {
    rule: string;
    variant: string | null;
    sent: number;
    delivered: number;
    opened: number;
    clicked: number;
    conversions: number;
    revenue: Record<string, string>;
  }[];
}

async function report(runtime: TestRuntime, ...args: string[]): Promise<JsonReport> {
  const result = await nudgeAsync('report', '--json', '--endpoint', runtime.dynamoDbUrl, ...args);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as JsonReport;
}

describe('measurement on the local runtime', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  beforeEach(async () => {
    await runtime.idle();
    await clearInbox(runtime);
  });

  it("counts the demo order's thank-you, a second order within the window as its conversion, and a click in the local inbox", async () => {
    const first = await postOrder(runtime, orderNow('7000000000001', new Date()));
    expect(first.status).toBe(200);
    await runtime.idle();
    const [email] = await inbox(runtime);
    expect(email).toBeDefined();

    // The shopper opens the email in the local inbox and follows its link, through the local tracker as through SES's.
    const html = String(email?.body.html ?? '');
    const pixel = html.match(/src="(http:\/\/localhost:\d+\/_local\/ses\/open\/[^"]+)"/)?.[1];
    const link = html.match(/href="(http:\/\/localhost:\d+\/_local\/ses\/click\/[^"]+)"/)?.[1];
    expect(pixel).toBeDefined();
    expect(link).toBeDefined();
    expect((await fetch(String(pixel))).status).toBe(200);
    const click = await fetch(String(link), { redirect: 'manual' });
    expect(click.status).toBe(302);
    await runtime.idle();

    const second = await postOrder(runtime, orderNow('7000000000002', new Date(Date.now() + 1000)));
    expect(second.status).toBe(200);
    await runtime.idle();

    const { rules } = await report(runtime, '--rule', 'thank-you');
    expect(rules).toEqual([
      expect.objectContaining({
        rule: 'thank-you',
        variant: null,
        sent: 2,
        delivered: 2,
        opened: 1,
        clicked: 1,
        conversions: 1,
        revenue: { USD: expect.any(String) },
      }),
    ]);
  });
});
