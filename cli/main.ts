import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Command } from 'commander';
import { z } from 'zod';
import { exclusiveGroups } from '#project/check-project.js';
import { readProject } from '#project/load-project.js';
import { formatProblems } from '#project/problem.js';
import { CouponPools, couponCodePattern, poolNamePattern } from '#services/dispatch/adapters/coupon-pools.js';
import { MeasurementStore } from '#services/measurement/adapters/measurement-store.js';
import { reportPeriod } from '#services/measurement/core/report.js';
import { reportHtml } from '#services/measurement/core/report-html.js';
import { readReport } from '#services/measurement/read-report.js';
import { PrivacyRecords } from '#services/profiles/adapters/privacy-records.js';
import { ProfilePrivacy } from '#services/profiles/adapters/profile-privacy.js';
import { parseIdentityKey } from '#services/profiles/core/apply-event.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { Profile } from '#shared/events/profile.js';
import { parseJsonText } from '#shared/json-text.js';
import { consumerNames } from '#shared/topology.js';
import { localDynamoDb } from '../local/dynamodb-local.js';
import { localRegion, localTableName } from '../local/runtime.js';
import { writeBroadcast } from './broadcast.js';
import { formatClock, localClock } from './clock.js';
import { formatDeadLetters, listAwsDeadLetters, listLocalDeadLetters, redriveAws, redriveLocal, servicesOf } from './dead-letters.js';
import { eventFieldsMarkdown } from './event-fields.js';
import { previewTemplate } from './preview-template.js';
import { formatMeasurementReport, reportedRules } from './report.js';
import { dispatchSchemaPath, dispatchSchemaText, geofencesSchemaPath, geofencesSchemaText, ruleSchemaPath, ruleSchemaText } from './rule-schema.js';
import { preparedSample, readSample, SampleLine, sampleNames, sampleSources, sendSample } from './send-sample.js';
import { sendTest, testSubject } from './send-test.js';
import { formatReport, simulate } from './simulate.js';
import { readJsonFile, testPatternCommand, UsageError } from './test-pattern.js';
import { whyReport } from './why.js';

const defaultProject = resolve(import.meta.dirname, '..');

const program = new Command()
  .name('nudge')
  .description('Nudge, event-driven trigger marketing: tools for the people who write rules and run Nudge.')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program
  .command('test-pattern')
  .description(
    'Test an EventBridge event pattern against an event, like the TestEventPattern API. Prints true (exit 0) or false (exit 1), or why the pattern is invalid (exit 2).',
  )
  .requiredOption('--pattern <file>', 'JSON file with the event pattern')
  .requiredOption('--event <file>', 'JSON file with the event')
  .action((options: { pattern: string; event: string }) => {
    const { output, exitCode } = testPatternCommand(options.pattern, options.event);
    console.log(output);
    process.exitCode = exitCode;
  });

const rules = program.command('rules').description('Check and try the rules in rules/ before they are deployed.');

rules
  .command('validate')
  .description(
    'Check every rule and template: schema, duplicate ids, missing or broken templates, template variables nothing can supply, patterns that can never match. Exit 1 on any problem.',
  )
  .option('--project <dir>', 'the Nudge project (holds rules/ and templates/)', defaultProject)
  .action((options: { project: string }) => {
    const project = readProject(options.project);
    if (project.ok) {
      console.log(`All ${project.value.rules.length} rules and their templates are valid.`);
      if (project.value.warnings.length > 0) {
        const count = project.value.warnings.length;
        console.warn(`${count} warning${count === 1 ? '' : 's'} (the rules work, perhaps not as meant):\n${formatProblems(project.value.warnings)}`);
      }
      for (const [group, members] of exclusiveGroups(project.value.rules)) {
        console.log(
          `One message per person from group "${group}": ${members.map((rule) => `${rule.rule.id} (priority ${rule.exclusive?.priority})`).join(' over ')}.`,
        );
      }
      return;
    }
    const problems = project.error;
    console.error(`${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatProblems(problems)}`);
    process.exitCode = 1;
  });

