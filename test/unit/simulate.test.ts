import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRule, Rule } from '#services/rules/core/rule.js';
import { formatReport, simulate } from '../../cli/simulate.js';
import { profileConfig, projectDir } from '../support/fixtures.js';

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

  it('shows who each rule would have messaged and when, with cooldowns and duplicates applied', async () => {
    const report = await simulate([thankYou, vipDaily], stream, profileConfig);
    expect(report.messages.map((message) => [message.ruleId, message.email, message.at])).toEqual([
      ['thank-you', 'ann@example.com', '2026-11-01T10:00:00.000Z'],
      ['thank-you', 'ann@example.com', '2026-11-01T12:00:00.000Z'],
      ['vip', 'ann@example.com', '2026-11-01T12:00:00.000Z'],
      ['thank-you', 'ann@example.com', '2026-11-01T18:00:00.000Z'],
      ['thank-you', 'ann@example.com', '2026-11-02T13:00:00.000Z'],
      ['vip', 'ann@example.com', '2026-11-02T13:00:00.000Z'],
      ['thank-you', 'bob@example.com', '2026-11-02T14:00:00.000Z'],
    ]);
    expect(report.heldBack).toEqual([{ at: '2026-11-01T18:00:00.000Z', ruleId: 'vip', profileId: 'sim-1', email: 'ann@example.com', reason: 'cooldown' }]);
    expect(report).toMatchObject({ customerEvents: 6, duplicates: 1, profiles: 2 });
    expect(report.skipped.map((entry) => entry.line)).toEqual([2, 8]);
  });

  it('starts from seeded profiles', async () => {
    const seeded = {
      profileId: 'p-ann',
      email: 'ann@example.com',
      orderCount: 5,
      revenue: {},
      firstSeenAt: '2020-01-01T00:00:00.000Z',
      lastSeenAt: '2020-01-01T00:00:00.000Z',
      traitsAt: {},
    };
    const report = await simulate([vipDaily], orderLine('e1', 'ann@example.com', '2026-11-01T10:00:00.000Z'), profileConfig, [seeded]);
    expect(report.messages).toEqual([expect.objectContaining({ ruleId: 'vip', profileId: 'p-ann' })]);
  });

  it('prints a report per rule and names unreadable lines', async () => {
    const text = formatReport(await simulate([thankYou, vipDaily], stream, profileConfig), [thankYou, vipDaily]);
    expect(text).toContain('thank-you (Thanks): 5 messages');
    expect(text).toContain('vip (VIP note): 2 messages, 1 held back');
    expect(text).toMatch(/line 8: not JSON/);
  });
});

const shipped = (id: string) => compileRule(Rule.parse(JSON.parse(readFileSync(join(projectDir, 'rules', `${id}.json`), 'utf8'))));

function line(
  detailType: string,
  eventId: string,
  email: string,
  occurredAt: string,
  properties: Record<string, unknown>,
  receivedAt = occurredAt,
  traits = {},
): string {
  return JSON.stringify({
    source: 'nudge.intake',
    'detail-type': detailType,
    detail: { eventId, occurredAt, receivedAt, origin: { platform: 'shopify', shop: 's.myshopify.com', topic: 't' }, identity: { email }, traits, properties },
  });
}

describe('rules simulator with time, place and sequence rules', () => {
  const checkout = (id: string, email: string, at: string, receivedAt = at) =>
    line('checkout.started', `chk-${id}`, email, at, { checkoutId: id, itemCount: 1, total: { amount: '20.00', currency: 'EUR' }, items: [] }, receivedAt);
  const order = (id: string, checkoutId: string, email: string, at: string, receivedAt = at) =>
    line('order.completed', `ord-${id}`, email, at, { orderId: id, checkoutId, total: { amount: '20.00', currency: 'EUR' }, items: [] }, receivedAt);

  it('reminds the checkout that had no order an hour later, not the one whose order arrived before its checkout event', async () => {
    const stream = [
      checkout('k1', 'ann@example.com', '2026-11-01T10:00:00.000Z'),
      // Bob's order webhook arrives first; his checkout event, stamped earlier, comes a minute later.
      order('o2', 'k2', 'bob@example.com', '2026-11-01T10:05:00.000Z', '2026-11-01T10:05:01.000Z'),
      checkout('k2', 'bob@example.com', '2026-11-01T10:02:00.000Z', '2026-11-01T10:06:00.000Z'),
      // Ann's checkout webhook is delivered twice.
      checkout('k1', 'ann@example.com', '2026-11-01T10:00:00.000Z', '2026-11-01T10:07:00.000Z'),
    ].join('\n');
    const report = await simulate([shipped('abandoned-checkout')], stream, profileConfig);
    expect(report.messages.map((message) => [message.ruleId, message.email, message.at])).toEqual([
      ['abandoned-checkout', 'ann@example.com', '2026-11-01T11:00:00.000Z'],
    ]);
    expect(report.duplicates).toBe(1);
  });

  it('sends birthdays at 9:00 in each person’s time zone, on the virtual clock after the last event', async () => {
    const stream = [
      line('customer.upserted', 'c1', 'ber@example.com', '2026-11-01T10:00:00.000Z', {}, undefined, { birthday: '1990-11-03', timeZone: 'Europe/Berlin' }),
      line('customer.upserted', 'c2', 'nyc@example.com', '2026-11-01T10:00:00.000Z', {}, undefined, { birthday: '1990-11-03', timeZone: 'America/New_York' }),
    ].join('\n');
    const report = await simulate([shipped('birthday')], stream, profileConfig, [], { horizonMillis: 5 * 86_400_000 });
    expect(report.messages.map((message) => [message.email, message.at])).toEqual([
      ['ber@example.com', '2026-11-03T08:00:00.000Z'],
      ['nyc@example.com', '2026-11-03T14:00:00.000Z'],
    ]);
  });

  it('runs a recurring rule on its schedule over the profiles that meet its conditions', async () => {
    const person = (profileId: string, email: string, segment: string) => ({
      profileId,
      email,
      orderCount: 3,
      revenue: {},
      firstSeenAt: '2025-01-01T00:00:00.000Z',
      lastSeenAt: '2026-06-01T00:00:00.000Z',
      traitsAt: {},
      rfm: { recency: 2, frequency: 3, monetary: 3, segment, asOf: '2026-06-01T00:00:00.000Z' },
    });
    // Monday 2 November 2026 is the first run after the stream starts: 10:00 in Berlin is 09:00 UTC.
    const stream = line('product.viewed', 'v1', 'someone@example.com', '2026-11-01T12:00:00.000Z', { productId: 'p1' });
    const report = await simulate(
      [shipped('weekly-at-risk')],
      stream,
      profileConfig,
      [person('a', 'risky@example.com', 'at-risk'), person('b', 'fine@example.com', 'champions')],
      {
        horizonMillis: 10 * 86_400_000,
      },
    );
    expect(report.messages.map((message) => [message.email, message.at])).toEqual([
      ['risky@example.com', '2026-11-02T09:00:00.000Z'],
      ['risky@example.com', '2026-11-09T09:00:00.000Z'],
    ]);
  });
});
