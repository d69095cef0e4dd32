import { join } from 'node:path';
import { loadJsonConfig } from '../../../shared/adapters/json-config-file.js';
import { DispatchPolicy } from '../core/gate.js';

/** Reads and checks `config/dispatch.json`; a problem names the file and the field. */
export function loadDispatchPolicy(configDir: string): DispatchPolicy {
  return loadJsonConfig(join(configDir, 'dispatch.json'), DispatchPolicy);
}
