import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CouponPools } from '#services/dispatch/adapters/coupon-pools.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { localTableName } from '../../local/runtime.js';
import { nudgeAsync } from '../support/cli.js';
import { messageRequest, putRequests, storedPerson } from '../support/dispatch.js';
import { copyOfProject } from '../support/fixtures.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// Unique coupon codes on the local runtime: a marketer loads a pool, a template asks for a code, and
// each message gets its own, once, however often it is retried; an empty pool fails messages with
// a clear reason instead of repeating a code.
let runtime: TestRuntime;
const project = copyOfProject();
writeFileSync(
  join(project, 'templates', 'welcome-coupon.liquid'),
  '---\nsubject: "Welcome, {{ profile.firstName }}: your code"\nlayout: default\n---\n<p>Your code: <strong>{{ coupon.welcome10 }}</strong></p>\n',
);

beforeAll(async () => {
  runtime = await startTestRuntime({ projectDir: project });
  await clearInbox(runtime);
}, 60_000);
afterAll(() => runtime?.stop());

const codesFile = (codes: readonly string[]) => {
  const file = join(mkdtempSync(join(tmpdir(), 'nudge-coupons-')), 'codes.txt');
  writeFileSync(file, `${codes.join('\n')}\n`);
  return file;
};
const coupons = (...args: string[]) => nudgeAsync('coupons', ...args, '--endpoint', runtime.dynamoDbUrl);
const codeIn = (html: string | undefined) => html?.match(/Your code: <strong>([^<]+)<\/strong>/)?.[1];

describe('unique coupon codes', () => {
  it('gives 150 messages sent at once 100 distinct codes from a pool of 100, and fails the other 50 with the reason', async () => {
    const codes = Array.from({ length: 100 }, (_, index) => `WELCOME-${String(index).padStart(3, '0')}-${(index * 7919) % 1000}`);
    expect(await coupons('load', 'welcome10', codesFile(codes))).toMatchObject({
      status: 0,
      stdout: expect.stringContaining('Added 100 code(s) to welcome10'),
    });
    // Loading the same file again adds nothing: a code is held once.
    expect((await coupons('load', 'welcome10', codesFile(codes.slice(0, 10)))).stdout).toContain('Added 0 code(s)');

    const people = await Promise.all(Array.from({ length: 150 }, (_, index) => storedPerson(runtime, `p-coupon-${index}`, `coupon${index}@example.com`)));
    const requests = people.map((person, index) => messageRequest(`msg-coupon-${index}`, person, { template: 'welcome-coupon', ruleId: 'welcome' }));
    // Ten requests a PutEvents, all at once: dispatch takes them in concurrent batches.
    await Promise.all(Array.from({ length: 15 }, (_, chunk) => putRequests(runtime, ...requests.slice(chunk * 10, chunk * 10 + 10))));
    await runtime.idle();

    const sent = (await inbox(runtime)).filter((email) => email.subject.endsWith('your code'));
    const given = sent.map((email) => codeIn(email.body.html));
    expect(sent).toHaveLength(100);
    expect(new Set(given).size).toBe(100);
    expect(given.every((code) => code !== undefined && codes.includes(code))).toBe(true);
    const failed = runtime.busLog().filter((event) => event['detail-type'] === 'message.failed' && String(event.detail.messageId).startsWith('msg-coupon-'));
    expect(failed).toHaveLength(50);
    expect(failed.every((event) => (event.detail.error as { code: string }).code === 'CouponsExhausted')).toBe(true);
    expect((failed[0]?.detail.error as { message: string } | undefined)?.message).toContain('Coupon pool welcome10 has no codes left');
    expect((await coupons('status', 'welcome10')).stdout).toContain('welcome10: 100 loaded, 100 given out, 0 left.');

    // Every request again: nothing is sent twice, no code is claimed again.
    await Promise.all(Array.from({ length: 15 }, (_, chunk) => putRequests(runtime, ...requests.slice(chunk * 10, chunk * 10 + 10))));
    expect((await inbox(runtime)).filter((email) => email.subject.endsWith('your code'))).toHaveLength(100);
    expect((await coupons('status', 'welcome10')).stdout).toContain('100 given out');
  }, 120_000);

  it('gives a message the code it had when it is tried again, and names a pool that does not exist', async () => {
    const pools = new CouponPools(localDynamoDb(runtime.dynamoDbUrl), localTableName);
    await pools.load('retry_pool', ['R-1', 'R-2']);
    const first = await pools.claim('retry_pool', 'msg-retry', Date.now());
    const again = await pools.claim('retry_pool', 'msg-retry', Date.now());
    expect(first).toEqual({ ok: true, value: 'R-1' });
    expect(again).toEqual(first);
    expect(await pools.claim('retry_pool', 'msg-other', Date.now())).toEqual({ ok: true, value: 'R-2' });
    expect(await pools.claim('no_such_pool', 'msg-x', Date.now())).toMatchObject({ ok: false, error: { code: 'CouponPoolMissing' } });
  });

  it('refuses a pool name templates cannot write, a file with no codes and a code with spaces, naming the line', async () => {
    expect(await coupons('load', 'Welcome-10', codesFile(['A']))).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('a pool name is lower-case letters'),
    });
    expect(await coupons('load', 'empty', codesFile(['', '  ']))).toMatchObject({ status: 2, stderr: expect.stringContaining('holds no codes') });
    expect(await coupons('load', 'spaced', codesFile(['GOOD-1', 'BAD CODE']))).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/codes\.txt line 2: a code is 1 to 64 printable/),
    });
    expect(await coupons('status', 'constructor')).toMatchObject({ status: 2, stderr: expect.stringContaining('No coupon pool named constructor') });
  });
});
