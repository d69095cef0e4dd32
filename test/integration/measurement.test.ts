import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '#shared/table.js';
import { readDeadLetters } from '../../local/event-bus.js';
import { localRegion, localTableName } from '../../local/runtime.js';
import { nudgeAsync } from '../support/cli.js';
import { messageRequest, putRequests, storedPerson } from '../support/dispatch.js';
import { fixtureBytes } from '../support/fixtures.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { orderUpdate, storeProfiles } from '../support/measurement.js';
import { postShopify } from '../support/shopper.js';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

/** Shopify's example order as a new order placed now (the fixture's own date is in 2021). */
function orderNow(orderId: string, at: Date): Buffer {
  return Buffer.from(
    fixtureBytes('webhooks/shopify/shopify-orders-create.json')
      .toString('utf8')
      .replace('gid://shopify/Order/820982911946154508', `gid://shopify/Order/${orderId}`)
      .replaceAll('2021-12-31T19:00:00-05:00', at.toISOString()),
  );
}

async function putOnBus(runtime: TestRuntime, source: string, detailType: string, detail: Record<string, unknown>): Promise<void> {
  const bus = new EventBridgeClient({ endpoint: runtime.awsUrl, region: localRegion, credentials });
  await bus.send(new PutEventsCommand({ Entries: [{ EventBusName: 'nudge', Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }] }));
  await runtime.idle();
}

async function measuresOf(runtime: TestRuntime, profileId: string) {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: localRegion, credentials }));
  return (await documents.send(new GetCommand({ TableName: localTableName, Key: keys.personMeasures(profileId), ConsistentRead: true }))).Item;
}

interface JsonReport {
  rules: {
    rule: string;
    variant: string | null;
    sent: number;
    delivered: number;
    opened: number;
    clicked: number;
    conversions: number;
    revenue: Record<string, string>;
    holdout: { messaged: { conversions: number; revenue: Record<string, string> } };
  }[];
}

async function report(runtime: TestRuntime, ...args: string[]): Promise<JsonReport> {
  const result = await nudgeAsync('report', '--json', '--endpoint', runtime.dynamoDbUrl, ...args);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as JsonReport;
}

