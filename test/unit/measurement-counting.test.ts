import { defaultMeasurementConfig } from '#services/measurement/core/config.js';
import {
  attributedTouch,
  combineIncrements,
  countableAmount,
  mergePeople,
  type PersonMeasures,
  planFact,
  type Touch,
} from '#services/measurement/core/counting.js';
import { type Fact, factId, type MessageFact, readFact } from '#services/measurement/core/facts.js';
import { orderUpdate } from '../support/measurement.js';

const hour = 3_600_000;
const day = 24 * hour;
const t0 = Date.parse('2026-11-02T10:00:00.000Z');
const config = defaultMeasurementConfig;
const touch = (messageId: string, ruleId: string, sentAt: number, engagedAt?: number): Touch => ({
  messageId,
  ruleId,
  channel: 'email',
  sentAt,
  ...(engagedAt === undefined ? {} : { engagedAt }),
});
const sent = (messageId: string, ruleId: string, at: number, variant?: string): MessageFact => ({
  kind: 'sent',
  messageId,
  ruleId,
  variant,
  profileId: 'p-1',
  channel: 'email',
  at,
});

describe('attribution: which message an order is a conversion of', () => {
  it('credits an email sent within a day, or opened or clicked within five days; the last touch wins', () => {
    const touches = [touch('m1', 'welcome', t0, t0 + hour), touch('m2', 'win-back', t0 + 2 * day)];
    // 2.5 days after m1 was opened, 12 hours after m2 was sent: m2 is the last touch.
    expect(attributedTouch(touches, t0 + 2 * day + 12 * hour, config)?.messageId).toBe('m2');
    // 4 days after m1's open, and m2 sent two days before, unopened: m1.
    expect(attributedTouch(touches, t0 + 4 * day, config)?.messageId).toBe('m1');
    // Six days after the open, three after m2: nobody's.
    expect(attributedTouch(touches, t0 + 6 * day + 2 * hour, config)).toBeUndefined();
  });

  it('never credits a message sent after the order, or opened after it', () => {
    expect(attributedTouch([touch('m1', 'r', t0 + hour)], t0, config)).toBeUndefined();
    expect(attributedTouch([touch('m1', 'r', t0 - 3 * day, t0 + hour)], t0, config)).toBeUndefined();
  });

  it('follows the windows of config/measurement.json', () => {
    const wide = { ...config, attribution: { afterOpenOrClickDays: 5, afterSendDays: 3 } };
    expect(attributedTouch([touch('m1', 'r', t0)], t0 + 2 * day, wide)?.messageId).toBe('m1');
    expect(attributedTouch([touch('m1', 'r', t0)], t0 + 2 * day, config)).toBeUndefined();
  });
});

