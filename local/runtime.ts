import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { busNeedsOf } from '#project/bus-needs.js';
import { loadProject, readProject } from '#project/load-project.js';
import type { Problem } from '#project/problem.js';
import { DispatchEnvironment, SesFeedbackEnvironment } from '#services/dispatch/environment.js';
import { EnrichmentEnvironment } from '#services/enrichment/environment.js';
import type { WebhookSecrets } from '#services/intake/core/platforms/common.js';
import { IntakeEnvironment } from '#services/intake/environment.js';
import { MeasurementStore } from '#services/measurement/adapters/measurement-store.js';
import { reportPeriod } from '#services/measurement/core/report.js';
import { reportHtml } from '#services/measurement/core/report-html.js';
import { MeasurementEnvironment } from '#services/measurement/environment.js';
import { readReport } from '#services/measurement/read-report.js';
import { ProfilesEnvironment } from '#services/profiles/environment.js';
import type { CompiledRule } from '#services/rules/core/rule.js';
import { RulesEnvironment } from '#services/rules/environment.js';
import { Duration, durationMillis } from '#services/rules/kinds/fields.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { setClock } from '#shared/clock.js';
import { environmentOf } from '#shared/config.js';
import * as TimerFired from '#shared/events/timer-fired.js';
import { fail, ok, type Result } from '#shared/result.js';
import { busName, type Consumer, consumerNames, recurringSchedules, scheduleGroupName, subscriptionsFor } from '#shared/topology.js';
import { reportedRules } from '../cli/report.js';
import { type AdminReply, createAwsEndpoint, localDeadLetterQueueUrl } from './aws-endpoint.js';
import { type DynamoDbLocal, ensureTable, startDynamoDbLocal } from './dynamodb-local.js';
import { LocalEventBus, type LocalEventBusOptions, maxBacklog } from './event-bus.js';
import { httpGateway, type LocalReply, listen, listeningGateway } from './http-gateway.js';
import type { LambdaHandler } from './lambda-context.js';
import { quietFreePort } from './ports.js';
import { LocalClock, LocalScheduler } from './scheduler.js';
import { startSesTracker } from './ses-tracker.js';

export interface LocalRuntimeOptions {
  /** Ports; 0 picks a free one. */
  readonly httpPort: number;
  readonly inboxPort: number;
  readonly awsPort: number;
  readonly dynamoDbPort: number;
  /** Where DynamoDB's data, the bus log, dead letters and local secrets live. */
  readonly dataDir: string;
  /** Keep DynamoDB's data on disk (npm start) or in memory (tests). */
  readonly persist: boolean;
  readonly projectDir: string;
  /** Where dispatch.json and profiles.json are read from; default: the project's config/. */
  readonly configDir?: string;
  readonly log: (line: string) => void;
  /** Puts something between the services and DynamoDB Local (the benchmark counts capacity units there). */
  readonly dynamoDbFront?: (endpoint: string) => Promise<{ readonly endpoint: string; stop(): Promise<void> }>;
  /** Puts something between the services and the local AWS endpoint: EventBridge, Scheduler, SQS, Secrets Manager, SMS (the benchmark counts requests there). */
  readonly awsFront?: (endpoint: string) => Promise<{ readonly endpoint: string; stop(): Promise<void> }>;
  /** Wraps each function as it is loaded, with its name (the benchmark times invocations there); default: as it is. */
  readonly wrapFunction?: (name: LocalFunctionName, handler: LambdaHandler) => LambdaHandler;
  /** Told of each schedule that fires: an invocation of EventBridge Scheduler in AWS. */
  readonly onScheduleFired?: () => void;
  /** Puts something between dispatch and the SES emulator (tests lose SES's answers there). */
  readonly sesFront?: (endpoint: string) => Promise<{ readonly endpoint: string; stop(): Promise<void> }>;
  /** How failed deliveries are retried, on the runtime's clock; default: as AWS does (minutes). */
  readonly retryPolicy?: LocalEventBusOptions['retryPolicy'];
  /** Where enrichment reads BigCommerce's API (tests: a local server); default `NUDGE_BIGCOMMERCE_API_URL`, else BigCommerce's. */
  readonly bigCommerceApiUrl?: string;
  /** Undelivered events beyond which intake answers 503 with Retry-After; default `maxBacklog`. */
  readonly maxBacklog?: number;
}