describe('measurement on the local runtime', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  beforeEach(async () => {
    await runtime.idle();
    await clearInbox(runtime);
  });

  it("counts the demo order's thank-you, a second order within the window as its conversion, and a click in the local inbox", async () => {
    const first = await postShopify(runtime, orderNow('7000000000001', new Date()));
    expect(first.status).toBe(200);
    await runtime.idle();
    const [email] = await inbox(runtime);
    expect(email).toBeDefined();

    // The shopper opens the email in the local inbox and follows its link, through the local tracker as through SES's.
    const html = String(email?.body.html ?? '');
    const pixel = html.match(/src="(http:\/\/localhost:\d+\/_local\/ses\/open\/[^"]+)"/)?.[1];
    const link = html.match(/href="(http:\/\/localhost:\d+\/_local\/ses\/click\/[^"]+)"/)?.[1];
    expect(pixel).toBeDefined();
    expect(link).toBeDefined();
    expect((await fetch(String(pixel))).status).toBe(200);
    const click = await fetch(String(link), { redirect: 'manual' });
    expect(click.status).toBe(302);
    await runtime.idle();

    const second = await postShopify(runtime, orderNow('7000000000002', new Date(Date.now() + 1000)));
    expect(second.status).toBe(200);
    await runtime.idle();

    const { rules } = await report(runtime, '--rule', 'thank-you');
    expect(rules).toEqual([
      expect.objectContaining({
        rule: 'thank-you',
        variant: null,
        sent: 2,
        delivered: 2,
        opened: 1,
        clicked: 1,
        conversions: 1,
        revenue: { USD: expect.any(String) },
      }),
    ]);
  });

  it('refuses an unknown rule and a period that is not one, saying what to type instead', async () => {
    const unknown = await nudgeAsync('report', '--rule', 'no-such-rule', '--endpoint', runtime.dynamoDbUrl);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/No rule "no-such-rule" in rules\/; the rules are: abandoned-checkout, .*thank-you/);
    const badDay = await nudgeAsync('report', '--from', '2026-13-01', '--endpoint', runtime.dynamoDbUrl);
    expect(badDay).toMatchObject({ status: 2, stderr: expect.stringContaining('--from 2026-13-01 is not a day: write it as YYYY-MM-DD') });
    const backwards = await nudgeAsync('report', '--from', '2026-11-02', '--to', '2026-11-01', '--endpoint', runtime.dynamoDbUrl);
    expect(backwards).toMatchObject({ status: 2, stderr: expect.stringContaining('--from 2026-11-02 is after --to 2026-11-01') });
    const page = await fetch(`${runtime.httpUrl}/_local/report?rule=nope`);
    expect(page.status).toBe(400);
    expect(await page.json()).toMatchObject({ code: 'bad-request', message: expect.stringContaining('No rule "nope"') });
  });

  it('says plainly when a period has no data, with every rule at zero', async () => {
    const result = await nudgeAsync('report', '--from', '2020-01-01', '--to', '2020-01-31', '--endpoint', runtime.dynamoDbUrl);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('No messages and no conversions between 2020-01-01 and 2020-01-31 (UTC days).');
    const { rules } = JSON.parse(
      (await nudgeAsync('report', '--json', '--from', '2020-01-01', '--to', '2020-01-31', '--endpoint', runtime.dynamoDbUrl)).stdout,
    ) as JsonReport;
    expect(rules.every((entry) => entry.sent === 0 && entry.conversions === 0)).toBe(true);
  });

  it('counts an order in a currency never seen before on its own, never added to another', async () => {
    const order = orderNow('7000000000003', new Date())
      .toString('utf8')
      .replaceAll('"currency": "USD"', '"currency": "JPY"')
      .replaceAll('"currency_code": "USD"', '"currency_code": "JPY"');
    expect((await postShopify(runtime, Buffer.from(order))).status).toBe(200);
    await runtime.idle();
    const text = await nudgeAsync('report', '--rule', 'thank-you', '--endpoint', runtime.dynamoDbUrl);
    expect(text.stdout).toMatch(/Revenue is in JPY, USD: each currency is shown on its own, never converted or added up\./);
    const { rules } = await report(runtime, '--rule', 'thank-you');
    expect(Object.keys(rules[0]?.revenue ?? {}).sort()).toEqual(['JPY', 'USD']);
  });

  it('writes the report as one self-contained page with charts, and serves it on the local runtime', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nudge-report-')), 'report.html');
    const result = await nudgeAsync('report', '--html', file, '--endpoint', runtime.dynamoDbUrl);
    expect(result).toMatchObject({ status: 0, stdout: expect.stringContaining(`Wrote ${file}`) });
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Thank you for your order');
    // Self-contained: nothing fetched from elsewhere, no script.
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toContain('<script');
    const served = await fetch(`${runtime.httpUrl}/_local/report`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toContain('text/html');
    expect(await served.text()).toContain('<svg');
  });

  it("counts what SES reports about an erased person's email, without keeping anything about them again", async () => {
    const profileId = 'p-erased-measure';
    await storeProfiles(runtime, [profileId]);
    const ref = { messageId: 'msg-erased', ruleId: 'win-back', profileId, channel: 'email', template: 'win-back' };
    await putOnBus(runtime, 'nudge.dispatch', 'message.sent', { ...ref, sentAt: new Date().toISOString(), providerMessageId: 'ses-erased' });
    expect(await measuresOf(runtime, profileId)).toBeDefined();
    const erased = await nudgeAsync('profile', 'erase', `email:${profileId}@example.com`, '--endpoint', runtime.dynamoDbUrl);
    expect(erased.status).toBe(0);
    expect(await measuresOf(runtime, profileId)).toBeUndefined();
    const before = (await report(runtime, '--rule', 'win-back')).rules[0];
    await putOnBus(runtime, 'nudge.dispatch', 'message.opened', { ...ref, at: new Date().toISOString(), providerMessageId: 'ses-erased' });
    expect((await report(runtime, '--rule', 'win-back')).rules[0]?.opened).toBe((before?.opened ?? 0) + 1);
    expect(await measuresOf(runtime, profileId)).toBeUndefined();
    expect(readDeadLetters(runtime.dataDir, 'measurement')).toEqual([]);
  });

  it("sends a variant's subject, tags the email with the variant, and counts SES's events for that variant", async () => {
    const kim = await storedPerson(runtime, 'p-variant', 'variant@example.com');
    await putRequests(runtime, messageRequest('msg-variant', kim, { variant: 'ten-off', subject: 'Ten off for you, {{ profile.firstName }}' }));
    const [email] = (await inbox(runtime)).filter((mail) => mail.destination.to.includes('variant@example.com'));
    expect(email?.subject).toBe('Ten off for you, Kim');
    const delivered = runtime.busLog().find((event) => event['detail-type'] === 'message.delivered' && event.detail.messageId === 'msg-variant');
    expect(delivered?.detail).toMatchObject({ ruleId: 'win-back', variant: 'ten-off' });
    const { rules } = await report(runtime, '--rule', 'win-back');
    expect(rules.find((entry) => entry.variant === 'ten-off')).toMatchObject({ sent: 1, delivered: 1 });
  });

  it('counts an order after a merge for the surviving profile, attributed to a message the merged profile got', async () => {
    await storeProfiles(runtime, ['p-merge-old', 'p-merge-new']);
    const ref = { messageId: 'msg-merge', ruleId: 'abandoned-checkout', profileId: 'p-merge-old', channel: 'email', template: 'abandoned-checkout' };
    await putOnBus(runtime, 'nudge.dispatch', 'message.sent', { ...ref, sentAt: new Date(Date.now() - 60_000).toISOString(), providerMessageId: 'ses-merge' });
    await putOnBus(runtime, 'nudge.profiles', 'profile.merged', { profileId: 'p-merge-new', mergedProfileIds: ['p-merge-old'], eventId: 'ev-merge' });
    const before = (await report(runtime, '--rule', 'abandoned-checkout')).rules[0];
    await putOnBus(
      runtime,
      'nudge.profiles',
      'profile.updated',
      orderUpdate('p-merge-new', { orderId: 'merge-1', at: Date.now(), amount: '30.00', currency: 'GBP' }),
    );
    // The same order again (a replay): counted once.
    await putOnBus(
      runtime,
      'nudge.profiles',
      'profile.updated',
      orderUpdate('p-merge-new', { orderId: 'merge-1', at: Date.now(), amount: '30.00', currency: 'GBP' }),
    );
    const after = (await report(runtime, '--rule', 'abandoned-checkout')).rules[0];
    expect(after?.conversions).toBe((before?.conversions ?? 0) + 1);
    expect(Number(after?.revenue.GBP)).toBe(30);
    expect(readDeadLetters(runtime.dataDir, 'measurement')).toEqual([]);
  });

  it('counts one order once after a merge left the survivor two open windows of one rule, and ignores a self-merge and a cycle', async () => {
    await storeProfiles(runtime, ['p-two-a', 'p-two-b']);
    const sentTo = (profileId: string, messageId: string) =>
      putOnBus(runtime, 'nudge.dispatch', 'message.sent', {
        messageId,
        ruleId: 'browse-abandonment',
        profileId,
        channel: 'email',
        template: 'browse-abandonment',
        sentAt: new Date(Date.now() - 120_000).toISOString(),
        providerMessageId: `ses-${messageId}`,
      });
    await sentTo('p-two-a', 'msg-two-a');
    await sentTo('p-two-b', 'msg-two-b');
    await putOnBus(runtime, 'nudge.profiles', 'profile.merged', { profileId: 'p-two-b', mergedProfileIds: ['p-two-a', 'p-two-b'], eventId: 'ev-two' });
    await putOnBus(runtime, 'nudge.profiles', 'profile.merged', { profileId: 'p-two-a', mergedProfileIds: ['p-two-b'], eventId: 'ev-cycle' });
    const before = (await report(runtime, '--rule', 'browse-abandonment')).rules[0];
    await putOnBus(runtime, 'nudge.profiles', 'profile.updated', orderUpdate('p-two-b', { orderId: 'two-1', at: Date.now(), amount: '19.00' }));
    const after = (await report(runtime, '--rule', 'browse-abandonment')).rules[0];
    expect(after?.holdout.messaged.conversions).toBe((before?.holdout.messaged.conversions ?? 0) + 1);
    expect(Number(after?.holdout.messaged.revenue.USD ?? 0) - Number(before?.holdout.messaged.revenue.USD ?? 0)).toBe(19);
    expect(after?.conversions).toBe((before?.conversions ?? 0) + 1);
    expect(readDeadLetters(runtime.dataDir, 'measurement')).toEqual([]);
  });

  it('counts opens and clicks only for a GET of an exact tracking address of the email', async () => {
    const response = await postShopify(runtime, orderNow('7000000000009', new Date()));
    expect(response.status).toBe(200);
    await runtime.idle();
    const [email] = (await inbox(runtime)).slice(-1);
    const link = String(email?.body.html ?? '').match(/href="http:\/\/localhost:\d+(\/_local\/ses\/click\/[^"]+)"/)?.[1] ?? '';
    const opened = String(email?.body.html ?? '').match(/src="http:\/\/localhost:\d+(\/_local\/ses\/open\/[^"]+)"/)?.[1] ?? '';
    const clicksBefore = runtime.busLog().filter((event) => event['detail-type'] === 'Email Clicked').length;
    for (const method of ['HEAD', 'OPTIONS', 'POST', 'DELETE'])
      expect((await fetch(`${runtime.httpUrl}${link}`, { method, redirect: 'manual' })).status).toBe(405);
    for (const variant of [
      `${link}x`,
      link.replace(/\/0$/, '/0x0'),
      link.replace(/\/0$/, '/'),
      `${link}/extra`,
      `${opened}/extra`,
      link.replace('/click/', '/CLICK/'),
    ])
      expect((await fetch(`${runtime.httpUrl}${variant}`, { redirect: 'manual' })).status).toBe(404);
    await runtime.idle();
    expect(runtime.busLog().filter((event) => event['detail-type'] === 'Email Clicked').length).toBe(clicksBefore);
    expect((await fetch(`${runtime.httpUrl}${link}`, { redirect: 'manual' })).status).toBe(302);
  });

  it('answers the report page’s mistakes with 400 or 405 and a message in its own terms', async () => {
    const ask = async (query: string, method = 'GET') => {
      const response = await fetch(`${runtime.httpUrl}/_local/report${query}`, { method });
      return { status: response.status, body: (await response.json()) as { message: string } };
    };
    expect(await ask('?from=2026-13-01')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^from 2026-13-01 is not a day/) } });
    expect(await ask('?format=xml')).toMatchObject({ status: 400, body: { message: 'format=xml: the report comes as html or json' } });
    expect(await ask('?rule=a&rule=b')).toMatchObject({ status: 400, body: { message: '"rule" is given more than once' } });
    expect(await ask('?rule=nope')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^No rule "nope" in rules\/;/) } });
    expect(await ask('', 'POST')).toMatchObject({ status: 405 });
  });

  it('says plainly when it cannot reach the table, instead of a stack trace', async () => {
    const unreachable = await nudgeAsync('report', '--endpoint', 'http://127.0.0.1:1');
    expect(unreachable).toMatchObject({ status: 1, stderr: expect.stringContaining('Cannot reach 127.0.0.1:1 (ECONNREFUSED)') });
    const noTable = await nudgeAsync('report', '--endpoint', runtime.dynamoDbUrl, '--table', 'no-such-table');
    expect(noTable).toMatchObject({ status: 1, stderr: expect.stringContaining('No such table: check --table') });
    expect(noTable.stderr).not.toMatch(/\n\s+at /);
  });

  it('counts an order that arrives before the merge it caused for the messages of the profile it absorbed', async () => {
    await storeProfiles(runtime, ['p-early-a', 'p-early-b']);
    const ref = { messageId: 'msg-early', ruleId: 'birthday', profileId: 'p-early-a', channel: 'email', template: 'birthday' };
    await putOnBus(runtime, 'nudge.dispatch', 'message.sent', { ...ref, sentAt: new Date(Date.now() - 60_000).toISOString(), providerMessageId: 'ses-early' });
    // What the profiles service wrote when the order showed the two to be one; its profile.merged comes later.
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: localRegion, credentials }));
    await documents.send(
      new UpdateCommand({
        TableName: localTableName,
        Key: keys.profile('p-early-b'),
        UpdateExpression: 'SET absorbed = :a',
        ExpressionAttributeValues: { ':a': ['p-early-a'] },
      }),
    );
    const before = (await report(runtime, '--rule', 'birthday')).rules[0];
    await putOnBus(runtime, 'nudge.profiles', 'profile.updated', orderUpdate('p-early-b', { orderId: 'early-1', at: Date.now(), amount: '12.00' }));
    await putOnBus(runtime, 'nudge.profiles', 'profile.merged', { profileId: 'p-early-b', mergedProfileIds: ['p-early-a'], eventId: 'ev-early' });
    const after = (await report(runtime, '--rule', 'birthday')).rules[0];
    expect(after?.conversions).toBe((before?.conversions ?? 0) + 1);
    expect(readDeadLetters(runtime.dataDir, 'measurement')).toEqual([]);
  });

  it('moves the attribution window on with a second open, though it is no second unique open', async () => {
    await storeProfiles(runtime, ['p-reopen']);
    const day = 86_400_000;
    const ref = { messageId: 'msg-reopen', ruleId: 'post-purchase-reorder', profileId: 'p-reopen', channel: 'email', template: 'reorder-reminder' };
    const at = (offset: number) => new Date(Date.now() + offset).toISOString();
    await putOnBus(runtime, 'nudge.dispatch', 'message.sent', { ...ref, sentAt: at(-7 * day), providerMessageId: 'ses-reopen' });
    await putOnBus(runtime, 'nudge.dispatch', 'message.opened', { ...ref, at: at(-7 * day + 60_000), providerMessageId: 'ses-reopen' });
    await putOnBus(runtime, 'nudge.dispatch', 'message.opened', { ...ref, at: at(-2 * day), providerMessageId: 'ses-reopen' });
    const before = (await report(runtime, '--rule', 'post-purchase-reorder', '--from', at(-30 * day).slice(0, 10))).rules[0];
    await putOnBus(runtime, 'nudge.profiles', 'profile.updated', orderUpdate('p-reopen', { orderId: 'reopen-1', at: Date.now(), amount: '8.00' }));
    const after = (await report(runtime, '--rule', 'post-purchase-reorder', '--from', at(-30 * day).slice(0, 10))).rules[0];
    expect(after?.opened).toBe(before?.opened);
    expect(after?.conversions).toBe((before?.conversions ?? 0) + 1);
  });

  it('counts 50 simultaneous clicks and opens of one email, over HTTP, as one unique click and one open', async () => {
    expect((await postShopify(runtime, orderNow('7000000000050', new Date()))).status).toBe(200);
    await runtime.idle();
    const [email] = (await inbox(runtime)).slice(-1);
    const html = String(email?.body.html ?? '');
    const link = html.match(/href="(http:\/\/localhost:\d+\/_local\/ses\/click\/[^"]+)"/)?.[1] ?? '';
    const pixel = html.match(/src="(http:\/\/localhost:\d+\/_local\/ses\/open\/[^"]+)"/)?.[1] ?? '';
    const before = (await report(runtime, '--rule', 'thank-you')).rules[0];
    const answers = await Promise.all([
      ...Array.from({ length: 50 }, () => fetch(link, { redirect: 'manual' })),
      ...Array.from({ length: 50 }, () => fetch(pixel)),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array(50).fill(200), ...Array(50).fill(302)]);
    await runtime.idle();
    const after = (await report(runtime, '--rule', 'thank-you')).rules[0];
    expect([after?.clicked, after?.opened]).toEqual([(before?.clicked ?? 0) + 1, (before?.opened ?? 0) + 1]);
    expect(readDeadLetters(runtime.dataDir, 'measurement')).toEqual([]);
  });
});