rules
  .command('simulate')
  .description(
    'Replay canonical events (one JSON object a line, as on the bus; the local runtime records them in .local/bus.ndjson) through the real rule code on a virtual clock, and print who would have been messaged and when. Nothing is sent.',
  )
  .requiredOption('--events <file>', 'events, one JSON object a line')
  .option('--profiles <file>', 'JSON array of profiles to start from (otherwise built from the events)')
  .option('--project <dir>', 'the Nudge project (holds rules/)', defaultProject)
  .option('--json', 'print the report as JSON')
  .option('--horizon <days>', 'keep the clock running this many days after the last event, so pending timers fall due', '90')
  .action(async (options: { events: string; profiles?: string; project: string; json?: boolean; horizon: string }) => {
    const project = readProject(options.project, { checks: 'run' });
    if (!project.ok) throw new UsageError(`The project has problems; run nudge rules validate:\n${formatProblems(project.error)}`);
    const { rules, geofences, profiles, dispatch } = project.value;
    const horizonDays = Number(options.horizon);
    if (!Number.isFinite(horizonDays) || horizonDays < 0) throw new UsageError(`--horizon takes a number of days, such as 30, not ${options.horizon}`);
    if (!existsSync(options.events)) throw new UsageError(`Cannot read the events file ${options.events}`);
    let seeds: Profile[] = [];
    if (options.profiles !== undefined) {
      const parsed = z.array(Profile).safeParse(readJsonFile(options.profiles, 'profiles'));
      if (!parsed.success) {
        const [issue] = parsed.error.issues;
        throw new UsageError(`The profiles file ${options.profiles} is invalid at [${issue?.path.join('.')}]: ${issue?.message}`);
      }
      seeds = parsed.data;
    }
    const report = await simulate(rules, readFileSync(options.events, 'utf8'), profiles, seeds, {
      geofences,
      horizonMillis: horizonDays * 86_400_000,
      policy: dispatch,
    });
    console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report, rules));
  });

rules
  .command('fields')
  .description('The fields a rule can use: of each customer event (in trigger.event) and of the profile (in conditions), with what each holds.')
  .action(() => console.log(eventFieldsMarkdown()));

rules
  .command('schema')
  .description(
    `Write the JSON Schemas of rule files, geofences and the dispatch policy to ${ruleSchemaPath}, ${geofencesSchemaPath} and ${dispatchSchemaPath} (editors use them through "$schema").`,
  )
  .option('--project <dir>', 'the Nudge project', defaultProject)
  .action((options: { project: string }) => {
    writeFileSync(join(options.project, ruleSchemaPath), ruleSchemaText());
    writeFileSync(join(options.project, geofencesSchemaPath), geofencesSchemaText());
    writeFileSync(join(options.project, dispatchSchemaPath), dispatchSchemaText());
    console.log(`Wrote ${ruleSchemaPath}, ${geofencesSchemaPath} and ${dispatchSchemaPath}`);
  });

program
  .command('broadcast')
  .description(
    'Schedule a one-off broadcast at a local date and time in each person\'s time zone ("Black Friday, Friday 9:00"): writes rules/<id>.json, checked like nudge rules validate. Deploy it (npm run deploy) or let npm start pick it up.',
  )
  .argument('<id>', 'the rule id, such as black-friday-2026')
  .requiredOption('--at <local date and time>', "when, in each person's time zone: YYYY-MM-DDTHH:MM, such as 2026-11-27T09:00")
  .requiredOption('--template <name>', 'the template in templates/ to send')
  .option('--name <text>', 'a name for people to read')
  .option('--channel <channel>', 'email or sms', 'email')
  .option('--segment <rfm segment...>', 'only to people in these RFM segments (otherwise everyone who agreed to hear from the shop)')
  .option('--time-zone <zone>', 'the time zone of people who have none (otherwise UTC)')
  .option('--force', 'replace rules/<id>.json if it exists')
  .option('--project <dir>', 'the Nudge project (holds rules/ and templates/)', defaultProject)
  .action(
    (
      id: string,
      options: { at: string; template: string; name?: string; channel: string; segment?: string[]; timeZone?: string; force?: boolean; project: string },
    ) => {
      const { file, waves } = writeBroadcast(
        options.project,
        {
          id,
          at: options.at,
          template: options.template,
          ...(options.name === undefined ? {} : { name: options.name }),
          channel: options.channel,
          segments: options.segment ?? [],
          ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
          force: options.force === true,
        },
        Date.now(),
      );
      const utc = (instant: number | undefined) => `${new Date(instant ?? 0).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      console.log(`Wrote ${file}.`);
      console.log(
        `It runs in ${waves.length} wave${waves.length === 1 ? '' : 's'}, one for each time zone's ${options.at.slice(11)}, from ${utc(waves[0])} to ${utc(waves.at(-1))}; each person is messaged at most once, at their own ${options.at.slice(11)}.`,
      );
      console.log('Deploy it with npm run deploy; npm start picks it up as it is.');
    },
  );

