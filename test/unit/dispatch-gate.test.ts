import { DispatchPolicy, gate, inHoldout, type SendHistory } from '#services/dispatch/core/gate.js';
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

describe('the send gate at its edges', () => {
  const send = { kind: 'send', to: 'jon@example.com' };
  const capped = { kind: 'suppress', reason: 'frequency-cap' };
  const sentAt = (...hoursAgo: number[]) => ({ marketingSentAt: hoursAgo.map((ago) => now - hours(ago)) });

  it('counts a send in the day cap for exactly 24 hours, and in the week cap for exactly 7 days', () => {
    expect(gate(request(), person, false, sentAt(24, 1), policy, now)).toEqual(send);
    expect(gate(request(), person, false, { marketingSentAt: [now - hours(24) + 1, now - hours(1)] }, policy, now)).toEqual(capped);
    expect(gate(request(), person, false, sentAt(168, 150, 140, 130, 120), policy, now)).toEqual(send);
    expect(
      gate(
        request(),
        person,
        false,
        { marketingSentAt: [now - hours(168) + 1, now - hours(150), now - hours(140), now - hours(130), now - hours(120)] },
        policy,
        now,
      ),
    ).toEqual(capped);
  });

  it('lets the last message under a cap through, and stops the one that reaches it', () => {
    expect(gate(request(), person, false, sentAt(1), policy, now)).toEqual(send);
    expect(gate(request(), person, false, sentAt(1, 2), policy, now)).toEqual(capped);
    expect(gate(request(), person, false, sentAt(30, 50, 80, 100), policy, now)).toEqual(send);
    expect(gate(request(), { ...person }, false, sentAt(30, 50, 80, 100, 130), { ...policy, caps: { perDay: 2, perWeek: 6 } }, now)).toEqual(send);
  });

  it('holds back everyone at 100%, nobody at 0%, and webhook tasks too', () => {
    const ids = Array.from({ length: 200 }, (_, index) => `p${index}`);
    expect(ids.every((id) => inHoldout('r1', id, 100))).toBe(true);
    expect(ids.some((id) => inHoldout('r1', id, 0))).toBe(false);
    expect(ids.some((id) => inHoldout('r1', id, -5))).toBe(false);
    expect(gate(request({ channel: 'webhook', webhook: 'call-centre', holdoutPercent: 100 }), person, false, quiet, policy, now)).toEqual({
      kind: 'suppress',
      reason: 'holdout',
    });
  });

  it('a different rule holds back different people', () => {
    const ids = Array.from({ length: 400 }, (_, index) => `p${index}`);
    const first = ids.filter((id) => inHoldout('r1', id, 50));
    const second = ids.filter((id) => inHoldout('r2', id, 50));
    expect(first).not.toEqual(second);
  });

  it('sends at the very minute quiet hours end, and at night where the policy has none', () => {
    expect(gate(request(), person, false, quiet, policy, Date.parse('2026-11-23T08:00:00Z'))).toEqual(send);
    const { quietHours: _, ...noQuietHours } = policy;
    expect(gate(request(), person, false, quiet, noQuietHours, Date.parse('2026-11-23T23:00:00Z'))).toEqual(send);
  });

  it('reads quiet hours in the policy’s default time zone for someone whose zone is unknown', () => {
    // 12:00 UTC is 04:00 in Los Angeles.
    expect(gate(request(), person, false, quiet, { ...policy, defaultTimeZone: 'America/Los_Angeles' }, now)).toEqual({
      kind: 'defer',
      until: Date.parse('2026-11-23T16:00:00Z'),
      reason: 'quiet-hours',
    });
  });

  it('texts without an opt-in where the policy allows it, never after an opt-out', () => {
    const phone = { ...person, phone: '+14155550123' };
    const optOut = { ...policy, consent: { email: 'not-unsubscribed' as const, sms: 'not-unsubscribed' as const } };
    expect(gate(request({ channel: 'sms' }), phone, false, quiet, optOut, now)).toEqual({ kind: 'send', to: '+14155550123' });
    const stopped = { ...phone, consent: { sms: { state: 'unsubscribed' as const, at: '2026-11-01T00:00:00.000Z', source: 'twilio' } } };
    expect(gate(request({ channel: 'sms' }), stopped, false, quiet, optOut, now)).toEqual({ kind: 'suppress', reason: 'unsubscribed' });
    // An email opt-in says nothing about texts.
    const emailOnly = { ...phone, consent: consent('subscribed') };
    expect(gate(request({ channel: 'sms' }), emailOnly, false, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'no-consent' });
  });

  it('a webhook task goes to its endpoint whatever the caps and the hour, and needs one', () => {
    const tired = sentAt(1, 2, 3);
    expect(gate(request({ channel: 'webhook', webhook: 'call-centre' }), person, false, tired, policy, Date.parse('2026-11-23T23:00:00Z'))).toEqual({
      kind: 'send',
      to: 'call-centre',
    });
    expect(gate(request({ channel: 'webhook' }), person, false, quiet, policy, now)).toEqual({ kind: 'suppress', reason: 'no-address' });
  });
});

