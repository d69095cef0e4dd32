import { randomUUID } from 'node:crypto';
import { localShopifySecret } from '../../local/runtime.js';
import { nudgeAsync, sendSample } from '../support/cli.js';
import { fixtureBytes } from '../support/fixtures.js';
import { postWebhook, signed } from '../support/intake.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// The review request after delivery, end to end on the local runtime: Shopify tells of an order, then
// its carrier's "delivered"; three days later the review request goes, and the one seven days after
// the order (same exclusive group) holds, so the customer is asked once.
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  await clearInbox(runtime);
}, 60_000);
afterAll(() => runtime?.stop());

const email = 'dora.delivered@example.com';
const subjectsTo = async () => (await inbox(runtime)).filter((message) => message.destination.to.includes(email)).map((message) => message.subject);
const advance = async (by: string) => expect(await nudgeAsync('clock', 'advance', by, '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });

describe('review request after delivery', () => {
  it('asks three days after the carrier delivered, and not again seven days after the order', async () => {
    const sent = await sendSample(runtime, 'shopify', 'orders/create', `email=${email}`, 'first_name=Dora');
    expect(sent.status).toBe(0);
    await runtime.idle();
    const order = runtime.busLog().find((event) => event['detail-type'] === 'order.completed' && JSON.stringify(event.detail).includes(email));
    const orderId = String((order?.detail.properties as { orderId?: string } | undefined)?.orderId);
    expect(await subjectsTo()).toEqual(['Thank you for your order, Dora!']);

    await advance('1d');
    // The carrier's event names only the order (Shopify's sample, with this order and "delivered").
    const carrier = fixtureBytes('webhooks/shopify/shopify-fulfillment_events-create.json')
      .toString()
      .replace('"order_id": 820982911946154508', `"order_id": ${orderId}`)
      .replace('"status": "in_transit"', '"status": "delivered"')
      .replace('"happened_at": "2021-12-31T19:00:00-05:00"', `"happened_at": "${new Date(Date.now() + 86_400_000).toISOString()}"`);
    const request = signed.shopify(carrier, localShopifySecret, 'fulfillment_events/create', { 'x-shopify-webhook-id': randomUUID() });
    const response = await postWebhook(runtime.httpUrl, request);
    expect(response.status).toBe(200);
    await runtime.idle();
    const delivered = runtime
      .busLog()
      .find((event) => event['detail-type'] === 'profile.updated' && (event.detail.trigger as { 'detail-type': string })['detail-type'] === 'order.delivered');
    expect((delivered?.detail.profile as { email?: string } | undefined)?.email).toBe(email);

    await advance('2d');
    expect(await subjectsTo()).toHaveLength(1);
    await advance('1d');
    expect(await subjectsTo()).toEqual(['Thank you for your order, Dora!', 'Your order arrived, Dora: how is it?']);
    await advance('5d');
    expect(await subjectsTo()).toHaveLength(2);
    const why = await nudgeAsync('why', email, '--rule', 'post-purchase-review', '--endpoint', runtime.dynamoDbUrl, '--aws-endpoint', runtime.awsUrl);
    expect(why.stdout).toContain('held: another message of its exclusive group goes instead, or went lately');
  }, 90_000);
});
