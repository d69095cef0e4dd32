import { groupStateId } from '#services/rules/core/admission.js';
import { messageIdFor } from '#services/rules/core/message-request.js';
import { type CompiledRule, compileRule, Rule } from '#services/rules/core/rule.js';
import { RuleEngine } from '#services/rules/engine.js';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { MemoryFirings, MemoryProfiles, MemoryTimers, MemoryTriggerStates, type PendingTimer } from '../../cli/simulator-ports.js';

/** The engine's own decisions, for every kind of trigger: order, timers, send windows, the trail, lost races. */
const now = Date.parse('2026-11-22T12:00:00.000Z');
const person: Profile = {
  profileId: 'p1',
  email: 'jon@example.com',
  orderCount: 1,
  revenue: { USD: '10.00' },
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-11-22T12:00:00.000Z',
  traitsAt: {},
};
const onOrder = (id: string, fields: Record<string, unknown> = {}): CompiledRule =>
  compileRule(
    Rule.parse({ id, name: id, trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } }, channel: 'email', template: 'thank-you', ...fields }),
  );
const update = (eventId = 'ev_1', profile: Partial<Profile> = {}): ProfileUpdated => ({
  profileId: 'p1',
  changed: ['orderCount'],
  segments: { entered: [], left: [] },
  profile: { ...person, ...profile },
  trigger: { source: 'nudge.intake', 'detail-type': 'order.completed', detail: { eventId, occurredAt: new Date(now).toISOString(), properties: {} } },
});
function engineOf(
  rules: readonly CompiledRule[],
  firings = new MemoryFirings(),
  { states = new MemoryTriggerStates(), people = new Map([['p1', person]]) }: { states?: MemoryTriggerStates; people?: Map<string, Profile> } = {},
) {
  const timers = new MemoryTimers();
  const engine = new RuleEngine(rules, { states, firings, timers, profiles: new MemoryProfiles(people), geofences: new Map() });
  return { engine, timers, people };
}

