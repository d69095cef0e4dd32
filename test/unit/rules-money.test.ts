import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busNeedsOf } from '#project/bus-needs.js';
import { readProject } from '#project/load-project.js';
import { compileRule, Rule } from '#services/rules/core/rule.js';
import { busFilter } from '#services/rules/kinds/fields.js';
import { compilePattern, matches, readingAmounts } from '#shared/event-pattern/index.js';
import { subscriptionsFor } from '#shared/topology.js';
import { simulate } from '../../cli/simulate.js';
import { copyOfProject, profileConfig } from '../support/fixtures.js';

// The marketer's rule from the issue: an Italian store's checkout of at least 50 EUR, no order
// within 2 hours. Money is a decimal string on the bus ("64.90"), and the rules compare it exactly.
const italianCheckout = {
  id: 'carrello-abbandonato',
  name: 'Carrello abbandonato (IT, da 50 EUR)',
  trigger: {
    type: 'sequence',
    key: 'detail.properties.checkoutId',
    steps: [
      {
        event: {
          'detail-type': ['checkout.started'],
          detail: { properties: { total: { amount: [{ numeric: ['>=', 50] }], currency: ['EUR'] } } },
        },
      },
    ],
    absent: { event: { 'detail-type': ['order.completed'] }, within: '2h' },
  },
  channel: 'email',
  template: 'abandoned-checkout',
};

const checkout = (id: string, email: string, amount: string, currency = 'EUR') =>
  JSON.stringify({
    version: '0',
    id,
    source: 'nudge.intake',
    'detail-type': 'checkout.started',
    time: '2026-11-02T10:00:00Z',
    detail: {
      eventId: id,
      occurredAt: '2026-11-02T10:00:00.000Z',
      receivedAt: '2026-11-02T10:00:00.000Z',
      origin: { platform: 'segment', shop: 'negozio', topic: 'Checkout Started' },
      identity: { email },
      traits: {},
      properties: { checkoutId: `chk-${id}`, total: { amount, currency }, items: [] },
    },
  });

