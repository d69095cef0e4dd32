import { compileRule, Rule } from '#services/rules/core/rule.js';
import { type Decision, explainDecision, inTrailOrder, trailEntries } from '#shared/decisions.js';
import { compilePattern } from '#shared/event-pattern/compile.js';
import { unmetConditions } from '#shared/event-pattern/index.js';
import { simulate } from '../../cli/simulate.js';
import { profileConfig } from '../support/fixtures.js';

// What `nudge why` reads: each decision of the rules engine about a person, with its reason.
const event = (id: string, type: string, email: string, at: string, properties: Record<string, unknown>) =>
  JSON.stringify({
    version: '0',
    id,
    source: 'nudge.intake',
    'detail-type': type,
    time: at.replace(/\.\d{3}Z$/, 'Z'),
    detail: {
      eventId: id,
      occurredAt: at,
      receivedAt: at,
      origin: { platform: 'shopify', shop: 'negozio.myshopify.com', topic: 'x' },
      identity: { email },
      traits: {},
      properties: { items: [], ...properties },
    },
  });
const checkout = (id: string, at: string, total = '64.90') =>
  event(id, 'checkout.started', 'giulia@example.it', at, { checkoutId: `chk-${id}`, total: { amount: total, currency: 'EUR' } });
const order = (id: string, at: string, checkoutId: string) =>
  event(id, 'order.completed', 'giulia@example.it', at, { orderId: id, checkoutId, total: { amount: '64.90', currency: 'EUR' } });

const reminder = compileRule(
  Rule.parse({
    id: 'reminder',
    name: 'reminder',
    trigger: {
      type: 'sequence',
      key: 'detail.properties.checkoutId',
      steps: [{ event: { 'detail-type': ['checkout.started'] } }],
      absent: { event: { 'detail-type': ['order.completed'] }, within: '1h' },
    },
    cooldown: '1d',
    channel: 'email',
    template: 'abandoned-checkout',
  }),
);
const bigSpenders = compileRule(
  Rule.parse({
    id: 'big-spenders',
    name: 'big spenders',
    trigger: { type: 'event', event: { 'detail-type': ['checkout.started'] } },
    conditions: { orderCount: [{ numeric: ['>=', 3] }], 'openCart.total.amount': [{ numeric: ['>=', 50] }] },
    channel: 'email',
    template: 'abandoned-checkout',
  }),
);

const words = (decisions: readonly Decision[]) => decisions.map((decision) => `${decision.ruleId} ${explainDecision(decision, 'Europe/Rome')}`);