describe('the rules engine', () => {
  it('asks for messages in the order of the rule files, whatever order the index finds them in', async () => {
    const [a, b, c] = [onOrder('a-rule'), onOrder('b-rule'), onOrder('c-rule')];
    for (const rules of [
      [c, a, b],
      [b, c, a],
    ]) {
      const { requests } = await engineOf(rules).engine.onProfileUpdated(update(), now);
      expect(requests.map((request) => request.ruleId)).toEqual(rules.map((rule) => rule.rule.id));
    }
  });

  it('never fires a disabled rule, on an update or a timer', async () => {
    const { engine } = engineOf([onOrder('off', { enabled: false })]);
    expect((await engine.onProfileUpdated(update(), now)).requests).toEqual([]);
    const timer = { kind: 'once' as const, ruleId: 'off', profileId: 'p1', stateKey: 'deferred', instanceId: 'ev_1', dueAt: new Date(now).toISOString() };
    expect((await engine.onTimer(timer)).requests).toEqual([]);
  });

  it('explains who does not qualify: the conditions not met, or a rule not active then', async () => {
    const loyal = onOrder('loyal', { conditions: { orderCount: [{ numeric: ['>=', 5] }] } });
    const later = onOrder('later', { activeFrom: '2027-01-01T00:00:00Z' });
    const { unqualified, trail } = await engineOf([loyal, later]).engine.onProfileUpdated(update(), now);
    expect(unqualified).toEqual(['loyal', 'later']);
    expect(trail).toEqual([
      { profileId: 'p1', ruleId: 'loyal', kind: 'not-qualified', at: now, reason: 'conditions', instanceId: 'ev_1', details: ['not met: orderCount'] },
      { profileId: 'p1', ruleId: 'later', kind: 'not-qualified', at: now, reason: 'inactive', instanceId: 'ev_1' },
    ]);
  });

  it('records what it fired, with the template, and what it held, with why', async () => {
    const { engine } = engineOf([onOrder('once', { reentry: 'once' })]);
    const first = await engine.onProfileUpdated(update('ev_1'), now);
    expect(first.trail).toEqual([
      { profileId: 'p1', ruleId: 'once', kind: 'fired', at: now, messageId: first.requests[0]?.messageId, details: ['template thank-you'] },
    ]);
    const second = await engine.onProfileUpdated(update('ev_2'), now + 1);
    expect(second.refused).toEqual([{ ruleId: 'once', profileId: 'p1', reason: 'once' }]);
    expect(second.trail).toEqual([expect.objectContaining({ kind: 'held', reason: 'once', at: now + 1 })]);
    expect(second.trail[0]).not.toHaveProperty('details');
  });

  it('holds a message outside the send window with a timer for the opening, and sends it when the timer fires', async () => {
    const business = onOrder('business', { sendWindow: { from: '09:00', to: '17:00' } });
    const { engine, timers } = engineOf([business]);
    const evening = Date.parse('2026-11-22T20:00:00.000Z');
    const held = await engine.onProfileUpdated(update(), evening);
    const opening = Date.parse('2026-11-23T09:00:00.000Z');
    expect(held.requests).toEqual([]);
    expect(held.trail).toEqual([{ profileId: 'p1', ruleId: 'business', kind: 'waiting', at: evening, reason: 'timer', until: opening, instanceId: 'ev_1' }]);
    expect(timers.next()).toBe(opening);
    expect((await engine.onProfileUpdated(update(), evening + 1)).requests).toEqual([]);
    const fired = await engine.onTimer({
      kind: 'once',
      ruleId: 'business',
      profileId: 'p1',
      stateKey: 'deferred',
      instanceId: 'ev_1',
      dueAt: new Date(opening).toISOString(),
    });
    expect(fired.requests.map((request) => request.ruleId)).toEqual(['business']);
    expect(
      (
        await engine.onTimer({
          kind: 'once',
          ruleId: 'business',
          profileId: 'p1',
          stateKey: 'deferred',
          instanceId: 'ev_1',
          dueAt: new Date(opening).toISOString(),
        })
      ).requests,
    ).toEqual([]);
  });

  it('does nothing for a timer of an unknown rule, a malformed time or a person who is gone', async () => {
    const { engine } = engineOf([onOrder('r')]);
    const timer = { kind: 'once' as const, ruleId: 'r', profileId: 'p1', stateKey: 'deferred', instanceId: 'ev_1', dueAt: new Date(now).toISOString() };
    expect(await engine.onTimer({ ...timer, ruleId: 'nobody' })).toEqual({ requests: [], refused: [], unqualified: [], trail: [] });
    expect(await engine.fired({ ...timer, dueAt: 'not a time' })).toEqual({ candidates: [], unqualified: [], trail: [] });
    expect(await engine.fired({ ...timer, profileId: 'gone' })).toEqual({ candidates: [], unqualified: [], trail: [] });
    expect(engine.rule('r')?.rule.id).toBe('r');
    expect(engine.rule('nobody')).toBeUndefined();
  });

  it('gives up on a person whose firing state keeps changing under it, so the delivery is retried later', async () => {
    class Busy extends MemoryFirings {
      writes = 0;
      override async record(): Promise<'conflict'> {
        this.writes++;
        return 'conflict';
      }
    }
    const busy = new Busy();
    await expect(engineOf([onOrder('r')], busy).engine.onProfileUpdated(update(), now)).rejects.toThrow('kept changing');
    expect(busy.writes).toBe(6);
    const grouped = new Busy();
    await expect(
      engineOf([onOrder('g', { exclusive: { group: 'thanks', priority: 1, within: '1d' } })], grouped).engine.onProfileUpdated(update(), now),
    ).rejects.toThrow('Firing state of group thanks');
    expect(grouped.writes).toBe(6);
  });
});

const ruleOf = (id: string, trigger: Record<string, unknown>, fields: Record<string, unknown> = {}): CompiledRule =>
  compileRule(Rule.parse({ id, name: id, trigger, channel: 'email', template: 'reminder', ...fields }));
const checkoutReminder = (id: string, fields: Record<string, unknown> = {}, within = '1h') =>
  ruleOf(
    id,
    {
      type: 'sequence',
      key: 'detail.properties.checkoutId',
      steps: [{ event: { 'detail-type': ['checkout.started'] } }],
      absent: { event: { 'detail-type': ['order.completed'] }, within },
    },
    fields,
  );
