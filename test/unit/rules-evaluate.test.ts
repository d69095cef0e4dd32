import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules, readRuleFiles } from '../../services/rules/adapters/rule-files.js';
import { evaluate, messageIdFor } from '../../services/rules/core/evaluate.js';
import { compileRule, Rule } from '../../services/rules/core/rule.js';
import type { ProfileUpdated } from '../../shared/events/profile-updated.js';
import { projectDir } from '../support/fixtures.js';

const now = new Date('2026-11-22T12:00:00.000Z');

function update(detailType: string, eventId = 'ev_1'): ProfileUpdated {
  return {
    profileId: 'p1',
    changed: ['orderCount'],
    profile: {
      profileId: 'p1',
      email: 'jon@example.com',
      orderCount: 1,
      revenue: { USD: '10.00' },
      firstSeenAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      traitsAt: {},
    },
    trigger: {
      source: 'nudge.intake',
      'detail-type': detailType,
      detail: { eventId, occurredAt: now.toISOString(), properties: { total: { amount: '10.00', currency: 'USD' } } },
    },
  };
}

describe('the shipped thank-you rule', () => {
  const rules = loadRules(join(projectDir, 'rules'));

  it('asks for the thank-you email when an order completes', () => {
    const [request, ...others] = evaluate(rules, update('order.completed'), now);
    expect(others).toEqual([]);
    expect(request).toMatchObject({ ruleId: 'thank-you', profileId: 'p1', channel: 'email', template: 'thank-you', requestedAt: now.toISOString() });
    expect(request?.context.event).toMatchObject({ eventId: 'ev_1' });
  });

  it('gives a redelivered trigger the same message id, and another trigger another', () => {
    const first = evaluate(rules, update('order.completed', 'ev_1'), now)[0]?.messageId;
    expect(evaluate(rules, update('order.completed', 'ev_1'), new Date(now.getTime() + 1000))[0]?.messageId).toBe(first);
    expect(evaluate(rules, update('order.completed', 'ev_2'), now)[0]?.messageId).not.toBe(first);
    expect(first).toBe(messageIdFor('thank-you', 'p1', 'ev_1'));
  });

  it('stays silent for other events', () => {
    expect(evaluate(rules, update('customer.upserted'), now)).toEqual([]);
  });
});

describe('rule matching', () => {
  const rule = (overrides: Partial<Rule>) =>
    compileRule(
      Rule.parse({
        id: 'big-order',
        name: 'Big order',
        trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
        channel: 'email',
        template: 't',
        ...overrides,
      }),
    );

  it('filters on the event detail with EventBridge operators', () => {
    const bigOrders = rule({ trigger: { type: 'event', event: { detail: { properties: { total: { amount: [{ prefix: '1' }] } } } } } });
    expect(evaluate([bigOrders], update('order.completed'), now)).toHaveLength(1);
    const euroOrders = rule({ trigger: { type: 'event', event: { detail: { properties: { total: { currency: ['EUR'] } } } } } });
    expect(evaluate([euroOrders], update('order.completed'), now)).toHaveLength(0);
  });

  it('never fires a disabled rule', () => {
    expect(evaluate([rule({ enabled: false })], update('order.completed'), now)).toEqual([]);
  });
});

describe('rule files with problems', () => {
  it('names the file and JSON path of each problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-rules-'));
    writeFileSync(join(dir, 'a-broken.json'), '{ "id": "x", ');
    writeFileSync(
      join(dir, 'b-bad-operator.json'),
      JSON.stringify({ id: 'b', name: 'B', trigger: { type: 'event', event: { detail: { x: [{ nope: 1 }] } } }, channel: 'email', template: 't' }),
    );
    writeFileSync(
      join(dir, 'c-wrong-type.json'),
      JSON.stringify({ id: 'c', name: 'C', enabled: 'yes', trigger: { type: 'event', event: { source: ['a'] } }, channel: 'email', template: 't' }),
    );
    writeFileSync(
      join(dir, 'd-duplicate.json'),
      JSON.stringify({ id: 'c', name: 'D', trigger: { type: 'event', event: { source: ['a'] } }, channel: 'email', template: 't' }),
    );
    writeFileSync(
      join(dir, 'e-ok.json'),
      JSON.stringify({ id: 'e', name: 'E', trigger: { type: 'event', event: { source: ['a'] } }, channel: 'email', template: 't' }),
    );
    const result = readRuleFiles(dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { file: 'a-broken.json', path: '', message: expect.stringContaining('not valid JSON') },
      { file: 'b-bad-operator.json', path: 'trigger.event', message: expect.stringMatching(/detail\.x\[0\].*unknown operator "nope"/) },
      { file: 'c-wrong-type.json', path: 'enabled', message: expect.any(String) },
    ]);
    expect(() => loadRules(dir)).toThrow(/a-broken\.json/);
  });

  it('refuses two rules with one id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-rules-'));
    const body = JSON.stringify({ id: 'same', name: 'S', trigger: { type: 'event', event: { source: ['a'] } }, channel: 'email', template: 't' });
    writeFileSync(join(dir, 'one.json'), body);
    writeFileSync(join(dir, 'two.json'), body);
    expect(readRuleFiles(dir)).toEqual({ ok: false, problems: [{ file: 'two.json', path: 'id', message: 'id "same" is already used by one.json' }] });
  });
});
