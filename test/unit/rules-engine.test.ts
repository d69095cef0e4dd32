import { type CompiledRule, compileRule, Rule } from '#services/rules/core/rule.js';
import { RuleEngine } from '#services/rules/engine.js';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { MemoryFirings, MemoryProfiles, MemoryTimers, MemoryTriggerStates } from '../../cli/simulator-ports.js';

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
function engineOf(rules: readonly CompiledRule[], firings = new MemoryFirings()) {
  const timers = new MemoryTimers();
  const engine = new RuleEngine(rules, {
    states: new MemoryTriggerStates(),
    firings,
    timers,
    profiles: new MemoryProfiles(new Map([['p1', person]])),
    geofences: new Map(),
  });
  return { engine, timers };
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