export interface LocalRuntime {
  readonly httpUrl: string;
  /** The measurement report of the local data, as a page (`?from=…&to=…&rule=…`). */
  readonly reportUrl: string;
  readonly inboxUrl: string;
  readonly awsUrl: string;
  readonly dynamoDbUrl: string;
  readonly bus: LocalEventBus;
  readonly scheduler: LocalScheduler;
  /** The rules it runs (the project as the handlers loaded it), for the start banner. */
  readonly rules: readonly RunningRule[];
  /**
   * Reads the project again and, if it validates as `nudge rules validate` would, runs it: the
   * services that read rules, templates and config are loaded afresh (as a deploy starts new
   * functions) and the bus rules and recurring schedules follow. If not, nothing changes.
   */
  reloadProject(): Promise<Result<readonly RunningRule[], Problem[]>>;
  /** Moves the local clock forward, fires the timers now due and waits until their effects settle. */
  advanceClock(millis: number): Promise<void>;
  /** Resolves when every event put so far has been handled (or dead-lettered). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The functions the local runtime runs: intake behind the HTTP endpoints, and each consumer of the bus. */
export type LocalFunctionName = 'intake' | Consumer;

export interface RunningRule {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
}

export const localRegion = 'us-east-1';
/** The process running on a data folder, while it runs. */
export const runtimePidFile = (dataDir: string) => join(dataDir, 'runtime.pid');

/** The pid of a local runtime running on this data folder now, if one is. */
export function runningOwner(dataDir: string): number | undefined {
  const file = runtimePidFile(dataDir);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
export const localTableName = 'nudge-local';
/** The SES configuration set local mail is sent with: its events come back through the local tracker. */
export const localConfigurationSet = 'nudge-local';
export const webhookSecretsId = 'nudge/webhook-secrets';
export const unsubscribeKeyId = 'nudge/unsubscribe-key';
/** BigCommerce API tokens per store hash; locally one development token for every store (`*`), for a local API. */
export const bigCommerceTokensId = 'nudge/bigcommerce-tokens';
export const outgoingWebhookKeyId = 'nudge/outgoing-webhook-key';
/** Where the local runtime receives the webhook channel's tasks (config/dispatch.json points here). */
export const localWebhookPath = '/_local/webhooks/';
/** Development signing secret for every Shopify shop; replace it in .local/webhook-secrets.json. */
export const localShopifySecret = 'nudge-local-shopify-secret';

/**
 * Development secrets for every source, written to .local/webhook-secrets.json on first start
 * (the same shape as the Secrets Manager secret in AWS; see the README, "Sources").
 */
export const localWebhookSecrets: WebhookSecrets = {
  shopify: { '*': localShopifySecret },
  woocommerce: { '*': 'nudge-local-woocommerce-secret' },
  bigcommerce: { '*': 'nudge-local-bigcommerce-secret' },
  stripe: { '*': 'whsec_nudge_local_stripe_secret' },
  segment: { 'nudge-local-write-key': 'local-segment-source' },
  app: { 'nudge-local-app': 'nudge-local-app-secret' },
};

/** A port that was free a moment ago, on the loopback address. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * DynamoDB Local on its port, or (0) on a free one. Java is given a port number, not a socket, so a
 * free port could be taken while it starts (tests run side by side): it is picked from outside the
 * range ports are handed out from, and should it be taken all the same, Java starts on another.
 */
async function startDynamoDb(port: number, dataDir: string | undefined): Promise<DynamoDbLocal> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDynamoDbLocal({ port: port === 0 ? await quietFreePort() : port, dataDir });
    } catch (error) {
      if (port !== 0 || attempt >= 3) throw error;
    }
  }
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
}

/**
 * Creates the local secrets file with development defaults the first time, and adds the defaults
 * of sources it does not mention yet (a file from an older Nudge); what a user set is kept.
 */
/** The key that signs unsubscribe links, made once per machine: links keep working across restarts. */
function ensureKey(dataDir: string, name: string): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'));
  return file;
}

