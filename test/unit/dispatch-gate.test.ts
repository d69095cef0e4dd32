import { gate, inHoldout, type SendHistory } from '#services/dispatch/core/gate.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import { dispatchPolicy } from '../support/dispatch.js';

const now = Date.parse('2026-11-23T12:00:00Z');
const hours = (n: number) => n * 3_600_000;
const policy = dispatchPolicy;
const person: Profile = {
  profileId: 'p1',
  email: 'jon@example.com',
  orderCount: 1,
  revenue: {},
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-11-01T00:00:00.000Z',
  traitsAt: {},
};
const request = (overrides: Partial<MessageRequested> = {}) => ({
  channel: 'email' as const,
  ruleId: 'r1',
  profileId: 'p1',
  purpose: 'marketing' as const,
  holdoutPercent: 0,
  ...overrides,
});
const quiet: SendHistory = { marketingSentAt: [] };
const consent = (state: 'subscribed' | 'unsubscribed' | 'not-subscribed') => ({ email: { state, at: '2026-11-01T00:00:00.000Z', source: 'shopify' } });

describe('the send gate', () => {
  it('sends a marketing email to someone who has not opted out, by day in their time zone', () => {
    expect(gate(request(), person, false, quiet, policy, now)).toEqual({ kind: 'send', to: 'jon@example.com' });
  });

  it('never mails a missing, suppressed or unsubscribed address', () => {
    expect(gate(request(), { ...person, email: undefined }, false, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'no-address' });
    expect(gate(request(), person, true, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'suppressed' });
    expect(gate(request({ purpose: 'transactional' }), person, true, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'suppressed' });
    expect(gate(request(), { ...person, consent: consent('unsubscribed') }, false, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'unsubscribed' });
  });

  it('requires an opt-in where the policy says so', () => {
    const optIn = { ...policy, consent: { email: 'subscribed' as const, sms: 'subscribed' as const } };
    expect(gate(request(), person, false, quiet, optIn, now)).toEqual({ kind: 'suppress', reason: 'no-consent' });
    expect(gate(request(), { ...person, consent: consent('not-subscribed') }, false, quiet, optIn, now)).toEqual({ kind: 'suppress', reason: 'no-consent' });
    expect(gate(request(), { ...person, consent: consent('subscribed') }, false, quiet, optIn, now)).toEqual({ kind: 'send', to: 'jon@example.com' });
  });

  it('caps marketing messages per day and per week across all rules', () => {
    expect(gate(request(), person, false, { marketingSentAt: [now - hours(1), now - hours(5)] }, policy, now)).toEqual({
      kind: 'suppress',
      reason: 'frequency-cap',
    });
    expect(
      gate(request(), person, false, { marketingSentAt: [now - hours(30), now - hours(50), now - hours(80), now - hours(100), now - hours(130)] }, policy, now),
    ).toEqual({
      kind: 'suppress',
      reason: 'frequency-cap',
    });
    expect(gate(request(), person, false, { marketingSentAt: [now - hours(25), now - hours(200)] }, policy, now)).toEqual({
      kind: 'send',
      to: 'jon@example.com',
    });
  });

  it('defers a message due in quiet hours to their end in the person’s time zone, never drops it', () => {
    // 12:00 UTC is 04:00 in Los Angeles: wait until 08:00 there, 16:00 UTC.
    expect(gate(request(), { ...person, timeZone: 'America/Los_Angeles' }, false, quiet, policy, now)).toEqual({
      kind: 'defer',
      until: Date.parse('2026-11-23T16:00:00Z'),
      reason: 'quiet-hours',
    });
    expect(gate(request(), person, false, quiet, policy, Date.parse('2026-11-23T22:30:00Z'))).toEqual({
      kind: 'defer',
      until: Date.parse('2026-11-24T08:00:00Z'),
      reason: 'quiet-hours',
    });
  });

  it('lets transactional messages through consent, caps and quiet hours', () => {
    const tired = { marketingSentAt: [now - hours(1), now - hours(2), now - hours(3)] };
    expect(
      gate(request({ purpose: 'transactional' }), { ...person, consent: consent('unsubscribed'), timeZone: 'America/Los_Angeles' }, false, tired, policy, now),
    ).toEqual({
      kind: 'send',
      to: 'jon@example.com',
    });
  });

  it('keeps the same people in a rule’s holdout group, about the share asked for', () => {
    const held = Array.from({ length: 2000 }, (_, index) => inHoldout('r1', `p${index}`, 10)).filter(Boolean).length;
    expect(held).toBeGreaterThan(150);
    expect(held).toBeLessThan(250);
    expect(inHoldout('r1', 'p7', 10)).toBe(inHoldout('r1', 'p7', 10));
    const someone = Array.from({ length: 100 }, (_, index) => `p${index}`).find((id) => inHoldout('r1', id, 10)) as string;
    expect(gate(request({ holdoutPercent: 10, profileId: someone }), { ...person, profileId: someone }, false, quiet, policy, now)).toEqual({
      kind: 'suppress',
      reason: 'holdout',
    });
  });

  it('texts the phone only with an opt-in by default, and sends webhook tasks whatever the person’s channel consent', () => {
    const phone = { ...person, phone: '+14155550123' };
    expect(gate(request({ channel: 'sms' }), phone, false, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'no-consent' });
    const optedIn = { ...phone, consent: { sms: { state: 'subscribed' as const, at: '2026-11-01T00:00:00.000Z', source: 'shopify' } } };
    expect(gate(request({ channel: 'sms' }), optedIn, false, quiet, policy, now)).toEqual({ kind: 'send', to: '+14155550123' });
    expect(gate(request({ channel: 'sms' }), person, false, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'no-address' });
    expect(gate(request({ channel: 'sms' }), optedIn, true, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'suppressed' });
    const unsubscribed = { ...person, consent: consent('unsubscribed') };
    expect(gate(request({ channel: 'webhook', webhook: 'call-centre' }), unsubscribed, false, quiet, policy, now)).toEqual({ kind: 'send', to: 'call-centre' });
  });
});
