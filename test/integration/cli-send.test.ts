import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nudgeAsync } from '../support/cli.js';
import { projectDir } from '../support/fixtures.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// A marketer tries a rule with the shipped samples, against npm start, as the README says:
// `nudge send` signs a sample with the runtime's own secret, makes it new, and sets what they say.
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  await clearInbox(runtime);
}, 60_000);
afterAll(() => runtime?.stop());

const send = (...args: string[]) => nudgeAsync('send', ...args, '--endpoint', runtime.httpUrl, '--aws-endpoint', runtime.awsUrl, '--data-dir', runtime.dataDir);

describe('nudge send', () => {
  it('sends a Shopify checkout for Giulia at 64.90, and the reminder comes when the clock moves on', async () => {
    const sent = await send('shopify', 'checkouts/create', '--set', 'email=giulia.send@example.it', '--set', 'first_name=Giulia', '--set', 'total=64.90');
    expect(sent).toMatchObject({ status: 0, stdout: expect.stringContaining('shopify checkouts/create: 200') });
    await runtime.idle();
    const checkout = runtime
      .busLog()
      .find((event) => event['detail-type'] === 'checkout.started' && JSON.stringify(event.detail).includes('giulia.send@example.it'));
    expect(checkout?.detail).toMatchObject({ identity: { email: 'giulia.send@example.it' }, properties: { total: { amount: '64.90' } } });
    // Fresh: the same sample again is another checkout, not a duplicate.
    await send('shopify', 'checkouts/create', '--set', 'email=giulia.send@example.it', '--set', 'first_name=Giulia');
    await runtime.idle();
    expect(
      runtime.busLog().filter((event) => event['detail-type'] === 'checkout.started' && JSON.stringify(event.detail).includes('giulia.send@')),
    ).toHaveLength(2);

    expect(await nudgeAsync('clock', 'advance', '2h', '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });
    const reminders = (await inbox(runtime)).filter((email) => email.destination.to.some((to) => to.includes('giulia.send@')));
    expect(reminders.map((email) => email.subject)).toContain('You left something behind, Giulia');

    // After the clock moved on, a new checkout waits its hour from the moved time, not at once.
    await send('shopify', 'checkouts/create', '--set', 'email=later.send@example.it', '--set', 'first_name=Lara');
    await runtime.idle();
    const toLara = async () => (await inbox(runtime)).filter((email) => email.destination.to.some((to) => to.includes('later.send@')));
    expect(await toLara()).toEqual([]);
    await nudgeAsync('clock', 'advance', '30m', '--endpoint', runtime.awsUrl);
    expect(await toLara()).toEqual([]);
    await nudgeAsync('clock', 'advance', '31m', '--endpoint', runtime.awsUrl);
    expect((await toLara()).map((email) => email.subject)).toEqual(['You left something behind, Lara']);
  });

  it('sends every source’s samples, each accepted', async () => {
    for (const [source, name] of [
      ['woocommerce', 'order.created'],
      ['bigcommerce', 'store/order/created'],
      ['stripe', 'checkout.session.completed'],
      ['segment', 'track-checkout-started'],
      ['segment', 'identify'],
      ['app', 'location.reported'],
      ['app', 'store.visited'],
      ['shopify', 'orders/create'],
      ['shopify', 'products/update'],
      ['shopify', 'inventory_levels/update'],
      ['woocommerce', 'product.created'],
    ] as const) {
      // BigCommerce's webhooks carry ids only (Nudge enriches them), and products name no person: no email to set.
      const person = source !== 'bigcommerce' && !/product|inventory/.test(name);
      const sent = await send(source, name, ...(person ? ['--set', `email=${source}.sample@example.com`] : []));
      expect({ source, name, ...sent }).toMatchObject({ status: 0, stdout: expect.stringMatching(/: 20[02] /) });
    }
  });

  it('sends a whole file of samples, one a line, and names the line it cannot read', async () => {
    const file = join(projectDir, 'samples', 'send', 'italian-shop.ndjson');
    const sent = await nudgeAsync('send', '--file', file, '--endpoint', runtime.httpUrl, '--data-dir', runtime.dataDir);
    expect(sent.status).toBe(0);
    expect(sent.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/line 1: shopify customers\/create: 200/),
      expect.stringMatching(/line 2: shopify checkouts\/create: 200/),
      expect.stringMatching(/line 3: shopify checkouts\/create: 200/),
    ]);
    const broken = join(mkdtempSync(join(tmpdir(), 'nudge-send-')), 'broken.ndjson');
    writeFileSync(broken, '{"source": "shopify", "name": "checkouts/create"}\n{"source": "shopify", "nmae": "x"}\n');
    expect(await nudgeAsync('send', '--file', broken, '--endpoint', runtime.httpUrl, '--data-dir', runtime.dataDir)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('broken.ndjson line 2: write {"source"'),
    });
  });

  it('lists the samples, and says what it cannot do with the field or the sample named', async () => {
    expect(await nudgeAsync('send', 'shopify')).toMatchObject({ status: 0, stdout: expect.stringContaining('checkouts-create') });
    expect(await send('shopify', 'checkouts/create', '--set', 'emial=x@example.com')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('this sample has no field emial; did you mean email?'),
    });
    for (const name of ['toString', 'constructor', '__proto__.toString', 'customer.constructor']) {
      const refused = await send('shopify', 'checkouts/create', '--set', `${name}=x`);
      expect(refused.status).toBe(2);
      expect(refused.stderr).not.toContain('TypeError');
    }
    expect(await send('shopify', 'refunds/create')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining(
        'there are: checkouts-create, customers-create, inventory_levels-update, orders-create, products-create, products-update',
      ),
    });
    expect(await send('magento', 'x')).toMatchObject({ status: 2, stderr: expect.stringContaining('there are samples for shopify') });
  });

  it('sends a test of a template rendered for a real person to the marketer, marked, and not to the person', async () => {
    await send('shopify', 'customers/create', '--set', 'email=ada.test@example.com', '--set', 'first_name=Ada');
    await runtime.idle();
    await clearInbox(runtime);
    const test = await nudgeAsync(
      'templates',
      'send-test',
      'thank-you',
      '--to',
      'marketer@shop.example',
      '--profile',
      'ada.test@example.com',
      '--endpoint',
      runtime.dynamoDbUrl,
      '--ses-endpoint',
      runtime.inboxUrl,
    );
    expect(test).toMatchObject({ status: 0, stdout: expect.stringContaining('Sent "[Test] Thank you for your order, Ada!" to marketer@shop.example') });
    const emails = await inbox(runtime);
    expect(emails.map((email) => [email.destination.to, email.subject])).toEqual([[['marketer@shop.example'], '[Test] Thank you for your order, Ada!']]);
    for (const to of ['ada.test@example.com', ' ADA.test@example.com', 'not-an-address', 'a@b.example, c@d.example']) {
      const refused = await nudgeAsync(
        'templates',
        'send-test',
        'thank-you',
        '--to',
        to,
        '--profile',
        'ada.test@example.com',
        '--endpoint',
        runtime.dynamoDbUrl,
        '--ses-endpoint',
        runtime.inboxUrl,
      );
      expect(refused.status).toBe(2);
    }
    expect(await inbox(runtime)).toHaveLength(1);
    expect(
      await nudgeAsync('templates', 'send-test', 'thank-you', '--to', 'm@shop.example', '--profile', 'nobody@example.com', '--endpoint', runtime.dynamoDbUrl),
    ).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('No profile has the key "nobody@example.com"'),
    });
  });
});
