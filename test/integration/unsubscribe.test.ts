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
  });

  it('refuses a changed link with a 400 page and changes nothing', async () => {
    const before = runtime.busLog().length;
    const response = await fetch(`${runtime.httpUrl}/unsubscribe?token=eyJlIjoiYm9iQGV4YW1wbGUuY29tIiwiYyI6ImVtYWlsIn0.forged`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('text/html');
    await runtime.idle();
    expect(runtime.busLog().length).toBe(before);
  });
});