const shopEvent = (detailType: string, eventId: string, at: number, changed: string[] = [], profile: Partial<Profile> = {}): ProfileUpdated => ({
  profileId: 'p1',
  changed,
  segments: { entered: [], left: [] },
  profile: { ...person, ...profile },
  trigger: {
    source: 'nudge.intake',
    'detail-type': detailType,
    detail: { eventId, occurredAt: new Date(at).toISOString(), properties: { checkoutId: 'chk-1' } },
  },
});
/** One timer, as the scheduler puts it on the bus. */
const fire = (engine: RuleEngine, timer: PendingTimer) => engine.onTimer({ kind: 'once', ...timer, dueAt: new Date(timer.dueAt).toISOString() });
/** Fires every timer due by `until`, earliest first, as the scheduler would. */
async function drain(engine: RuleEngine, timers: MemoryTimers, until: number) {
  const evaluations = [];
  for (const timer of timers.takeDue(until)) evaluations.push(await fire(engine, timer));
  return evaluations;
}
/** Trigger state in memory that counts its writes and can lose the first races. */
class CountedStates extends MemoryTriggerStates {
  saves = 0;
  constructor(private conflicts = 0) {
    super();
  }
  override async save(...args: Parameters<MemoryTriggerStates['save']>) {
    this.saves++;
    if (this.conflicts-- > 0) return 'conflict' as const;
    return super.save(...args);
  }
}

