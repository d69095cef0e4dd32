import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { signApp, signBodyHmac } from '#services/intake/core/signatures.js';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { keys } from '#shared/table.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { localShopifySecret, localTableName } from '../../local/runtime.js';
import { fixtureJson } from '../support/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * Intake and profiles probed from outside, over HTTP, the way a hostile or broken sender (or a
 * platform that sends one fact twice at once) would: every answer is a JSON code, nothing crashes,
 * and one bad message never blocks the good ones.
 */
describe('intake against hostile and broken senders, on the local runtime', () => {
  let runtime: TestRuntime;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    documents = documentClient(localDynamoDb(runtime.dynamoDbUrl));
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const post = async (path: string, body: string | Buffer, headers: Record<string, string>) => {
    const response = await fetch(`${runtime.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const segment = (path: string, body: unknown, writeKey = 'nudge-local-write-key') =>
    post(path, JSON.stringify(body), { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` });
  const shopify = (topic: string, body: string, headers: Record<string, string> = {}) =>
    post('/webhooks/shopify', body, {
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': 'hostile-shop.myshopify.com',
      'x-shopify-hmac-sha256': signBodyHmac(body, localShopifySecret),
      ...headers,
    });
  const eventsWith = (eventId: unknown) => runtime.busLog().filter((event) => event.source === 'nudge.intake' && event.detail.eventId === eventId);

  describe('keys named like members of every object', () => {
    const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

    it.each(names)('refuses the Segment write key %s with 401, publishing nothing', async (writeKey) => {
      const before = runtime.busLog().length;
      const answer = await segment('/v1/track', { userId: 'u1', event: 'Product Viewed', properties: { product_id: 'p1' } }, writeKey);
      expect(answer).toEqual({ status: 401, body: expect.objectContaining({ code: 'invalid-write-key' }) });
      expect(runtime.busLog().length).toBe(before);
    });

    it.each(names)('answers a Shopify shop domain %s with 401, not 500', async (shop) => {
      const body = JSON.stringify({ id: 1 });
      const answer = await post('/webhooks/shopify', body, {
        'x-shopify-topic': 'customers/create',
        'x-shopify-shop-domain': shop,
        'x-shopify-hmac-sha256': signBodyHmac(body, 'a secret nobody configured'),
      });
      expect(answer).toEqual({ status: 401, body: expect.objectContaining({ code: 'invalid-signature' }) });
    });

    it.each(names)('refuses the app id %s with 401', async (app) => {
      const body = JSON.stringify({ type: 'store.visited', messageId: 'm1', userId: 'u1', storeId: 's1' });
      const answer = await post('/events/app', body, { 'x-nudge-app': app, 'x-nudge-signature': signApp(Math.floor(Date.now() / 1000), body, 'anything') });
      expect(answer).toEqual({ status: 401, body: expect.objectContaining({ code: 'unknown-app' }) });
    });

    it.each(['/constructor', '/__proto__', '/v1/constructor'])('answers a request to %s with 404', async (path) => {
      expect((await segment(path, {})).status).toBe(404);
    });
  });

  describe('what EventBridge would refuse', () => {
    const nested = (levels: number) => {
      let value: unknown = 'bottom';
      for (let level = 0; level < levels; level++) value = { deeper: value };
      return value;
    };

    it('accepts the good messages of a batch that holds one nested 3,000 levels deep, and names the bad one, every time it is sent', async () => {
      const batch = {
        batch: [
          { type: 'track', messageId: 'deep-ok-1', userId: 'deep-user', event: 'Product Viewed', properties: { product_id: 'p1' } },
          { type: 'track', messageId: 'deep-poison', userId: 'deep-user', event: 'Weird Thing', properties: { payload: nested(3000) } },
          { type: 'track', messageId: 'deep-ok-2', userId: 'deep-user', event: 'Product Viewed', properties: { product_id: 'p2' } },
        ],
      };
      const first = await segment('/v1/batch', batch);
      expect(first.status).toBe(200);
      expect(first.body.eventIds).toHaveLength(2);
      expect(first.body.rejected).toEqual([{ index: 1, field: '', message: expect.stringContaining('nested more than 1000 levels') }]);
      // A retry of the same batch: the good ones again with the same event ids (applied once), the bad one named again; never a 503.
      const retry = await segment('/v1/batch', batch);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ eventIds: first.body.eventIds, rejected: [expect.objectContaining({ index: 1 })] });
    });

    it('refuses a single message nested too deeply with a 400 naming why', async () => {
      const answer = await segment('/v1/track', { userId: 'deep-user', event: 'Weird Thing', properties: { payload: nested(1500) } });
      expect(answer).toEqual({
        status: 400,
        body: expect.objectContaining({ code: 'invalid-payload', message: expect.stringContaining('nested more than 1000') }),
      });
    });

    it('puts a batch whose messages add up to more than 256 KB on the bus in several requests', async () => {
      const filler = 'x'.repeat(28_000);
      const batch = {
        batch: Array.from({ length: 12 }, (_, index) => ({
          type: 'track',
          messageId: `big-${index}`,
          userId: 'big-user',
          event: 'Big Thing',
          properties: { note: filler, index },
        })),
      };
      const answer = await segment('/v1/batch', batch);
      expect(answer.status).toBe(200);
      expect(answer.body.eventIds).toHaveLength(12);
      for (const eventId of answer.body.eventIds as string[]) expect(eventsWith(eventId)).toHaveLength(1);
    });
  });

  describe('deduplication on the payload itself', () => {
    const profileUpdatesFor = (eventId: string | undefined) =>
      runtime
        .busLog()
        .filter((event) => event['detail-type'] === 'profile.updated' && (event.detail.trigger as { detail: { eventId: string } }).detail.eventId === eventId)
        .map((update) => (update.detail.profile as { orderCount: number }).orderCount);

    const order = (orderId: string, email: string) => {
      const body = fixtureJson('webhooks/shopify/shopify-orders-create.json');
      return JSON.stringify({
        ...body,
        id: Number(orderId),
        admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
        email,
        contact_email: email,
        customer: null,
      });
    };

    it('applies three identical Shopify posts that carry no webhook or event id, sent at once, once', async () => {
      const body = order('5550000000000001', 'no-ids@example.com');
      const answers = await Promise.all([1, 2, 3].map(() => shopify('orders/create', body)));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
      const eventIds = answers.flatMap((answer) => answer.body.eventIds as string[]);
      expect(new Set(eventIds).size).toBe(1);
      await runtime.idle();
      expect(profileUpdatesFor(eventIds[0])).toEqual([1]);
    });

    it('announces a delivery once, though Shopify tells it again on every update of the fulfilment, and a shipment no rule is about not at all', async () => {
      // Shopify's sample, shipped and delivered: two facts, of which a shipped project's rule wants the delivery.
      const body = {
        ...(fixtureJson('webhooks/shopify/shopify-fulfillments-create.json') as Record<string, unknown>),
        status: 'success',
        shipment_status: 'delivered',
      };
      const first = await shopify('fulfillments/create', JSON.stringify(body), { 'x-shopify-webhook-id': randomUUID() });
      expect(first.status).toBe(200);
      const eventIds = first.body.eventIds as string[];
      expect(eventIds).toHaveLength(2);
      await runtime.idle();
      for (const tracking of ['1Z001', '1Z002']) {
        await runtime.advanceClock(60_000);
        const update = await shopify('fulfillments/update', JSON.stringify({ ...body, tracking_number: tracking }), { 'x-shopify-webhook-id': randomUUID() });
        expect(update.body.eventIds).toEqual(eventIds);
        await runtime.idle();
      }
      const announced = (eventId: string | undefined) => profileUpdatesFor(eventId).length;
      const [shipped, delivered] = eventIds.map((eventId) => runtime.busLog().find((event) => event.detail.eventId === eventId)?.['detail-type']);
      expect([shipped, delivered]).toEqual(['order.fulfilled', 'order.delivered']);
      expect(eventIds.map(announced)).toEqual([0, 1]);
    });

    it('applies a product view sent again a minute later once: its update is announced again, and no rule counts it twice', async () => {
      const view = (messageId: string) => ({
        type: 'track',
        messageId,
        userId: 'twice-viewer',
        event: 'Product Viewed',
        timestamp: new Date(runtime.scheduler.clock.now()).toISOString(),
        properties: { product_id: 'p-twice', name: 'Teapot', price: 30, email: 'twice-viewer@example.com' },
      });
      const requested = () =>
        runtime.busLog().filter((event) => event['detail-type'] === 'message.requested' && event.detail.ruleId === 'browse-abandonment').length;
      const first = view(randomUUID());
      const [eventId] = (await segment('/v1/track', first)).body.eventIds as string[];
      await runtime.idle();
      await runtime.advanceClock(60_000);
      expect((await segment('/v1/track', first)).body.eventIds).toEqual([eventId]);
      await runtime.idle();
      // Announced twice (the copy came after the lease, and a view's announcement is not recorded), applied once.
      expect(profileUpdatesFor(eventId)).toHaveLength(2);
      const versions = runtime
        .busLog()
        .filter((event) => event['detail-type'] === 'profile.updated' && (event.detail.trigger as { detail: { eventId: string } }).detail.eventId === eventId)
        .map((event) => event.detail.version);
      expect(new Set(versions).size).toBe(1);
      // Browse abandonment needs two views of the product: one view announced twice is not two.
      const before = requested();
      await runtime.advanceClock(3 * 3_600_000);
      expect(requested()).toBe(before);
      // A second view of its own is.
      await segment('/v1/track', view(randomUUID()));
      await runtime.idle();
      await runtime.advanceClock(24 * 3_600_000);
      expect(requested()).toBe(before + 1);
    });

    it('counts an order once when its captured webhook is replayed long after (the signature carries no time)', async () => {
      const body = order('5550000000000002', 'replayed@example.com');
      const headers = { 'x-shopify-webhook-id': randomUUID() };
      const first = await shopify('orders/create', body, headers);
      const [eventId] = first.body.eventIds as string[];
      await runtime.idle();
      // A minute later, past the lease in which only the delivery that applied it may announce it.
      await runtime.advanceClock(60_000);
      expect((await shopify('orders/create', body, headers)).status).toBe(200);
      await runtime.idle();
      // An order's marker never expires, and records that the order was announced, so the replay is refused by it however late it comes.
      const marker = (await documents.send(new GetCommand({ TableName: localTableName, Key: keys.appliedEvent(eventId as string) }))).Item;
      expect(marker).toBeDefined();
      expect(marker?.expiresAt).toBeUndefined();
      expect(profileUpdatesFor(eventId)).toEqual([1]);
    });
  });

  describe('one order told twice at once', () => {
    it('publishes one profile.updated per order, with the profile after it, when orders/create and orders/paid arrive together', async () => {
      const email = 'twice@example.com';
      const base = fixtureJson('webhooks/shopify/shopify-orders-create.json');
      const orderBody = (orderId: string) =>
        JSON.stringify({ ...base, id: Number(orderId), admin_graphql_api_id: `gid://shopify/Order/${orderId}`, email, contact_email: email, customer: null });
      const orderIds = Array.from({ length: 10 }, (_, index) => `66600000000000${String(index).padStart(2, '0')}`);
      for (const orderId of orderIds) {
        const body = orderBody(orderId);
        await Promise.all(
          ['orders/create', 'orders/paid'].map((topic) => shopify(topic, body, { 'x-shopify-webhook-id': randomUUID(), 'x-shopify-event-id': randomUUID() })),
        );
        await runtime.idle();
      }
      const updates = runtime
        .busLog()
        .filter((event) => event['detail-type'] === 'profile.updated' && (event.detail.profile as { email?: string }).email === email)
        .map((event) => (event.detail.profile as { orderCount: number }).orderCount);
      expect(updates).toEqual(orderIds.map((_, index) => index + 1));
    });

    it('numbers each profile.updated with the profile version, so consumers can order what the bus delivers out of order', async () => {
      const email = 'burst@example.com';
      const base = fixtureJson('webhooks/shopify/shopify-orders-create.json');
      const orderIds = Array.from({ length: 12 }, (_, index) => `67700000000000${String(index).padStart(2, '0')}`);
      await Promise.all(
        orderIds.flatMap((orderId) => {
          const body = JSON.stringify({
            ...base,
            id: Number(orderId),
            admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
            email,
            contact_email: email,
            customer: null,
          });
          return ['orders/create', 'orders/paid'].map((topic) => shopify(topic, body, { 'x-shopify-webhook-id': randomUUID() }));
        }),
      );
      await runtime.idle();
      const updates = runtime
        .busLog()
        .filter((event) => event['detail-type'] === 'profile.updated' && (event.detail.profile as { email?: string }).email === email)
        .map((event) => ({ version: event.detail.version as number, orders: (event.detail.profile as { orderCount: number }).orderCount }));
      expect(updates).toHaveLength(12);
      const byVersion = [...updates].sort((a, b) => a.version - b.version);
      expect(byVersion.map((update) => update.orders)).toEqual(orderIds.map((_, index) => index + 1));
      expect(new Set(updates.map((update) => update.version)).size).toBe(12);
    });
  });

  describe('broken ids and clocks, from a sender over HTTP', () => {
    const profileOf = async (email: string) => {
      const alias = (await documents.send(new GetCommand({ TableName: localTableName, Key: keys.alias('email', email) }))).Item;
      if (alias === undefined) return undefined;
      return (await documents.send(new GetCommand({ TableName: localTableName, Key: keys.profile(alias.profileId as string) }))).Item?.profile as
        | Record<string, unknown>
        | undefined;
    };

    it('refuses ids cut in half or not UTF-8, so two such people never become one, and takes the next good call', async () => {
      const before = runtime.busLog().length;
      for (const [userId, email] of [
        ['half-\ud800', 'half.a@example.com'],
        ['half-\udbff', 'half.b@example.com'],
      ]) {
        const answer = await segment('/v1/identify', { userId, traits: { email } });
        expect(answer).toEqual({ status: 400, body: expect.objectContaining({ code: 'invalid-payload', field: 'identity.userId' }) });
      }
      // Raw bytes that are not UTF-8 in the id, as a broken client sends them.
      const raw = Buffer.concat([Buffer.from('{"userId":"bytes-'), Buffer.from([0xff]), Buffer.from('","traits":{"email":"half.c@example.com"}}')]);
      const bytes = await post('/v1/identify', raw, { authorization: `Basic ${Buffer.from('nudge-local-write-key:').toString('base64')}` });
      expect(bytes.status).toBe(400);
      expect(runtime.busLog().length).toBe(before);
      expect(await segment('/v1/identify', { userId: 'half-whole', traits: { email: 'half.a@example.com' } })).toMatchObject({ status: 200 });
      await runtime.idle();
      expect(await profileOf('half.a@example.com')).toMatchObject({ email: 'half.a@example.com' });
      expect(await profileOf('half.b@example.com')).toBeUndefined();
    });

    it('takes a time years ahead as the time it arrived, so the next true call still changes the name', async () => {
      const email = `clock.${randomUUID()}@example.com`;
      await segment('/v1/identify', { userId: email, timestamp: '9999-12-31T23:59:59Z', traits: { email, firstName: 'Mallory' } });
      await runtime.idle();
      // The true call is dated by a right clock: the runtime's (other tests here move it ahead of real time).
      await segment('/v1/identify', { userId: email, timestamp: new Date(runtime.scheduler.clock.now()).toISOString(), traits: { email, firstName: 'Bob' } });
      await runtime.idle();
      expect(await profileOf(email)).toMatchObject({ firstName: 'Bob' });
    });
  });
});
