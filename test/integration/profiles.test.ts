import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookRequest } from '#services/intake/core/request.js';
import { ProfilePrivacy } from '#services/profiles/adapters/profile-privacy.js';
import { ProfileStore } from '#services/profiles/adapters/profile-store.js';
import { documentClient } from '#shared/adapters/aws-clients.js';
import type { Profile } from '#shared/events/profile.js';
import { keys } from '#shared/table.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { localTableName, localWebhookSecrets } from '../../local/runtime.js';
import { nudge } from '../support/cli.js';
import { fixtureJson } from '../support/fixtures.js';
import { postWebhook, signed } from '../support/intake.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

const writeKey = Object.keys(localWebhookSecrets.segment ?? {})[0] as string;

describe('profiles on the local runtime', () => {
  let runtime: TestRuntime;
  let client: DynamoDBClient;
  let documents: DynamoDBDocumentClient;
  let store: ProfileStore;

  const post = async (request: WebhookRequest) => {
    const response = await postWebhook(runtime.httpUrl, request);
    expect(response.status).toBe(200);
    return JSON.parse(response.text);
  };
  const track = (message: Record<string, unknown>) => post(signed.segment('/v1/track', message, writeKey));
  const profileBy = async (kind: 'email' | 'anonymous' | 'user', value: string): Promise<Profile | undefined> => {
    const alias = await documents.send(new GetCommand({ TableName: localTableName, Key: keys.alias(kind, value) }));
    return alias.Item ? (await store.resolve(alias.Item.profileId as string))?.profile : undefined;
  };
  const scanAll = async () => (await documents.send(new ScanCommand({ TableName: localTableName }))).Items ?? [];

  beforeAll(async () => {
    runtime = await startTestRuntime();
    client = localDynamoDb(runtime.dynamoDbUrl);
    documents = documentClient(client);
    store = new ProfileStore(client, localTableName);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('merges anonymous browsing into the known customer at checkout, with the browsing history', async () => {
    const email = 'grace@example.com';
    await track({
      userId: 'grace-1',
      event: 'Order Completed',
      messageId: 'g-order',
      timestamp: '2026-10-01T10:00:00Z',
      context: { traits: { email } },
      properties: { order_id: 'g-1', total: 120 },
    });
    await runtime.idle();
    for (const [index, product] of ['red-dress', 'red-dress', 'blue-scarf'].entries()) {
      await track({
        anonymousId: 'browser-g',
        event: 'Product Viewed',
        messageId: `g-view-${index}`,
        timestamp: `2026-11-0${index + 1}T10:00:00Z`,
        properties: { product_id: product },
      });
    }
    await runtime.idle();
    const anonymous = await profileBy('anonymous', 'browser-g');
    const known = await profileBy('email', email);
    expect(anonymous?.profileId).not.toBe(known?.profileId);

    // The checkout carries both keys: the browser and the email.
    await track({
      anonymousId: 'browser-g',
      event: 'Checkout Started',
      messageId: 'g-checkout',
      timestamp: '2026-11-05T10:00:00Z',
      context: { traits: { email } },
      properties: { checkout_id: 'co-g', total: 80 },
    });
    await runtime.idle();

    const merged = await profileBy('anonymous', 'browser-g');
    expect(merged?.profileId).toBe((await profileBy('email', email))?.profileId);
    expect(merged).toMatchObject({
      email,
      orderCount: 1,
      revenue: { USD: '120' },
      lastProductViewed: { productId: 'blue-scarf' },
      openCart: { checkoutId: 'co-g' },
    });
    const mergedEvents = runtime.busLog().filter((event) => event['detail-type'] === 'profile.merged');
    expect(mergedEvents.map((event) => event.detail)).toEqual([
      { profileId: merged?.profileId, mergedProfileIds: [anonymous?.profileId], eventId: expect.any(String), contractVersion: 1 },
    ]);

    const exported = await new ProfilePrivacy(client, localTableName).export({ kind: 'email', value: email }, Date.now());
    expect(exported?.history.map((entry) => entry.detailType)).toEqual([
      'order.completed',
      'product.viewed',
      'product.viewed',
      'product.viewed',
      'checkout.started',
    ]);
    expect(exported?.identities).toEqual(
      expect.arrayContaining([
        { kind: 'email', value: email },
        { kind: 'anonymous', value: 'browser-g' },
        { kind: 'user', value: 'grace-1' },
      ]),
    );
  });

  it('merges safely when several browsers of one person check out at the same time', async () => {
    const email = 'many.browsers@example.com';
    await track({
      userId: 'mb-1',
      event: 'Order Completed',
      messageId: 'mb-order',
      context: { traits: { email } },
      properties: { order_id: 'mb-o', total: 10 },
    });
    for (let index = 0; index < 5; index++) {
      await track({ anonymousId: `mb-browser-${index}`, event: 'Product Viewed', messageId: `mb-view-${index}`, properties: { product_id: `mb-p${index}` } });
    }
    await runtime.idle();
    await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        track({
          anonymousId: `mb-browser-${index}`,
          event: 'Checkout Started',
          messageId: `mb-checkout-${index}`,
          context: { traits: { email } },
          properties: { checkout_id: `mb-c${index}` },
        }),
      ),
    );
    await runtime.idle();
    const survivor = await profileBy('email', email);
    for (let index = 0; index < 5; index++) expect((await profileBy('anonymous', `mb-browser-${index}`))?.profileId).toBe(survivor?.profileId);
    expect(survivor).toMatchObject({ orderCount: 1, revenue: { USD: '10' } });
    const exported = await new ProfilePrivacy(client, localTableName).export({ kind: 'email', value: email }, Date.now());
    expect(exported?.mergedProfileIds).toHaveLength(5);
    expect(exported?.history.filter((entry) => entry.detailType === 'product.viewed')).toHaveLength(5);
    expect(exported?.history.filter((entry) => entry.detailType === 'checkout.started')).toHaveLength(5);
  });

  it('keeps one profile for one email reported by two stores', async () => {
    const order = fixtureJson('webhooks/woocommerce/woocommerce-order.created.json');
    const billing = { ...(order.billing as Record<string, unknown>), email: 'two.stores@example.com' };
    await post(
      signed.woocommerce(JSON.stringify({ ...order, billing }), localWebhookSecrets.woocommerce?.['*'] as string, 'order.created', {
        'x-wc-webhook-delivery-id': 'ts-1',
      }),
    );
    await post(
      signed.woocommerce(JSON.stringify({ ...order, id: 728, billing }), localWebhookSecrets.woocommerce?.['*'] as string, 'order.created', {
        'x-wc-webhook-source': 'https://second-store.example.com/',
        'x-wc-webhook-delivery-id': 'ts-2',
      }),
    );
    await runtime.idle();
    const profile = await profileBy('email', 'two.stores@example.com');
    expect(profile).toMatchObject({ orderCount: 2, revenue: { USD: '58.70' } });
  });

  it('counts 50 concurrent orders for one customer exactly', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        track({
          userId: 'busy-1',
          event: 'Order Completed',
          messageId: `busy-${index}`,
          context: { traits: { email: 'busy@example.com' } },
          properties: { order_id: `busy-${index}`, total: 1.1 },
        }),
      ),
    );
    await runtime.idle();
    expect(await profileBy('email', 'busy@example.com')).toMatchObject({ orderCount: 50, revenue: { USD: '55.0' }, loyalty: { points: 50 } });
    expect(
      runtime.busLog().filter((event) => event['detail-type'] === 'profile.updated' && (event.detail.profile as Profile).email === 'busy@example.com'),
    ).toHaveLength(50);
  });

  it('exports a person, then erases everything but a suppression entry', async () => {
    const email = 'erase.me@example.com';
    await track({
      userId: 'erase-1',
      event: 'Order Completed',
      messageId: 'erase-order',
      context: { traits: { email, phone: '+4915112345678' } },
      properties: { order_id: 'erase-o', total: 5 },
    });
    await track({ anonymousId: 'erase-browser', event: 'Product Viewed', messageId: 'erase-view', properties: { product_id: 'p' } });
    await track({ anonymousId: 'erase-browser', userId: 'erase-1', event: 'Checkout Started', messageId: 'erase-checkout', properties: { checkout_id: 'c' } });
    await runtime.idle();
    const privacy = new ProfilePrivacy(client, localTableName);
    const exported = await privacy.export({ kind: 'email', value: email }, Date.now());
    expect(exported).toMatchObject({ profile: { email, phone: '+4915112345678', orderCount: 1 }, mergedProfileIds: [expect.any(String)] });
    const ids = [exported?.profileId, ...(exported?.mergedProfileIds ?? [])] as string[];

    const erasure = await privacy.erase({ kind: 'email', value: email }, Date.now());
    expect(erasure).toMatchObject({ profileId: exported?.profileId, suppressed: ['email', 'phone'] });
    const remaining = (await scanAll()).filter((item) => {
      const text = JSON.stringify(item);
      return ids.some((id) => text.includes(id)) || /erase\.me|erase-1|erase-browser|4915112345678/.test(text);
    });
    expect(remaining).toEqual([]);
    const suppressions = (await scanAll()).filter((item) => String(item.pk).startsWith('SUPPRESSION#'));
    expect(suppressions).toHaveLength(2);
    expect(await privacy.export({ kind: 'email', value: email }, Date.now())).toBeUndefined();
  });

  it('exports and erases from the command line, and says so when the key is unknown or malformed', async () => {
    await track({
      userId: 'cli-1',
      event: 'Product Viewed',
      messageId: 'cli-view',
      context: { traits: { email: 'cli@example.com' } },
      properties: { product_id: 'p' },
    });
    await runtime.idle();
    const target = ['--endpoint', runtime.dynamoDbUrl, '--table', localTableName];
    const exported = nudge('profile', 'export', 'cli@example.com', ...target);
    expect(exported.status).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ profile: { email: 'cli@example.com', lastProductViewed: { productId: 'p' } } });
    const erased = nudge('profile', 'erase', 'user:cli-1', ...target);
    expect(erased).toMatchObject({ status: 0, stdout: expect.stringContaining('suppression entries kept for: email') });
    expect(nudge('profile', 'export', 'cli@example.com', ...target)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('No profile has the key "cli@example.com"'),
    });
    expect(nudge('profile', 'erase', 'not-a-key', ...target)).toMatchObject({ status: 2, stderr: expect.stringContaining('is not a key') });
  });

  it('sends an event with no usable identity to the dead-letter queue at once, with the reason, and makes no profile', async () => {
    const before = (await scanAll()).filter((item) => item.sk === 'PROFILE').length;
    const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
    const bus = new EventBridgeClient({ endpoint: runtime.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const detail = {
      eventId: 'ev_nobody',
      occurredAt: '2026-11-01T00:00:00.000Z',
      receivedAt: '2026-11-01T00:00:00.000Z',
      origin: { platform: 'app', shop: 's', topic: 't' },
      identity: {},
      traits: {},
      properties: { storeId: 'x' },
    };
    await bus.send(
      new PutEventsCommand({ Entries: [{ EventBusName: 'nudge', Source: 'nudge.intake', DetailType: 'store.visited', Detail: JSON.stringify(detail) }] }),
    );
    // At once: no retry can give it an identity (test/integration/permanent-failures.test.ts).
    await runtime.idle();
    const { readFileSync } = await import('node:fs');
    const dead = readFileSync(`${runtime.dataDir}/dlq/profiles.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(dead.at(-1)).toMatchObject({ error: expect.stringContaining('at least one identity key'), event: { detail: { eventId: 'ev_nobody' } } });
    expect((await scanAll()).filter((item) => item.sk === 'PROFILE')).toHaveLength(before);
  }, 30_000);
});