describe('the rules engine, over time and state', () => {
  const birthday = (id: string, enabled = true) => ruleOf(id, { type: 'time', date: 'birthday', at: '09:00' }, { enabled });
  const withBirthday = { birthday: '1990-12-01' };

  it('plans a birthday when the birthday or time zone changes, not on other changes, and never for a disabled rule', async () => {
    const { engine, timers } = engineOf([birthday('off', false), birthday('bday')]);
    await engine.onProfileUpdated(shopEvent('order.completed', 'ev_1', now, ['orderCount'], withBirthday), now);
    expect(timers.scheduled).toBe(0);
    const planned = await engine.onProfileUpdated(shopEvent('identify', 'ev_2', now, ['birthday'], withBirthday), now);
    expect(timers.scheduled).toBe(1);
    expect(planned.trail).toEqual([
      expect.objectContaining({ ruleId: 'bday', kind: 'waiting', reason: 'timer', until: Date.parse('2026-12-01T09:00:00.000Z') }),
    ]);
  });

  it('decides in the order of the rule files when a rule watching a field comes before one matching the event', async () => {
    const loyal = onOrder('loyal', { conditions: { orderCount: [{ numeric: ['>=', 5] }] } });
    const { trail, unqualified } = await engineOf([birthday('bday'), loyal]).engine.onProfileUpdated(
      shopEvent('order.completed', 'ev_1', now, ['orderCount', 'birthday'], withBirthday),
      now,
    );
    expect(trail.map((decision) => [decision.ruleId, decision.kind])).toEqual([
      ['bday', 'waiting'],
      ['loyal', 'not-qualified'],
    ]);
    expect(unqualified).toEqual(['loyal']);
  });

  it('explains no one who misses a recurring run, and runs nothing outside its active period', async () => {
    const weekly = (id: string, fields: Record<string, unknown>) => ruleOf(id, { type: 'time', cron: 'cron(0 10 ? * MON *)', timeZone: 'UTC' }, fields);
    const loyal = weekly('weekly-loyal', { conditions: { orderCount: [{ numeric: ['>=', 5] }] } });
    const ended = weekly('weekly-ended', { activeUntil: '2026-01-01T00:00:00Z' });
    const everyone = weekly('weekly-all', {});
    const { engine } = engineOf([loyal, ended, everyone]);
    const run = (ruleId: string) => engine.onTimer({ kind: 'recurring', ruleId, dueAt: '2026-11-23T10:00:00.000Z' });
    expect(await run('weekly-loyal')).toEqual({ requests: [], refused: [], unqualified: ['weekly-loyal'], trail: [] });
    expect(await run('weekly-ended')).toEqual({ requests: [], refused: [], unqualified: [], trail: [] });
    expect((await run('weekly-all')).requests.map((request) => request.profileId)).toEqual(['p1']);
  });

  it("decides a recurring run's share of the profiles, chunk by chunk, and says where each chunk stopped", async () => {
    const everyone = ruleOf('weekly-all', { type: 'time', cron: 'cron(0 10 ? * MON *)', timeZone: 'UTC' }, {});
    const people = new Map(['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((profileId) => [profileId, { ...person, profileId, email: `${profileId}@example.com` }]));
    const { engine } = engineOf([everyone], new MemoryFirings(), { people });
    const timer = { kind: 'recurring', ruleId: 'weekly-all', dueAt: '2026-11-23T10:00:00.000Z' } as const;
    const chunk = async (segment: number, after?: string) => {
      let rest: string | undefined = 'not told';
      const evaluation = await engine.onTimer(timer, {
        segment,
        segments: 2,
        ...(after === undefined ? {} : { after }),
        limit: 2,
        stopped: (key) => {
          rest = key;
        },
      });
      return { to: evaluation.requests.map((request) => request.profileId), rest };
    };
    expect(await chunk(0)).toEqual({ to: ['p1', 'p3'], rest: '2' });
    expect(await chunk(0, '2')).toEqual({ to: ['p5'], rest: undefined });
    expect(await chunk(1)).toEqual({ to: ['p2', 'p4'], rest: '2' });
    // The same run asks for the same messages however its shares are cut.
    const whole = await engineOf([everyone], new MemoryFirings(), { people }).engine.onTimer(timer);
    expect(whole.requests.find((request) => request.profileId === 'p3')?.messageId).toBe(
      (
        await engineOf([everyone], new MemoryFirings(), { people }).engine.onTimer(timer, { segment: 0, segments: 2, limit: 9, stopped: () => undefined })
      ).requests.find((request) => request.profileId === 'p3')?.messageId,
    );
  });

  it('explains a message that waited for the send window and no longer qualifies when the window opens', async () => {
    const business = onOrder('business', { sendWindow: { from: '09:00', to: '17:00' }, conditions: { orderCount: [{ numeric: ['>=', 1] }] } });
    const { engine, timers, people } = engineOf([business]);
    await engine.onProfileUpdated(update(), Date.parse('2026-11-22T20:00:00.000Z'));
    people.set('p1', { ...person, orderCount: 0 });
    const [opened] = await drain(engine, timers, Date.parse('2026-11-23T09:00:00.000Z'));
    expect(opened?.requests).toEqual([]);
    expect(opened?.trail).toEqual([
      {
        profileId: 'p1',
        ruleId: 'business',
        kind: 'not-qualified',
        at: Date.parse('2026-11-23T09:00:00.000Z'),
        reason: 'conditions',
        instanceId: 'deferred|ev_1',
        details: ['not met: orderCount'],
      },
    ]);
  });

  it('says only that a rule was not active, without conditions, when both miss', async () => {
    const later = onOrder('later', { activeFrom: '2027-01-01T00:00:00Z', conditions: { orderCount: [{ numeric: ['>=', 5] }] } });
    const { trail } = await engineOf([later]).engine.onProfileUpdated(update(), now);
    expect(trail).toEqual([{ profileId: 'p1', ruleId: 'later', kind: 'not-qualified', at: now, reason: 'inactive', instanceId: 'ev_1' }]);
  });

  it('sends nothing to a person deleted while their message waited for the send window', async () => {
    const { engine, timers, people } = engineOf([onOrder('business', { sendWindow: { from: '09:00', to: '17:00' } })]);
    await engine.onProfileUpdated(update(), Date.parse('2026-11-22T20:00:00.000Z'));
    people.delete('p1');
    const [opened] = await drain(engine, timers, Date.parse('2026-11-23T09:00:00.000Z'));
    expect(opened).toEqual({ requests: [], refused: [], unqualified: [], trail: [] });
  });

  it('asks for the same message when an event that waited for the window is delivered again after it went', async () => {
    const { engine, timers } = engineOf([onOrder('business', { sendWindow: { from: '09:00', to: '17:00' } })]);
    await engine.onProfileUpdated(update('ev_1'), Date.parse('2026-11-22T20:00:00.000Z'));
    const [opened] = await drain(engine, timers, Date.parse('2026-11-23T09:00:00.000Z'));
    const again = await engine.onProfileUpdated(update('ev_1'), Date.parse('2026-11-23T10:00:00.000Z'));
    expect(opened?.requests).toHaveLength(1);
    expect(again.requests.map((request) => request.messageId)).toEqual(opened?.requests.map((request) => request.messageId));
    // A new event inside the window is a new message.
    const next = await engine.onProfileUpdated(update('ev_2'), Date.parse('2026-11-23T10:00:00.000Z'));
    expect(next.requests[0]?.messageId).not.toBe(opened?.requests[0]?.messageId);
  });

  it('calls off the reminder’s timer when the order comes, saying what called it off', async () => {
    const { engine, timers } = engineOf([checkoutReminder('reminder')]);
    await engine.onProfileUpdated(shopEvent('checkout.started', 'ev_c', now), now);
    expect(timers.next()).toBe(now + 3_600_000);
    const ordered = await engine.onProfileUpdated(shopEvent('order.completed', 'ev_o', now + 60_000), now + 60_000);
    expect(timers.next()).toBeUndefined();
    expect(ordered.trail).toEqual([
      expect.objectContaining({ ruleId: 'reminder', kind: 'cancelled', at: now + 60_000, until: now + 3_600_000, details: ['by order.completed'] }),
    ]);
  });

  it('writes no state for a timer that no longer stands for anything', async () => {
    const states = new CountedStates();
    const { engine, timers } = engineOf([checkoutReminder('reminder')], new MemoryFirings(), { states });
    await engine.onProfileUpdated(shopEvent('checkout.started', 'ev_c', now), now);
    const [timer] = timers.takeDue(now + 3_600_000);
    await engine.onProfileUpdated(shopEvent('order.completed', 'ev_o', now + 60_000), now + 60_000);
    const writes = states.saves;
    // The scheduler's cancellation came too late: the timer fires anyway.
    if (timer === undefined) throw new Error('no timer');
    const late = await fire(engine, timer);
    expect(late.requests).toEqual([]);
    expect(states.saves).toBe(writes);
  });

  it('decides again after losing a race on trigger state, and gives up after five, so the delivery is retried later', async () => {
    const racing = new CountedStates(1);
    const { engine, timers } = engineOf([checkoutReminder('reminder')], new MemoryFirings(), { states: racing });
    await engine.onProfileUpdated(shopEvent('checkout.started', 'ev_c', now), now);
    expect(racing.saves).toBe(2);
    const [due] = await drain(engine, timers, now + 3_600_000);
    expect(due?.requests.map((request) => request.ruleId)).toEqual(['reminder']);

    const busy = new CountedStates(Number.POSITIVE_INFINITY);
    await expect(
      engineOf([checkoutReminder('reminder')], new MemoryFirings(), { states: busy }).engine.onProfileUpdated(shopEvent('checkout.started', 'ev_c', now), now),
    ).rejects.toThrow('Trigger state of reminder for p1 kept changing');
    expect(busy.saves).toBe(5);
  });

  it('holds a sequence’s message for the send window, once, and sends it at the opening', async () => {
    const { engine, timers } = engineOf([checkoutReminder('reminder', { sendWindow: { from: '09:00', to: '17:00' } })]);
    const evening = Date.parse('2026-11-22T19:30:00.000Z');
    const opening = Date.parse('2026-11-23T09:00:00.000Z');
    await engine.onProfileUpdated(shopEvent('checkout.started', 'ev_c', evening), evening);
    const [held] = await drain(engine, timers, evening + 3_600_000);
    expect(held?.requests).toEqual([]);
    expect(held?.trail).toEqual([expect.objectContaining({ ruleId: 'reminder', kind: 'waiting', reason: 'send-window', until: opening })]);
    expect(timers.next()).toBe(opening);
    const [sent] = await drain(engine, timers, opening);
    expect(sent?.requests.map((request) => request.ruleId)).toEqual(['reminder']);
    expect(timers.next()).toBeUndefined();
  });
});

describe('exclusive groups, in the engine', () => {
  const grouped = (id: string, group: string, priority: number, within: string, fields: Record<string, unknown> = {}) =>
    checkoutReminder(id, { exclusive: { group, priority }, ...fields }, within);
  const hour = 3_600_000;
  /** A checkout at `now`, then every timer for the next day: the messages asked for, and what was held with why. */
  async function checkoutDay(rules: readonly CompiledRule[], firings = new MemoryFirings(), states = new MemoryTriggerStates()) {
    const { engine, timers } = engineOf(rules, firings, { states });
    await engine.onProfileUpdated(shopEvent('checkout.started', 'ev_c', now), now);
    const evaluations = await drain(engine, timers, now + 24 * hour);
    return {
      sent: evaluations.flatMap((evaluation) => evaluation.requests.map((request) => request.ruleId)),
      held: evaluations.flatMap((evaluation) => evaluation.trail.filter((decision) => decision.kind === 'held')),
    };
  }

  it('holds a rule for a higher priority of its own group that is still due, and says so', async () => {
    const { sent, held } = await checkoutDay([grouped('low', 'reminders', 1, '1h'), grouped('high', 'reminders', 2, '2h')]);
    expect(sent).toEqual(['high']);
    expect(held).toEqual([expect.objectContaining({ ruleId: 'low', reason: 'exclusive', details: ['group reminders: high has priority and is still due'] })]);
  });

  it('holds for no rule of another group, of lower priority, or outside any group', async () => {
    const rules = [grouped('low', 'reminders', 1, '1h'), grouped('other', 'elsewhere', 9, '2h'), checkoutReminder('plain', {}, '2h')];
    expect((await checkoutDay(rules)).sent).toEqual(['low', 'other', 'plain']);
    expect((await checkoutDay([grouped('high', 'reminders', 2, '1h'), grouped('low', 'reminders', 1, '2h')])).sent).toEqual(['high']);
  });

  it('sends the preferred one when both fall due at the same moment, whichever timer comes first', async () => {
    const [low, high] = [grouped('low', 'reminders', 1, '1h'), grouped('high', 'reminders', 2, '1h')];
    // Timers due at the same moment fire in the order of the rules.
    for (const rules of [
      [low, high],
      [high, low],
    ]) {
      const { sent, held } = await checkoutDay(rules);
      expect(sent).toEqual(['high']);
      expect(held.map((decision) => decision.ruleId)).toEqual(['low']);
    }
  });

  it('holds for no preferred rule that has had its one message, or that was switched off after its timer was set', async () => {
    const firings = new MemoryFirings();
    await firings.record('p1', 'high', undefined, { firedCount: 1, lastFiredAt: '2026-01-01T00:00:00.000Z', lastMessageId: 'msg_before' });
    const onceOnly = grouped('high', 'reminders', 2, '2h', { reentry: 'once' });
    expect((await checkoutDay([grouped('low', 'reminders', 1, '1h'), onceOnly], firings)).sent).toEqual(['low']);

    const states = new MemoryTriggerStates();
    await engineOf([grouped('high', 'reminders', 2, '2h')], new MemoryFirings(), { states }).engine.onProfileUpdated(
      shopEvent('checkout.started', 'ev_c', now),
      now,
    );
    const switchedOff = grouped('high', 'reminders', 2, '2h', { enabled: false });
    expect((await checkoutDay([grouped('low', 'reminders', 1, '1h'), switchedOff], new MemoryFirings(), states)).sent).toEqual(['low']);
  });

  it('holds for no preferred rule whose timer is overdue: it may never come', async () => {
    const { engine, timers } = engineOf([grouped('high', 'reminders', 2, '1h'), grouped('low', 'reminders', 1, '2h')]);
    await engine.onProfileUpdated(shopEvent('checkout.started', 'ev_c', now), now);
    const due = timers.takeDue(now + 24 * hour);
    const lowTimer = due.find((timer) => timer.ruleId === 'low');
    if (lowTimer === undefined) throw new Error('no timer for low');
    const late = await fire(engine, lowTimer);
    expect(late.requests.map((request) => request.ruleId)).toEqual(['low']);
  });

  it('says which group held a rule when a higher priority fired on the same event', async () => {
    const onCheckout = (id: string, priority: number) =>
      ruleOf(id, { type: 'event', event: { 'detail-type': ['checkout.started'] } }, { exclusive: { group: 'welcome', priority } });
    const { requests, trail } = await engineOf([onCheckout('low', 1), onCheckout('high', 2)]).engine.onProfileUpdated(
      shopEvent('checkout.started', 'ev_c', now),
      now,
    );
    expect(requests.map((request) => request.ruleId)).toEqual(['high']);
    expect(trail.filter((decision) => decision.kind === 'held')).toEqual([
      expect.objectContaining({ ruleId: 'low', reason: 'exclusive', details: ['group welcome: a rule of higher priority fired at the same time'] }),
    ]);
  });
});

describe('exclusive groups, after a crash', () => {
  it('admits a message whose group claim was written before a crash, without moving the group’s window', async () => {
    const firings = new MemoryFirings();
    const rule = onOrder('thanks', { exclusive: { group: 'after-order', priority: 1 } });
    const claimed = { firedCount: 1, lastFiredAt: new Date(now - 3_600_000).toISOString(), lastMessageId: messageIdFor('thanks', 'p1', 'ev_1') };
    await firings.record('p1', groupStateId('after-order'), undefined, claimed);
    const { requests } = await engineOf([rule], firings).engine.onProfileUpdated(update('ev_1'), now);
    expect(requests.map((request) => request.messageId)).toEqual([claimed.lastMessageId]);
    expect((await firings.load('p1', [groupStateId('after-order')])).get(groupStateId('after-order'))).toEqual(claimed);
  });
});
