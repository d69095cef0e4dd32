import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busNeedsOf } from '#project/bus-needs.js';
import { readProject } from '#project/load-project.js';
import { compileRule, Rule } from '#services/rules/core/rule.js';
import type { Evaluation } from '#services/rules/engine.js';
import { nextWave } from '#services/rules/kinds/time.js';
import { decisionCounts } from '#services/rules/metrics.js';
import { maxRuleDimensions } from '#shared/observability.js';
import { recurringSchedules } from '#shared/topology.js';
import { copyOfProject, projectDir, writeRule } from '../support/fixtures.js';

const compiled = (id: string, trigger: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  compileRule(Rule.parse({ id, name: id, trigger, channel: 'email', template: 't', ...extra }));

describe('what each trigger kind says about itself', () => {
  const event = compiled('thanks', { type: 'event', event: { 'detail-type': ['order.completed'] } });
  const windowed = compiled('thanks-by-day', { type: 'event', event: { 'detail-type': ['order.completed'] } }, { sendWindow: { from: '09:00', to: '20:00' } });
  const sequence = compiled('checkout', {
    type: 'sequence',
    key: 'detail.properties.checkoutId',
    steps: [{ event: { 'detail-type': ['checkout.started'] } }],
    absent: { event: { 'detail-type': ['order.completed'] }, within: '1h' },
  });
  const birthday = compiled('birthday', { type: 'time', date: 'birthday', at: '09:00' });
  const weekly = compiled('weekly', { type: 'time', cron: 'cron(0 9 ? * MON *)', timeZone: 'Europe/Berlin' });
  const delay = compiled('review', { type: 'time', after: { event: { 'detail-type': ['order.completed'] } }, delay: '7d' });
  const dwell = compiled('dwell', { type: 'place', on: 'dwell', geofences: ['store'], dwell: '10m' });
  const visit = compiled('visit', { type: 'place', on: 'visit', stores: ['berlin'] });

  it('gives the patterns the engine routes on, with where they are in the rule file', () => {
    expect([event, sequence, delay, dwell, visit, birthday, weekly].map((rule) => rule.trigger.patterns.map((pattern) => pattern.path))).toEqual([
      ['trigger.event'],
      ['trigger.steps.0.event', 'trigger.absent.event'],
      ['trigger.after.event'],
      ['trigger'],
      ['trigger.stores'],
      [],
      [],
    ]);
    expect(birthday.trigger.watches).toEqual(['birthday', 'timeZone']);
  });

  it('says which rules wait on timers and which run on a schedule', () => {
    expect([event, windowed, sequence, birthday, weekly, delay, dwell, visit].map((rule) => rule.trigger.waits)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(busNeedsOf([event, visit]).timers).toBe(false);
    expect(busNeedsOf([event, weekly]).schedules).toEqual([{ ruleId: 'weekly', cron: 'cron(0 9 ? * MON *)', timeZone: 'Europe/Berlin' }]);
  });

  it('gives the bus the updates it needs: an event rule with its conditions, a date rule on a changed date', () => {
    const vip = compiled('vip', { type: 'event', event: { 'detail-type': ['order.completed'] } }, { conditions: { orderCount: [{ numeric: ['>=', 5] }] } });
    expect(busNeedsOf([vip, birthday, compiled('off', { type: 'event', event: { source: ['x'] } }, { enabled: false })]).feed).toEqual([
      { detail: { trigger: { 'detail-type': ['order.completed'] }, profile: { orderCount: [{ numeric: ['>=', 5] }] } } },
      { detail: { changed: ['birthday', 'timeZone'] } },
    ]);
  });
});

describe('a one-off broadcast at a local time in each person’s time zone', () => {
  const broadcast = compiled('black-friday', { type: 'time', once: '2026-11-27T09:00' });
  const waves = busNeedsOf([broadcast]).schedules[0] as { ruleId: string; waves: readonly number[] };

  it('runs in one wave per distinct offset where 09:00 comes, from UTC+14 to UTC-12, and needs timers', () => {
    expect(broadcast.trigger.waits).toBe(true);
    expect(waves.ruleId).toBe('black-friday');
    const utc = waves.waves.map((wave) => new Date(wave).toISOString());
    expect(utc[0]).toBe('2026-11-26T19:00:00.000Z');
    expect(utc.at(-1)).toBe('2026-11-27T21:00:00.000Z');
    expect(utc).toEqual(
      expect.arrayContaining(['2026-11-27T08:00:00.000Z', '2026-11-27T09:00:00.000Z', '2026-11-27T03:30:00.000Z', '2026-11-27T14:00:00.000Z']),
    );
    expect(new Set(utc).size).toBe(utc.length);
    expect([...utc].sort()).toEqual(utc);
  });

  it('schedules the first wave still to come, one at() in UTC, and each wave the next (none after the last)', () => {
    const now = Date.parse('2026-11-27T08:30:00Z');
    expect(recurringSchedules(busNeedsOf([broadcast]), now)).toEqual([
      {
        name: 'rule-black-friday',
        ruleId: 'black-friday',
        expression: 'at(2026-11-27T09:00:00)',
        timeZone: 'UTC',
        input: expect.stringContaining('"dueAt":"<aws.scheduler.scheduled-time>"'),
      },
    ]);
    expect(recurringSchedules(busNeedsOf([broadcast]), Date.parse('2026-11-28T00:00:00Z'))).toEqual([]);
    const schedule = broadcast.trigger.schedule;
    const chain: number[] = [];
    for (let wave = waves.waves[0]; wave !== undefined; wave = nextWave(schedule, wave)) chain.push(wave);
    expect(chain).toEqual(waves.waves);
    expect(nextWave(compiled('weekly', { type: 'time', cron: 'cron(0 9 ? * MON *)', timeZone: 'UTC' }).trigger.schedule, now)).toBeUndefined();
    const long = compiled('a'.repeat(64), { type: 'time', once: '2026-11-27T09:00' });
    expect(recurringSchedules(busNeedsOf([long]), now)[0]?.name.length).toBeLessThanOrEqual(64);
  });

  it('refuses a date that does not exist, a time with an offset, and "once" beside another form, naming the field', () => {
    const issues = (trigger: Record<string, unknown>) =>
      Rule.safeParse({ id: 'b', name: 'b', trigger, channel: 'email', template: 't' }).error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues({ type: 'time', once: '2026-02-30T09:00' })).toEqual([
      ['trigger.once', '"2026-02-30T09:00" is no date: use a real one, such as "2026-11-27T09:00"'],
    ]);
    expect(issues({ type: 'time', once: '2026-11-27T09:00+01:00' })?.[0]?.[0]).toBe('trigger.once');
    expect(issues({ type: 'time', once: '2026-11-27T09:00', cron: 'cron(0 9 ? * MON *)', timeZone: 'UTC' })?.[0]?.[1]).toMatch(/one of: .*"once"/);
  });
});

describe('rule decisions as metrics', () => {
  const evaluation: Evaluation = {
    requests: [{ ruleId: 'r1' } as Evaluation['requests'][number], { ruleId: 'r1' } as Evaluation['requests'][number]],
    refused: [{ ruleId: 'r2', profileId: 'p', reason: 'cooldown' }],
    unqualified: ['r3'],
    trail: [],
  };
  const rules = (count: number) => Array.from({ length: count }, (_, index) => compiled(`r${index + 1}`, { type: 'event', event: { source: ['x'] } }));

  it('counts per rule while the rules are few', () => {
    expect(decisionCounts(rules(3), evaluation)).toEqual([
      { dimensions: { Decision: 'fired', RuleId: 'r1' }, count: 2 },
      { dimensions: { Decision: 'cooldown', RuleId: 'r2' }, count: 1 },
      { dimensions: { Decision: 'conditions', RuleId: 'r3' }, count: 1 },
    ]);
  });

  it('counts per trigger type once there are more rules than metrics should have dimensions', () => {
    expect(decisionCounts(rules(maxRuleDimensions + 1), evaluation)).toEqual([
      { dimensions: { Decision: 'fired', TriggerType: 'event' }, count: 2 },
      { dimensions: { Decision: 'cooldown', TriggerType: 'event' }, count: 1 },
      { dimensions: { Decision: 'conditions', TriggerType: 'event' }, count: 1 },
    ]);
  });
});

describe('the project loader', () => {
  const copy = copyOfProject;

  it('loads the shipped project, compiled once', () => {
    const project = readProject(projectDir);
    expect(project.ok && project.value.rules.map(({ rule }) => rule.id)).toContain('abandoned-checkout');
    expect(project.ok && project.value.templates.has('thank-you')).toBe(true);
  });

  it('starts a handler on what the deploy would refuse only for being useless, and refuses what cannot run', () => {
    const dir = copy();
    writeRule(dir, {
      id: 'never',
      name: 'N',
      trigger: { type: 'event', event: { 'detail-type': ['order.shipped'] } },
      channel: 'email',
      template: 'thank-you',
    });
    expect(readProject(dir, { checks: 'run' }).ok).toBe(true);
    expect(readProject(dir)).toEqual({ ok: false, error: [expect.objectContaining({ file: 'never.json', path: 'trigger.event.detail-type' })] });
    writeFileSync(join(dir, 'config', 'dispatch.json'), '{ "caps": ');
    expect(readProject(dir, { checks: 'run' })).toEqual({
      ok: false,
      error: [{ file: 'config/dispatch.json', path: '', message: expect.stringContaining('not valid JSON') }],
    });
  });

  it('says which key a misspelt one most likely meant, in a rule and in its trigger', () => {
    const dir = copy();
    writeRule(dir, {
      id: 'typos',
      name: 'T',
      trigger: { type: 'sequence', stesp: [], absent: { event: { 'detail-type': ['order.completed'] }, within: '1h' } },
      channel: 'email',
      template: 'thank-you',
      cooldwn: '7d',
      zzzqqq: 1,
    });
    expect(readProject(dir, { checks: 'run' })).toEqual({
      ok: false,
      error: expect.arrayContaining([
        { file: 'typos.json', path: '', message: 'Unrecognized keys: "cooldwn" (did you mean "cooldown"?), "zzzqqq"' },
        { file: 'typos.json', path: 'trigger', message: expect.stringContaining('"stesp" (did you mean "steps"?)') },
      ]),
    });
  });
});
