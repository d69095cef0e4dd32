import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProject } from '#project/load-project.js';
import { Rule } from '#services/rules/core/rule.js';
import { eventFieldsMarkdown } from '../../cli/event-fields.js';
import { nudgeAsync } from '../support/cli.js';
import { copyOfProject, projectDir } from '../support/fixtures.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// docs/marketers.md, run as a marketer would follow it: every command, on a copy of the project.
const guide = readFileSync(join(projectDir, 'docs', 'marketers.md'), 'utf8');
const blockAfter = (marker: string): string[] =>
  [...guide.matchAll(new RegExp(`<!-- ${marker} -->\\n\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``, 'g'))].map((match) => match[1] as string);

describe('the marketers’ guide', () => {
  let runtime: TestRuntime | undefined;
  afterAll(() => runtime?.stop());

  it('lists the fields a rule can use as the contracts define them', () => {
    const listed = /<!-- fields:start -->\n([\s\S]*)\n<!-- fields:end -->/.exec(guide)?.[1];
    expect(listed).toBe(eventFieldsMarkdown());
  });

  it('describes every shipped rule, and the shipped rules have an example of every kind', () => {
    const files = readdirSync(join(projectDir, 'rules')).filter((file) => file.endsWith('.json') && file !== 'geofences.json');
    for (const file of files) expect(guide).toContain(`| \`${file}\` |`);
    const kinds = new Set(
      files.map((file) => (JSON.parse(readFileSync(join(projectDir, 'rules', file), 'utf8')) as { trigger: { type: string } }).trigger.type),
    );
    expect([...kinds].sort()).toEqual(['event', 'place', 'sequence', 'time']);
  });

  it('gives recipes that are whole, valid rules with the shipped templates', () => {
    const recipes = blockAfter('recipe');
    expect(recipes.length).toBeGreaterThanOrEqual(7);
    const dir = copyOfProject();
    for (const recipe of recipes) {
      const rule = Rule.parse(JSON.parse(recipe));
      writeFileSync(join(dir, 'rules', `${rule.id}.json`), recipe);
    }
    const project = readProject(dir);
    expect(project.ok ? [] : project.error).toEqual([]);
  });

  it('walks a marketer from a new rule to the reminder in the inbox, step by step', async () => {
    const dir = copyOfProject();
    cpSync(join(projectDir, 'samples'), join(dir, 'samples'), { recursive: true });
    const [rule] = blockAfter('walkthrough:rule');
    const [shipped] = blockAfter('walkthrough:shipped');
    if (rule === undefined || shipped === undefined) throw new Error('the guide lost its walkthrough');
    // 1. The rule file. 2. The line added next to "template" in the shipped reminder.
    writeFileSync(join(dir, 'rules', 'carrello-abbandonato.json'), rule);
    const shippedFile = join(dir, 'rules', 'abandoned-checkout.json');
    writeFileSync(shippedFile, readFileSync(shippedFile, 'utf8').replace(/\n(\s*)"template"/, `\n$1${shipped}\n$1"template"`));

    // 3. Check it.
    const validated = await nudgeAsync('rules', 'validate', '--project', dir);
    expect(validated).toMatchObject({
      status: 0,
      stdout: expect.stringContaining(
        'One message per person from group "checkout-reminders": carrello-abbandonato (priority 2) over abandoned-checkout (priority 1).',
      ),
    });

    // 4. Try it on recorded events: Giulia the Italian reminder (the shipped one held for her), Marco the shipped one, Sara nothing.
    const simulated = await nudgeAsync('rules', 'simulate', '--events', join(dir, 'samples', 'simulate', 'checkouts.ndjson'), '--project', dir, '--json');
    expect(simulated.status).toBe(0);
    const report = JSON.parse(simulated.stdout) as {
      messages: { ruleId: string; email: string; at: string }[];
      heldBack: { ruleId: string; reason: string }[];
    };
    const reminders = report.messages.filter((message) => message.ruleId === 'abandoned-checkout' || message.ruleId === 'carrello-abbandonato');
    expect(reminders.map((message) => [message.ruleId, message.email, message.at])).toEqual([
      ['abandoned-checkout', 'marco@example.it', '2026-11-02T11:05:00.000Z'],
      ['carrello-abbandonato', 'giulia@example.it', '2026-11-02T12:00:00.000Z'],
    ]);
    expect(report.heldBack).toContainEqual(expect.objectContaining({ ruleId: 'abandoned-checkout', reason: 'exclusive' }));

    // 5. See the email, with a partial profile.
    const giulia = join(dir, 'giulia.json');
    writeFileSync(giulia, '{ "firstName": "Giulia", "email": "giulia@example.it", "locale": "it-IT" }');
    expect(await nudgeAsync('templates', 'preview', 'abandoned-checkout', '--profile', giulia, '--project', dir)).toMatchObject({
      status: 0,
      stdout: expect.stringContaining('Subject: You left something behind, Giulia'),
    });

    // 6. Try it live: a sample checkout, the clock moved on.
    runtime = await startTestRuntime({ projectDir: dir });
    await clearInbox(runtime);
    const sent = await nudgeAsync(
      'send',
      'shopify',
      'checkouts/create',
      '--shop',
      'negozio.myshopify.com',
      '--set',
      'email=giulia@example.it',
      '--set',
      'first_name=Giulia',
      '--set',
      'total=64.90',
      '--set',
      'currency=EUR',
      '--endpoint',
      runtime.httpUrl,
      '--data-dir',
      runtime.dataDir,
    );
    expect(sent.status).toBe(0);
    await runtime.idle();
    expect(await nudgeAsync('clock', 'advance', '2h', '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });
    // Outside 9:00–20:00 in Rome (the shop's time zone) it waits for the opening: a day on, the
    // opening has come, whatever the hour the test starts at (the runtime's clock starts at the real time).
    expect(await nudgeAsync('clock', 'advance', '24h', '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });
    const toGiulia = (await inbox(runtime)).filter((email) => email.destination.to.includes('giulia@example.it'));
    expect(toGiulia.map((email) => [email.subject, email.from])).toEqual([['You left something behind, Giulia', 'Negozio Demo <ciao@negozio.example>']]);
    expect(toGiulia[0]?.body.html).toContain('Ricevi questa email perché acquisti da noi.');
  });
});
