import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/runtime.js';
import { nudgeAsync } from '../support/cli.js';
import { copyOfProject, projectDir, writeRule } from '../support/fixtures.js';

// A marketer edits rules and templates while `npm start` runs: each edit that validates runs at
// once; one that does not is told, with file and field, and the last good set keeps running.
let started: ChildProcess;
let output = '';
const project = copyOfProject();
const dataDir = mkdtempSync(join(tmpdir(), 'nudge-reload-'));
const ports: Record<string, number> = {};

/** Waits until `npm start` has printed `text` (after `from`), or says what it printed instead. */
async function printed(text: string | RegExp, from = 0, timeoutMillis = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const rest = output.slice(from);
    const at = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
    if (at >= 0) return from + at;
    if (Date.now() > deadline || started.exitCode !== null) throw new Error(`npm start did not print ${String(text)}; it printed:\n${rest}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

const inboxTo = async (address: string) => {
  const response = await fetch(`http://127.0.0.1:${ports.NUDGE_INBOX_PORT}/store`);
  const { emails } = (await response.json()) as { emails: { subject: string; destination: { to: string[] } }[] };
  return emails.filter((email) => email.destination.to.includes(address)).map((email) => email.subject);
};
const sendCheckout = (email: string) =>
  nudgeAsync(
    'send',
    'shopify',
    'checkouts/create',
    '--set',
    `email=${email}`,
    '--set',
    'first_name=Rita',
    '--endpoint',
    `http://127.0.0.1:${ports.NUDGE_HTTP_PORT}`,
    '--aws-endpoint',
    `http://127.0.0.1:${ports.NUDGE_AWS_PORT}`,
    '--data-dir',
    dataDir,
  );
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100 && !(await check()); attempt++) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
}

beforeAll(async () => {
  for (const name of ['NUDGE_HTTP_PORT', 'NUDGE_INBOX_PORT', 'NUDGE_AWS_PORT', 'NUDGE_DYNAMODB_PORT']) ports[name] = await freePort();
  started = spawn(process.execPath, ['--import', 'tsx', join(projectDir, 'local', 'start.ts')], {
    cwd: projectDir,
    env: {
      ...process.env,
      NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning',
      NUDGE_PROJECT_DIR: project,
      NUDGE_DATA_DIR: dataDir,
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  started.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await printed('Nudge is running locally', 0, 90_000);
}, 120_000);

afterAll(async () => {
  if (started.exitCode !== null) return;
  const exited = new Promise((resolveExit) => started.once('exit', resolveExit));
  started.kill('SIGINT');
  await exited;
}, 60_000);

describe('npm start with rules and templates edited while it runs', () => {
  it('lists the rules it loaded, and tells where they reload from', async () => {
    await printed(/Rules {6}13 from .*rules\/ \(reloaded when rules\/, templates\/ or config\/ change\): abandoned-checkout, back-in-stock, birthday/);
  });

  it('refuses a broken rule with its file and field, keeps the last good set, and runs the fixed rule at once', async () => {
    let from = output.length;
    const rule = {
      id: 'checkout-copy',
      name: 'A copy of every checkout',
      trigger: { type: 'event', event: { 'detail-type': ['checkout.started'] } },
      channel: 'email',
      tempalte: 'abandoned-checkout',
      purpose: 'transactional',
    };
    writeRule(project, rule);
    await printed('not reloaded after changes to rules/checkout-copy.json', from);
    await printed(/checkout-copy\.json.*tempalte.*did you mean "template"/, from);
    expect(output.slice(from)).not.toMatch(/TypeError|at .*\.ts:\d+/);

    // Still the shipped set: a checkout asks for no message at once.
    expect((await sendCheckout('rita.before@example.com')).status).toBe(0);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
    expect(await inboxTo('rita.before@example.com')).toEqual([]);

    from = output.length;
    const { tempalte, ...fixed } = rule;
    writeRule(project, { ...fixed, template: tempalte });
    await printed('reloaded after changes to rules/checkout-copy.json: 14 rules', from);
    expect((await sendCheckout('rita.after@example.com')).status).toBe(0);
    await eventually(async () => (await inboxTo('rita.after@example.com')).length > 0);
    expect(await inboxTo('rita.after@example.com')).toEqual(['You left something behind, Rita']);
  });

  it('sends with a template as it is after an edit, and keeps the last good one while the edit is broken', async () => {
    const file = join(project, 'templates', 'abandoned-checkout.liquid');
    const source = readFileSync(file, 'utf8');
    let from = output.length;
    writeFileSync(file, source.replace('<h1', '{% if %}<h1'));
    await printed('not reloaded after changes to templates/abandoned-checkout.liquid', from);
    expect((await sendCheckout('rita.broken@example.com')).status).toBe(0);
    await eventually(async () => (await inboxTo('rita.broken@example.com')).length > 0);
    expect(await inboxTo('rita.broken@example.com')).toEqual(['You left something behind, Rita']);

    from = output.length;
    writeFileSync(file, source.replace('subject: You left something behind,', 'subject: Still thinking about it,'));
    await printed('reloaded after changes to templates/abandoned-checkout.liquid', from);
    expect((await sendCheckout('rita.edited@example.com')).status).toBe(0);
    await eventually(async () => (await inboxTo('rita.edited@example.com')).length > 0);
    expect(await inboxTo('rita.edited@example.com')).toEqual(['Still thinking about it, Rita']);
  });

  it('sees every save of an editor that writes a copy and renames it over the file', async () => {
    const file = join(project, 'templates', 'abandoned-checkout.liquid');
    const source = readFileSync(file, 'utf8');
    for (const subject of ['First try,', 'Second try,']) {
      const from = output.length;
      writeFileSync(`${file}.swp.tmp`, source.replace(/subject: [^\n]*,/, `subject: ${subject}`));
      renameSync(`${file}.swp.tmp`, file);
      await printed('reloaded after changes to templates/abandoned-checkout.liquid', from);
    }
    expect((await sendCheckout('rita.renamed@example.com')).status).toBe(0);
    await eventually(async () => (await inboxTo('rita.renamed@example.com')).length > 0);
    expect(await inboxTo('rita.renamed@example.com')).toEqual(['Second try, Rita']);
  });

  it('schedules the first wave of a broadcast that nudge broadcast writes while it runs', async () => {
    const from = output.length;
    const at = `${new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)}T09:00`;
    const written = await nudgeAsync('broadcast', 'weekend-sale', '--at', at, '--template', 'we-miss-you', '--project', project);
    expect(written.status).toBe(0);
    await printed('reloaded after changes to rules/weekend-sale.json', from);
    const scheduled = async () =>
      (JSON.parse(readFileSync(join(dataDir, 'schedules.json'), 'utf8')) as { name: string; expression: string }[]).filter(
        (schedule) => schedule.name === 'rule-weekend-sale',
      );
    await eventually(async () => (await scheduled()).length > 0);
    // UTC+14's 09:00, the day before in UTC: the first wave; each wave's run schedules the next.
    const day = new Date(Date.parse(`${at}:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect((await scheduled()).map((schedule) => schedule.expression)).toEqual([`at(${day}T19:00:00)`]);
  });
});
