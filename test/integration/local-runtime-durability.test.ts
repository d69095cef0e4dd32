import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ProfileStore } from '#services/profiles/adapters/profile-store.js';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { keys } from '#shared/table.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { freePort, localRegion, localTableName } from '../../local/runtime.js';
import { nudge, nudgeAsync } from '../support/cli.js';
import { failingDynamoDbFront } from '../support/dynamodb-front.js';
import { projectDir } from '../support/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const writeKey = Buffer.from('nudge-local-write-key:').toString('base64');

/** A canonical customer event for one person, as intake would put it on the bus: a product view, which a shipped rule (browse abandonment) wants announced. */
const customerEvent = (eventId: string, email: string) => ({
  eventId,
  occurredAt: '2026-11-20T10:00:00.000Z',
  receivedAt: '2026-11-20T10:00:00.000Z',
  origin: { platform: 'segment', shop: 'durability', topic: 'track' },
  identity: { email },
  traits: { firstName: 'Dee' },
  properties: { productId: 'durable-1' },
});

const readBusLog = (dataDir: string) =>
  existsSync(join(dataDir, 'bus.ndjson'))
    ? readFileSync(join(dataDir, 'bus.ndjson'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { 'detail-type': string; detail: Record<string, unknown> })
    : [];
const updatesFor = (log: ReturnType<typeof readBusLog>, eventId: string) =>
  log.filter((event) => event['detail-type'] === 'profile.updated' && (event.detail.trigger as { detail: { eventId: string } }).detail.eventId === eventId);

describe('the local runtime when the table fails: retries as Lambda does, dead letters, and sending them back', () => {
  let runtime: TestRuntime;
  /** While true, profiles' writes fail, as in a DynamoDB outage. */
  let down = false;

  beforeAll(async () => {
    runtime = await startTestRuntime({
      dynamoDbFront: failingDynamoDbFront((operation) => down && operation === 'TransactWriteItems'),
      maxBacklog: 5,
    });
  });

  afterAll(async () => {
    down = false;
    await runtime?.stop();
  });

  const put = async (...details: ReturnType<typeof customerEvent>[]) => {
    const bus = new EventBridgeClient({ endpoint: runtime.awsUrl, region: localRegion, credentials });
    await bus.send(
      new PutEventsCommand({
        Entries: details.map((detail) => ({ EventBusName: 'nudge', Source: 'nudge.intake', DetailType: 'product.viewed', Detail: JSON.stringify(detail) })),
      }),
    );
    await runtime.idle();
  };
  const deadLetters = () =>
    existsSync(join(runtime.dataDir, 'dlq', 'profiles.ndjson')) ? readFileSync(join(runtime.dataDir, 'dlq', 'profiles.ndjson'), 'utf8').trim() : '';

  it('survives a 15 s outage of the table: the retry a minute later applies the event, and nothing is dead-lettered', async () => {
    down = true;
    await put(customerEvent('ev_outage', 'outage@example.com'));
    expect(runtime.bus.status()).toMatchObject({ pending: 1, running: 0, due: 0 });
    await runtime.advanceClock(15_000);
    expect(updatesFor(runtime.busLog(), 'ev_outage')).toHaveLength(0);
    down = false;
    await runtime.advanceClock(46_000);
    expect(updatesFor(runtime.busLog(), 'ev_outage')).toHaveLength(1);
    expect(deadLetters()).toBe('');
    expect(runtime.bus.backlog()).toBe(0);
  });

  it('answers 503 with Retry-After while too many events wait, instead of taking more than it can handle', async () => {
    down = true;
    await put(...[1, 2, 3, 4, 5].map((index) => customerEvent(`ev_backlog_${index}`, `backlog${index}@example.com`)));
    const response = await fetch(`${runtime.httpUrl}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${writeKey}` },
      body: JSON.stringify({ userId: 'late-user', traits: { email: 'late@example.com' } }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({ code: 'overloaded', message: expect.stringContaining('5 events are waiting') });
    down = false;
    await runtime.advanceClock(61_000);
    expect(runtime.bus.backlog()).toBe(0);
    for (const index of [1, 2, 3, 4, 5]) expect(updatesFor(runtime.busLog(), `ev_backlog_${index}`)).toHaveLength(1);
  });

  it('keeps what failed every retry as a dead letter, lists it, and sends it back to profiles alone, once, after the cause is fixed', async () => {
    down = true;
    await put(customerEvent('ev_dead', 'dead@example.com'));
    await runtime.advanceClock(61_000);
    await runtime.advanceClock(121_000);
    expect(deadLetters()).toContain('ev_dead');
    const where = ['--data-dir', runtime.dataDir, '--endpoint', runtime.awsUrl];
    const listed = nudge('dead-letters', 'list', ...where);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/profiles\s+\S+\s+product\.viewed\s+ev_dead/);
    expect(JSON.parse(nudge('dead-letters', 'list', '--json', '--service', 'profiles', ...where).stdout)).toEqual([
      expect.objectContaining({ service: 'profiles', detailType: 'product.viewed', eventId: 'ev_dead', error: expect.any(String) }),
    ]);

    down = false;
    const before = runtime.busLog().length;
    const redriven = await nudgeAsync('dead-letters', 'redrive', '--service', 'profiles', ...where);
    expect(redriven).toMatchObject({ status: 0, stdout: expect.stringContaining('1 dead letter sent back through the running runtime') });
    await runtime.idle();
    expect(updatesFor(runtime.busLog(), 'ev_dead')).toHaveLength(1);
    // Sent back to profiles only: the bus carried nothing new but what profiles published.
    expect(
      runtime
        .busLog()
        .slice(before)
        .map((event) => event['detail-type']),
    ).toEqual(['profile.updated']);
    expect((await nudgeAsync('dead-letters', 'redrive', ...where)).stdout).toContain('0 dead letters sent back through the running runtime');
    expect(nudge('dead-letters', 'list', ...where).stdout.trim()).toBe('No dead letters.');
    expect(nudge('dead-letters', 'list', '--service', 'nobody', ...where)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('There is no service nobody'),
    });
  });
});

