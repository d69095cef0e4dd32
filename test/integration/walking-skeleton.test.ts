import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { signShopifyHmac } from '#services/intake/core/signatures.js';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { keys } from '#shared/table.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { localTableName } from '../../local/runtime.js';
import { fixtureBytes } from '../support/fixtures.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { postShopify } from '../support/shopper.js';

const order = fixtureBytes('webhooks/shopify/shopify-orders-create.json');

async function profileOf(runtime: TestRuntime, email: string) {
  const documents = documentClient(localDynamoDb(runtime.dynamoDbUrl));
  const alias = await documents.send(new GetCommand({ TableName: localTableName, Key: keys.alias('email', email) }));
  const item = await documents.send(new GetCommand({ TableName: localTableName, Key: keys.profile(alias.Item?.profileId) }));
  return item.Item?.profile;
}

describe('walking skeleton on the local runtime', () => {
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

  it('turns a signed Shopify order into a personalised thank-you email', async () => {
    const response = await postShopify(runtime, order);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ accepted: true, eventIds: [expect.stringMatching(/^ev_/)] });
    await runtime.idle();

    const emails = await inbox(runtime);
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email?.destination.to).toEqual(['jon@example.com']);
    expect(email?.subject).toBe('Thank you for your order, John!');
    expect(email?.body.text).toContain('$404.95');
    expect(runtime.busLog().map((event) => event['detail-type'])).toEqual(
      expect.arrayContaining(['order.completed', 'profile.updated', 'message.requested', 'message.sent']),
    );
  });

  it('delivers events to handlers in the exact shape EventBridge uses', async () => {
    const [first] = runtime.busLog();
    expect(first).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'order.completed',
      source: 'nudge.intake',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: [],
      detail: expect.objectContaining({ eventId: expect.any(String) }),
    });
  });

  it('counts an order delivered three times, concurrently, once, and thanks once', async () => {
    const before = (await profileOf(runtime, 'jon@example.com'))?.orderCount ?? 0;
    const webhookId = randomUUID();
    // Another order by the same customer: the same order is one fact, however often it is told.
    const another = JSON.parse(order.toString('utf8'));
    another.admin_graphql_api_id = 'gid://shopify/Order/820982911946154999';
    const body = Buffer.from(JSON.stringify(another));
    const responses = await Promise.all([1, 2, 3].map(() => postShopify(runtime, body, { 'x-shopify-webhook-id': webhookId })));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    await runtime.idle();
    expect((await profileOf(runtime, 'jon@example.com'))?.orderCount).toBe(before + 1);
    expect(await inbox(runtime)).toHaveLength(1);
  });

  it('keeps a profile per customer with order count, revenue and last order time', async () => {
    const profile = await profileOf(runtime, 'jon@example.com');
    expect(profile).toMatchObject({ email: 'jon@example.com', firstName: 'John', lastName: 'Smith', lastOrderAt: '2022-01-01T00:00:00.000Z' });
    expect(Number(profile.revenue.USD)).toBeCloseTo(404.95 * profile.orderCount, 2);
  });

  it('refuses a forged webhook with 401 and puts nothing on the bus', async () => {
    const eventsBefore = runtime.busLog().length;
    const response = await postShopify(runtime, order, { 'x-shopify-hmac-sha256': signShopifyHmac(order, 'not-the-secret') });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'invalid-signature', message: expect.any(String) });
    await runtime.idle();
    expect(runtime.busLog()).toHaveLength(eventsBefore);
    expect(await inbox(runtime)).toHaveLength(0);
  });

  it('answers malformed JSON with 400, an unused topic with 200 ignored, and a 2 MB body with 413', async () => {
    const malformed = await postShopify(runtime, Buffer.from('{"id":'));
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'malformed-json' });

    const ignored = await postShopify(runtime, order, { 'x-shopify-topic': 'collections/update' });
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toMatchObject({ ignored: true });

    const tooLarge = await postShopify(runtime, Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ code: 'payload-too-large' });
  });
});
