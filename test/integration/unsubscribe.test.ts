import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signUnsubscribe } from '#shared/unsubscribe.js';
import { nudgeAsync } from '../support/cli.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

const days = (n: number) => n * 86_400_000;

/**
 * One-click unsubscribe end to end on the local runtime: a marketing email carries the
 * List-Unsubscribe and List-Unsubscribe-Post headers (RFC 8058); the mail client's POST to that
 * link unsubscribes at once, and the next marketing email for the person is suppressed.
 */
describe('one-click unsubscribe', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await clearInbox(runtime);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('unsubscribes from the header’s link and suppresses the next triggered email with reason unsubscribed', async () => {
    const sam = shopper(runtime, 'sam@example.com');
    await sam.track('Checkout Started', { checkout_id: 'chk-sam', revenue: 20, currency: 'EUR', products: [] });
    await runtime.idle();
    await runtime.advanceClock(61 * 60_000);
    const [reminder] = (await inbox(runtime)).filter((email) => email.destination.to.includes('sam@example.com'));
    const headers = Object.fromEntries(
      ((reminder as unknown as { headers?: { name: string; value: string }[] }).headers ?? []).map((header) => [header.name, header.value]),
    );
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const link = /^<(.+)>$/.exec(headers['List-Unsubscribe'] ?? '')?.[1] as string;
    expect(link).toMatch(/\/unsubscribe\?token=/);
    expect(reminder?.body.html).toContain(link.replaceAll('&', '&amp;'));

    // What a mail client does for one-click: POST the link with this body, no cookies, no redirects.
    // The runtime listens on the loopback address the link's "localhost" names.
    const response = await fetch(link.replace('//localhost:', '//127.0.0.1:'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You are unsubscribed');
    await runtime.idle();

    // The next marketing email for Sam: an order (its thank-you is transactional and goes), whose
    // review request a week later is marketing.
    await sam.track('Order Completed', { order_id: 'ord-sam', total: 20, currency: 'EUR', products: [] });
    await runtime.idle();
    await runtime.advanceClock(days(7) + 60_000);
    const subjects = (await inbox(runtime)).filter((email) => email.destination.to.includes('sam@example.com')).map((email) => email.subject);
    expect(subjects).toEqual(['You left something behind, friend', 'Thank you for your order, friend!']);
    const suppressed = runtime.busLog().filter((event) => event['detail-type'] === 'message.suppressed' && event.detail.ruleId === 'post-purchase-review');
    expect(suppressed.map((event) => event.detail.reason)).toEqual(['unsubscribed']);
    // Measurement counts the unsubscribe for the rule of the email whose link it was.
    const counted = await nudgeAsync('report', '--json', '--rule', 'abandoned-checkout', '--endpoint', runtime.dynamoDbUrl);
    expect(JSON.parse(counted.stdout).rules).toEqual([expect.objectContaining({ rule: 'abandoned-checkout', sent: 1, unsubscribed: 1 })]);
  });

  it('refuses a changed link with a 400 page and changes nothing', async () => {
    const before = runtime.busLog().length;
    const response = await fetch(`${runtime.httpUrl}/unsubscribe?token=eyJlIjoiYm9iQGV4YW1wbGUuY29tIiwiYyI6ImVtYWlsIn0.forged`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('text/html');
    await runtime.idle();
    expect(runtime.busLog().length).toBe(before);
  });

  const tokenFor = (email: string, messageId?: string) =>
    signUnsubscribe(readFileSync(join(runtime.dataDir, 'unsubscribe-key.txt'), 'utf8'), { email, channel: 'email', ...(messageId ? { messageId } : {}) });
  const consentChanges = (email: string) =>
    runtime.busLog().filter((event) => event['detail-type'] === 'consent.changed' && (event.detail.identity as { email?: string }).email === email);

  it('shows a page with a button on a click (GET), which mail scanners follow, and unsubscribes only when the button posts', async () => {
    const link = `${runtime.httpUrl}/unsubscribe?token=${tokenFor('scanned@example.com', 'msg-scan')}`;
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).toContain('scanned@example.com');
    await runtime.idle();
    expect(consentChanges('scanned@example.com')).toHaveLength(0);
    // The page's button: a form POST to the same link.
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&') as string;
    const confirmed = await fetch(new URL(action, link), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('You are unsubscribed');
    await runtime.idle();
    expect(consentChanges('scanned@example.com').map((event) => (event.detail.properties as { state: string }).state)).toEqual(['unsubscribed']);
  });

  it('makes one consent change however often the same email’s link is posted, at once or after', async () => {
    const link = `${runtime.httpUrl}/unsubscribe?token=${tokenFor('clicker@example.com', 'msg-click')}`;
    const answers = await Promise.all([1, 2, 3, 4].map(() => fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click' })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
    await runtime.idle();
    // Each post puts the change on the bus (intake keeps nothing), all with one event id, which profiles apply once.
    const changes = consentChanges('clicker@example.com');
    expect(new Set(changes.map((event) => event.detail.eventId)).size).toBe(1);
    const applied = runtime
      .busLog()
      .filter(
        (event) =>
          event['detail-type'] === 'profile.updated' && (event.detail.trigger as { detail: { eventId: string } }).detail.eventId === changes[0]?.detail.eventId,
      );
    expect(applied).toHaveLength(1);
  });

  it.each(['PUT', 'DELETE', 'PATCH', 'HEAD'])('answers %s on an unsubscribe link with 405, changing nothing', async (method) => {
    const response = await fetch(`${runtime.httpUrl}/unsubscribe?token=${tokenFor('methods@example.com', 'msg-methods')}`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    await runtime.idle();
    expect(consentChanges('methods@example.com')).toHaveLength(0);
  });

  it.each([
    ['a padding character added', (token: string) => `${token}=`],
    ['a character appended', (token: string) => `${token}A`],
    // 32 bytes in 43 characters leave the last one two unused bits: a lenient decoder reads both spellings as the same bytes.
    [
      'the unused bits of the signature’s last character set',
      (token: string) => {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        return `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.slice(-1)) ^ 1]}`;
      },
    ],
  ])('refuses a token with %s', async (_name, change) => {
    const token = tokenFor('recoded@example.com', 'msg-recoded');
    const changed = change(token);
    expect(changed).not.toBe(token);
    const response = await fetch(`${runtime.httpUrl}/unsubscribe?token=${encodeURIComponent(changed)}`, { method: 'POST' });
    expect(response.status).toBe(400);
    await runtime.idle();
    expect(consentChanges('recoded@example.com')).toHaveLength(0);
  });
});
