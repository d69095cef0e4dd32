import { nudgeAsync, sendSample } from '../support/cli.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

// A marketer tries a rule that waits, without waiting: `nudge clock advance` moves the running
// runtime's clock, the timers that fall due fire as they would, and the email is in the inbox.
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  await clearInbox(runtime);
}, 60_000);
afterAll(() => runtime?.stop());

const subjectsTo = async (address: string) =>
  (await inbox(runtime)).filter((email) => email.destination.to.some((to) => to.includes(address))).map((email) => email.subject);

describe('nudge clock', () => {
  it('shows the time and the waiting timers, and an advance fires the abandoned-checkout reminder that was due', async () => {
    const shopperWhoLeft = shopper(runtime, 'clock-leaver@example.com');
    await shopperWhoLeft.track('Checkout Started', { checkout_id: 'chk-clock', revenue: 64.9, currency: 'EUR', products: [] });
    await runtime.idle();

    const shown = await nudgeAsync('clock', 'show', '--endpoint', runtime.awsUrl, '--json');
    expect(shown.status).toBe(0);
    const before = JSON.parse(shown.stdout);
    expect(before).toMatchObject({ aheadByMillis: 0, timers: expect.any(Number) });
    expect(before.next.map((timer: { name: string }) => timer.name)).toContainEqual(expect.stringMatching(/^t-abandoned-checkout-/));
    expect(await subjectsTo('clock-leaver@')).toEqual([]);

    const advanced = await nudgeAsync('clock', 'advance', '2h', '--endpoint', runtime.awsUrl);
    expect(advanced).toMatchObject({ status: 0, stdout: expect.stringMatching(/2 h ahead of real time[\s\S]*Timers that fell due: [1-9]/) });
    expect(await subjectsTo('clock-leaver@')).toEqual(['You left something behind, friend']);
  });

  it('records an unsubscribe after the move on the moved clock, so it wins over what the moved time did', async () => {
    const email = 'clock-quitter@example.com';
    await nudgeAsync('clock', 'advance', '3d', '--endpoint', runtime.awsUrl);
    // A checkout sent now happens on the moved clock, with the shop's consent.
    const sent = await sendSample(runtime, 'shopify', 'checkouts/create', `email=${email}`, 'buyer_accepts_marketing=true');
    expect(sent.status).toBe(0);
    await runtime.idle();
    expect(await nudgeAsync('clock', 'advance', '2h', '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });
    const [reminder] = (await inbox(runtime)).filter((message) => message.destination.to.includes(email));
    const link = /href="([^"]*\/unsubscribe\?token=[^"]*)"/.exec(reminder?.body.html ?? '')?.[1]?.replaceAll('&amp;', '&');
    expect(link).toBeDefined();
    const response = await fetch(String(link).replace('//localhost:', '//127.0.0.1:'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    await runtime.idle();
    const why = await nudgeAsync('why', email, '--endpoint', runtime.dynamoDbUrl, '--aws-endpoint', runtime.awsUrl);
    expect(why.stdout).toMatch(/Email consent: unsubscribed/);
  });

  it('refuses a duration it cannot read, and says where no runtime answers', async () => {
    expect(await nudgeAsync('clock', 'advance', 'two hours', '--endpoint', runtime.awsUrl)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('write a duration such as "30m"'),
    });
    expect(await nudgeAsync('clock', 'advance', '500d', '--endpoint', runtime.awsUrl)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('at most 400 days'),
    });
    expect(await nudgeAsync('clock', 'show', '--endpoint', 'http://127.0.0.1:9')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('start it with npm start'),
    });
  });
});
