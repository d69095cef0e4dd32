import { randomUUID } from 'node:crypto';
import { startCapacityMeter } from '../../bench/capacity-meter.js';
import { type MeteredRequest, startRequestMeter } from '../../bench/request-meter.js';
import { type LocalFunctionName, localShopifySecret } from '../../local/runtime.js';
import { fixtureJson } from '../support/fixtures.js';
import { postWebhook, signed } from '../support/intake.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

/**
 * The cost table's meters on the running local runtime: every AWS endpoint the functions call
 * passes a meter, every function invocation is seen by its wrapper, and each schedule's firing is
 * told, so what `npm run bench:cost` prices is what the unchanged services called.
 */
describe('the cost meters on the local runtime', () => {
  let runtime: TestRuntime;
  let aws: MeteredRequest[] = [];
  let ses: MeteredRequest[] = [];
  let dynamo: Awaited<ReturnType<typeof startCapacityMeter>>['calls'] = [];
  const invoked: { name: LocalFunctionName; records: number }[] = [];
  let fired = 0;

  beforeAll(async () => {
    runtime = await startTestRuntime({
      awsFront: async (endpoint) => {
        const meter = await startRequestMeter(endpoint);
        aws = meter.requests;
        return meter;
      },
      sesFront: async (endpoint) => {
        const meter = await startRequestMeter(endpoint);
        ses = meter.requests;
        return meter;
      },
      dynamoDbFront: async (endpoint) => {
        const meter = await startCapacityMeter(endpoint);
        dynamo = meter.calls;
        return meter;
      },
      wrapFunction: (name, handler) => async (event, context) => {
        invoked.push({ name, records: (event as { Records?: unknown[] }).Records?.length ?? 0 });
        return handler(event, context);
      },
      onScheduleFired: () => {
        fired++;
      },
    });
  }, 60_000);
  afterAll(() => runtime?.stop());

  it('sees a checkout through every hop, and the reminder its timer sends an hour later', async () => {
    const ada = shopper(runtime, 'ada.meters@example.com');
    await ada.track('Checkout Started', { checkout_id: 'chk-meters', revenue: 25, currency: 'EUR', products: [{ product_id: 'p1', name: 'Mug', price: 25 }] });
    await runtime.idle();

    expect(invoked.map((call) => call.name)).toEqual(expect.arrayContaining(['intake', 'profiles', 'rules']));
    const putEvents = aws.filter((request) => request.operation === 'AWSEvents.PutEvents');
    const detailTypes = putEvents.flatMap((request) =>
      (JSON.parse(request.body) as { Entries: { DetailType: string }[] }).Entries.map((entry) => entry.DetailType),
    );
    expect(detailTypes).toEqual(expect.arrayContaining(['checkout.started', 'profile.updated']));
    expect(aws.map((request) => request.operation)).toContain('Scheduler.CreateSchedule');
    // The profile's transaction, with the items it wrote named.
    const transaction = dynamo.find((call) => call.operation === 'TransactWriteItems');
    expect(transaction?.items.map((item) => item.key)).toEqual(expect.arrayContaining([expect.stringMatching(/^PROFILE#.+\|PROFILE$/)]));
    expect(transaction?.billed).toBeGreaterThanOrEqual(2 * (transaction?.items.length ?? 0));
    expect(fired).toBe(0);

    await runtime.advanceClock(61 * 60_000);
    expect(fired).toBe(1);
    expect(ses.map((request) => request.operation)).toEqual(['SESv2.SendEmail']);
    // Dispatch reads from a queue: a batch, as SQS hands it to Lambda.
    expect(invoked.filter((call) => call.name === 'dispatch').map((call) => call.records)).toEqual([1]);
  });

  it('records a write its condition refused, as DynamoDB bills it', async () => {
    dynamo.length = 0;
    // Two reports of one location's stock, the older last: its write is refused by the newer one's time.
    const level = fixtureJson<Record<string, unknown>>('webhooks/shopify/shopify-inventory_levels-update.json');
    const at = (offset: number) => new Date(runtime.scheduler.clock.now() + offset).toISOString();
    for (const report of [
      { ...level, inventory_item_id: 77701, available: 3, updated_at: at(300_000) },
      { ...level, inventory_item_id: 77701, available: 9, updated_at: at(0) },
    ]) {
      const request = signed.shopify(JSON.stringify(report), localShopifySecret, 'inventory_levels/update', { 'x-shopify-webhook-id': randomUUID() });
      expect((await postWebhook(runtime.httpUrl, request)).status).toBe(200);
      await runtime.idle();
    }
    const refused = dynamo.filter((call) => call.refused);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((call) => call.kind === 'write' && call.billed >= 1 && call.items.length > 0)).toBe(true);
  });
});
