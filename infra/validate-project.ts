import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTemplate } from '../services/dispatch/core/template.js';
import { formatProblems, type RuleFileProblem, readRuleFiles } from '../services/rules/adapters/rule-files.js';

/**
 * What `cdk synth` refuses to ship: invalid rule files, and rules whose template is missing or
 * broken. Every problem is listed with its file and JSON path.
 */
export function projectProblems(projectRoot: string): RuleFileProblem[] {
  const rulesDir = join(projectRoot, 'rules');
  const templatesDir = join(projectRoot, 'templates');
  const result = readRuleFiles(rulesDir);
  if (!result.ok) return result.problems;
  const problems: RuleFileProblem[] = [];
  for (const { rule, file: ruleFile } of result.rules) {
    const file = join(templatesDir, `${rule.template}.liquid`);
    if (!existsSync(file)) {
      problems.push({ file: ruleFile ?? rule.id, path: 'template', message: `no template templates/${rule.template}.liquid; create it or fix the name` });
      continue;
    }
    try {
      parseTemplate(rule.template, readFileSync(file, 'utf8'));
    } catch (error) {
      problems.push({ file: `templates/${rule.template}.liquid`, path: '', message: (error as Error).message });
    }
  }
  return problems;
}

export function assertProjectValid(projectRoot: string): void {
  const problems = projectProblems(projectRoot);
  if (problems.length > 0) throw new Error(`Nudge cannot be deployed; fix these first:\n${formatProblems(problems)}`);
}
