import { spawnSync } from 'node:child_process';
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
