import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { geofencesSchemaPath, geofencesSchemaText, ruleSchemaPath, ruleSchemaText } from '../../cli/rule-schema.js';
import { nudge } from '../support/cli.js';
import { projectDir } from '../support/fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'nudge-cli-'));
const file = (name: string, content: unknown) => {
  const path = join(scratch, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

function projectCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-project-'));
  for (const folder of ['rules', 'templates', 'schema', 'config']) cpSync(join(projectDir, folder), join(dir, folder), { recursive: true });
  return dir;
}

const rule = (overrides: Record<string, unknown>) => ({
  $schema: '../schema/rule.schema.json',
  id: 'welcome',
  name: 'Welcome',
  trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
  channel: 'email',
  template: 'thank-you',
  ...overrides,
});

describe('nudge test-pattern', () => {
  const event = file('event.json', { source: 'nudge.intake', 'detail-type': 'order.completed', detail: { properties: { total: { amount: '12.00' } } } });

  it('prints true and exits 0 when the pattern matches', () => {
    expect(
      nudge('test-pattern', '--pattern', file('match.json', { detail: { properties: { total: { amount: [{ prefix: '12' }] } } } }), '--event', event),
    ).toMatchObject({
      stdout: 'true\n',
      status: 0,
    });
  });

  it('prints false and exits 1 when it does not', () => {
    expect(nudge('test-pattern', '--pattern', file('nomatch.json', { source: ['other'] }), '--event', event)).toMatchObject({ stdout: 'false\n', status: 1 });
  });

  it('explains an invalid pattern and exits 2', () => {
    const result = nudge('test-pattern', '--pattern', file('invalid.json', { detail: { n: [{ numeric: ['>', 'ten'] }] } }), '--event', event);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('Invalid event pattern at detail.n[0].numeric[1]');
  });

  it('names a missing or unreadable file and exits 2', () => {
    const missing = nudge('test-pattern', '--pattern', join(scratch, 'nope.json'), '--event', event);
    expect(missing).toMatchObject({ status: 2, stderr: expect.stringContaining('Cannot read the pattern file') });
    const broken = nudge('test-pattern', '--pattern', file('broken.json', '{"a":'), '--event', event);
    expect(broken).toMatchObject({ status: 2, stderr: expect.stringContaining('is not valid JSON') });
  });

  it('has --help on every command', () => {
    for (const args of [[], ['test-pattern'], ['rules'], ['rules', 'validate'], ['rules', 'simulate'], ['rules', 'schema']]) {
      const result = nudge(...args, '--help');
      expect([args.join(' '), result.status]).toEqual([args.join(' '), 0]);
      expect(result.stdout).toMatch(/^Usage: nudge/);
    }
  });
});

describe('nudge rules validate', () => {
  it('accepts the shipped rules', () => {
    expect(nudge('rules', 'validate')).toMatchObject({ status: 0, stdout: expect.stringContaining('valid') });
  });

  it('gives one clear error per problem, with file and path', () => {
    const project = projectCopy();
    writeFileSync(join(project, 'rules', 'a-bad-json.json'), '{ "id": ');
    writeFileSync(
      join(project, 'rules', 'b-unknown-operator.json'),
      JSON.stringify(rule({ id: 'b', trigger: { type: 'event', event: { detail: { x: [{ between: [1, 2] }] } } } })),
    );
    writeFileSync(join(project, 'rules', 'c-wrong-type.json'), JSON.stringify(rule({ id: 'c', cooldown: 24 })));
    writeFileSync(join(project, 'rules', 'd-missing-template.json'), JSON.stringify(rule({ id: 'd', template: 'nope' })));
    const result = nudge('rules', 'validate', '--project', project);
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      '3 problems:',
      'a-bad-json.json: not valid JSON: line 1, column 9: the file ends before the JSON does',
      expect.stringMatching(/^b-unknown-operator\.json at trigger\.event\.detail\.x\[0\]: invalid event pattern: unknown operator "between"/),
      expect.stringMatching(/^c-wrong-type\.json at cooldown: /),
      '',
    ]);
    // Once the files parse, the template check runs too.
    writeFileSync(join(project, 'rules', 'a-bad-json.json'), JSON.stringify(rule({ id: 'a' })));
    writeFileSync(join(project, 'rules', 'b-unknown-operator.json'), JSON.stringify(rule({ id: 'b' })));
    writeFileSync(join(project, 'rules', 'c-wrong-type.json'), JSON.stringify(rule({ id: 'c' })));
    expect(nudge('rules', 'validate', '--project', project).stderr).toBe(
      '1 problem:\nd-missing-template.json at template: no template templates/nope.liquid; create it or fix the name\n',
    );
  });

  it('finds patterns that can never match and template variables nothing supplies', () => {
    const project = projectCopy();
    writeFileSync(
      join(project, 'rules', 'never.json'),
      JSON.stringify(
        rule({
          trigger: { type: 'event', event: { 'detail-type': ['order.placed'], detail: { properties: { totl: [{ exists: true }] } } } },
          conditions: { orderCnt: [{ numeric: ['>', 1] }] },
        }),
      ),
    );
    writeFileSync(
      join(project, 'templates', 'uses-missing.liquid'),
      '---\nsubject: Hi {{ profile.nickname }}\n---\n{{ event.properties.coupon }} {{ store.name }} {{ shop.name }}',
    );
    writeFileSync(join(project, 'rules', 'vars.json'), JSON.stringify(rule({ id: 'vars', template: 'uses-missing' })));
    const lines = nudge('rules', 'validate', '--project', project).stderr.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^never\.json at trigger\.event\.detail-type: can never match: no customer event is called "order\.placed"/),
        expect.stringMatching(/^never\.json at trigger\.event\.detail\.properties\.totl: can never match: order\.placed has no field/),
        'never.json at conditions.orderCnt: can never match: profiles have no field "orderCnt"',
        'vars.json at template: templates/uses-missing.liquid uses {{ profile.nickname }}, which the profile cannot supply',
        'vars.json at template: templates/uses-missing.liquid uses {{ event.properties.coupon }}, which order.completed cannot supply',
        'vars.json at template: templates/uses-missing.liquid uses {{ store.name }}, which Nudge (use profile, event, rule, shop, language, copy, unsubscribeUrl, coupon.<pool>, recommendations) cannot supply',
      ]),
    );
  });
});

