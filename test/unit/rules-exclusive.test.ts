import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProject } from '#project/load-project.js';
import { DispatchPolicy } from '#services/dispatch/core/gate.js';
import { compileRule, Rule } from '#services/rules/core/rule.js';
import { RuleEngine } from '#services/rules/engine.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import { formatReport, simulate } from '../../cli/simulate.js';
import { MemoryFirings, MemoryProfiles, MemoryTimers, MemoryTriggerStates } from '../../cli/simulator-ports.js';
import { nudge } from '../support/cli.js';
import { copyOfProject, profileConfig, writeRule } from '../support/fixtures.js';

// Two abandoned-checkout reminders, the shipped one and an Italian one, in one exclusive group:
// a person gets one of them, the Italian one when both fire at once.
const reminder = (id: string, within: string, priority: number) =>
  compileRule(
    Rule.parse({
      id,
      name: id,
      trigger: {
        type: 'sequence',
        key: 'detail.properties.checkoutId',
        steps: [{ event: { 'detail-type': ['checkout.started'] } }],
        absent: { event: { 'detail-type': ['order.completed'] }, within },
      },
      exclusive: { group: 'checkout-reminders', priority },
      channel: 'email',
      template: 'abandoned-checkout',
    }),
  );

const checkout = (id: string, email: string, at: string) =>
  JSON.stringify({
    version: '0',
    id,
    source: 'nudge.intake',
    'detail-type': 'checkout.started',
    time: at.replace(/\.\d{3}Z$/, 'Z'),
    detail: {
      eventId: id,
      occurredAt: at,
      receivedAt: at,
      origin: { platform: 'shopify', shop: 'negozio.myshopify.com', topic: 'checkouts/create' },
      identity: { email },
      traits: {},
      properties: { checkoutId: `chk-${id}`, total: { amount: '64.90', currency: 'EUR' }, items: [] },
    },
  });

