import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { freePort } from '../local/runtime.js';
import { groups } from './groups.mjs';

/**
 * `npm run mutation [-- <file>…] [--survivors]`: StrykerJS over the code that carries Nudge's
 * promises, one group at a time (each with only its own tests loaded), then the score per file and
 * overall. With files, only those are mutated (their group's tests run). `--survivors` lists each
 * mutant no test noticed, with its place and change. Every mutant is tested each run: `--incremental`
 * reuses earlier results instead, which is faster but keeps stale verdicts for module-level code. The last line is `mutation score: NN.N%`.
 */

const root = resolve(import.meta.dirname, '..');
const reports = join(root, 'reports', 'mutation');

type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';
interface Mutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: Status;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}
interface Report {
  readonly files: Readonly<Record<string, { readonly source: string; readonly mutants: readonly Mutant[] }>>;
}

interface FileScore {
  readonly file: string;
  readonly killed: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly ignored: number;
  readonly errors: number;
  readonly survivors: readonly Mutant[];
}

/**
 * Killed and timed-out mutants over every valid one (Stryker's "total" score); errors and ignored
 * ones are not mutants a test could catch. None at all is no score: a run that tested nothing.
 */
export function scoreOf(files: readonly FileScore[]): number {
  const killed = files.reduce((sum, file) => sum + file.killed, 0);
  const valid = files.reduce((sum, file) => sum + file.killed + file.survived + file.noCoverage, 0);
  return valid === 0 ? Number.NaN : (killed * 100) / valid;
}

function fileScores(report: Report): FileScore[] {
  return Object.entries(report.files).map(([file, { mutants }]) => {
    const count = (...statuses: Status[]) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
    return {
      file,
      killed: count('Killed', 'Timeout'),
      survived: count('Survived'),
      noCoverage: count('NoCoverage'),
      ignored: count('Ignored'),
      errors: count('CompileError', 'RuntimeError'),
      survivors: mutants.filter((mutant) => mutant.status === 'Survived' || mutant.status === 'NoCoverage'),
    };
  });
}

function runGroup(name: string, files: readonly string[] | undefined, tableEndpoint: string | undefined, fresh: boolean): Promise<number> {
  mkdirSync(reports, { recursive: true });
  const log = join(reports, `${name}.log`);
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', 'mutation/stryker.config.mjs', ...(fresh ? ['--force'] : [])],
      {
        cwd: root,
        env: {
          ...process.env,
          NUDGE_MUTATION_GROUP: name,
          NUDGE_MUTATION_FILES: files?.join(',') ?? '',
          POWERTOOLS_LOG_LEVEL: 'CRITICAL',
          ...(tableEndpoint === undefined ? {} : { NUDGE_TEST_DYNAMODB_ENDPOINT: tableEndpoint }),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Written as it comes, so a long run's progress can be followed with `tail -f`.
    const output = createWriteStream(log);
    child.stdout.pipe(output, { end: false });
    child.stderr.pipe(output, { end: false });
    child.on('error', reject);
    child.on('close', (code) => {
      output.end();
      if (code !== 0) reject(new Error(`Stryker failed on group ${name} (exit ${code}); its output is in ${log}`));
      else resolveRun(Date.now() - started);
    });
  });
}

const pad = (text: string, width: number) => text.padEnd(width);
const percent = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(1)}%`);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const showSurvivors = args.includes('--survivors');
  const wanted = args.filter((arg) => !arg.startsWith('--'));
  const unknown = wanted.filter((file) => !groups.some((group) => group.mutate.includes(file)));
  if (unknown.length > 0) {
    console.error(`Not in mutation testing's scope: ${unknown.join(', ')}. The files are:\n${groups.flatMap((group) => group.mutate).join('\n')}`);
    process.exitCode = 2;
    return;
  }
  const plan = groups.flatMap((group): { group: (typeof groups)[number]; files: readonly string[] | undefined }[] => {
    const files = wanted.filter((file) => group.mutate.includes(file));
    return wanted.length === 0 ? [{ group, files: undefined }] : files.length > 0 ? [{ group, files }] : [];
  });
  const started = Date.now();
  const scores: FileScore[] = [];
  // The adapters' tests run once per mutant: one DynamoDB Local for the whole run saves starting Java each time.
  let dynamoDb: DynamoDbLocal | undefined;
  try {
    for (const { group, files } of plan) {
      if (group.table && dynamoDb === undefined) dynamoDb = await startDynamoDbLocal({ port: await freePort(), dataDir: undefined });
      process.stdout.write(`${group.name}: mutating ${(files ?? group.mutate).length} file(s) against ${group.tests.join(', ')} … `);
      const took = await runGroup(group.name, files, group.table ? dynamoDb?.endpoint : undefined, !args.includes('--incremental'));
      console.log(`${Math.round(took / 1000)} s`);
      const report = JSON.parse(readFileSync(join(reports, `${group.name}.json`), 'utf8')) as Report;
      scores.push(...fileScores(report).filter((score) => files === undefined || files.includes(score.file)));
    }
  } finally {
    await dynamoDb?.stop();
  }
  const width = Math.max(...scores.map((score) => score.file.length), 4);
  console.log('');
  console.log(`${pad('file', width)}  score   killed  survived  no cover  ignored`);
  for (const score of scores)
    console.log(
      `${pad(score.file, width)}  ${pad(percent(scoreOf([score])), 6)}  ${pad(String(score.killed), 6)}  ${pad(String(score.survived), 8)}  ${pad(String(score.noCoverage), 8)}  ${score.ignored}`,
    );
  if (showSurvivors)
    for (const score of scores)
      for (const mutant of score.survivors)
        console.log(
          `${score.file}:${mutant.location.start.line}:${mutant.location.start.column + 1} ${mutant.status} ${mutant.mutatorName}${mutant.replacement === undefined ? '' : ` → ${mutant.replacement.replace(/\s+/g, ' ').slice(0, 100)}`}`,
        );
  console.log('');
  console.log(`took ${Math.round((Date.now() - started) / 60_000)} min on ${plan.length} group(s); reports in reports/mutation/`);
  const score = scoreOf(scores);
  if (Number.isNaN(score)) {
    console.error("No mutant was tested: see the groups' logs in reports/mutation/");
    process.exitCode = 1;
    return;
  }
  console.log(`mutation score: ${score.toFixed(1)}%`);
}

if (!existsSync(join(root, 'node_modules/@stryker-mutator/core'))) {
  console.error('StrykerJS is not installed: run npm install first');
  process.exitCode = 2;
} else await main();