const templates = program.command('templates').description('See the emails the templates in templates/ make.');

templates
  .command('preview')
  .description('Render a template with its layout for a profile and an event, to the terminal (subject and text) or to an HTML file.')
  .argument('<template>', 'a file in templates/, without .liquid')
  .option('--profile <file>', 'the profile, as JSON (as in profile.updated); default: a sample person')
  .option('--event <file>', 'the triggering event, as on the bus or just its detail; default: none')
  .option('--shop <shop>', "render for this shop of config/shops.json (its language and sender); default: the event's shop, else the profile's")
  .option('--out <file>', 'write the HTML part here instead of printing the text part')
  .option('--project <dir>', 'the Nudge project (holds templates/)', defaultProject)
  .action(async (name: string, options: { profile?: string; event?: string; shop?: string; out?: string; project: string }) => {
    const email = await previewTemplate(options.project, name, options.profile, options.event, options.shop);
    if (options.out !== undefined) {
      writeFileSync(options.out, email.html);
      console.log(`From: ${email.from}\nSubject: ${email.subject}\nWrote the HTML part to ${options.out}`);
    } else {
      console.log(`From: ${email.from}\nSubject: ${email.subject}\n\n${email.text}`);
    }
  });

const profile = program
  .command('profile')
  .description('Data-subject requests: everything Nudge holds on a person, or erase it. Runs against the local runtime unless --aws.');

interface TableOptions {
  table: string;
  /** Always set: the option has a default. */
  endpoint: string;
  aws?: boolean;
}
const tableOptions = (command: Command) =>
  command
    .option('--table <name>', 'the DynamoDB table (in AWS: the TableName stack output)', process.env.NUDGE_TABLE_NAME ?? localTableName)
    .option('--endpoint <url>', 'DynamoDB endpoint', `http://localhost:${process.env.NUDGE_DYNAMODB_PORT ?? 8000}`)
    .option('--aws', 'use AWS with the usual credentials and region instead of the local runtime');

function clientFor(options: TableOptions): DynamoDBClient {
  return options.aws ? awsClients.dynamoDb() : localDynamoDb(options.endpoint);
}

function privacyFor(options: TableOptions): ProfilePrivacy {
  return new ProfilePrivacy(clientFor(options), options.table);
}

/** Longest key a person can have: the table's partition keys hold 2 KB, and no address is longer. */
const maxKeyLength = 1_024;

/** A key as a message shows it: a long one cut, so a mistaken paste does not fill the screen. */
const shownKey = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);

function keyFrom(text: string) {
  if (text.length > maxKeyLength) throw new UsageError(`${shownKey(text)} is not a key: a key has at most ${maxKeyLength} characters, this one ${text.length}`);
  const key = parseIdentityKey(text);
  if (key === undefined)
    throw new UsageError(
      `${shownKey(text)} is not a key: use kind:value (email, phone, customer, user, anonymous), such as email:ada@example.com, or an email address`,
    );
  return key;
}

/** Nobody with this key: never seen, or erased (whose address alone is kept, hashed, as a suppression). */
async function noProfile(privacy: ProfilePrivacy, key: ReturnType<typeof keyFrom>, text: string): Promise<never> {
  if (await privacy.wasErased(key))
    throw new UsageError(
      `No profile has the key ${shownKey(text)}: that person was erased; only a hash of the address is kept, so they are never mailed again`,
    );
  throw new UsageError(`No profile has the key ${shownKey(text)}`);
}