describe('counting a fact', () => {
  it('starts one experiment window per person and rule: a second send inside it is not a second person', () => {
    const first = planFact(sent('m1', 'r', t0, 'a'), undefined, undefined, config);
    expect(combineIncrements(first.increments)).toEqual([{ ruleId: 'r', variant: 'a', day: '2026-11-02', add: { sent: '1', 'messaged:people': '1' } }]);
    const second = planFact(sent('m2', 'r', t0 + day, 'a'), first.person, undefined, config);
    expect(second.increments).toEqual([{ ruleId: 'r', variant: 'a', day: '2026-11-03', add: { sent: '1' } }]);
    const later = planFact(sent('m3', 'r', t0 + 6 * day, 'a'), second.person, undefined, config);
    expect(combineIncrements(later.increments)[0]?.add).toEqual({ sent: '1', 'messaged:people': '1' });
  });

  it('follows a held-out person like a messaged one, and converts each window once with all its revenue', () => {
    const held = planFact({ ...sent('m1', 'r', t0), kind: 'suppressed', reason: 'holdout' }, undefined, undefined, config);
    expect(held.increments.map((increment) => increment.add)).toEqual([{ 'suppressed:holdout': '1' }, { 'holdout:people': '1' }]);
    const order = (orderId: string, at: number, amount: string): Fact => ({
      kind: 'order',
      profileId: 'p-1',
      orderKey: orderId,
      total: { amount, currency: 'EUR' },
      at,
    });
    const first = planFact(order('o1', t0 + day, '10.50'), held.person, undefined, config);
    expect(first.increments).toEqual([
      {
        ruleId: 'r',
        variant: undefined,
        day: '2026-11-02',
        add: { 'holdout:converted': '1', 'holdout:revenue:EUR': '10.50', 'holdout:revenueSq:EUR': '110.25' },
      },
    ]);
    const second = planFact(order('o2', t0 + 2 * day, '2.00'), first.person, undefined, config);
    // (10.50 + 2)² − 10.50² = 46.00: the sum of squares of revenue per person stays exact.
    expect(second.increments).toEqual([
      { ruleId: 'r', variant: undefined, day: '2026-11-02', add: { 'holdout:revenue:EUR': '2.00', 'holdout:revenueSq:EUR': '46.00' } },
    ]);
  });

  it('changes nothing for an order no message preceded: nothing to attribute, no window to convert', () => {
    const order: Fact = { kind: 'order', profileId: 'p-1', orderKey: 'o9', total: { amount: '9.00', currency: 'USD' }, at: t0 };
    expect(planFact(order, undefined, undefined, config)).toEqual({ increments: [] });
    const old: PersonMeasures = { touches: [touch('m0', 'r', t0 - 30 * day)], episodes: [] };
    expect(planFact(order, old, undefined, config)).toEqual({ increments: [] });
  });

  it('counts an order once per rule when a merge left a person two open windows of it', () => {
    const window = (startedAt: number) => ({ ruleId: 'r', group: 'messaged' as const, startedAt, until: startedAt + 5 * day, converted: false, revenue: {} });
    const merged: PersonMeasures = { touches: [], episodes: [window(t0), window(t0 + hour)] };
    const plan = planFact(
      { kind: 'order', profileId: 'p-1', orderKey: 'o1', total: { amount: '19.00', currency: 'USD' }, at: t0 + 2 * hour },
      merged,
      undefined,
      config,
    );
    expect(plan.increments).toEqual([
      {
        ruleId: 'r',
        variant: undefined,
        day: '2026-11-02',
        add: { 'messaged:converted': '1', 'messaged:revenue:USD': '19.00', 'messaged:revenueSq:USD': '361.00' },
      },
    ]);
  });

  it('counts an order whose total is no amount (negative, or beyond what DynamoDB adds exactly) without revenue, and says so', () => {
    const person: PersonMeasures = { touches: [touch('m1', 'r', t0)], episodes: [] };
    for (const amount of ['-50.00', '99999999999999999999999999999999999999', '0.000000000000000000000000000000000000000001']) {
      const plan = planFact({ kind: 'order', profileId: 'p-1', orderKey: 'o1', total: { amount, currency: 'USD' }, at: t0 + hour }, person, undefined, config);
      expect(plan.increments).toEqual([{ ruleId: 'r', variant: undefined, day: '2026-11-02', add: { conversions: '1' } }]);
      expect(plan.note).toMatch(/no amount to add up/);
    }
    expect(countableAmount('404.95')).toBe(true);
    expect(countableAmount('1e308')).toBe(false);
  });

  it('counts an open on the day its message went, so a day’s open rate is of that day’s messages', () => {
    const person: PersonMeasures = { touches: [touch('m1', 'r', t0)], episodes: [] };
    const plan = planFact({ ...sent('m1', 'r', t0 + 2 * day), kind: 'opened' }, person, undefined, config);
    expect(plan.increments).toEqual([{ ruleId: 'r', variant: undefined, day: '2026-11-02', add: { opened: '1' } }]);
  });

  it('puts a person deferred, capped or failed after the holdout check in the messaged group, from that moment (intent to treat)', () => {
    for (const fact of [
      { ...sent('m1', 'r', t0), kind: 'deferred' as const },
      { ...sent('m1', 'r', t0), kind: 'failed' as const },
      { ...sent('m1', 'r', t0), kind: 'suppressed' as const, reason: 'frequency-cap' as const },
    ]) {
      const plan = planFact(fact, undefined, undefined, config);
      expect(plan.increments.flatMap((increment) => Object.keys(increment.add))).toContain('messaged:people');
      expect(plan.person?.episodes).toEqual([expect.objectContaining({ ruleId: 'r', group: 'messaged', startedAt: t0 })]);
    }
    const unreachable = planFact({ ...sent('m1', 'r', t0), kind: 'suppressed', reason: 'no-consent' }, undefined, undefined, config);
    expect(unreachable).toEqual({ increments: [{ ruleId: 'r', variant: undefined, day: '2026-11-02', add: { 'suppressed:no-consent': '1' } }] });
  });

  it('takes a refund back from where its order was counted, never more than the order', () => {
    const person: PersonMeasures = { touches: [touch('m1', 'r', t0)], episodes: [] };
    const ordered = planFact(
      { kind: 'order', profileId: 'p-1', orderKey: 'o1', total: { amount: '40.00', currency: 'USD' }, at: t0 + hour },
      person,
      undefined,
      config,
    );
    expect(ordered.increments).toEqual([{ ruleId: 'r', variant: undefined, day: '2026-11-02', add: { conversions: '1', 'revenue:USD': '40.00' } }]);
    const refund = (amount: string, currency = 'USD'): Fact => ({
      kind: 'refund',
      profileId: 'p-1',
      orderKey: 'o1',
      refundKey: amount,
      amount: { amount, currency },
      at: t0 + day,
    });
    const partial = planFact(refund('15.00'), undefined, ordered.order, config);
    expect(partial.increments).toEqual([{ ruleId: 'r', variant: undefined, day: '2026-11-02', add: { 'refunds:USD': '15.00' } }]);
    const tooMuch = planFact(refund('100.00'), undefined, partial.order, config);
    expect(tooMuch.increments[0]?.add).toEqual({ 'refunds:USD': '25.00' });
    expect(tooMuch.note).toMatch(/above the 25.00 not yet refunded/);
    expect(planFact(refund('1.00'), undefined, tooMuch.order, config).increments).toEqual([]);
    expect(planFact(refund('5.00', 'EUR'), undefined, ordered.order, config)).toMatchObject({
      increments: [],
      note: expect.stringMatching(/in EUR; the order was in USD/),
    });
    expect(planFact(refund('5.00'), undefined, undefined, config)).toMatchObject({ increments: [], note: expect.stringMatching(/not counted/) });
  });

  it('counts an unsubscribe for the rule of the message whose link it was, and explains one it cannot place', () => {
    const person: PersonMeasures = { touches: [{ ...touch('m1', 'win-back', t0), variant: 'b' }], episodes: [] };
    expect(planFact({ kind: 'unsubscribed', profileId: 'p-1', messageId: 'm1', at: t0 + hour }, person, undefined, config).increments).toEqual([
      { ruleId: 'win-back', variant: 'b', day: '2026-11-02', add: { unsubscribed: '1' } },
    ]);
    expect(planFact({ kind: 'unsubscribed', profileId: 'p-1', messageId: 'gone', at: t0 }, person, undefined, config).note).toMatch(/no longer among/);
  });

  it('keeps a person’s open when the send is counted after it', () => {
    const opened = planFact({ ...sent('m1', 'r', t0 + hour), kind: 'opened' }, undefined, undefined, config);
    const then = planFact(sent('m1', 'r', t0), opened.person, undefined, config);
    expect(then.person?.touches).toEqual([expect.objectContaining({ messageId: 'm1', sentAt: t0, engagedAt: t0 + hour })]);
  });

  it('merges people: touches of both, the later open kept', () => {
    const merged = mergePeople({ touches: [touch('m1', 'r', t0)], episodes: [] }, [
      { touches: [touch('m1', 'r', t0, t0 + hour), touch('m2', 'q', t0 + day)], episodes: [] },
    ]);
    expect(merged.touches.map((known) => [known.messageId, known.engagedAt])).toEqual([
      ['m1', t0 + hour],
      ['m2', undefined],
    ]);
  });
});

