import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ProfileConfig } from '../core/config.js';

/** Reads and checks `config/profiles.json`; a problem names the file and the field. */
export function loadProfileConfig(file: string): ProfileConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const parsed = ProfileConfig.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new Error(`${file} at ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

export const projectProfileConfig = (projectDir: string) => loadProfileConfig(join(projectDir, 'config', 'profiles.json'));
