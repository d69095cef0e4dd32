import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { readDeadLetters } from '../../local/event-bus.js';
import { failingAwsFront, failingDynamoDbFront } from '../support/dynamodb-front.js';
import { copyOfProject, writeRule } from '../support/fixtures.js';
import { inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

/**
 * A recurring rule's run over every profile, on the local runtime: shared into parallel scan
 * segments, taken in small chunks by workers from the rules queue, each chunk putting the rest of
 * its segment back. The first two scans that go on from a key fail on every attempt of the SDK's (a
 * chunk received again before anything of it was sent), and the first two continuations cannot be put on the bus (a chunk received again after its
 * messages went and its cursor moved). Each person who qualifies gets the message once, and nobody
 * else does; a copy of a share already done changes nothing.
 */
/** Whether to refuse this call: the first two distinct calls `picked`, on each of the SDK's three attempts, then never again. */
function refusedThrice(refused: Map<string, number>, picked: boolean, body: Buffer): boolean {
  if (!picked) return false;
  const text = body.toString('utf8');
  const attempts = refused.get(text) ?? 0;
  if (attempts >= 3 || (attempts === 0 && refused.size >= 2)) return false;
  refused.set(text, attempts + 1);
  return true;
}

describe('campaigns: a recurring rule fanned out over the profiles', () => {
  let runtime: TestRuntime;
  const buyers = Array.from({ length: 24 }, (_, index) => `buyer-${index}@example.com`);
  const browsers = Array.from({ length: 8 }, (_, index) => `browser-${index}@example.com`);
  const scansRefused = new Map<string, number>();
  const continuationsRefused = new Map<string, number>();

  beforeAll(async () => {
    const project = copyOfProject();
    writeRule(project, {
      id: 'weekly-buyers',
      name: 'Weekly note to everyone who has ordered',
      trigger: { type: 'time', cron: 'cron(0 10 ? * MON *)', timeZone: 'UTC' },
      conditions: { orderCount: [{ numeric: ['>=', 1] }] },
      channel: 'email',
      template: 'we-miss-you',
      cooldown: '6d',
    });
    // Small shares, so one run is many chunks: four segments, two profiles a chunk.
    process.env.CAMPAIGN_SEGMENTS = '4';
    process.env.CAMPAIGN_CHUNK_PROFILES = '2';
    runtime = await startTestRuntime({
      projectDir: project,
      dynamoDbFront: failingDynamoDbFront((operation, body) => refusedThrice(scansRefused, operation === 'Scan' && body.includes('ExclusiveStartKey'), body)),
      // The first two continuations, each refused on every attempt of the SDK's (three), once.
      awsFront: failingAwsFront((operation, body) =>
        refusedThrice(continuationsRefused, operation === 'PutEvents' && body.includes('campaign.segment') && body.includes('\\"after\\"'), body),
      ),
    });
  }, 60_000);
  afterAll(async () => {
    delete process.env.CAMPAIGN_SEGMENTS;
    delete process.env.CAMPAIGN_CHUNK_PROFILES;
    await runtime?.stop();
  });

  it('messages each person who qualifies once, through segments and chunks, though chunks fail', async () => {
    for (const email of buyers) await shopper(runtime, email).track('Order Completed', { order_id: `o-${email}`, total: 20, currency: 'EUR' });
    for (const email of browsers) await shopper(runtime, email).track('Product Viewed', { product_id: 'p1', name: 'Mug', price: 5 });
    await runtime.idle();

    // To the next Monday 10:00 UTC, and past the queue's visibility timeout for the chunks that failed.
    const now = new Date(runtime.scheduler.clock.now());
    const daysToMonday = (8 - now.getUTCDay()) % 7 || 7;
    const monday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + daysToMonday, 10, 0, 30);
    await runtime.advanceClock(monday - now.getTime());
    for (let round = 0; round < 10; round++) await runtime.advanceClock(200_000);

    // Every buyer's message asked for (first: if an email is missing below, dispatch decided not to send it).
    const asked = runtime.busLog().filter((event) => event['detail-type'] === 'message.requested' && event.detail.ruleId === 'weekly-buyers');
    expect([...new Set(asked.map((event) => event.detail.profileId))].length).toBe(buyers.length);
    expect(readDeadLetters(runtime.dataDir, 'rules')).toEqual([]);
    const held = runtime
      .busLog()
      .filter((event) => /^message\.(suppressed|deferred|failed)$/.test(event['detail-type']) && event.detail.ruleId === 'weekly-buyers');
    expect(held.map((event) => [event['detail-type'], event.detail.reason ?? event.detail.error])).toEqual([]);
    const campaign = (await inbox(runtime)).filter((email) => email.subject.startsWith('A little something for you'));
    const recipients = campaign.map((email) => email.destination.to[0]?.replace(/^.*<|>$/g, ''));
    expect(recipients.sort()).toEqual([...buyers].sort());

    const shares = runtime.busLog().filter((event) => event['detail-type'] === 'campaign.segment' && event.detail.ruleId === 'weekly-buyers');
    const segments = new Set(shares.map((event) => event.detail.segment));
    expect(segments).toEqual(new Set([0, 1, 2, 3]));
    // Chunks went on from where the one before stopped.
    expect(shares.filter((event) => event.detail.after !== undefined).length).toBeGreaterThan(4);
    expect([...scansRefused.values()]).toEqual([3, 3]);
    expect([...continuationsRefused.values()]).toEqual([3, 3]);
    const requested = runtime.busLog().filter((event) => event['detail-type'] === 'message.requested' && event.detail.ruleId === 'weekly-buyers');
    // A chunk received again asks again for the same messages (the same ids); dispatch sends each once.
    expect(new Set(requested.map((event) => event.detail.messageId)).size).toBe(buyers.length);
  }, 120_000);

  it('drops a copy of a share already done: no chunk runs again, no second chain starts', async () => {
    const count = (type: string) => runtime.busLog().filter((event) => event['detail-type'] === type && event.detail.ruleId === 'weekly-buyers').length;
    const [requested, shares] = [count('message.requested'), count('campaign.segment')];
    const first = runtime
      .busLog()
      .find((event) => event['detail-type'] === 'campaign.segment' && event.detail.ruleId === 'weekly-buyers' && event.detail.after === undefined);
    const bus = new EventBridgeClient({ endpoint: runtime.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await bus.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: 'nudge', Source: 'nudge.rules', DetailType: 'campaign.segment', Detail: JSON.stringify(first?.detail) }],
      }),
    );
    bus.destroy();
    await runtime.advanceClock(1000);
    expect(count('message.requested')).toBe(requested);
    // Only the copy itself: nothing it would have put back.
    expect(count('campaign.segment')).toBe(shares + 1);
  });
});
