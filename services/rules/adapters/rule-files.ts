import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Geofence, GeofencesFile } from '../core/geofence.js';
import { type CompiledRule, compileRule, Rule } from '../core/rule.js';

/** A problem in a rule file, named so a marketer can find and fix it. */
export interface RuleFileProblem {
  readonly file: string;
  /** JSON path inside the file, such as `trigger.event.detail-type`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

export type RuleFilesResult = { readonly ok: true; readonly rules: CompiledRule[] } | { readonly ok: false; readonly problems: RuleFileProblem[] };

export function readRuleFiles(directory: string): RuleFilesResult {
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.json') && file !== geofencesFile)
    .sort();
  const problems: RuleFileProblem[] = [];
  const rules: CompiledRule[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(join(directory, file), 'utf8'));
    } catch (error) {
      problems.push({ file, path: '', message: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    const parsed = Rule.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ file, path: issue.path.join('.'), message: issue.message });
      continue;
    }
    const earlier = seen.get(parsed.data.id);
    if (earlier !== undefined) {
      problems.push({ file, path: 'id', message: `id "${parsed.data.id}" is already used by ${earlier}` });
      continue;
    }
    seen.set(parsed.data.id, file);
    rules.push(compileRule(parsed.data, file));
  }
  // Place rules must name geofences that exist.
  const fences = readGeofences(directory);
  if (!fences.ok) problems.push(...fences.problems);
  else {
    for (const rule of rules) {
      if (rule.trigger.kind !== 'place') continue;
      rule.trigger.geofences.forEach((id, index) => {
        if (!fences.geofences.has(id))
          problems.push({
            file: rule.file ?? '',
            path: `trigger.geofences.${index}`,
            message: `no geofence "${id}" in ${geofencesFile}; known: ${[...fences.geofences.keys()].join(', ') || 'none'}`,
          });
      });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}

export function formatProblems(problems: readonly RuleFileProblem[]): string {
  return problems.map((problem) => `${problem.file}${problem.path ? ` at ${problem.path}` : ''}: ${problem.message}`).join('\n');
}

/** Loads the rules or fails with every problem listed (used at cold start and by cdk synth). */
export function loadRules(directory: string): CompiledRule[] {
  const result = readRuleFiles(directory);
  if (!result.ok) throw new Error(`Invalid rules in ${directory}:\n${formatProblems(result.problems)}`);
  return result.rules;
}

/** The geofences file next to the rules (`rules/geofences.json`), if there is one. */
export const geofencesFile = 'geofences.json';

export type GeofencesResult = { readonly ok: true; readonly geofences: Map<string, Geofence> } | { readonly ok: false; readonly problems: RuleFileProblem[] };

export function readGeofences(directory: string): GeofencesResult {
  const path = join(directory, geofencesFile);
  if (!existsSync(path)) return { ok: true, geofences: new Map() };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { ok: false, problems: [{ file: geofencesFile, path: '', message: `not valid JSON: ${(error as Error).message}` }] };
  }
  const parsed = GeofencesFile.safeParse(json);
  if (!parsed.success)
    return { ok: false, problems: parsed.error.issues.map((issue) => ({ file: geofencesFile, path: issue.path.join('.'), message: issue.message })) };
  const problems: RuleFileProblem[] = [];
  const geofences = new Map<string, Geofence>();
  parsed.data.geofences.forEach((fence, index) => {
    if (geofences.has(fence.id)) problems.push({ file: geofencesFile, path: `geofences.${index}.id`, message: `id "${fence.id}" is used twice` });
    geofences.set(fence.id, fence);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, geofences };
}

/** Loads the geofences or fails with every problem listed. */
export function loadGeofences(directory: string): Map<string, Geofence> {
  const result = readGeofences(directory);
  if (!result.ok) throw new Error(`Invalid geofences in ${directory}:\n${formatProblems(result.problems)}`);
  return result.geofences;
}