tableOptions(
  templates
    .command('send-test')
    .description(
      'Send a template, rendered for a real person, to your own address through SES (the local inbox against npm start), marked as a test: no gate, no ledger, not measured.',
    )
    .argument('<template>', 'a file in templates/, without .liquid')
    .requiredOption('--to <address>', 'where the test goes (never the person of the profile)')
    .option('--profile <key or file>', 'the person: a key such as email:ada@example.com (read from the table), or a JSON file; default: a sample person')
    .option('--event <file>', 'the triggering event, as on the bus or just its detail; default: none')
    .option('--shop <shop>', "send as this shop of config/shops.json (its language and sender); default: the event's shop, else the profile's")
    .option('--from <address>', "the sender; default: the shop's (config/shops.json), else SENDER_ADDRESS")
    .option('--ses-endpoint <url>', 'SES (locally: the inbox of npm start)', `http://127.0.0.1:${process.env.NUDGE_INBOX_PORT ?? 8005}`)
    .option('--project <dir>', 'the Nudge project (holds templates/)', defaultProject),
).action(
  async (
    name: string,
    options: TableOptions & { to: string; profile?: string; event?: string; shop?: string; from?: string; sesEndpoint: string; project: string },
  ) => {
    let person: string | Profile | undefined = options.profile;
    if (options.profile !== undefined && !existsSync(options.profile)) {
      const key = keyFrom(options.profile);
      const privacy = privacyFor(options);
      const exported = (await privacy.export(key, Date.now())) ?? (await noProfile(privacy, key, options.profile));
      person = exported.profile as Profile;
    }
    const to = options.to.trim();
    if (!/^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/.test(to)) throw new UsageError(`--to ${options.to}: give one email address, such as you@shop.example`);
    if (typeof person === 'object' && person.email?.trim().toLowerCase() === to.toLowerCase())
      throw new UsageError(`--to ${to} is the person of the profile: a test goes to your own address, never to a customer`);
    const email = await previewTemplate(options.project, name, person, options.event, options.shop);
    const ses = options.aws
      ? awsClients.ses()
      : new SESv2Client({
          endpoint: options.sesEndpoint,
          region: localRegion,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 1,
        });
    let messageId: string;
    try {
      messageId = await sendTest(ses, email, to, options.from ?? email.from);
    } catch (error) {
      throw new UsageError(`SES did not take the test (${options.aws ? 'AWS' : options.sesEndpoint}): ${(error as Error).message}`);
    }
    console.log(`Sent "${testSubject(email.subject)}" to ${to} (SES message ${messageId})`);
  },
);

const coupons = program
  .command('coupons')
  .description('Pools of unique coupon codes: a template that writes {{ coupon.<pool> }} gives each message its own code from the pool.');

tableOptions(
  coupons
    .command('load')
    .description('Add the codes of a text file (one a line) to a pool, creating it; codes it already holds are skipped.')
    .argument('<pool>', 'the pool, as templates name it: lower-case letters, digits and _, such as welcome10')
    .argument('<file>', 'a text file with one code a line'),
).action(async (pool: string, file: string, options: TableOptions) => {
  if (!poolNamePattern.test(pool)) throw new UsageError(`${pool}: a pool name is lower-case letters, digits and _ (starting with a letter), such as welcome10`);
  if (!existsSync(file)) throw new UsageError(`Cannot read the file ${file}`);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const codes: string[] = [];
  for (const [index, line] of lines.entries()) {
    const code = line.trim();
    if (code === '') continue;
    if (!couponCodePattern.test(code))
      throw new UsageError(`${file} line ${index + 1}: a code is 1 to 64 printable characters without spaces, not "${code.slice(0, 80)}"`);
    codes.push(code);
  }
  if (codes.length === 0) throw new UsageError(`${file} holds no codes: write one code a line`);
  const pools = new CouponPools(clientFor(options), options.table);
  const added = await pools.load(pool, codes);
  const status = await pools.status(pool);
  console.log(
    `Added ${added} code(s) to ${pool} (${codes.length - added} already held or repeated); ${status?.loaded ?? 0} loaded, ${(status?.loaded ?? 0) - (status?.claimed ?? 0)} left.`,
  );
});