describe('nudge rules validate: A/B variants', () => {
  it("checks that every variant's template exists and is for the variant's channel, and that a subject parses", () => {
    const project = projectCopy();
    writeFileSync(
      join(project, 'rules', 'ab.json'),
      JSON.stringify(
        rule({
          id: 'ab',
          variants: [
            { id: 'a', weight: 50, subject: 'Thanks {{ profile.firstName' },
            { id: 'b', weight: 50, template: 'no-such-template' },
            { id: 'c', weight: 1, channel: 'sms', template: 'thank-you' },
          ],
        }),
      ),
    );
    const lines = nudge('rules', 'validate', '--project', project).stderr.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ab\.json at variants\.0\.subject: the subject is not valid Liquid/),
        'ab.json at variants.1.template: no template templates/no-such-template.liquid; create it or fix the name',
        'ab.json at variants.2.template: templates/thank-you.liquid is for email, and variant "c" sends sms',
      ]),
    );
  });
});

describe('nudge rules validate: configuration', () => {
  it('checks config/measurement.json and config/dispatch.json before a deploy, naming the file and the field', () => {
    const project = projectCopy();
    mkdirSync(join(project, 'config'), { recursive: true });
    writeFileSync(join(project, 'config', 'measurement.json'), JSON.stringify({ attribution: { afterSendDays: -1 }, holdout: { windowDays: 5, extra: 1 } }));
    writeFileSync(join(project, 'config', 'dispatch.json'), '{ "consent": ');
    const lines = nudge('rules', 'validate', '--project', project).stderr.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config\/dispatch\.json: not valid JSON/),
        expect.stringMatching(/^config\/measurement\.json at attribution\.afterSendDays: /),
        expect.stringMatching(/^config\/measurement\.json at holdout: .*extra/),
      ]),
    );
  });
});

describe('rule JSON Schema', () => {
  it('is committed and up to date (regenerate with: npm run nudge -- rules schema)', () => {
    expect(readFileSync(join(projectDir, ruleSchemaPath), 'utf8')).toBe(ruleSchemaText());
    expect(readFileSync(join(projectDir, geofencesSchemaPath), 'utf8')).toBe(geofencesSchemaText());
  });

  it('is referenced by every rule file', () => {
    const result = nudge('rules', 'validate');
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(join(projectDir, 'rules', 'geofences.json'), 'utf8')).$schema).toBe('../schema/geofences.schema.json');
    for (const name of readdirSync(join(projectDir, 'rules')).filter((entry) => entry.endsWith('.json') && entry !== 'geofences.json')) {
      expect(JSON.parse(readFileSync(join(projectDir, 'rules', name), 'utf8')).$schema).toBe('../schema/rule.schema.json');
    }
  });
});

describe('nudge broadcast', () => {
  const future = `${new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)}T09:00`;

  it('writes the broadcast as a rule file that validates, and says when its waves run', () => {
    const dir = projectCopy();
    const out = nudge('broadcast', 'black-friday', '--at', future, '--template', 'we-miss-you', '--segment', 'at-risk', '--project', dir);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(
      /It runs in 38 waves, one for each time zone's 09:00, from .* UTC to .* UTC; each person is messaged at most once, at their own 09:00\./,
    );
    const written = JSON.parse(readFileSync(join(dir, 'rules', 'black-friday.json'), 'utf8'));
    expect(written).toMatchObject({
      id: 'black-friday',
      trigger: { type: 'time', once: future },
      conditions: { rfm: { segment: ['at-risk'] } },
      template: 'we-miss-you',
    });
    expect(nudge('rules', 'validate', '--project', dir).status).toBe(0);
    // The same id again: refused unless --force.
    expect(nudge('broadcast', 'black-friday', '--at', future, '--template', 'we-miss-you', '--project', dir)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('rules/black-friday.json exists'),
    });
  });

  it('leaves the rules as they were when the broadcast would not validate, or its time has passed everywhere', () => {
    const dir = projectCopy();
    const unknown = nudge('broadcast', 'sale', '--at', future, '--template', 'no-such-template', '--project', dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('sale.json at template: no template templates/no-such-template.liquid');
    const past = nudge('broadcast', 'sale', '--at', '2025-11-28T09:00', '--template', 'we-miss-you', '--project', dir);
    expect(past).toMatchObject({ status: 2, stderr: expect.stringContaining('has passed in every time zone') });
    expect(nudge('broadcast', 'sale', '--at', '28/11 9am', '--template', 'we-miss-you', '--project', dir)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('--at takes a local date and time'),
    });
    expect(nudge('broadcast', 'sale', '--at', '2027-02-30T09:00', '--template', 'we-miss-you', '--project', dir)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('2027-02-30T09:00 is no date'),
    });
    expect(nudge('broadcast', '../outside', '--at', future, '--template', 'we-miss-you', '--project', dir)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('is not a rule id'),
    });
    expect(readdirSync(join(dir, 'rules'))).not.toContain('sale.json');
    expect(readdirSync(dir)).not.toContain('outside.json');
  });
});
