import { join, relative, resolve } from 'node:path';
import { formatProblems } from '#project/problem.js';
import { stopOrphanedDynamoDbLocal } from './dynamodb-local.js';
import { choosePorts } from './ports.js';
import { watchProject } from './project-watch.js';
import { localShopifySecret, runningOwner, startLocalRuntime } from './runtime.js';

// The rules, templates and config it runs: this repository's, or those of NUDGE_PROJECT_DIR.
const projectDir = resolve(process.env.NUDGE_PROJECT_DIR ?? resolve(import.meta.dirname, '..'));

const dataDir = process.env.NUDGE_DATA_DIR ?? resolve(projectDir, '.local');

// Each port, and the variable that moves it; a port that is taken or not a port stops the start
// here, saying which and what to set, before anything is started. A DynamoDB Local that a killed
// start left running on this data folder is stopped first: its port is this start's to take.
const owner = runningOwner(dataDir);
if (owner !== undefined) {
  console.error(
    `Nudge already runs on ${dataDir} (pid ${owner}); stop it first (Ctrl-C in its terminal), or start another with its own NUDGE_DATA_DIR and ports.`,
  );
  process.exit(1);
}
await stopOrphanedDynamoDbLocal(join(dataDir, 'dynamodb'));
const ports = { NUDGE_HTTP_PORT: 3000, NUDGE_INBOX_PORT: 8005, NUDGE_AWS_PORT: 4010, NUDGE_DYNAMODB_PORT: 8000 };
const chosen = await choosePorts(ports, process.env);
if (!chosen.ok) {
  console.error(chosen.error);
  process.exit(1);
}

const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const shown = relative(process.cwd(), dataDir) || '.';
const runtime = await startLocalRuntime({
  httpPort: chosen.value.NUDGE_HTTP_PORT,
  inboxPort: chosen.value.NUDGE_INBOX_PORT,
  awsPort: chosen.value.NUDGE_AWS_PORT,
  dynamoDbPort: chosen.value.NUDGE_DYNAMODB_PORT,
  dataDir,
  persist: true,
  projectDir,
  log,
});

const localhost = (url: string) => url.replace('127.0.0.1', 'localhost');
const ruleList = (rules: typeof runtime.rules) => rules.map((rule) => `${rule.id}${rule.enabled ? '' : ' (disabled)'}`).join(', ');
console.log(`
Nudge is running locally.
  Intake     ${localhost(runtime.httpUrl)}/webhooks/{shopify,woocommerce,bigcommerce,stripe}, /v1/batch (Segment), /events/app
             (development secrets in ${shown}/webhook-secrets.json; Shopify's is "${localShopifySecret}")
  Inbox      ${localhost(runtime.inboxUrl)}                     (every email sent; opening one and following its links report opens and clicks, as SES does)
  Report     ${runtime.reportUrl}          (what each rule earned; also: npm run nudge -- report)
  AWS APIs   ${localhost(runtime.awsUrl)}                     (local EventBridge, Scheduler, Secrets Manager and SQS dead letters; timers in ${shown}/schedules.json; npm run nudge -- clock advance 2h)
  DynamoDB   ${localhost(runtime.dynamoDbUrl)}                     (DynamoDB Local, data in ${shown}/dynamodb)
  Rules      ${runtime.rules.length} from ${relative(process.cwd(), join(projectDir, 'rules')) || 'rules'}/ (reloaded when rules/, templates/ or config/ change): ${ruleList(runtime.rules)}
Try it: npm run demo   ·   npm run nudge -- send shopify checkouts/create --set email=you@example.com   ·   Stop: Ctrl-C
`);

// An edit runs as soon as it validates, as a deploy would; one that does not is told and changes nothing.
const watcher = watchProject(
  projectDir,
  ['rules', 'templates', 'config'].map((folder) => join(projectDir, folder)),
  async (files) => {
    const reloaded = await runtime.reloadProject();
    if (reloaded.ok) log(`reloaded after changes to ${files.join(', ')}: ${reloaded.value.length} rules: ${ruleList(reloaded.value)}`);
    else log(`not reloaded after changes to ${files.join(', ')}; the rules and templates that ran keep running. Fix these:\n${formatProblems(reloaded.error)}`);
  },
  (files, error) =>
    log(
      `not reloaded after changes to ${files.join(', ')}; the rules and templates that ran keep running: ${error instanceof Error ? error.message : String(error)}`,
    ),
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  watcher.close();
  console.log('\nStopping…');
  await runtime.stop();
  console.log(`Stopped. Data is kept in ${shown}/ for the next npm start.`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
