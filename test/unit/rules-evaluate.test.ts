import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, readRules } from '#project/load-project.js';
import { admit, type RuleState, stateAfter } from '#services/rules/core/admission.js';
import { messageIdFor } from '#services/rules/core/message-request.js';
import { type CompiledRule, compileRule, Rule } from '#services/rules/core/rule.js';
import { RuleEngine } from '#services/rules/engine.js';
import { durationMillis } from '#services/rules/kinds/fields.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { MemoryFirings, MemoryProfiles, MemoryTimers, MemoryTriggerStates } from '../../cli/simulator-ports.js';
import { projectDir } from '../support/fixtures.js';

const now = new Date('2026-11-22T12:00:00.000Z');

function update(detailType: string, eventId = 'ev_1', profile: Partial<ProfileUpdated['profile']> = {}): ProfileUpdated {
  return {
    profileId: 'p1',
    changed: ['orderCount'],
    segments: { entered: [], left: [] },
    profile: {
      profileId: 'p1',
      email: 'jon@example.com',
      orderCount: 1,
      revenue: { USD: '10.00' },
      firstSeenAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      traitsAt: {},
      ...profile,
    },
    trigger: {
      source: 'nudge.intake',
      'detail-type': detailType,
      detail: {
        eventId,
        occurredAt: now.toISOString(),
        properties: {
          total: { amount: '10.00', currency: 'USD' },
          items: [
            { sku: 'A', quantity: 1 },
            { sku: 'B', quantity: 5 },
          ],
        },
      },
    },
  };
}

/** What the engine asks for on an update, before cooldown and re-entry (state in memory, as the simulator keeps it). */
async function requestsFor(rules: readonly CompiledRule[], event: ProfileUpdated, at = now) {
  const engine = new RuleEngine(rules, {
    states: new MemoryTriggerStates(),
    firings: new MemoryFirings(),
    timers: new MemoryTimers(),
    profiles: new MemoryProfiles(new Map()),
    geofences: new Map(),
  });
  return (await engine.triggered(event, at.getTime())).candidates.map((candidate) => candidate.request);
}

const rule = (overrides: Record<string, unknown>) =>
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

describe('the shipped thank-you rule', () => {
  const index = loadProject(projectDir).rules;

  it('asks for the thank-you email when an order completes', async () => {
    const [request, ...others] = await requestsFor(index, update('order.completed'));
    expect(others).toEqual([]);
    expect(request).toMatchObject({ ruleId: 'thank-you', profileId: 'p1', channel: 'email', template: 'thank-you', requestedAt: now.toISOString() });
    expect(request?.context.event).toMatchObject({ eventId: 'ev_1' });
  });

  it('gives a redelivered trigger the same message id, and another trigger another', async () => {
    const first = (await requestsFor(index, update('order.completed', 'ev_1')))[0]?.messageId;
    expect((await requestsFor(index, update('order.completed', 'ev_1'), new Date(now.getTime() + 1000)))[0]?.messageId).toBe(first);
    expect((await requestsFor(index, update('order.completed', 'ev_2')))[0]?.messageId).not.toBe(first);
    expect(first).toBe(messageIdFor('thank-you', 'p1', 'ev_1'));
  });

  it('stays silent for other events', async () => {
    expect(await requestsFor(index, update('customer.upserted'))).toEqual([]);
  });
});