tableOptions(coupons.command('status').description('How many codes a pool holds, and how many are given out.').argument('<pool>', 'the pool')).action(
  async (pool: string, options: TableOptions) => {
    const status = await new CouponPools(clientFor(options), options.table).status(pool);
    if (status === undefined) throw new UsageError(`No coupon pool named ${pool}: load one with nudge coupons load ${pool} <file>`);
    console.log(`${pool}: ${status.loaded} loaded, ${status.claimed} given out, ${status.loaded - status.claimed} left.`);
  },
);

const privacy = program
  .command('privacy')
  .description("Data-subject requests shops passed on (Shopify's compliance webhooks): what was asked, what was done, and the exports to hand over.");

tableOptions(
  privacy
    .command('requests')
    .description(
      'List the requests (export, erase a customer, erase a shop) and what came of each; --out writes the exports still kept (30 days) as JSON files.',
    )
    .option('--shop <shop>', 'only this shop, such as negozio.myshopify.com')
    .option('--out <dir>', 'write each kept export to <dir>/<shop>-<request>.json'),
).action(async (options: TableOptions & { shop?: string; out?: string }) => {
  const records = new PrivacyRecords(clientFor(options), options.table);
  const requests = await records.list(options.shop);
  if (requests.length === 0) {
    console.log(`No data-subject requests${options.shop === undefined ? '' : ` from ${options.shop}`}.`);
    return;
  }
  for (const request of requests) {
    const what = request.request === 'export' ? `${request.profiles} profile(s) exported` : `${request.profiles} profile(s) erased`;
    console.log(
      `${request.receivedAt}  ${request.shop}  ${request.request}${request.requestId === undefined ? '' : ` #${request.requestId}`}  ${what}${request.exportKept ? ' (export kept)' : ''}`,
    );
  }
  if (options.out === undefined) return;
  mkdirSync(options.out, { recursive: true });
  for (const request of requests.filter((entry) => entry.exportKept)) {
    const exported = await records.exported(request.shop, request.requestKey);
    if (exported === undefined) continue;
    const file = join(options.out, `${request.shop}-${request.requestId ?? request.requestKey.replace(/[^\w.-]+/g, '_')}.json`.replace(/[/\\]/g, '_'));
    writeFileSync(file, `${JSON.stringify(exported, null, 2)}\n`);
    console.log(`Wrote ${file}`);
  }
});

tableOptions(
  program
    .command('why')
    .description(
      "Why a person got a message or did not: per rule, what waits for them now and the latest decisions with reasons (fired, waiting until when, held by cooldown or an exclusive group, conditions not met, the gate's caps, quiet hours, consent), in the person's time zone.",
    )
    .argument('<key>', 'an email address, or a key such as customer:shopify:42')
    .option('--rule <id>', 'only this rule')
    .option('--per-rule <n>', 'decisions shown per rule, newest first', '10')
    .option('--json', 'the decisions and waits as JSON')
    .option('--aws-endpoint <url>', 'the local runtime’s AWS endpoint (its clock)', `http://127.0.0.1:${process.env.NUDGE_AWS_PORT ?? 4010}`)
    .option('--project <dir>', 'the Nudge project (for the rules’ names)', defaultProject),
).action(async (text: string, options: TableOptions & { rule?: string; perRule: string; json?: boolean; awsEndpoint: string; project: string }) => {
  const perRule = /^\d{1,6}$/.test(options.perRule) ? Number(options.perRule) : 0;
  if (perRule < 1) throw new UsageError(`--per-rule ${shownKey(options.perRule)}: give a whole number of at least 1, in digits, such as 20`);
  // The local runtime's clock may be ahead (nudge clock advance): a wait is due from there.
  const now = options.aws
    ? Date.now()
    : await localClock(options.awsEndpoint).then(
        (view) => Date.parse(view.now),
        () => Date.now(),
      );
  const key = keyFrom(text);
  const privacy = privacyFor(options);
  const exported = (await privacy.export(key, now)) ?? (await noProfile(privacy, key, text));
  const project = readProject(options.project, { checks: 'run' });
  const rules = new Map(project.ok ? project.value.rules.map(({ rule }) => [rule.id, rule.name] as const) : []);
  if (options.rule !== undefined && project.ok && !rules.has(options.rule))
    throw new UsageError(`--rule ${options.rule}: no such rule (there are ${[...rules.keys()].join(', ')})`);
  if (options.json) {
    const { profileId, decisions, triggerStates } = exported;
    const chosen = <T extends { ruleId: string }>(list: readonly T[]) => list.filter((entry) => options.rule === undefined || entry.ruleId === options.rule);
    const waiting = chosen(triggerStates).flatMap((state) =>
      Object.values(state.timers ?? {})
        .filter((dueAt) => dueAt >= now)
        .map((dueAt) => ({ ruleId: state.ruleId, stateKey: state.stateKey, dueAt: new Date(dueAt).toISOString() })),
    );
    console.log(JSON.stringify({ profileId, waiting, decisions: chosen(decisions) }, null, 2));
    return;
  }
  console.log(whyReport(exported, rules, { rule: options.rule, perRule }, now));
});

