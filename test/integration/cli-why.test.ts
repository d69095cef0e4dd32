import { nudgeAsync } from '../support/cli.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// A marketer asks why a customer got a reminder, or did not, against npm start: each rule's
// decisions with reasons, from the rules service and dispatch, in the customer's time zone.
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  await clearInbox(runtime);
}, 60_000);
afterAll(() => runtime?.stop());

const email = 'giulia.why@example.it';
const checkout = async () => {
  const sent = await nudgeAsync(
    'send',
    'shopify',
    'checkouts/create',
    '--shop',
    'negozio.myshopify.com',
    '--set',
    `email=${email}`,
    '--set',
    'first_name=Giulia',
    '--endpoint',
    runtime.httpUrl,
    '--aws-endpoint',
    runtime.awsUrl,
    '--data-dir',
    runtime.dataDir,
  );
  expect(sent.status).toBe(0);
  await runtime.idle();
};
const advance = async (by: string) => expect(await nudgeAsync('clock', 'advance', by, '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });
const why = (...args: string[]) => nudgeAsync('why', ...args, '--endpoint', runtime.dynamoDbUrl, '--aws-endpoint', runtime.awsUrl);

describe('nudge why', () => {
  it('tells a reminder waiting, sent, held by cooldown, and suppressed after an unsubscribe, in the person’s time zone', async () => {
    await checkout();
    const waiting = await why(email);
    expect(waiting.status).toBe(0);
    expect(waiting.stdout).toContain(`Giulia Smith <${email}>`);
    expect(waiting.stdout).toContain('times in Europe/Rome (from the shop)');
    expect(waiting.stdout).toMatch(/abandoned-checkout \(Abandoned checkout reminder\)\n {2}now {15}waiting: due \d{4}-\d\d-\d\d \d\d:\d\d Europe\/Rome\n/);
    expect(waiting.stdout).toContain('waiting for its time: due');

    await advance('2h');
    const sent = await why(email, '--rule', 'abandoned-checkout');
    expect(sent.stdout).toMatch(/sent message msg_\w+\n.*fired: asked for message msg_\w+ \(template abandoned-checkout\)\n.*waiting for its time/);
    expect(sent.stdout).not.toContain('  now ');

    await checkout();
    await advance('2h');
    expect((await why(email, '--rule', 'abandoned-checkout', '--per-rule', '1')).stdout).toMatch(/held by the rule’s cooldown\n {2}… 4 earlier/);

    // The person unsubscribes with the link of the reminder; the next reminder, past the cooldown, is suppressed.
    const [reminder] = (await inbox(runtime)).filter((message) => message.destination.to.includes(email));
    const link = reminder?.body.html?.match(/href="([^"]*\/unsubscribe\?token=[^"]+)"/)?.[1] ?? '';
    expect((await fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status).toBe(200);
    await runtime.idle();
    await advance('1d');
    await checkout();
    await advance('2h');
    const suppressed = await why(email, '--rule', 'abandoned-checkout');
    expect(suppressed.stdout).toContain('Email consent: unsubscribed (nudge:unsubscribe');
    expect(suppressed.stdout).toMatch(/suppressed: the person unsubscribed\n.*fired: asked for message/);

    const json = JSON.parse((await why(email, '--json')).stdout);
    expect(json.decisions.map((decision: { kind: string }) => decision.kind)).toEqual(
      expect.arrayContaining(['waiting', 'fired', 'sent', 'held', 'suppressed']),
    );
    expect(json.decisions.find((decision: { kind: string }) => decision.kind === 'suppressed')).toMatchObject({
      ruleId: 'abandoned-checkout',
      reason: 'unsubscribed',
    });
  });

  it('says what it cannot find, and refuses what it cannot read', async () => {
    expect(await why('nobody.why@example.com')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('No profile has the key "nobody.why@example.com"'),
    });
    expect(await why(email, '--rule', 'constructor')).toMatchObject({ status: 2, stderr: expect.stringContaining('--rule constructor: no such rule') });
    for (const perRule of ['0', '1e1', '0x10', ' 5', '2.5'])
      expect(await why(email, '--per-rule', perRule)).toMatchObject({
        status: 2,
        stderr: expect.stringContaining('give a whole number of at least 1, in digits'),
      });
    for (const blank of ['email:   ', 'customer:', ' @ '])
      expect(await why(blank)).toMatchObject({ status: 2, stderr: expect.stringContaining('is not a key: use kind:value') });
    // A pasted page is not echoed back whole.
    const huge = await why(`email:${'a'.repeat(100_000)}@example.com`);
    expect(huge).toMatchObject({ status: 2, stderr: expect.stringContaining('a key has at most 1024 characters, this one 100018') });
    expect(huge.stderr.length).toBeLessThan(1_000);
  });

  it('keeps decisions in the person’s partition: an erasure takes them too', async () => {
    expect((await nudgeAsync('profile', 'erase', email, '--endpoint', runtime.dynamoDbUrl)).status).toBe(0);
    expect(await why(email)).toMatchObject({ status: 2, stderr: expect.stringContaining('that person was erased') });
  });
});
