import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectDir } from './fixtures.js';

/** Runs the real `nudge` command, as a user would, and returns what it printed and its exit code. */
export function nudge(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [join(projectDir, 'cli', 'nudge.js'), ...args], {
    cwd: projectDir,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning' },
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** The same, without blocking this process: for commands that talk to a runtime running in the test's own process. */
export function nudgeAsync(...args: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectDir, 'cli', 'nudge.js'), ...args], {
      cwd: projectDir,
      env: { ...process.env, NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ stdout, stderr, status }));
  });
}

/** `nudge send <source> <name> --set …` against a test runtime, as a marketer runs it against `npm start`. */
export function sendSample(
  runtime: { readonly httpUrl: string; readonly awsUrl: string; readonly dataDir: string },
  source: string,
  name: string,
  ...sets: string[]
): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return nudgeAsync(
    'send',
    source,
    name,
    ...sets.flatMap((set) => ['--set', set]),
    '--endpoint',
    runtime.httpUrl,
    '--aws-endpoint',
    runtime.awsUrl,
    '--data-dir',
    runtime.dataDir,
  );
}