tableOptions(
  profile
    .command('export')
    .description('Write everything Nudge holds on the person with this key as JSON (profile, merged profiles, identities, recent events, rule state).')
    .argument('<key>', 'email:ada@example.com, phone:+4915112345678, customer:shopify:42, user:…, anonymous:… or an email address')
    .option('--out <file>', 'write to this file instead of standard output'),
).action(async (text: string, options: TableOptions & { out?: string }) => {
  const key = keyFrom(text);
  const privacy = privacyFor(options);
  const exported = (await privacy.export(key, Date.now())) ?? (await noProfile(privacy, key, text));
  const json = `${JSON.stringify(exported, null, 2)}\n`;
  if (options.out) {
    writeFileSync(options.out, json);
    console.log(`Wrote ${options.out}`);
  } else process.stdout.write(json);
});

tableOptions(
  profile
    .command('erase')
    .description(
      'Delete the person with this key: profiles, aliases, history, rule state. Leaves only a suppression entry (a hash of each address) so they are never mailed again.',
    )
    .argument('<key>', 'as for export'),
).action(async (text: string, options: TableOptions) => {
  const key = keyFrom(text);
  const privacy = privacyFor(options);
  const erased = (await privacy.erase(key, Date.now())) ?? (await noProfile(privacy, key, text));
  console.log(
    `Erased profile ${erased.profileId}: ${erased.deletedItems} items deleted; suppression entries kept for: ${erased.suppressed.join(', ') || 'none'}.`,
  );
});

