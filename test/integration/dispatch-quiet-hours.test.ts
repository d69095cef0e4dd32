import type { Profile } from '#shared/events/profile.js';
import { messageRequest, putRequests, storeProfile } from '../support/dispatch.js';
import { inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** Quiet hours need their own runtime: the services keep the policy they were loaded with, once per test file. */
describe('dispatch: quiet hours', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({ quietHours: true });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('defers a marketing email due at night in the person’s time zone to 08:00 there, then sends it once', async () => {
    // A zone where it is now between 23:00 and 05:00: well inside quiet hours (21:00 to 08:00).
    const zone = Array.from({ length: 24 }, (_, hours) => `Etc/GMT${hours - 12 >= 0 ? '+' : '-'}${Math.abs(hours - 12)}`).find((candidate) => {
      const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: candidate, hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
      return hour >= 23 || hour < 5;
    }) as string;
    const profile: Profile = {
      profileId: 'p-owl',
      email: 'owl@example.com',
      timeZone: zone,
      orderCount: 1,
      revenue: {},
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-11-01T00:00:00.000Z',
      traitsAt: {},
    };
    await storeProfile(runtime, profile);
    await putRequests(runtime, messageRequest('msg-owl', profile));
    const deferred = runtime.busLog().find((event) => event['detail-type'] === 'message.deferred');
    expect(deferred?.detail).toMatchObject({ messageId: 'msg-owl', reason: 'quiet-hours' });
    const until = Date.parse(String(deferred?.detail.until));
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(until))).toBe('08:00');
    expect(await inbox(runtime)).toHaveLength(0);

    await runtime.advanceClock(until - Date.now() + 61_000);
    const mail = (await inbox(runtime)).filter((email) => email.destination.to.includes('owl@example.com'));
    expect(mail).toHaveLength(1);
    expect(
      runtime
        .busLog()
        .filter((event) => event.detail.messageId === 'msg-owl' && event['detail-type'] !== 'message.delivered')
        .map((event) => event['detail-type']),
    ).toEqual(['message.requested', 'message.deferred', 'message.requested', 'message.sent']);
  });
});
