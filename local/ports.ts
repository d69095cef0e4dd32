import { createServer } from 'node:net';
import { fail, ok, type Result } from '#shared/result.js';

function bindFails(port: number): Promise<boolean> {
  return new Promise((resolveTaken) => {
    const probe = createServer();
    probe.once('error', () => resolveTaken(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveTaken(false)));
  });
}

/**
 * A port free now, from below the range systems hand out on their own (Linux from 32768, macOS and
 * Windows from 49152): for a process given a port number to bind later (DynamoDB Local's Java
 * takes a second to start), which an outgoing connection or another server's port 0 could take
 * meanwhile if it came from that range.
 */
export async function quietFreePort(random: () => number = Math.random): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(random() * 12_000);
    if (!(await bindFails(port))) return port;
  }
  throw new Error('No free port found from 20000 to 31999');
}

/**
 * Whether something listens on the port on 127.0.0.1 (another npm start, another program). Asked
 * for two seconds: a process just stopped (a DynamoDB Local a killed start left behind) lets its
 * port go a moment after it is gone.
 */
async function isTaken(port: number): Promise<boolean> {
  for (let attempt = 0; attempt < 10; attempt++) {
    if (!(await bindFails(port))) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  return true;
}

/**
 * The local runtime's ports, each from its variable or its default, checked before anything
 * starts: a value that is not a port, or a port something else holds, is said with the variable
 * that changes it, all at once.
 */
export async function choosePorts<K extends string>(
  defaults: Readonly<Record<K, number>>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Result<Record<K, number>, string>> {
  const chosen = {} as Record<K, number>;
  const problems: string[] = [];
  for (const name of Object.keys(defaults) as K[]) {
    const text = env[name];
    const port = text === undefined || text === '' ? defaults[name] : /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      problems.push(`${name}=${text} is not a port; set it to a number from 1 to 65535`);
      continue;
    }
    const twin = (Object.keys(chosen) as K[]).find((other) => chosen[other] === port);
    if (twin !== undefined) {
      problems.push(`${name} and ${twin} are both ${port}; each needs a port of its own`);
      continue;
    }
    if (await isTaken(port)) {
      problems.push(`port ${port} is in use (another npm start, or another program); stop it, or set ${name} to a free port`);
      continue;
    }
    chosen[name] = port;
  }
  return problems.length === 0 ? ok(chosen) : fail(`Nudge cannot start locally:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
}