tableOptions(
  program
    .command('report')
    .description('What each rule and variant sent and earned: funnel rates, attributed conversions and revenue, lift over the holdout, A/B verdicts.')
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (default: 29 days before --to)')
    .option('--to <day>', 'last UTC day, YYYY-MM-DD (default: today)')
    .option('--rule <id>', 'only this rule')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write the report as one self-contained HTML page with charts')
    .option('--project <dir>', 'the Nudge project (holds rules/)', defaultProject),
).action(async (options: TableOptions & { from?: string; to?: string; rule?: string; json?: boolean; html?: string; project: string }) => {
  const period = reportPeriod(options.from, options.to, Date.now());
  if (!period.ok) throw new UsageError(period.error);
  const rules = reportedRules(join(options.project, 'rules'), options.rule);
  const report = await readReport(new MeasurementStore(clientFor(options), options.table), rules, period.value);
  if (options.html !== undefined) {
    writeFileSync(options.html, reportHtml(report));
    console.log(`Wrote ${options.html}`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (options.html === undefined) console.log(formatMeasurementReport(report));
});

const clock = program
  .command('clock')
  .description('The running local runtime’s clock: see it, and move it forward so timers (a reminder in 2 hours, a birthday) fall due now.');
const clockOptions = (command: Command) =>
  command
    .option('--endpoint <url>', 'the local runtime’s AWS endpoint', `http://127.0.0.1:${process.env.NUDGE_AWS_PORT ?? 4010}`)
    .option('--json', 'print as JSON');
clockOptions(clock.command('show').description('The local time, how far it is ahead of real time, and the timers next due.')).action(
  async (options: { endpoint: string; json?: boolean }) => {
    const view = await localClock(options.endpoint);
    console.log(options.json ? JSON.stringify(view, null, 2) : formatClock(view));
  },
);
clockOptions(
  clock
    .command('advance')
    .argument('<duration>', 'how far: a whole number and s, m, h, d or w, such as 2h or 7d')
    .description('Moves the clock forward: the timers that fall due fire, as they would have, and what they set off is handled before it returns.'),
).action(async (duration: string, options: { endpoint: string; json?: boolean }) => {
  const view = await localClock(options.endpoint, duration);
  console.log(options.json ? JSON.stringify(view, null, 2) : formatClock(view));
});

program
  .command('send')
  .description(
    'Sends a sample webhook, signed, to the running local runtime (npm start), with fresh ids and times: nudge send shopify checkouts/create --set email=giulia@example.it --set total=64.90. Samples are in samples/webhooks/; --file sends one a line of an NDJSON file.',
  )
  .argument('[source]', `one of ${sampleSources.join(', ')}`)
  .argument('[name]', 'the sample, such as checkouts/create (without it: the list)')
  .option(
    '--set <name=value>',
    'a field: a dotted path (customer.email), or a name set wherever it is (email, total); repeatable',
    (value: string, all: string[]) => [...all, value],
    [] as string[],
  )
  .option('--shop <host>', 'the shop that sends it, such as negozio.myshopify.com (Shopify and WooCommerce samples); default: the demo shop')
  .option(
    '--file <events.ndjson>',
    'send one sample a line: {"source": "shopify", "name": "checkouts/create", "shop": "negozio.myshopify.com", "set": {"email": "giulia@example.it"}}',
  )
  .option('--endpoint <url>', 'the local runtime’s intake', `http://127.0.0.1:${process.env.NUDGE_HTTP_PORT ?? 3000}`)
  .option('--aws-endpoint <url>', 'the local runtime’s AWS endpoint (its clock)', `http://127.0.0.1:${process.env.NUDGE_AWS_PORT ?? 4010}`)
  .option('--data-dir <dir>', 'the local runtime’s data folder (its webhook secrets)', process.env.NUDGE_DATA_DIR ?? resolve(defaultProject, '.local'))
  .option('--print', 'print the signed body instead of sending it')
  .action(
    async (
      source: string | undefined,
      name: string | undefined,
      options: { set: string[]; shop?: string; file?: string; endpoint: string; awsEndpoint: string; dataDir: string; print?: boolean },
    ) => {
      if (options.file !== undefined) {
        if (!existsSync(options.file)) throw new UsageError(`Cannot read the file ${options.file}`);
        const lines = readFileSync(options.file, 'utf8').split('\n');
        for (const [index, line] of lines.entries()) {
          if (line.trim() === '') continue;
          const where = `${options.file} line ${index + 1}`;
          const json = parseJsonText(line);
          if (!json.ok) throw new UsageError(`${where}: not valid JSON: ${json.error}`);
          const entry = SampleLine.safeParse(json.value);
          if (!entry.success)
            throw new UsageError(`${where}: write {"source": "shopify", "name": "checkouts/create", "set": {"email": "…"}} (${z.prettifyError(entry.error)})`);
          const sets = Object.entries(entry.data.set ?? {}).map(([key, value]) => `${key}=${String(value)}`);
          const sent = await sendSample(defaultProject, entry.data.source, entry.data.name, sets, { ...options, shop: entry.data.shop ?? options.shop });
          console.log(`${where}: ${entry.data.source} ${entry.data.name}: ${sent.status} ${sent.reply}`);
          if (sent.status >= 300) process.exitCode = 1;
        }
        return;
      }
      if (source === undefined) throw new UsageError(`Name a source (${sampleSources.join(', ')}), or give --file`);
      if (name === undefined) {
        const known = sampleSources.find((candidate) => candidate === source);
        if (known === undefined) throw new UsageError(`No samples for ${source}; there are samples for ${sampleSources.join(', ')}`);
        console.log(sampleNames(defaultProject, known).join('\n'));
        return;
      }
      if (options.print) {
        const sample = readSample(defaultProject, source, name);
        console.log(preparedSample(sample.source, sample.text, options.set, Date.now()));
        return;
      }
      const sent = await sendSample(defaultProject, source, name, options.set, options);
      console.log(`${source} ${name}: ${sent.status} ${sent.reply}`);
      if (sent.status >= 300) process.exitCode = 1;
    },
  );

const deadLetters = program
  .command('dead-letters')
  .description(
    'Events a service gave up on (at once when no retry can mend them, else after its retries): list them, and send them back once the cause is fixed. Locally from .local/dlq/; in AWS (--aws) from the dead-letter queues.',
  );

interface DeadLetterOptions {
  service?: string;
  dataDir: string;
  endpoint: string;
  aws?: boolean;
  stack: string;
  json?: boolean;
}
const deadLetterOptions = (command: Command) =>
  command
    .option('--service <name>', `only this service (${consumerNames.join(', ')})`)
    .option('--data-dir <dir>', 'the local runtime’s data folder', process.env.NUDGE_DATA_DIR ?? resolve(defaultProject, '.local'))
    .option('--endpoint <url>', 'the local runtime’s AWS endpoint', `http://127.0.0.1:${process.env.NUDGE_AWS_PORT ?? 4010}`)
    .option('--aws', 'use the deployed stack’s dead-letter queues, with the usual credentials and region')
    .option('--stack <name>', 'the deployed stack', 'Nudge');

deadLetterOptions(deadLetters.command('list').description('Show each dead letter: service, when, event type, event id and the error.'))
  .option('--json', 'print them as JSON')
  .action(async (options: DeadLetterOptions) => {
    const services = servicesOf(options.service);
    const lines = options.aws ? await listAwsDeadLetters(options.stack, services) : listLocalDeadLetters(options.dataDir, services);
    console.log(options.json ? JSON.stringify(lines, null, 2) : formatDeadLetters(lines));
  });

deadLetterOptions(
  deadLetters.command('redrive').description('Send the dead letters back to the service that gave up on them (only to it), each once. Fix the cause first.'),
).action(async (options: DeadLetterOptions) => {
  const services = servicesOf(options.service);
  if (options.aws) {
    const counts = await redriveAws(options.stack, services);
    for (const [service, count] of Object.entries(counts)) console.log(`${service}: ${count}`);
    return;
  }
  const { counts, via } = await redriveLocal(options.dataDir, options.endpoint, services);
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  console.log(
    `${total} dead letter${total === 1 ? '' : 's'} sent back through ${via}: ${Object.entries(counts)
      .map(([service, count]) => `${service} ${count}`)
      .join(', ')}`,
  );
});

/** What went wrong outside Nudge (the table, the network, a file), said plainly instead of a stack trace. */
function explainFailure(error: unknown): string | undefined {
  const failure = error as { name?: string; code?: string; message?: string; address?: string; port?: number; path?: string; syscall?: string };
  if (failure.code === 'ECONNREFUSED' || failure.code === 'ENOTFOUND' || failure.code === 'ECONNRESET')
    return `Cannot reach ${failure.address ?? 'the endpoint'}${failure.port ? `:${failure.port}` : ''} (${failure.code}): is npm start running, or is --endpoint right? (--aws uses AWS)`;
  if (failure.name === 'ResourceNotFoundException')
    return `No such table: check --table (in AWS: the TableName output of the stack). ${failure.message ?? ''}`.trim();
  if (failure.name === 'ValidationException' || failure.name === 'UnrecognizedClientException' || failure.name === 'AccessDeniedException')
    return `DynamoDB refused the request (${failure.name}): ${failure.message}`;
  if (error instanceof TypeError && failure.code === 'ERR_INVALID_URL') return `Not a URL: ${failure.message}; pass --endpoint http://host:port`;
  if (failure.syscall !== undefined && failure.path !== undefined) return `Cannot ${failure.syscall} ${failure.path}: ${failure.code}`;
  return undefined;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    const explained = explainFailure(error);
    if (explained === undefined) throw error;
    console.error(explained);
    process.exitCode = 1;
  }
}