/** A JSON secret file made once with its development default; what a user wrote there is kept. */
function ensureJsonFile(dataDir: string, name: string, initial: Record<string, unknown>): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, `${JSON.stringify(initial, null, 2)}\n`);
  return file;
}

function ensureLocalSecrets(dataDir: string): string {
  const file = join(dataDir, 'webhook-secrets.json');
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const merged = { ...localWebhookSecrets, ...current };
  if (Object.keys(merged).length !== Object.keys(current).length) writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  return file;
}

/**
 * Starts Nudge on this machine: DynamoDB Local, the SES emulator, a local EventBridge and Secrets
 * Manager, and the HTTP endpoints, then loads the unchanged service handlers with the standard
 * AWS_ENDPOINT_URL_* variables pointing at them.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const dynamo = await startDynamoDb(options.dynamoDbPort, options.persist ? join(dataDir, 'dynamodb') : undefined);
  const started: (() => Promise<void>)[] = [() => dynamo.stop()];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop();
  };
  try {
    await ensureTable(dynamo.endpoint, localTableName);
    let dynamoDbEndpoint = dynamo.endpoint;
    if (options.dynamoDbFront) {
      const front = await options.dynamoDbFront(dynamo.endpoint);
      started.push(() => front.stop());
      dynamoDbEndpoint = front.endpoint;
    }

    // A CommonJS module: under Node's ESM loader its default export arrives one level down.
    type StartSes = (config: { host: string; port: number }) => Promise<Server>;
    const sesModule = (await import('aws-ses-v2-local')) as unknown as { default: StartSes | { default: StartSes } };
    const startSes = typeof sesModule.default === 'function' ? sesModule.default : sesModule.default.default;
    const sesServer = await startSes({ host: '127.0.0.1', port: options.inboxPort });
    started.push(() => close(sesServer));
    const inboxPort = (sesServer.address() as AddressInfo).port;
    // The intake endpoints' port is fixed before the services load: unsubscribe and tracking links point at it.
    const gateway = await listeningGateway(options.httpPort);
    started.push(() => close(gateway.server));
    const httpPort = gateway.port;
    const publicUrl = `http://localhost:${httpPort}`;
    // Nearest the emulator, as SES itself: an answer lost on the way back still leaves a delivered email.
    const tracker = await startSesTracker({
      upstream: `http://127.0.0.1:${inboxPort}`,
      publicUrl,
      dataDir,
      region: localRegion,
      publish: (entry) => bus.putServiceEvent(entry),
    });
    started.push(() => tracker.stop());
    let sesEndpoint = tracker.endpoint;
    if (options.sesFront) {
      const front = await options.sesFront(sesEndpoint);
      started.push(() => front.stop());
      sesEndpoint = front.endpoint;
    }

    // The handlers are bound below, once their environment is set; the bus and endpoint exist first.
    const targets: Record<Consumer, LambdaHandler> = {
      profiles: () => Promise.reject(new Error('not loaded')),
      rules: () => Promise.reject(new Error('not loaded')),
      dispatch: () => Promise.reject(new Error('not loaded')),
      feedback: () => Promise.reject(new Error('not loaded')),
      measurement: () => Promise.reject(new Error('not loaded')),
      enrichment: () => Promise.reject(new Error('not loaded')),
    };
    // The project as the handlers will load it: a problem stops the start here, with its file and path.
    const configDir = options.configDir ?? join(options.projectDir, 'config');
    const loadedRules = loadProject(options.projectDir, { checks: 'run', configDir }).rules;
    const rulesNeed = busNeedsOf(loadedRules);
    const subscriptions = subscriptionsFor(rulesNeed);
    const clock = new LocalClock(options.persist ? join(dataDir, 'clock.json') : undefined);
    // The services in this process decide by this clock, moved or not.
    setClock(() => clock.now());
    started.push(async () => setClock(undefined));
    const bus = new LocalEventBus({ busName, region: localRegion, subscriptions, targets, dataDir, log: options.log, clock, retryPolicy: options.retryPolicy });
    const scheduler = new LocalScheduler(
      join(dataDir, 'schedules.json'),
      clock,
      (entry) => {
        options.onScheduleFired?.();
        return bus.putEvents([entry]);
      },
      options.log,
    );
    const advanceClock = async (millis: number) => {
      clock.advance(millis);
      // Retries now due run too, as they would have while that time passed.
      bus.pump();
      await bus.idle();
      // Round after round: handling a timer can set another that is already due (the next step of a
      // series), and a recurring schedule falls due once for each of its runs in the time passed.
      for (let round = 0; round < maxTimerRounds && scheduler.list().some((schedule) => schedule.nextRunAt <= clock.now()); round++) {
        await scheduler.fireDue();
        await bus.idle();
      }
    };
    // The recurring rules' schedules, as the stack creates them in AWS (and a deploy updates them).
    const syncRecurring = (needs: ReturnType<typeof busNeedsOf>) => {
      const recurring = recurringSchedules(needs, clock.now());
      for (const schedule of recurring) {
        scheduler.put({
          name: schedule.name,
          group: scheduleGroupName,
          expression: schedule.expression,
          timeZone: schedule.timeZone,
          busName,
          source: TimerFired.source,
          detailType: TimerFired.detailType,
          input: schedule.input,
          deleteAfterCompletion: false,
        });
      }
      scheduler.prune(
        scheduleGroupName,
        new Set([
          ...recurring.map((schedule) => schedule.name),
          ...scheduler
            .list()
            .filter((schedule) => !schedule.name.startsWith('rule-'))
            .map((schedule) => schedule.name),
        ]),
      );
    };
    syncRecurring(rulesNeed);
    const awsEndpoint = createAwsEndpoint(
      bus,
      {
        [webhookSecretsId]: ensureLocalSecrets(dataDir),
        [unsubscribeKeyId]: ensureKey(dataDir, 'unsubscribe-key.txt'),
        [outgoingWebhookKeyId]: ensureKey(dataDir, 'outgoing-webhook-key.txt'),
        [bigCommerceTokensId]: ensureJsonFile(dataDir, 'bigcommerce-tokens.json', { '*': 'local-bigcommerce-token' }),
      },
      localRegion,
      scheduler,
      (text) => {
        const messageId = randomUUID();
        appendFileSync(join(dataDir, 'sms.ndjson'), `${JSON.stringify({ messageId, at: new Date().toISOString(), ...text })}\n`);
        options.log(`sms  to ${String(text.DestinationPhoneNumber)}`);
        return messageId;
      },
      (method, url) => localAdmin(bus, method, url, { clock, scheduler, advance: advanceClock }),
    );
    const awsPort = await listen(awsEndpoint, options.awsPort);
    started.push(() => close(awsEndpoint));
    const awsUrl = `http://127.0.0.1:${awsPort}`;
    // What the services call; the endpoint's own URL stays the one `nudge` commands and tests use.
    let servicesAwsUrl = awsUrl;
    if (options.awsFront) {
      const front = await options.awsFront(awsUrl);
      started.push(() => front.stop());
      servicesAwsUrl = front.endpoint;
    }

    // Each function's environment from its own schema, as the stack sets it in AWS; they share one process here.
    const eventBusArn = `arn:aws:events:${localRegion}:000000000000:event-bus/${busName}`;
    const scheduling = {
      SCHEDULE_GROUP: scheduleGroupName,
      SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/nudge-local-scheduler',
      TIMER_DLQ_ARN: `arn:aws:sqs:${localRegion}:000000000000:nudge-local-timers-dlq`,
    };
    const project = { PROJECT_DIR: options.projectDir, CONFIG_DIR: configDir };
    // Each consumer's own dead-letter queue, served by the endpoint below (SQS SendMessage).
    const deadLetters = (consumer: Consumer) => ({ DEAD_LETTER_QUEUE_URL: localDeadLetterQueueUrl(servicesAwsUrl, consumer) });
    Object.assign(
      process.env,
      {
        AWS_REGION: localRegion,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: servicesAwsUrl,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: servicesAwsUrl,
        AWS_ENDPOINT_URL_SESV2: sesEndpoint,
        AWS_ENDPOINT_URL_SCHEDULER: servicesAwsUrl,
        AWS_ENDPOINT_URL_SQS: servicesAwsUrl,
        AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: servicesAwsUrl,
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
        // Metrics and traces are CloudWatch's and X-Ray's: locally the logs say what happened.
        POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
        POWERTOOLS_TRACE_ENABLED: 'false',
      },
      environmentOf(IntakeEnvironment, {
        EVENT_BUS_NAME: busName,
        WEBHOOK_SECRETS_ID: webhookSecretsId,
        UNSUBSCRIBE_KEY_ID: unsubscribeKeyId,
      }),
    );
    // The functions share this process, and so its environment: each handler reads its own at cold
    // start (the import), so the one variable that differs between them is set just before.
    const environments = {
      profiles: environmentOf(ProfilesEnvironment, { EVENT_BUS_NAME: busName, TABLE_NAME: localTableName, ...project, ...deadLetters('profiles') }),
      rules: environmentOf(RulesEnvironment, {
        EVENT_BUS_NAME: busName,
        EVENT_BUS_ARN: eventBusArn,
        TABLE_NAME: localTableName,
        ...project,
        ...scheduling,
        ...deadLetters('rules'),
      }),
      dispatch: environmentOf(DispatchEnvironment, {
        EVENT_BUS_NAME: busName,
        EVENT_BUS_ARN: eventBusArn,
        TABLE_NAME: localTableName,
        ...project,
        ...scheduling,
        SENDER_ADDRESS: process.env.SENDER_ADDRESS ?? 'Nudge Demo Shop <shop@example.com>',
        SES_CONFIGURATION_SET: localConfigurationSet,
        PUBLIC_URL: publicUrl,
        UNSUBSCRIBE_KEY_ID: unsubscribeKeyId,
        OUTGOING_WEBHOOK_KEY_ID: outgoingWebhookKeyId,
        ...deadLetters('dispatch'),
      }),
      feedback: environmentOf(SesFeedbackEnvironment, { EVENT_BUS_NAME: busName, TABLE_NAME: localTableName, ...deadLetters('feedback') }),
      measurement: environmentOf(MeasurementEnvironment, { TABLE_NAME: localTableName, ...project, ...deadLetters('measurement') }),
      enrichment: environmentOf(EnrichmentEnvironment, {
        EVENT_BUS_NAME: busName,
        BIGCOMMERCE_TOKENS_ID: bigCommerceTokensId,
        BIGCOMMERCE_API_URL: options.bigCommerceApiUrl ?? process.env.NUDGE_BIGCOMMERCE_API_URL ?? 'https://api.bigcommerce.com',
        ...deadLetters('enrichment'),
      }),
    } satisfies Record<Consumer, Record<string, string>>;
    const coldStart = <M>(consumer: Consumer, load: () => Promise<M>): Promise<M> => {
      Object.assign(process.env, environments[consumer]);
      return load();
    };
    // One at a time: jest's ESM loader fails on concurrent imports that share dependencies.
    const intake = await import('#services/intake/handler.js');
    const profiles = await coldStart('profiles', () => import('#services/profiles/handler.js'));
    const rules = await coldStart('rules', () => import('#services/rules/handler.js'));
    const dispatch = await coldStart('dispatch', () => import('#services/dispatch/handler.js'));
    const feedback = await coldStart('feedback', () => import('#services/dispatch/ses-feedback.js'));
    const measurement = await coldStart('measurement', () => import('#services/measurement/handler.js'));
    const enrichment = await coldStart('enrichment', () => import('#services/enrichment/handler.js'));
    const wrap = (name: LocalFunctionName, handler: LambdaHandler) => options.wrapFunction?.(name, handler) ?? handler;
    targets.profiles = wrap('profiles', profiles.handler as LambdaHandler);
    targets.rules = wrap('rules', rules.handler as LambdaHandler);
    targets.dispatch = wrap('dispatch', dispatch.handler as LambdaHandler);
    targets.feedback = wrap('feedback', feedback.handler as LambdaHandler);
    targets.measurement = wrap('measurement', measurement.handler as LambdaHandler);
    targets.enrichment = wrap('enrichment', enrichment.handler as LambdaHandler);

    let running: readonly RunningRule[] = runningRules(loadedRules);
    let generation = 0;
    /** The functions that read the project, loaded afresh: a module imported under a new URL runs its cold start again. */
    const reloaded = async (consumer: Consumer, specifier: string): Promise<LambdaHandler> => {
      const module = (await coldStart(consumer, () => import(`${import.meta.resolve(specifier)}?reload=${generation}`))) as { handler: LambdaHandler };
      return wrap(consumer, module.handler);
    };
    let reloading = Promise.resolve();
    const reloadProject = (): Promise<Result<readonly RunningRule[], Problem[]>> => {
      const attempt = reloading.then(async (): Promise<Result<readonly RunningRule[], Problem[]>> => {
        // What `nudge rules validate` and `cdk deploy` accept, and nothing less.
        const read = readProject(options.projectDir, { configDir });
        if (!read.ok) return fail(read.error);
        generation++;
        const fresh = {
          profiles: await reloaded('profiles', '#services/profiles/handler.js'),
          rules: await reloaded('rules', '#services/rules/handler.js'),
          dispatch: await reloaded('dispatch', '#services/dispatch/handler.js'),
          measurement: await reloaded('measurement', '#services/measurement/handler.js'),
        };
        // Deliveries from now on reach the new functions; one already running finishes on the old.
        Object.assign(targets, fresh);
        const needs = busNeedsOf(read.value.rules);
        bus.resubscribe(subscriptionsFor(needs));
        syncRecurring(needs);
        running = runningRules(read.value.rules);
        return ok(running);
      });
      reloading = attempt.then(
        () => undefined,
        () => undefined,
      );
      return attempt;
    };

    // Tasks of the webhook channel to the local receiver are recorded in .local/webhooks.ndjson.
    // The bus starts handing over events (and resumes what a crash left) once every handler is loaded.
    bus.start();
    started.push(async () => bus.stop());
    // Says that this folder's journal is in use, so `nudge dead-letters redrive` never writes it behind a running bus.
    writeFileSync(runtimePidFile(dataDir), String(process.pid));
    started.push(async () => rmSync(runtimePidFile(dataDir), { force: true }));
    const backlogLimit = options.maxBacklog ?? maxBacklog;
    const overloaded = () => (bus.backlog() >= backlogLimit ? `${bus.backlog()} events are waiting to be processed` : undefined);
    const measurementStore = new MeasurementStore(awsClients.dynamoDb({ endpoint: dynamoDbEndpoint, region: localRegion }), localTableName);
    gateway.serve(
      httpGateway(wrap('intake', intake.handler as LambdaHandler), localRegion, overloaded, async (url, method, headers, body) => {
        const tracked = tracker.route(url, method, headers);
        if (tracked !== undefined) return tracked;
        if (url.pathname === reportPath) return reportPage(measurementStore, options.projectDir, url, method);
        if (!url.pathname.startsWith(localWebhookPath)) return undefined;
        const task = {
          at: new Date().toISOString(),
          endpoint: url.pathname.slice(localWebhookPath.length),
          signature: headers['nudge-signature'],
          body: body.toString('utf8'),
        };
        appendFileSync(join(dataDir, 'webhooks.ndjson'), `${JSON.stringify(task)}\n`);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ received: true }) };
      }),
    );

    scheduler.start();
    started.push(async () => scheduler.stop());
    return {
      httpUrl: `http://127.0.0.1:${httpPort}`,
      reportUrl: `${publicUrl}${reportPath}`,
      inboxUrl: `http://127.0.0.1:${inboxPort}`,
      awsUrl,
      dynamoDbUrl: dynamo.endpoint,
      bus,
      scheduler,
      get rules() {
        return running;
      },
      reloadProject,
      advanceClock,
      idle: () => bus.idle(),
      stop: async () => {
        await bus.idle();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

const runningRules = (rules: readonly CompiledRule[]): RunningRule[] => rules.map(({ rule }) => ({ id: rule.id, name: rule.name, enabled: rule.enabled }));

/** The report page's path on the local HTTP endpoint. */
export const reportPath = '/_local/report';

/** Longer than any window a rule waits (a birthday's year), short enough to stay a deliberate step. */
const maxClockAdvanceMillis = 400 * 86_400_000;

/** Rounds of due timers one move of the clock runs at most (a daily schedule over 400 days is 400). */
const maxTimerRounds = 1000;

/** The measurement report page for `GET /_local/report?from=&to=&rule=`: a bad period or rule gets a 400 that says why. */
async function reportPage(store: MeasurementStore, projectDir: string, url: URL, method: string): Promise<LocalReply> {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): LocalReply => ({
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const fail = (message: string) => json(400, { code: 'bad-request', message });
  if (method !== 'GET') return json(405, { code: 'method-not-allowed', message: 'The report is read with GET' }, { allow: 'GET' });
  const known = ['from', 'to', 'rule', 'format'];
  for (const name of new Set(url.searchParams.keys())) {
    if (!known.includes(name)) return fail(`Unknown parameter "${name}": the report takes from, to, rule and format`);
    if (url.searchParams.getAll(name).length > 1) return fail(`"${name}" is given more than once`);
  }
  const format = url.searchParams.get('format') ?? 'html';
  if (format !== 'html' && format !== 'json') return fail(`format=${format}: the report comes as html or json`);
  const period = reportPeriod(url.searchParams.get('from') ?? undefined, url.searchParams.get('to') ?? undefined, Date.now(), { from: 'from', to: 'to' });
  if (!period.ok) return fail(period.error);
  let rules: ReturnType<typeof reportedRules>;
  try {
    rules = reportedRules(join(projectDir, 'rules'), url.searchParams.get('rule') ?? undefined);
  } catch (error) {
    return fail((error as Error).message);
  }
  const report = await readReport(store, rules, period.value);
  return format === 'json' ? json(200, report) : { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: reportHtml(report) };
}

/** The runtime's own operations, on the AWS endpoint: what is pending, and dead letters sent back. */
/** The local clock as `nudge clock` sees it: its time, how far it is ahead, and the timers next due. */
function clockView(clock: LocalClock, scheduler: LocalScheduler) {
  const next = scheduler
    .list()
    .filter((schedule) => schedule.nextRunAt < Number.MAX_SAFE_INTEGER)
    .sort((a, b) => a.nextRunAt - b.nextRunAt);
  return {
    now: new Date(clock.now()).toISOString(),
    aheadByMillis: clock.aheadByMillis,
    timers: next.length,
    next: next.slice(0, 10).map((schedule) => ({ name: schedule.name, dueAt: new Date(schedule.nextRunAt).toISOString() })),
  };
}

async function localAdmin(
  bus: LocalEventBus,
  method: string,
  url: URL,
  time: { readonly clock: LocalClock; readonly scheduler: LocalScheduler; readonly advance: (millis: number) => Promise<void> },
): Promise<AdminReply | undefined> {
  if (url.pathname === '/_local/status' && method === 'GET') return { status: 200, body: bus.status() };
  if (url.pathname === '/_local/clock' && method === 'GET') return { status: 200, body: clockView(time.clock, time.scheduler) };
  if (url.pathname === '/_local/clock/advance' && method === 'POST') {
    const by = url.searchParams.get('by') ?? '';
    const duration = Duration.safeParse(by);
    if (!duration.success) return { status: 400, body: { code: 'invalid-duration', message: `by=${by}: ${duration.error.issues[0]?.message}` } };
    const millis = durationMillis(duration.data);
    if (millis > maxClockAdvanceMillis)
      return { status: 400, body: { code: 'invalid-duration', message: `by=${by}: move the clock at most 400 days at a time` } };
    const due = time.scheduler.list().filter((schedule) => schedule.nextRunAt <= time.clock.now() + millis).length;
    await time.advance(millis);
    return { status: 200, body: { ...clockView(time.clock, time.scheduler), due } };
  }
  if (url.pathname === '/_local/dead-letters/redrive' && method === 'POST') {
    const service = url.searchParams.get('service');
    const consumers = service === null ? consumerNames : consumerNames.filter((name) => name === service);
    if (consumers.length === 0) return { status: 400, body: { code: 'unknown-service', message: `No service ${service}; one of ${consumerNames.join(', ')}` } };
    return { status: 200, body: { redriven: Object.fromEntries(consumers.map((consumer) => [consumer, bus.redrive(consumer)])) } };
  }
  return undefined;
}
