import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { signShopifyHmac } from '#services/intake/core/signatures.js';
import { createAwsEndpoint } from '../../local/aws-endpoint.js';
import { LocalEventBus } from '../../local/event-bus.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { LocalClock, LocalScheduler } from '../../local/scheduler.js';
import { fixtureBytes } from '../support/fixtures.js';

/**
 * When the bus refuses the event, intake must answer 5xx so the platform retries: an accepted
 * webhook is never silently dropped. The real SDK talks to a local EventBridge that has no bus
 * by the configured name, so PutEvents fails as it would in AWS.
 */
describe('intake when the bus refuses the event', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nudge-publish-failure-'));
  const secretsFile = join(dataDir, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify({ shopify: { '*': 'secret' } }));
  const bus = new LocalEventBus({
    busName: 'nudge',
    region: 'us-east-1',
    subscriptions: [],
    targets: {
      profiles: async () => undefined,
      rules: async () => undefined,
      dispatch: async () => undefined,
      feedback: async () => undefined,
      measurement: async () => undefined,
      enrichment: async () => undefined,
    },
    dataDir,
    log: () => undefined,
    clock: new LocalClock(),
  });
  const scheduler = new LocalScheduler(
    join(dataDir, 'schedules.json'),
    new LocalClock(),
    (entry) => bus.putEvents([entry]),
    () => undefined,
  );
  const endpoint = createAwsEndpoint(bus, { 'test/secrets': secretsFile }, 'us-east-1', scheduler);

  beforeAll(async () => {
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_ENDPOINT_URL_EVENTBRIDGE: url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      EVENT_BUS_NAME: 'a-bus-that-does-not-exist',
      WEBHOOK_SECRETS_ID: 'test/secrets',
      UNSUBSCRIBE_KEY_ID: 'test/unsubscribe-key',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
  });

  afterAll(async () => {
    endpoint.closeAllConnections();
    await new Promise((resolve) => endpoint.close(resolve));
  });

  it('answers 503 publish-failed, so Shopify retries later', async () => {
    const { handler } = await import('#services/intake/handler.js');
    const body = fixtureBytes('webhooks/shopify/shopify-orders-create.json');
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/webhooks/shopify',
      rawQueryString: '',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'demo.myshopify.com',
        'x-shopify-webhook-id': 'w-1',
        'x-shopify-hmac-sha256': signShopifyHmac(body, 'secret'),
      },
      requestContext: { http: { method: 'POST', path: '/webhooks/shopify' } },
      body: body.toString('utf8'),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const response = (await handler(event, lambdaContext('intake', 10_000, 'us-east-1'))) as APIGatewayProxyStructuredResultV2;
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? '')).toEqual({ code: 'publish-failed', message: expect.any(String) });
  });
});
