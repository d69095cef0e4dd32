import { relative, resolve } from 'node:path';
import { localShopifySecret, startLocalRuntime } from './runtime.js';

const projectDir = resolve(import.meta.dirname, '..');
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const dataDir = process.env.NUDGE_DATA_DIR ?? resolve(projectDir, '.local');
const shown = relative(process.cwd(), dataDir) || '.';
const runtime = await startLocalRuntime({
  httpPort: port('NUDGE_HTTP_PORT', 3000),
  inboxPort: port('NUDGE_INBOX_PORT', 8005),
  awsPort: port('NUDGE_AWS_PORT', 4010),
  dynamoDbPort: port('NUDGE_DYNAMODB_PORT', 8000),
  dataDir,
  persist: true,
  projectDir,
  log: (line) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`),
});

const localhost = (url: string) => url.replace('127.0.0.1', 'localhost');
console.log(`
Nudge is running locally.
  Intake     ${localhost(runtime.httpUrl)}/webhooks/{shopify,woocommerce,bigcommerce,stripe}, /v1/batch (Segment), /events/app
             (development secrets in ${shown}/webhook-secrets.json; Shopify's is "${localShopifySecret}")
  Inbox      ${localhost(runtime.inboxUrl)}                     (every email sent; opening one and following its links report opens and clicks, as SES does)
  Report     ${runtime.reportUrl}          (what each rule earned; also: npm run nudge -- report)
  AWS APIs   ${localhost(runtime.awsUrl)}                     (local EventBridge, Scheduler and Secrets Manager; timers in ${shown}/schedules.json)
  DynamoDB   ${localhost(runtime.dynamoDbUrl)}                     (DynamoDB Local, data in ${shown}/dynamodb)
Try it: npm run demo   ·   Stop: Ctrl-C
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  await runtime.stop();
  console.log(`Stopped. Data is kept in ${shown}/ for the next npm start.`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
