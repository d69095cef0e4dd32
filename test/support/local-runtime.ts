import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { projectDir } from './fixtures.js';

export interface TestRuntime extends LocalRuntime {
  readonly dataDir: string;
  /** Every event the bus carried so far, in order. */
  busLog(): { source: string; 'detail-type': string; detail: Record<string, unknown> }[];
}

/** The whole local system on free ports, DynamoDB in memory, data in a temporary folder. */
export async function startTestRuntime(): Promise<TestRuntime> {
  // Refused requests are logged as warnings; tests send many on purpose.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const dataDir = mkdtempSync(join(tmpdir(), 'nudge-test-'));
  const runtime = await startLocalRuntime({
    httpPort: 0,
    inboxPort: 0,
    awsPort: 0,
    dynamoDbPort: 0,
    dataDir,
    persist: false,
    projectDir,
    log: () => undefined,
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
      rmSync(dataDir, { recursive: true, force: true });
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
