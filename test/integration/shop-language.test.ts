import { nudgeAsync } from '../support/cli.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// An Italian shop (config/shops.json ships one) sends as itself, in Italian: its sender, the
// layout's footer, and the unsubscribe pages its link opens. Against npm start, as a shop would see it.
let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  await clearInbox(runtime);
}, 60_000);
afterAll(() => runtime?.stop());

const send = (...args: string[]) => nudgeAsync('send', ...args, '--endpoint', runtime.httpUrl, '--aws-endpoint', runtime.awsUrl, '--data-dir', runtime.dataDir);
const emailsTo = async (address: string) => (await inbox(runtime)).filter((email) => email.destination.to.some((to) => to.includes(address)));

describe("a shop's language and sender", () => {
  it("sends the Italian shop's reminder from its sender, with the footer and the unsubscribe pages in Italian", async () => {
    const sent = await send(
      'shopify',
      'checkouts/create',
      '--shop',
      'negozio.myshopify.com',
      '--set',
      'email=giulia.lingua@example.it',
      '--set',
      'first_name=Giulia',
      '--set',
      'total=64.90',
    );
    expect(sent).toMatchObject({ status: 0, stdout: expect.stringContaining(': 200') });
    await runtime.idle();
    expect(await nudgeAsync('clock', 'advance', '2h', '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });

    const [reminder, ...more] = await emailsTo('giulia.lingua@');
    expect(more).toEqual([]);
    expect(reminder?.from).toBe('Negozio Demo <ciao@negozio.example>');
    const html = reminder?.body.html ?? '';
    expect(html).toContain('<html lang="it">');
    expect(html).toContain('Ricevi questa email perché acquisti da noi.');
    expect(html).toContain('Negozio Demo');
    expect(reminder?.body.text).toContain("Annulla l'iscrizione con un clic");

    // The link carries the email's language: the pages speak it whatever the browser asks for.
    const link = html.match(/href="([^"]*\/unsubscribe\?token=[^"]+)"/)?.[1]?.replaceAll('&amp;', '&');
    expect(link).toBeDefined();
    const page = await fetch(link ?? '', { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    const asked = await page.text();
    expect(page.status).toBe(200);
    expect(asked).toContain('<html lang="it">');
    expect(asked).toContain('giulia.lingua@example.it non riceverà più email promozionali da noi.');
    const done = await fetch(link ?? '', {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Iscrizione annullata');
  });

  it('answers a broken link in the language the browser asks for, and in English when it asks for none Nudge ships', async () => {
    const base = `${runtime.httpUrl}/unsubscribe?token=broken`;
    const german = await fetch(base, { headers: { 'accept-language': 'pt-BR, de;q=0.8, en;q=0.5' } });
    expect(german.status).toBe(400);
    expect(await german.text()).toContain('Dieser Link funktioniert nicht');
    const unknown = await fetch(base, { headers: { 'accept-language': 'ja, zh;q=0.9' } });
    expect(await unknown.text()).toContain('This link does not work');
  });

  it("sends a shop's customers that no shop's event triggers (a test send) as the shop the person last dealt with", async () => {
    await send('shopify', 'customers/create', '--shop', 'negozio.myshopify.com', '--set', 'email=marco.lingua@example.it', '--set', 'first_name=Marco');
    await runtime.idle();
    await clearInbox(runtime);
    const test = await nudgeAsync(
      'templates',
      'send-test',
      'win-back',
      '--to',
      'marketer@negozio.example',
      '--profile',
      'marco.lingua@example.it',
      '--endpoint',
      runtime.dynamoDbUrl,
      '--ses-endpoint',
      runtime.inboxUrl,
    );
    expect(test.status).toBe(0);
    const [email] = await emailsTo('marketer@negozio.example');
    expect(email?.from).toBe('Negozio Demo <ciao@negozio.example>');
    expect(email?.body.html).toContain('<html lang="it">');
  });
});