describe('money in rules', () => {
  it('compares amounts written as decimal strings with numeric, exactly, as the rules read them; EventBridge’s own reading does not', () => {
    const pattern = { detail: { total: { amount: [{ numeric: ['>=', 50] }] } } };
    const strict = compilePattern(pattern);
    if (!strict.ok) throw new Error(strict.error.message);
    const rules = readingAmounts(strict.value);
    const at = (amount: string | number) => ({ detail: { total: { amount } } });
    expect(['64.90', '50', '50.00', '1000000000000000000000.01'].map((amount) => matches(rules, at(amount)))).toEqual([true, true, true, true]);
    expect(['49.99', '-64.90', '0', 'fifty', '', '5e1'].map((amount) => matches(rules, at(amount)))).toEqual([false, false, false, false, false, false]);
    expect(matches(rules, at(64.9))).toBe(true);
    // Exact where a float is not: 0.1 + 0.2 is not 0.3 in floating point, and "0.30" is 0.3 here.
    const exact = compilePattern({ detail: { total: { amount: [{ numeric: ['=', 0.3] }] } } });
    if (!exact.ok) throw new Error(exact.error.message);
    expect(matches(readingAmounts(exact.value), at('0.30'))).toBe(true);
    expect(matches(readingAmounts(exact.value), at('0.300000000000000001'))).toBe(false);
    // As the AWS TestEventPattern API answers: a string is never a number.
    expect(matches(strict.value, at('64.90'))).toBe(false);
  });

  it('fires the Italian reminder for 64.90 EUR and 50 EUR (a Segment amount without decimals), not for 40.00 EUR or 64.90 USD', async () => {
    const rule = compileRule(Rule.parse(italianCheckout));
    const stream = [
      checkout('e-6490', 'giulia@example.it', '64.90'),
      checkout('e-50', 'marco@example.it', '50'),
      checkout('e-40', 'sara@example.it', '40.00'),
      checkout('e-usd', 'john@example.com', '64.90', 'USD'),
    ].join('\n');
    const report = await simulate([rule], stream, profileConfig, [], { horizonMillis: 86_400_000 });
    expect(report.messages.map((message) => [message.email, message.at])).toEqual([
      ['giulia@example.it', '2026-11-02T12:00:00.000Z'],
      ['marco@example.it', '2026-11-02T12:00:00.000Z'],
    ]);
  });

  it('leaves numeric conditions on amounts out of what EventBridge filters on, and keeps those on numbers and the rest', () => {
    expect(
      busFilter({
        detail: {
          trigger: { 'detail-type': ['checkout.started'], detail: { properties: { total: { amount: [{ numeric: ['>=', 50] }], currency: ['EUR'] } } } },
        },
      }),
    ).toEqual({
      detail: { trigger: { 'detail-type': ['checkout.started'], detail: { properties: { total: { currency: ['EUR'] } } } } },
    });
    // A count is a number, so EventBridge compares it as the rules do, and it stays; an amount goes.
    expect(busFilter({ detail: { profile: { orderCount: [{ 'anything-but': { numeric: ['<', 2] } }] } } })).toEqual({
      detail: { profile: { orderCount: [{ 'anything-but': { numeric: ['<', 2] } }] } },
    });
    expect(busFilter({ detail: { profile: { revenue: { EUR: [{ numeric: ['>=', 100] }] } } } })).toBeUndefined();
    expect(busFilter({ $or: [{ a: ['x'] }, { b: [{ numeric: ['>', 1] }] }], c: ['y'] })).toEqual({ c: ['y'] });
    const rule = compileRule(Rule.parse(italianCheckout));
    const feed = subscriptionsFor(busNeedsOf([rule])).find((subscription) => subscription.consumer === 'rules')?.pattern;
    expect(JSON.stringify(feed)).not.toContain('numeric');
    expect(JSON.stringify(feed)).toContain('checkout.started');
  });

  it('refuses at validation what can never match the kind of field it is on, with the fix', () => {
    const dir = copyOfProject();
    const write = (id: string, fields: Record<string, unknown>) =>
      writeFileSync(join(dir, 'rules', `${id}.json`), JSON.stringify({ id, name: id, channel: 'email', template: 'thank-you', ...fields }));
    const onOrder = (detail?: Record<string, unknown>) => ({ type: 'event', event: { 'detail-type': ['order.completed'], ...(detail ? { detail } : {}) } });
    write('whole-total', { trigger: onOrder({ properties: { total: [{ numeric: ['>=', 50] }] } }) });
    write('number-amount', { trigger: onOrder({ properties: { total: { amount: [50] } } }) });
    write('numeric-text', { trigger: onOrder({ properties: { orderId: [{ numeric: ['>', 1000] }] } }) });
    write('quoted-count', { trigger: onOrder(), conditions: { orderCount: ['3'] } });
    write('prefix-number', { trigger: onOrder(), conditions: { orderCount: [{ prefix: '1' }] } });
    write('fine', {
      trigger: onOrder({ properties: { total: { amount: [{ numeric: ['>=', 50] }] } } }),
      conditions: { revenue: { EUR: [{ numeric: ['>=', 100] }] }, orderCount: [{ numeric: ['>=', 2] }, { 'anything-but': ['3'] }] },
    });
    const project = readProject(dir);
    expect(project.ok).toBe(false);
    const problems = project.ok ? [] : project.error;
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          file: 'whole-total.json',
          path: 'trigger.event.detail.properties.total',
          message: expect.stringContaining('"total": {"amount": [{"numeric": [">=", 50]}], "currency": ["EUR"]}'),
        },
        {
          file: 'number-amount.json',
          path: 'trigger.event.detail.properties.total.amount',
          message: expect.stringContaining('compare it with {"numeric": ["=", 50]}'),
        },
        {
          file: 'numeric-text.json',
          path: 'trigger.event.detail.properties.orderId',
          message: expect.stringContaining('"numeric" compares numbers and amounts'),
        },
        { file: 'quoted-count.json', path: 'conditions.orderCount', message: expect.stringContaining('is a number; write it without quotes') },
        { file: 'prefix-number.json', path: 'conditions.orderCount', message: expect.stringContaining('"prefix" works on text') },
      ]),
    );
    expect(problems.filter((problem) => problem.file === 'fine.json')).toEqual([]);
  });
});
