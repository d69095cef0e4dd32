import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/runtime.js';
import { projectDir } from '../support/fixtures.js';

// `npm start` with a port taken or mistyped: a message naming the port and the variable to set,
// exit 1, and nothing started.
/** `npm start` as a user runs it, on its own data folder, with these port variables; it is expected to refuse. */
const npmStart = (ports: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(projectDir, 'local', 'start.ts')], {
    cwd: projectDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      NODE_OPTIONS: '--disable-warning=NodeVersionSupportWarning',
      NUDGE_DATA_DIR: mkdtempSync(join(tmpdir(), 'nudge-start-')),
      ...ports,
    },
  });

describe('npm start', () => {
  let held: Server;
  let heldPort: number;

  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((resolveListen) => held.listen(0, '127.0.0.1', () => resolveListen()));
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolveClose) => held.close(() => resolveClose())));

  it('names two variables given the same port', async () => {
    const port = String(await freePort());
    const started = npmStart({
      NUDGE_HTTP_PORT: port,
      NUDGE_INBOX_PORT: port,
      NUDGE_AWS_PORT: String(await freePort()),
      NUDGE_DYNAMODB_PORT: String(await freePort()),
    });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(`NUDGE_INBOX_PORT and NUDGE_HTTP_PORT are both ${port}`);
  });

  it('names a port in use and a port that is not one, with the variables that change them, and starts nothing', async () => {
    const started = npmStart({
      NUDGE_HTTP_PORT: String(heldPort),
      NUDGE_INBOX_PORT: String(await freePort()),
      NUDGE_AWS_PORT: 'four thousand',
      NUDGE_DYNAMODB_PORT: String(await freePort()),
    });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(`port ${heldPort} is in use`);
    expect(started.stderr).toContain('set NUDGE_HTTP_PORT to a free port');
    expect(started.stderr).toContain('NUDGE_AWS_PORT=four thousand is not a port');
    expect(started.stderr).not.toMatch(/TypeError|at .*\.ts:\d+/);
    expect(started.stdout).not.toContain('Nudge is running locally');
  });
});