describe('rule matching', () => {
  it('filters on the event detail with EventBridge operators', async () => {
    const bigOrders = rule({ trigger: { type: 'event', event: { detail: { properties: { total: { amount: [{ prefix: '1' }] } } } } } });
    expect(await requestsFor([bigOrders], update('order.completed'))).toHaveLength(1);
    const euroOrders = rule({ trigger: { type: 'event', event: { detail: { properties: { total: { currency: ['EUR'] } } } } } });
    expect(await requestsFor([euroOrders], update('order.completed'))).toHaveLength(0);
  });

  it('matches fields inside one array element together', async () => {
    const manyOfA = rule({ trigger: { type: 'event', event: { detail: { properties: { items: { sku: ['A'], quantity: [{ numeric: ['>', 3] }] } } } } } });
    const manyOfB = rule({
      id: 'b',
      trigger: { type: 'event', event: { detail: { properties: { items: { sku: ['B'], quantity: [{ numeric: ['>', 3] }] } } } } },
    });
    expect((await requestsFor([manyOfA, manyOfB], update('order.completed'))).map((request) => request.ruleId)).toEqual(['b']);
  });

  it('fires only when the profile conditions hold after the event', async () => {
    const repeatBuyers = rule({ conditions: { orderCount: [{ numeric: ['>=', 2] }] } });
    expect(await requestsFor([repeatBuyers], update('order.completed', 'e', { orderCount: 1 }))).toHaveLength(0);
    expect(await requestsFor([repeatBuyers], update('order.completed', 'e', { orderCount: 2 }))).toHaveLength(1);
  });

  it('fires only inside its active dates', async () => {
    const campaign = rule({ activeFrom: '2026-12-01T00:00:00Z', activeUntil: '2026-12-25T00:00:00Z' });
    const index = [campaign];
    expect(await requestsFor(index, update('order.completed'), new Date('2026-11-30T23:59:59Z'))).toHaveLength(0);
    expect(await requestsFor(index, update('order.completed'), new Date('2026-12-10T00:00:00Z'))).toHaveLength(1);
    expect(await requestsFor(index, update('order.completed'), new Date('2026-12-25T00:00:00Z'))).toHaveLength(0);
  });

  it('never fires a disabled rule', async () => {
    expect(await requestsFor([rule({ enabled: false })], update('order.completed'))).toEqual([]);
  });

  it('finds the same rules through the index as by testing every rule', async () => {
    const rules = [
      rule({ id: 'a' }),
      rule({ id: 'b', trigger: { type: 'event', event: { source: ['nudge.intake'] } } }),
      rule({
        id: 'c',
        trigger: { type: 'event', event: { 'detail-type': ['order.completed'], detail: { properties: { total: { currency: ['USD', 'EUR'] } } } } },
      }),
      rule({ id: 'd', trigger: { type: 'event', event: { 'detail-type': ['cart.updated'] } } }),
      rule({ id: 'e', trigger: { type: 'event', event: { $or: [{ 'detail-type': ['order.completed'] }, { source: ['x'] }] } } }),
      rule({ id: 'f', trigger: { type: 'event', event: { 'detail-type': [{ prefix: 'order.' }] } } }),
    ];
    expect((await requestsFor(rules, update('order.completed'))).map((request) => request.ruleId).sort()).toEqual(['a', 'b', 'c', 'e', 'f']);
  });
});

describe('cooldown and re-entry', () => {
  const fired = (at: string, messageId = 'msg_old'): RuleState => ({ firedCount: 1, lastFiredAt: at, lastMessageId: messageId });

  it('admits a person the rule never messaged', () => {
    expect(admit(rule({}), undefined, 'msg_new', now.getTime())).toEqual({ kind: 'admit' });
  });

  it('holds back a second message inside the cooldown, and lets it through after', () => {
    const daily = rule({ cooldown: '24h' });
    expect(admit(daily, fired('2026-11-21T12:00:01.000Z'), 'msg_new', now.getTime())).toEqual({ kind: 'refuse', reason: 'cooldown' });
    expect(admit(daily, fired('2026-11-21T12:00:00.000Z'), 'msg_new', now.getTime())).toEqual({ kind: 'admit' });
  });

  it('messages a person once, ever, when re-entry is "once"', () => {
    expect(admit(rule({ reentry: 'once' }), fired('2020-01-01T00:00:00.000Z'), 'msg_new', now.getTime())).toEqual({ kind: 'refuse', reason: 'once' });
  });

  it('treats the same trigger again as a repeat, not a new message, even inside the cooldown', () => {
    expect(admit(rule({ cooldown: '7d', reentry: 'once' }), fired(now.toISOString(), 'msg_same'), 'msg_same', now.getTime())).toEqual({ kind: 'repeat' });
  });

  it('counts what the rule sent', () => {
    expect(stateAfter(stateAfter(undefined, 'm1', now.getTime()), 'm2', now.getTime())).toEqual({
      firedCount: 2,
      lastFiredAt: now.toISOString(),
      lastMessageId: 'm2',
    });
  });

  it('reads durations as marketers write them', () => {
    expect([durationMillis('30m'), durationMillis('24h'), durationMillis('7d'), durationMillis('2w')]).toEqual([
      1_800_000, 86_400_000, 604_800_000, 1_209_600_000,
    ]);
    expect(
      Rule.safeParse({ id: 'x', name: 'X', trigger: { type: 'event', event: { source: ['a'] } }, channel: 'email', template: 't', cooldown: '1 day' }).success,
    ).toBe(false);
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
    const result = readRules(dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toEqual([
      { file: 'a-broken.json', path: '', message: expect.stringContaining('not valid JSON') },
      { file: 'b-bad-operator.json', path: 'trigger.event.detail.x[0]', message: expect.stringContaining('unknown operator "nope"') },
      { file: 'c-wrong-type.json', path: 'enabled', message: expect.any(String) },
    ]);
  });

  it('refuses two rules with one id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-rules-'));
    const body = JSON.stringify({ id: 'same', name: 'S', trigger: { type: 'event', event: { source: ['a'] } }, channel: 'email', template: 't' });
    writeFileSync(join(dir, 'one.json'), body);
    writeFileSync(join(dir, 'two.json'), body);
    expect(readRules(dir)).toEqual({ ok: false, error: [{ file: 'two.json', path: 'id', message: 'id "same" is already used by one.json' }] });
  });
});