describe('reading facts from the bus', () => {
  it('reads an order and a refund of the surviving profile from profile.updated, keyed by platform, shop and order', () => {
    const order = readFact('profile.updated', orderUpdate('p-9', { orderId: '1001', at: t0, amount: '19.99' }));
    expect(order).toEqual({
      ok: true,
      value: { kind: 'order', profileId: 'p-9', orderKey: 'shopify:demo.myshopify.com:1001', total: { amount: '19.99', currency: 'USD' }, at: t0 },
    });
    const refund = readFact('profile.updated', orderUpdate('p-9', { orderId: '1001', at: t0, amount: '19.99' }, { refundId: 'r1', amount: '5.00' }));
    expect(refund.ok && factId(refund.value)).toBe('refund|shopify:demo.myshopify.com:1001|r1');
  });

  it('takes an empty refund id as no id, so two such refunds of one order are two refunds', () => {
    const refund = (eventId: string) => {
      const update = orderUpdate('p-9', { orderId: '1001', at: t0, amount: '19.99' }, { refundId: '', amount: '5.00' });
      return readFact('profile.updated', { ...update, trigger: { ...update.trigger, detail: { ...update.trigger.detail, eventId } } });
    };
    const [first, second] = [refund('ev_r1'), refund('ev_r2')];
    expect(first.ok && second.ok && factId(first.value) !== factId(second.value)).toBe(true);
  });

  it('ignores, with the reason, what it does not count or cannot read; it never throws', () => {
    expect(readFact('profile.updated', { profileId: 'p' })).toMatchObject({ ok: false, error: { reason: expect.stringMatching(/invalid profile.updated/) } });
    expect(readFact('message.sent', { messageId: 'm' })).toMatchObject({ ok: false, error: { reason: expect.stringMatching(/invalid message.sent/) } });
    expect(readFact('cart.updated', {})).toMatchObject({ ok: false });
    const update = orderUpdate('p-9', { orderId: '1', at: t0, amount: '1' });
    const consent = {
      ...update,
      trigger: {
        ...update.trigger,
        'detail-type': 'consent.changed',
        detail: { ...update.trigger.detail, properties: { channel: 'email', state: 'unsubscribed' } },
      },
    };
    expect(readFact('profile.updated', consent)).toMatchObject({ ok: false, error: { reason: 'a consent change not made through a message' } });
  });

  it('counts opens and clicks once per message: the report shows unique opens and clicks', () => {
    const open = { ...sent('m1', 'r', t0), kind: 'opened' as const };
    expect(factId(open)).toBe(factId({ ...open, at: t0 + hour }));
  });
});