describe('the decisions nudge why reads', () => {
  it('says a reminder waits, fires, is held by its cooldown, and is called off by the order', async () => {
    const report = await simulate(
      [reminder],
      [
        checkout('e1', '2026-11-02T10:00:00.000Z'),
        checkout('e2', '2026-11-02T12:00:00.000Z'),
        checkout('e3', '2026-11-05T10:00:00.000Z'),
        order('o3', '2026-11-05T10:20:00.000Z', 'chk-e3'),
      ].join('\n'),
      profileConfig,
      [],
      { horizonMillis: 86_400_000 },
    );
    expect(words(report.decisions)).toEqual([
      'reminder waiting for its time: due 2026-11-02 12:00 Europe/Rome',
      expect.stringMatching(/^reminder fired: asked for message msg_\w+ \(template abandoned-checkout\)$/),
      'reminder waiting for its time: due 2026-11-02 14:00 Europe/Rome',
      expect.stringMatching(/^reminder held by the rule’s cooldown$/),
      'reminder waiting for its time: due 2026-11-05 12:00 Europe/Rome',
      'reminder called off before it was due (by order.completed)',
    ]);
    expect(report.decisions.map((decision) => new Date(decision.at).toISOString())).toEqual([
      '2026-11-02T10:00:00.000Z',
      '2026-11-02T11:00:00.000Z',
      '2026-11-02T12:00:00.000Z',
      '2026-11-02T13:00:00.000Z',
      '2026-11-05T10:00:00.000Z',
      '2026-11-05T10:20:00.000Z',
    ]);
  });

  it('names the conditions a person did not meet', async () => {
    const report = await simulate([bigSpenders], checkout('e1', '2026-11-02T10:00:00.000Z', '40.00'), profileConfig);
    expect(words(report.decisions)).toEqual(['big-spenders the person did not meet the rule’s conditions (not met: orderCount, openCart.total.amount)']);
  });

  it('finds the closest branch of conditions, and nothing when they hold', () => {
    const pattern = compilePattern({ $or: [{ orderCount: [{ numeric: ['>=', 3] }], country: ['IT'] }, { segments: ['rfm:champions'] }] });
    if (!pattern.ok) throw new Error(pattern.error.message);
    // On a tie, the first branch.
    expect(unmetConditions(pattern.value, { orderCount: 1, country: 'IT', segments: [] })).toEqual(['orderCount']);
    expect(unmetConditions(pattern.value, { orderCount: 5, country: 'IT' })).toEqual([]);
    expect(unmetConditions(pattern.value, { orderCount: 1, country: 'DE', segments: ['x'] })).toEqual(['segments']);
  });

  it('says each reason of the gate in words, with the time in the person’s zone', () => {
    const at = Date.parse('2026-11-02T21:30:00.000Z');
    const decision = (kind: Decision['kind'], reason: string, until?: number): Decision => ({
      profileId: 'p',
      ruleId: 'r',
      kind,
      at,
      reason,
      ...(until ? { until } : {}),
    });
    expect(explainDecision(decision('deferred', 'quiet-hours', Date.parse('2026-11-03T07:00:00.000Z')), 'Europe/Rome')).toBe(
      'deferred by quiet hours until 2026-11-03 08:00 Europe/Rome',
    );
    expect(explainDecision(decision('suppressed', 'frequency-cap'), 'UTC')).toBe('suppressed by the frequency caps (messages a day or week)');
    expect(explainDecision(decision('suppressed', 'no-consent'), 'UTC')).toBe('suppressed: no consent for the channel');
    expect(explainDecision(decision('failed', 'RenderFailed'), 'UTC')).toBe('failed: RenderFailed');
    // A reason from a newer Nudge is shown as it is, never an error.
    expect(explainDecision(decision('held', 'constructor'), 'UTC')).toBe('held (constructor)');
  });
});

describe('the trail as it is kept', () => {
  const at = Date.parse('2026-11-02T10:00:00.000Z');
  const waiting: Decision = { profileId: 'p1', ruleId: 'reminder', kind: 'waiting', at, reason: 'timer', until: at + 3_600_000, instanceId: 'i1' };
  const fired: Decision = { profileId: 'p1', ruleId: 'thanks', kind: 'fired', at, messageId: 'm1' };
  const other: Decision = { profileId: 'p2', ruleId: 'thanks', kind: 'fired', at, messageId: 'm2' };

  it('keeps one entry per person and evaluation, the same one when an evaluation is decided again', () => {
    const entries = trailEntries([waiting, fired, other, waiting]);
    expect(entries.map((entry) => [entry.profileId, entry.decisions.length])).toEqual([
      ['p1', 2],
      ['p2', 1],
    ]);
    expect(trailEntries([fired, waiting])[0]?.sortKey).toBe(entries[0]?.sortKey);
    // Another evaluation at the same instant is another entry, not an overwrite.
    expect(trailEntries([waiting])[0]?.sortKey).not.toBe(entries[0]?.sortKey);
    expect(entries[0]?.sortKey).toMatch(/^2026-11-02T10:00:00\.000Z#[0-9a-f]{16}$/);
  });

  it('puts what dispatch made of a message after the rule that asked for it, at the same instant', () => {
    const sent: Decision = { profileId: 'p1', ruleId: 'thanks', kind: 'sent', at, messageId: 'm1' };
    expect([sent, fired].sort(inTrailOrder)).toEqual([fired, sent]);
  });
});
