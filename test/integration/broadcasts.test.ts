import { localMoment } from '#shared/calendar.js';
import { readDeadLetters } from '../../local/event-bus.js';
import { broadcastRecipients, broadcastTime, customerIn, startWithBroadcast, stopBroadcastRuntime } from '../support/broadcast.js';
import type { TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

/**
 * A one-off broadcast "at 09:00 in each person's time zone", on the local runtime: the runtime
 * schedules its waves as the stack does, each wave is a campaign over every profile, and each
 * person gets the email at their own 09:00, once, even one whose time zone changes between waves.
 */
describe("broadcasts: one send at a local time in each person's time zone", () => {
  let runtime: TestRuntime;
  let once = '';
  const people = [
    { email: 'tokyo@example.com', timezone: 'Asia/Tokyo' },
    { email: 'kolkata@example.com', timezone: 'Asia/Kolkata' },
    { email: 'berlin@example.com', timezone: 'Europe/Berlin' },
    { email: 'new-york@example.com', timezone: 'America/New_York' },
    // No time zone of their own: the rule's.
    { email: 'nowhere@example.com', timezone: undefined },
  ];
  const ruleZone = 'Europe/London';
  const momentOf = (timezone: string | undefined) => localMoment(once, timezone ?? ruleZone) as number;
  const recipients = () => broadcastRecipients(runtime);

  beforeAll(async () => {
    once = broadcastTime();
    runtime = await startWithBroadcast({ id: 'black-friday', name: 'Black Friday', trigger: { type: 'time', once, timeZone: ruleZone } });
  }, 60_000);
  afterAll(() => stopBroadcastRuntime(runtime));

  it('emails each person at 09:00 their time, once, and the one who moved between waves once', async () => {
    for (const { email, timezone } of people) await customerIn(runtime, email, timezone);
    // Tokyo's 09:00 comes first; this person is in Tokyo then, and in New York by New York's 09:00.
    const mover = 'mover@example.com';
    await customerIn(runtime, mover, 'Asia/Tokyo');
    await runtime.idle();

    const advanceTo = async (instant: number) => {
      const now = runtime.scheduler.clock.now();
      if (instant > now) await runtime.advanceClock(instant - now);
    };
    const order = [...people].sort((a, b) => momentOf(a.timezone) - momentOf(b.timezone));
    for (const person of order) {
      const moment = momentOf(person.timezone);
      await advanceTo(moment - 60_000);
      expect([person.email, (await recipients()).includes(person.email)]).toEqual([person.email, false]);
      if (person.timezone === 'America/New_York') await shopper(runtime, mover).identify({}, { timezone: 'America/New_York' });
      await advanceTo(moment + 30_000);
      await runtime.advanceClock(1_000);
      expect([person.email, (await recipients()).includes(person.email)]).toEqual([person.email, true]);
      if (person.timezone === 'Asia/Tokyo') expect((await recipients()).filter((email) => email === mover)).toHaveLength(1);
    }
    // Past every wave (UTC-12's 09:00 is the last): nobody twice, the mover once.
    await advanceTo(momentOf('Etc/GMT+12') + 3_600_000);
    expect((await recipients()).sort()).toEqual([...people.map((person) => person.email), mover].sort());
    const requested = runtime.busLog().filter((event) => event['detail-type'] === 'message.requested' && event.detail.ruleId === 'black-friday');
    // The mover was asked for twice (Tokyo's wave and New York's), with one message id.
    expect(requested).toHaveLength(people.length + 2);
    expect(new Set(requested.map((event) => event.detail.messageId)).size).toBe(people.length + 1);
    expect(readDeadLetters(runtime.dataDir, 'rules')).toEqual([]);
  }, 180_000);
});
