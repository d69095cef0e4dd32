import { formatReport, simulate } from '../../cli/simulate.js';
import { compileRule, Rule } from '../../services/rules/core/rule.js';
import { profileConfig } from '../support/fixtures.js';

const thankYou = compileRule(
  Rule.parse({ id: 'thank-you', name: 'Thanks', trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } }, channel: 'email', template: 't' }),
);
const vipDaily = compileRule(
  Rule.parse({
    id: 'vip',
    name: 'VIP note',
    trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
    conditions: { orderCount: [{ numeric: ['>=', 2] }] },
    cooldown: '24h',
    channel: 'email',
    template: 't',
  }),
);

function orderLine(eventId: string, email: string, receivedAt: string, amount = '10.00'): string {
  return JSON.stringify({
    version: '0',
    id: eventId,
    source: 'nudge.intake',
    'detail-type': 'order.completed',
    time: receivedAt.replace(/\.\d{3}Z$/, 'Z'),
    detail: {
      eventId,
      occurredAt: receivedAt,
      receivedAt,
      origin: { platform: 'shopify', shop: 's.myshopify.com', topic: 'orders/create' },
      identity: { email },
      traits: {},
      properties: { orderId: eventId, total: { amount, currency: 'USD' }, items: [] },
    },
  });
}

describe('rules simulator', () => {
  const stream = [
    orderLine('e1', 'ann@example.com', '2026-11-01T10:00:00.000Z'),
    JSON.stringify({ source: 'nudge.profiles', 'detail-type': 'profile.updated', detail: {} }),
    orderLine('e2', 'ann@example.com', '2026-11-01T12:00:00.000Z'),
    orderLine('e2', 'ann@example.com', '2026-11-01T12:00:05.000Z'),
    orderLine('e3', 'ann@example.com', '2026-11-01T18:00:00.000Z'),
    orderLine('e4', 'ann@example.com', '2026-11-02T13:00:00.000Z'),
    orderLine('e5', 'bob@example.com', '2026-11-02T14:00:00.000Z'),
    '{ not json',
  ].join('\n');

  it('shows who each rule would have messaged and when, with cooldowns and duplicates applied', () => {
    const report = simulate([thankYou, vipDaily], stream, profileConfig);
    expect(report.messages.map((message) => [message.ruleId, message.email, message.at])).toEqual([
      ['thank-you', 'ann@example.com', '2026-11-01T10:00:00.000Z'],
      ['thank-you', 'ann@example.com', '2026-11-01T12:00:00.000Z'],
      ['vip', 'ann@example.com', '2026-11-01T12:00:00.000Z'],
      ['thank-you', 'ann@example.com', '2026-11-01T18:00:00.000Z'],
      ['thank-you', 'ann@example.com', '2026-11-02T13:00:00.000Z'],
      ['vip', 'ann@example.com', '2026-11-02T13:00:00.000Z'],
      ['thank-you', 'bob@example.com', '2026-11-02T14:00:00.000Z'],
    ]);
    expect(report.heldBack).toEqual([{ at: '2026-11-01T18:00:00.000Z', ruleId: 'vip', profileId: 'sim-1', reason: 'cooldown' }]);
    expect(report).toMatchObject({ customerEvents: 6, duplicates: 1, profiles: 2 });
    expect(report.skipped.map((entry) => entry.line)).toEqual([2, 8]);
  });

  it('starts from seeded profiles', () => {
    const seeded = {
      profileId: 'p-ann',
      email: 'ann@example.com',
      orderCount: 5,
      revenue: {},
      firstSeenAt: '2020-01-01T00:00:00.000Z',
      lastSeenAt: '2020-01-01T00:00:00.000Z',
      traitsAt: {},
    };
    const report = simulate([vipDaily], orderLine('e1', 'ann@example.com', '2026-11-01T10:00:00.000Z'), profileConfig, [seeded]);
    expect(report.messages).toEqual([expect.objectContaining({ ruleId: 'vip', profileId: 'p-ann' })]);
  });

  it('prints a report per rule and names unreadable lines', () => {
    const text = formatReport(simulate([thankYou, vipDaily], stream, profileConfig), [thankYou, vipDaily]);
    expect(text).toContain('thank-you (Thanks): 5 messages');
    expect(text).toContain('vip (VIP note): 2 messages, 1 held back');
    expect(text).toMatch(/line 8: not JSON/);
  });
});
