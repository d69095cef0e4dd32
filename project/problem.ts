/** A problem in a project file, named so a marketer can find and fix it. */
export interface Problem {
  /** The file, relative to the project: `rules/thank-you.json` is written `thank-you.json` for rules. */
  readonly file: string;
  /** JSON path inside the file, such as `trigger.event.detail-type`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** A warning: the project works, perhaps not as meant (validation says it, and deploys anyway). */
  readonly severity?: 'warning';
}

export const isWarning = (problem: Problem) => problem.severity === 'warning';

export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((problem) => `${isWarning(problem) ? 'warning: ' : ''}${problem.file}${problem.path ? ` at ${problem.path}` : ''}: ${problem.message}`)
    .join('\n');
}
