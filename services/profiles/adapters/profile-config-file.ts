import { join } from 'node:path';
import { loadJsonConfig } from '../../../shared/adapters/json-config-file.js';
import { ProfileConfig } from '../core/config.js';

/** Reads and checks `config/profiles.json`; a problem names the file and the field. */
export function loadProfileConfig(file: string): ProfileConfig {
  return loadJsonConfig(file, ProfileConfig);
}

export const projectProfileConfig = (projectDir: string) => loadProfileConfig(join(projectDir, 'config', 'profiles.json'));
