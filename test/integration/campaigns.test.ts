import { failingDynamoDbFront } from '../support/dynamodb-front.js';
import { copyOfProject, writeRule } from '../support/fixtures.js';
import { inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

/**
 * A recurring rule's run over every profile, on the local runtime: shared into parallel scan
 * segments, taken in small chunks by workers from the rules queue, each chunk putting the rest of
 * its segment back; one scan call in five fails on its first attempt, so chunks are received again.
 * Each person who qualifies gets the message once, and nobody else does.
 */
describe('campaigns: a recurring rule fanned out over the profiles', () => {
  let runtime: TestRuntime;
  const buyers = Array.from({ length: 24 }, (_, index) => `buyer-${index}@example.com`);
  const browsers = Array.from({ length: 8 }, (_, index) => `browser-${index}@example.com`);
  let scans = 0;
  let scansRefused = 0;

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
      // Every fifth scan fails once (DynamoDB's 500): the chunk is received again after the queue's visibility timeout.
      dynamoDbFront: failingDynamoDbFront((operation) => {
        if (operation !== 'Scan') return false;
        scans++;
        if (scans % 5 !== 0) return false;
        scansRefused++;
        return true;
      }),
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
    const before = (await inbox(runtime)).length;

    // To the next Monday 10:00 UTC, and past the queue's visibility timeout for the chunks that failed.
    const now = new Date(runtime.scheduler.clock.now());
    const daysToMonday = (8 - now.getUTCDay()) % 7 || 7;
    const monday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + daysToMonday, 10, 0, 30);
    await runtime.advanceClock(monday - now.getTime());
    for (let round = 0; round < 10; round++) await runtime.advanceClock(200_000);

    const campaign = (await inbox(runtime)).slice(before).filter((email) => email.subject.startsWith('A little something for you'));
    const recipients = campaign.map((email) => email.destination.to[0]?.replace(/^.*<|>$/g, ''));
    expect(recipients.sort()).toEqual([...buyers].sort());

    const shares = runtime.busLog().filter((event) => event['detail-type'] === 'campaign.segment' && event.detail.ruleId === 'weekly-buyers');
    const segments = new Set(shares.map((event) => event.detail.segment));
    expect(segments).toEqual(new Set([0, 1, 2, 3]));
    // Chunks went on from where the one before stopped.
    expect(shares.filter((event) => event.detail.after !== undefined).length).toBeGreaterThan(4);
    expect(scansRefused).toBeGreaterThan(0);
    const requested = runtime.busLog().filter((event) => event['detail-type'] === 'message.requested' && event.detail.ruleId === 'weekly-buyers');
    // A chunk received again asks again for the same messages (the same ids); dispatch sends each once.
    expect(new Set(requested.map((event) => event.detail.messageId)).size).toBe(buyers.length);
  }, 120_000);
});