describe('exclusive groups', () => {
  it('sends the higher priority when both fire on the same event or for the same checkout, whichever falls due first; again after the hold', async () => {
    const onCheckout = (id: string, priority: number) =>
      compileRule(
        Rule.parse({
          id,
          name: id,
          trigger: { type: 'event', event: { 'detail-type': ['checkout.started'] } },
          exclusive: { group: 'checkout-reminders', priority },
          channel: 'email',
          template: 'abandoned-checkout',
        }),
      );
    const shipped = onCheckout('abandoned-checkout', 1);
    const italian = onCheckout('carrello-abbandonato', 2);
    const stream = [
      checkout('e1', 'giulia@example.it', '2026-11-02T10:00:00.000Z'),
      checkout('e2', 'giulia@example.it', '2026-11-02T18:00:00.000Z'),
      checkout('e3', 'giulia@example.it', '2026-11-04T10:00:00.000Z'),
    ].join('\n');
    const atOnce = await simulate([shipped, italian], stream, profileConfig);
    expect(atOnce.messages.map((message) => [message.ruleId, message.at])).toEqual([
      ['carrello-abbandonato', '2026-11-02T10:00:00.000Z'],
      ['carrello-abbandonato', '2026-11-04T10:00:00.000Z'],
    ]);
    // The second checkout, 8 hours later, is within the group's 24 hours: both are held.
    expect(atOnce.heldBack.map((held) => [held.ruleId, held.at])).toEqual([
      ['abandoned-checkout', '2026-11-02T10:00:00.000Z'],
      ['abandoned-checkout', '2026-11-02T18:00:00.000Z'],
      ['carrello-abbandonato', '2026-11-02T18:00:00.000Z'],
      ['abandoned-checkout', '2026-11-04T10:00:00.000Z'],
    ]);
    expect(formatReport(atOnce, [shipped, italian])).toContain(
      'held back: another rule of the group "checkout-reminders" sends this person one message (priority 1)',
    );

    // Reminders an hour apart for the same checkout: the first to fall due waits for the preferred one, which sends.
    const apart = await simulate(
      [reminder('abandoned-checkout', '1h', 1), reminder('carrello-abbandonato', '2h', 2)],
      checkout('e1', 'giulia@example.it', '2026-11-02T10:00:00.000Z'),
      profileConfig,
      [],
      {
        horizonMillis: 86_400_000,
      },
    );
    expect(apart.messages.map((message) => [message.ruleId, message.at])).toEqual([['carrello-abbandonato', '2026-11-02T12:00:00.000Z']]);
    expect(apart.heldBack.map((held) => [held.ruleId, held.reason, held.at])).toEqual([['abandoned-checkout', 'exclusive', '2026-11-02T11:00:00.000Z']]);
    // Per person and checkout: two people, each gets the preferred reminder.
    const ordered = await simulate(
      [reminder('abandoned-checkout', '1h', 1), reminder('carrello-abbandonato', '2h', 2)],
      [checkout('e1', 'giulia@example.it', '2026-11-02T10:00:00.000Z'), checkout('e9', 'marco@example.it', '2026-11-02T10:00:00.000Z')].join('\n'),
      profileConfig,
      [],
      { horizonMillis: 86_400_000 },
    );
    expect(ordered.messages.map((message) => [message.email, message.ruleId])).toEqual([
      ['giulia@example.it', 'carrello-abbandonato'],
      ['marco@example.it', 'carrello-abbandonato'],
    ]);
  });

  it('does not hold a rule for a preferred one that would not send: its conditions unmet, or its cooldown', async () => {
    const vipOnly = compileRule(
      Rule.parse({
        id: 'vip-checkout',
        name: 'vip',
        trigger: {
          type: 'sequence',
          key: 'detail.properties.checkoutId',
          steps: [{ event: { 'detail-type': ['checkout.started'] } }],
          absent: { event: { 'detail-type': ['order.completed'] }, within: '2h' },
        },
        conditions: { segments: ['vip'] },
        exclusive: { group: 'checkout-reminders', priority: 5 },
        channel: 'email',
        template: 'abandoned-checkout',
      }),
    );
    const report = await simulate(
      [reminder('abandoned-checkout', '1h', 1), vipOnly],
      checkout('e1', 'giulia@example.it', '2026-11-02T10:00:00.000Z'),
      profileConfig,
      [],
      {
        horizonMillis: 86_400_000,
      },
    );
    expect(report.messages.map((message) => [message.ruleId, message.at])).toEqual([['abandoned-checkout', '2026-11-02T11:00:00.000Z']]);
  });

  it('lets exactly one through when the group’s rules are decided at the same time in separate deliveries', async () => {
    const firings = new MemoryFirings();
    const profile = { profileId: 'p-race', email: 'race@example.it' } as Profile;
    const engineFor = (): RuleEngine =>
      new RuleEngine([reminder('abandoned-checkout', '1h', 1), reminder('carrello-abbandonato', '1h', 2)], {
        states: new MemoryTriggerStates(),
        firings,
        timers: new MemoryTimers(),
        profiles: new MemoryProfiles(new Map()),
        geofences: new Map(),
      });
    const now = Date.parse('2026-11-02T11:00:00.000Z');
    const candidate = (engine: RuleEngine, index: number) => {
      const rule = engine.rules[index];
      if (rule === undefined) throw new Error('no rule');
      return {
        rule,
        request: { profileId: profile.profileId, messageId: `msg-${rule.rule.id}`, ruleId: rule.rule.id, context: { profile, event: {} } } as MessageRequested,
      };
    };
    // Two deliveries, one per rule, each with its own engine (as two Lambda invocations), at once.
    const [first, second] = await Promise.all(
      [0, 1].map((index) => {
        const engine = engineFor();
        return engine.admit([candidate(engine, index)], now);
      }),
    );
    const sent = [...(first?.requests ?? []), ...(second?.requests ?? [])];
    const held = [...(first?.refused ?? []), ...(second?.refused ?? [])];
    expect(sent).toHaveLength(1);
    expect(held).toEqual([expect.objectContaining({ reason: 'exclusive' })]);
  });

  it('shows the groups in validation, and refuses a tie and a group of one', () => {
    const dir = copyOfProject();
    const write = (id: string, exclusive: Record<string, unknown>) =>
      writeFileSync(
        join(dir, 'rules', `${id}.json`),
        JSON.stringify({
          id,
          name: id,
          trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
          exclusive,
          channel: 'email',
          template: 'thank-you',
        }),
      );
    write('first', { group: 'thanks', priority: 2 });
    write('second', { group: 'thanks', priority: 1 });
    const shown = nudge('rules', 'validate', '--project', dir);
    expect(shown).toMatchObject({
      status: 0,
      stdout: expect.stringContaining('One message per person from group "thanks": first (priority 2) over second (priority 1).'),
    });

    write('third', { group: 'thanks', priority: 2, within: '1h' });
    write('alone', { group: 'nobody-else', priority: 1 });
    const project = readProject(dir);
    expect(project.ok ? [] : project.error).toEqual(
      expect.arrayContaining([
        { file: 'third.json', path: 'exclusive.priority', message: expect.stringContaining('"first" in the group "thanks" has the same priority (2)') },
        { file: 'alone.json', path: 'exclusive.group', message: expect.stringContaining('no other rule is in the group "nobody-else"') },
        { file: 'third.json', path: 'exclusive.within', message: expect.stringContaining('the group "thanks" holds for one time') },
      ]),
    );
  });

  it('warns, and still validates, a checkout sequence without a key: one sequence per person is seldom what is meant', () => {
    const dir = copyOfProject();
    writeRule(dir, {
      id: 'no-key',
      name: 'no key',
      trigger: {
        type: 'sequence',
        steps: [{ event: { 'detail-type': ['checkout.started'] } }],
        absent: { event: { 'detail-type': ['order.completed'] }, within: '1h' },
      },
      channel: 'email',
      template: 'abandoned-checkout',
    });
    const project = readProject(dir);
    expect(project.ok && project.value.warnings).toEqual([
      { file: 'no-key.json', path: 'trigger', severity: 'warning', message: expect.stringContaining('add "key": "detail.properties.checkoutId"') },
    ]);
    const shown = nudge('rules', 'validate', '--project', dir);
    expect(shown).toMatchObject({ status: 0, stderr: expect.stringContaining('warning: no-key.json at trigger: no "key"') });
  });

  it('runs the send gate in the simulator: caps, quiet hours and consent, in words, with people by email and times in their zone', async () => {
    const everyCheckout = compileRule(
      Rule.parse({
        id: 'every-checkout',
        name: 'every checkout',
        trigger: { type: 'event', event: { 'detail-type': ['checkout.started'] } },
        channel: 'email',
        template: 'abandoned-checkout',
      }),
    );
    const policy = {
      consent: { email: 'not-unsubscribed' as const },
      caps: { perDay: 2, perWeek: 5 },
      quietHours: { from: '21:00', to: '08:00' },
      defaultTimeZone: 'UTC',
      sms: {},
      webhooks: {},
    };
    const italian = (id: string, at: string) => {
      const line = JSON.parse(checkout(id, 'giulia@example.it', at));
      line.detail.traits = { timeZone: 'Europe/Rome' };
      return JSON.stringify(line);
    };
    const stream = [
      italian('g1', '2026-11-02T10:00:00.000Z'),
      italian('g2', '2026-11-02T11:00:00.000Z'),
      italian('g3', '2026-11-02T12:00:00.000Z'),
      italian('g4', '2026-11-03T21:30:00.000Z'),
    ].join('\n');
    const report = await simulate([everyCheckout], stream, profileConfig, [], { policy: DispatchPolicy.parse(policy) });
    expect(report.messages.map((message) => [message.local, message.gate])).toEqual([
      ['2026-11-02 11:00 Europe/Rome', { outcome: 'send' }],
      ['2026-11-02 12:00 Europe/Rome', { outcome: 'send' }],
      ['2026-11-02 13:00 Europe/Rome', { outcome: 'suppress', reason: 'frequency-cap' }],
      ['2026-11-03 22:30 Europe/Rome', { outcome: 'defer', reason: 'quiet-hours', until: '2026-11-04T07:00:00.000Z' }],
    ]);
    const text = formatReport(report, [everyCheckout]);
    expect(text).toContain('2026-11-02T12:00:00.000Z (2026-11-02 13:00 Europe/Rome)  giulia@example.it  after checkout.started g3  → not sent');
    expect(text).toContain('→ not sent: already got as many marketing messages as the caps allow');
    expect(text).toContain('→ waits for the end of quiet hours, 2026-11-04T07:00:00.000Z');
  });
});
