import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DispatchPolicy } from '../core/gate.js';

/** Reads and checks `config/dispatch.json`; a problem names the file and the field. */
export function loadDispatchPolicy(configDir: string): DispatchPolicy {
  const file = join(configDir, 'dispatch.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const parsed = DispatchPolicy.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new Error(`${file} at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  return parsed.data;
}