describe('config/dispatch.json', () => {
  const base = { consent: { email: 'subscribed' }, caps: { perDay: 1, perWeek: 3 } };
  const issues = (overrides: Record<string, unknown>) =>
    DispatchPolicy.safeParse({ ...base, ...overrides }).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

  it('fills in what a policy leaves out: opt-in texts, UTC, no SMS sender, no webhooks', () => {
    expect(DispatchPolicy.parse(base)).toEqual({
      consent: { email: 'subscribed', sms: 'subscribed' },
      caps: { perDay: 1, perWeek: 3 },
      defaultTimeZone: 'UTC',
      sms: {},
      webhooks: {},
    });
  });

  it('takes opt-in or not-opted-out consent for email and for texts', () => {
    for (const email of ['subscribed', 'not-unsubscribed'])
      for (const sms of ['subscribed', 'not-unsubscribed']) expect(issues({ consent: { email, sms } })).toEqual([]);
    expect(issues({ consent: { email: 'subscribed', sms: 'always' } })).toHaveLength(1);
  });

  it('takes quiet hours as 24-hour local times', () => {
    expect(issues({ quietHours: { from: '21:00', to: '08:00' } })).toEqual([]);
    expect(issues({ quietHours: { from: '23:59', to: '00:00' } })).toEqual([]);
    expect(issues({ quietHours: { from: '19:00', to: '09:00' } })).toEqual([]);
    for (const wrong of ['24:00', '9:00', '21:60', '21:00:00', 'x21:00', '21:00x', '2a:00'])
      expect(issues({ quietHours: { from: wrong, to: '08:00' } })).toEqual(['quietHours.from: a local time such as "21:00"']);
  });

  it('refuses caps that are not whole positive numbers, and fields it does not know', () => {
    expect(issues({ caps: { perDay: 0, perWeek: 3 } })).toHaveLength(1);
    expect(issues({ caps: { perDay: 1.5, perWeek: 3 } })).toHaveLength(1);
    expect(issues({ caps: { perDay: 1, perWeek: 3, perMonth: 9 } })).toHaveLength(1);
    expect(issues({ consent: { email: 'subscribed', push: 'subscribed' } })).toHaveLength(1);
    expect(issues({ consent: { email: 'always' } })).toHaveLength(1);
    expect(issues({ frequency: 3 })).toHaveLength(1);
    expect(issues({ quietHours: { from: '21:00', to: '08:00', zone: 'UTC' } })).toHaveLength(1);
  });

  it('names webhook endpoints in lower case with an address, and SMS senders by a non-empty id', () => {
    expect(issues({ webhooks: { 'call-centre': { url: 'https://crm.example.com/tasks' } } })).toEqual([]);
    expect(issues({ webhooks: { 'Call Centre': { url: 'https://crm.example.com/tasks' } } })).toHaveLength(1);
    expect(issues({ webhooks: { '-crm': { url: 'https://crm.example.com/tasks' } } })).toHaveLength(1);
    expect(issues({ webhooks: { 'crm/tasks': { url: 'https://crm.example.com/tasks' } } })).toHaveLength(1);
    expect(issues({ webhooks: { crm: { url: 'not a url' } } })).toHaveLength(1);
    expect(issues({ webhooks: { crm: { url: 'https://crm.example.com', secret: 'x' } } })).toHaveLength(1);
    expect(issues({ sms: { originationIdentity: '+14155550100', configurationSet: 'marketing' } })).toEqual([]);
    expect(issues({ sms: { originationIdentity: '' } })).toHaveLength(1);
    expect(issues({ sms: { configurationSet: '' } })).toHaveLength(1);
    expect(issues({ sms: { originationIdentity: '+14155550100', configurationSet: 'marketing', pool: 'x' } })).toHaveLength(1);
  });
});
