import { admit, admitToGroup, groupStateId, pickExclusive, type RuleState, stateAfter } from '#services/rules/core/admission.js';
import { type CompiledRule, compileRule, Rule } from '#services/rules/core/rule.js';

/** Cooldown, re-entry and exclusive groups: whether a person may get a rule's message now. */
const now = Date.parse('2026-11-29T12:00:00Z');
const hours = (n: number) => n * 3_600_000;
const rule = (fields: Record<string, unknown> = {}): CompiledRule =>
  compileRule(
    Rule.parse({
      id: 'win-back',
      name: 'Win back',
      trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
      channel: 'email',
      template: 'win-back',
      ...fields,
    }),
  );
const firedAt = (at: number, messageId = 'earlier'): RuleState => ({ firedCount: 1, lastFiredAt: new Date(at).toISOString(), lastMessageId: messageId });

describe('a rule’s cooldown and re-entry', () => {
  it('admits someone the rule never messaged', () => {
    expect(admit(rule({ reentry: 'once' }), undefined, 'm1', now)).toEqual({ kind: 'admit' });
  });

  it('asks again for the same message when the same trigger comes again (dispatch sends it once)', () => {
    expect(admit(rule({ reentry: 'once', cooldown: '7d' }), firedAt(now, 'm1'), 'm1', now)).toEqual({ kind: 'repeat' });
  });

  it('messages a person once, ever, when the rule says so', () => {
    expect(admit(rule({ reentry: 'once' }), firedAt(now - hours(10_000)), 'm2', now)).toEqual({ kind: 'refuse', reason: 'once' });
  });

  it('holds a second message for the cooldown, to the millisecond, and admits after it', () => {
    const cooled = rule({ cooldown: '1d' });
    expect(admit(cooled, firedAt(now - hours(24) + 1), 'm2', now)).toEqual({ kind: 'refuse', reason: 'cooldown' });
    expect(admit(cooled, firedAt(now - hours(24)), 'm2', now)).toEqual({ kind: 'admit' });
    expect(admit(rule(), firedAt(now - 1), 'm2', now)).toEqual({ kind: 'admit' });
  });

  it('remembers each firing: how many, when, and which message', () => {
    expect(stateAfter(undefined, 'm1', now)).toEqual({ firedCount: 1, lastFiredAt: new Date(now).toISOString(), lastMessageId: 'm1' });
    expect(stateAfter({ firedCount: 4, lastFiredAt: '2026-01-01T00:00:00.000Z', lastMessageId: 'm0' }, 'm5', now)).toEqual({
      firedCount: 5,
      lastFiredAt: new Date(now).toISOString(),
      lastMessageId: 'm5',
    });
  });
});

describe('exclusive groups', () => {
  const grouped = (id: string, priority: number, within = '1d') => rule({ id, name: id, exclusive: { group: 'checkout-reminders', priority, within } });

  it('keeps a group’s hold apart from the rules’ own state', () => {
    expect(groupStateId('checkout-reminders')).toBe('group:checkout-reminders');
  });

  it('admits a rule of no group, or a person the group never messaged', () => {
    expect(admitToGroup(rule(), firedAt(now), 'm2', now)).toEqual({ kind: 'admit' });
    expect(admitToGroup(grouped('a', 1), undefined, 'm2', now)).toEqual({ kind: 'admit' });
  });

  it('holds another message of the group for its window, to the millisecond; the same message again is a repeat', () => {
    const reminder = grouped('a', 1, '1d');
    expect(admitToGroup(reminder, firedAt(now - hours(24) + 1), 'm2', now)).toEqual({ kind: 'refuse', reason: 'exclusive' });
    expect(admitToGroup(reminder, firedAt(now - hours(24)), 'm2', now)).toEqual({ kind: 'admit' });
    expect(admitToGroup(reminder, firedAt(now, 'm2'), 'm2', now)).toEqual({ kind: 'repeat' });
  });

  it('of rules firing at once for one person, picks the highest priority, then the lower rule id, and holds the rest', () => {
    const candidate = (compiled: CompiledRule, profileId: string) => ({ rule: compiled, request: { profileId } });
    const [low, high, highToo, free] = [grouped('z-low', 1), grouped('m-high', 5), grouped('b-high', 5), rule({ id: 'free', name: 'free' })];
    const ada = [candidate(low, 'ada'), candidate(high, 'ada'), candidate(highToo, 'ada'), candidate(free, 'ada')];
    const bo = [candidate(low, 'bo')];
    const { picked, held } = pickExclusive([...ada, ...bo]);
    expect(picked.map((entry) => `${entry.rule.rule.id}/${entry.request.profileId}`)).toEqual(['b-high/ada', 'free/ada', 'z-low/bo']);
    expect(held.map((entry) => `${entry.rule.rule.id}/${entry.request.profileId}`)).toEqual(['z-low/ada', 'm-high/ada']);
    const reversed = pickExclusive([...ada].reverse());
    expect(reversed.picked.map((entry) => entry.rule.rule.id)).toEqual(['free', 'b-high']);
  });

  it('a lower priority that comes first loses to a higher one, and a priority of 0 still counts', () => {
    const candidate = (compiled: CompiledRule) => ({ rule: compiled, request: { profileId: 'ada' } });
    expect(pickExclusive([candidate(grouped('a', 0)), candidate(grouped('b', 2))]).picked.map((entry) => entry.rule.rule.id)).toEqual(['b']);
    expect(pickExclusive([candidate(grouped('b', 0)), candidate(grouped('a', 0))]).picked.map((entry) => entry.rule.rule.id)).toEqual(['a']);
  });
});
