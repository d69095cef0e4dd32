import { readFileSync } from 'node:fs';
import { testEventPattern } from '#shared/event-pattern/index.js';
import { parseJsonText } from '#shared/json-text.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const json = parseJsonText(text);
  if (!json.ok) throw new UsageError(`The ${what} file ${file} is not valid JSON: ${json.error}`);
  return json.value;
}

/** Mirrors the TestEventPattern API: `true`/`false` (exit 0/1), or why the pattern is invalid (exit 2). */
export function testPatternCommand(patternFile: string, eventFile: string): { output: string; exitCode: 0 | 1 | 2 } {
  const verdict = testEventPattern(readJsonFile(patternFile, 'pattern'), readJsonFile(eventFile, 'event'));
  if (!verdict.ok) return { output: `Invalid event pattern${verdict.error.path ? ` at ${verdict.error.path}` : ''}: ${verdict.error.message}`, exitCode: 2 };
  return { output: String(verdict.value), exitCode: verdict.value ? 0 : 1 };
}
