import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
    .filter((file) => file.endsWith('.json'))
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