describe('the local runtime killed while orders arrive', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nudge-kill-'));
  let child: ChildProcess | undefined;
  let ports: Record<string, number>;

  afterAll(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `npm start`, as a user runs it, in its own process on the test's ports and data folder. */
  const start = async (): Promise<ChildProcess> => {
    const started = spawn(process.execPath, ['--import', 'tsx', join(projectDir, 'local', 'start.ts')], {
      cwd: projectDir,
      env: {
        ...process.env,
        NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning',
        NUDGE_DATA_DIR: dataDir,
        NUDGE_HTTP_PORT: String(ports.http),
        NUDGE_INBOX_PORT: String(ports.inbox),
        NUDGE_AWS_PORT: String(ports.aws),
        NUDGE_DYNAMODB_PORT: String(ports.dynamoDb),
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 60_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Nudge is running locally')) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout?.on('data', read);
      started.stderr?.on('data', read);
      started.once('exit', () => reject(new Error(`npm start exited:\n${output}`)));
    });
    started.removeAllListeners('exit');
    return started;
  };

  const order = (index: number) =>
    fetch(`http://127.0.0.1:${ports.http}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${writeKey}` },
      body: JSON.stringify({
        messageId: `kill-order-${index}`,
        userId: `kill-user-${index % 40}`,
        event: 'Order Completed',
        properties: { order_id: `kill-${index}`, total: 10 + index, currency: 'EUR', products: [] },
      }),
      signal: AbortSignal.timeout(20_000),
    });

  it('processes every webhook it acknowledged once started again, after kill -9 in the middle of a stream', async () => {
    ports = { http: await freePort(), inbox: await freePort(), aws: await freePort(), dynamoDb: await freePort() };
    child = await start();
    const acknowledged: string[] = [];
    let killed = false;
    const sender = async (first: number) => {
      for (let index = first; index < 400 && !killed; index += 8) {
        try {
          const response = await order(index);
          const body = (await response.json()) as { eventIds?: string[] };
          if (response.status === 200) acknowledged.push(...(body.eventIds ?? []));
        } catch {
          // Cut off by the kill: not acknowledged, so the sender would retry it.
        }
      }
    };
    const senders = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(sender));
    while (acknowledged.length < 120) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGKILL');
    killed = true;
    await senders;

    child = await start();
    const status = async () => (await (await fetch(`http://127.0.0.1:${ports.aws}/_local/status`)).json()) as { pending: number; running: number };
    for (let wait = 0; wait < 600; wait++) {
      const { pending, running } = await status();
      if (pending === 0 && running === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await status()).toEqual(expect.objectContaining({ pending: 0, running: 0 }));
    const log = readBusLog(dataDir);
    const lost = acknowledged.filter((eventId) => updatesFor(log, eventId).length === 0);
    expect({ acknowledged: acknowledged.length, lost }).toEqual({ acknowledged: expect.any(Number), lost: [] });
    // And each counted once, wherever the kill cut its way: a person's order count is the number of
    // their orders announced (acknowledged, or put on the bus just before the kill cut the answer).
    const announced = new Map<string, Set<string>>();
    for (const event of log) {
      const trigger = event.detail.trigger as { 'detail-type': string; detail: { eventId: string; identity: { userId?: string } } } | undefined;
      if (event['detail-type'] !== 'profile.updated' || trigger?.['detail-type'] !== 'order.completed') continue;
      const userId = trigger.detail.identity.userId as string;
      announced.set(userId, new Set([...(announced.get(userId) ?? []), trigger.detail.eventId]));
    }
    const client = localDynamoDb(`http://127.0.0.1:${ports.dynamoDb}`);
    const documents = documentClient(client);
    const store = new ProfileStore(client, localTableName);
    const counted = async (userId: string) => {
      const alias = await documents.send(new GetCommand({ TableName: localTableName, Key: keys.alias('user', userId) }));
      return (await store.resolve(alias.Item?.profileId as string))?.profile.orderCount;
    };
    const people = [...announced.keys()].sort();
    expect(people.length).toBeGreaterThanOrEqual(30);
    expect(Object.fromEntries(await Promise.all(people.map(async (userId) => [userId, await counted(userId)])))).toEqual(
      Object.fromEntries(people.map((userId) => [userId, announced.get(userId)?.size])),
    );
    client.destroy();
    expect(existsSync(join(dataDir, 'dlq', 'profiles.ndjson')) ? readFileSync(join(dataDir, 'dlq', 'profiles.ndjson'), 'utf8') : '').toBe('');
  }, 180_000);

  it('sends dead letters back while the runtime is stopped, through the journal its next start resumes', async () => {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child?.kill('SIGTERM');
    await exited;
    const envelope = {
      version: '0',
      id: 'dead-while-stopped',
      'detail-type': 'product.viewed',
      source: 'nudge.intake',
      account: '000000000000',
      time: '2026-11-20T10:00:00Z',
      region: localRegion,
      resources: [],
      detail: customerEvent('ev_stopped', 'stopped@example.com'),
    };
    writeFileSync(
      join(dataDir, 'dlq', 'profiles.ndjson'),
      `${JSON.stringify({ failedAt: '2026-11-20T10:01:00Z', error: 'the table was down', event: envelope })}\n`,
    );
    const where = ['--data-dir', dataDir, '--endpoint', `http://127.0.0.1:${ports.aws}`];
    expect(nudge('dead-letters', 'redrive', ...where).stdout).toContain('1 dead letter sent back through the journal the next npm start resumes');
    expect(nudge('dead-letters', 'list', ...where).stdout.trim()).toBe('No dead letters.');
    child = await start();
    for (let wait = 0; wait < 300 && updatesFor(readBusLog(dataDir), 'ev_stopped').length === 0; wait++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(updatesFor(readBusLog(dataDir), 'ev_stopped')).toHaveLength(1);
  }, 120_000);
});
