import { localMoment } from '#shared/calendar.js';
import { readDeadLetters } from '../../local/event-bus.js';
import { broadcastRecipients, broadcastTime, customerIn, startWithBroadcast, stopBroadcastRuntime } from '../support/broadcast.js';
import type { TestRuntime } from '../support/local-runtime.js';

/**
 * A broadcast whose rule becomes active only after its first waves, and whose waves then come late
 * (a retry, a redriven dead letter, a moved clock), on the local runtime: the inactive waves still
 * hand on to the next, and the waves held up follow, each for its own people, each person once.
 */
describe('broadcasts that start late or run late', () => {
  let runtime: TestRuntime;
  let once = '';
  const recipients = () => broadcastRecipients(runtime);

  beforeAll(async () => {
    once = broadcastTime();
    // Active only from Tokyo's 09:00 on: the first waves (UTC+14 to UTC+10) run nothing, but the rest must run.
    runtime = await startWithBroadcast({
      id: 'late-sale',
      name: 'Late sale',
      trigger: { type: 'time', once, timeZone: 'UTC' },
      activeFrom: new Date(localMoment(once, 'Asia/Tokyo') as number).toISOString(),
    });
  }, 60_000);
  afterAll(() => stopBroadcastRuntime(runtime));

  it('runs the waves from activeFrom on, and the waves a late run held up after it, each person once', async () => {
    const people = [
      { email: 'auckland@example.com', timezone: 'Pacific/Auckland' },
      { email: 'seoul@example.com', timezone: 'Asia/Seoul' },
      { email: 'paris@example.com', timezone: 'Europe/Paris' },
      { email: 'chicago@example.com', timezone: 'America/Chicago' },
    ];
    for (const { email, timezone } of people) await customerIn(runtime, email, timezone);
    await runtime.idle();
    const advanceTo = async (instant: number) => {
      const now = runtime.scheduler.clock.now();
      if (instant > now) await runtime.advanceClock(instant - now);
      await runtime.advanceClock(1_000);
    };
    // On time up to Auckland's 09:00, before activeFrom: those waves run nothing, and go on scheduling the next.
    await advanceTo((localMoment(once, 'Pacific/Auckland') as number) + 30_000);
    expect(await recipients()).toEqual([]);
    await advanceTo((localMoment(once, 'Asia/Seoul') as number) + 30_000);
    expect(await recipients()).toEqual(['seoul@example.com']);
    // Then one jump past every wave, as when a run comes late (a redriven dead letter, a moved clock):
    // the waves it held up follow one after another, each for its own people.
    await advanceTo((localMoment(once, 'Etc/GMT+12') as number) + 3_600_000);
    expect((await recipients()).sort()).toEqual(['chicago@example.com', 'paris@example.com', 'seoul@example.com']);
    const requested = runtime.busLog().filter((event) => event['detail-type'] === 'message.requested' && event.detail.ruleId === 'late-sale');
    expect(new Set(requested.map((event) => event.detail.messageId)).size).toBe(3);
    expect(readDeadLetters(runtime.dataDir, 'rules')).toEqual([]);
  }, 180_000);
});
