import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type LocalRuntime, type LocalRuntimeOptions, localWebhookPath, startLocalRuntime } from '../../local/runtime.js';
import { projectDir } from './fixtures.js';

export interface TestRuntime extends LocalRuntime {
  readonly dataDir: string;
  /** Every event the bus carried so far, in order. */
  busLog(): { source: string; 'detail-type': string; detail: Record<string, unknown> }[];
}

export interface TestRuntimeOptions {
  /** Keep the project's quiet hours (by default tests run without them: they run at any hour). */
  readonly quietHours?: boolean;
  /** Webhook endpoints (names) of the webhook channel, pointed at the local receiver. */
  readonly webhooks?: readonly string[];
  /** Keep DynamoDB on disk in `dataDir`, and leave the folder when stopped (to start again on it). */
  readonly restartable?: { readonly dataDir: string; readonly ports: { http: number; inbox: number; aws: number; dynamoDb: number } };
  /** Something between dispatch and the SES emulator. */
  readonly sesFront?: LocalRuntimeOptions['sesFront'];
  /** Something between the services and DynamoDB Local. */
  readonly dynamoDbFront?: LocalRuntimeOptions['dynamoDbFront'];
  /** Something between the services and the local AWS endpoint; each function wrapped; each schedule's firing told. */
  readonly awsFront?: LocalRuntimeOptions['awsFront'];
  readonly wrapFunction?: LocalRuntimeOptions['wrapFunction'];
  readonly onScheduleFired?: LocalRuntimeOptions['onScheduleFired'];
  readonly maxBacklog?: number;
  /** Where enrichment reads BigCommerce's API: a local server of the test's. */
  readonly bigCommerceApiUrl?: string;
  /** Another project than the repository's own (rules, templates, config): the first runtime of a test file only, as the services load it once. */
  readonly projectDir?: string;
}

/**
 * The whole local system on free ports, DynamoDB in memory, data in a temporary folder; or, to
 * test a restart, on disk in a given folder and on given ports (the service modules, loaded once
 * per test file, keep the endpoints they were first given).
 */
export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const project = options.projectDir ?? projectDir;
  // Refused requests are logged as warnings; tests send many on purpose.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const restartable = options.restartable;
  const dataDir = restartable?.dataDir ?? mkdtempSync(join(tmpdir(), 'nudge-test-'));
  // The project's policy, without quiet hours: tests run at any hour, and their clocks are fast.
  // The gate's quiet hours are tested on their own (test/unit/dispatch-gate.test.ts).
  const configDir = join(dataDir, 'config');
  mkdirSync(configDir, { recursive: true });
  cpSync(join(project, 'config'), configDir, { recursive: true });
  const policy = JSON.parse(readFileSync(join(configDir, 'dispatch.json'), 'utf8')) as Record<string, unknown>;
  if (!options.quietHours) delete policy.quietHours;
  // The intake port is chosen first, so the webhook endpoints can point at the local receiver on it.
  const httpPort = restartable?.ports.http ?? (await freePort());
  policy.webhooks = Object.fromEntries((options.webhooks ?? []).map((name) => [name, { url: `http://127.0.0.1:${httpPort}${localWebhookPath}${name}` }]));
  writeFileSync(join(configDir, 'dispatch.json'), JSON.stringify(policy));
  const runtime = await startLocalRuntime({
    httpPort,
    inboxPort: restartable?.ports.inbox ?? 0,
    awsPort: restartable?.ports.aws ?? 0,
    dynamoDbPort: restartable?.ports.dynamoDb ?? 0,
    dataDir,
    persist: restartable !== undefined,
    projectDir: project,
    configDir,
    ...(options.bigCommerceApiUrl === undefined ? {} : { bigCommerceApiUrl: options.bigCommerceApiUrl }),
    log: (line) => {
      if (process.env.NUDGE_TEST_LOG) console.error(line);
    },
    sesFront: options.sesFront,
    dynamoDbFront: options.dynamoDbFront,
    awsFront: options.awsFront,
    wrapFunction: options.wrapFunction,
    onScheduleFired: options.onScheduleFired,
    maxBacklog: options.maxBacklog,
  });
  return {
    ...runtime,
    dataDir,
    busLog: () => {
      try {
        return readFileSync(join(dataDir, 'bus.ndjson'), 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line));
      } catch {
        return [];
      }
    },
    stop: async () => {
      await runtime.stop();
      if (restartable === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface InboxEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
}

export async function inbox(runtime: LocalRuntime): Promise<InboxEmail[]> {
  const response = await fetch(`${runtime.inboxUrl}/store`);
  return ((await response.json()) as { emails: InboxEmail[] }).emails;
}

export async function clearInbox(runtime: LocalRuntime): Promise<void> {
  await fetch(`${runtime.inboxUrl}/clear-store`, { method: 'POST' });
}
