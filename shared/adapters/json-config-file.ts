import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { parseJsonText } from '../json-text.js';

/** Reads and checks a JSON configuration file; a problem names the file and the field. */
export function loadJsonConfig<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const json = parseJsonText(readFileSync(file, 'utf8'));
  if (!json.ok) throw new Error(`${file}: not valid JSON: ${json.error}`);
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new Error(`${file} at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  return parsed.data;
}
