import { readRules } from '#project/load-project.js';
import { formatProblems } from '#project/problem.js';
import type { Report, ReportEntry, ReportedRule } from '#services/measurement/core/report.js';
import { UsageError } from './test-pattern.js';

/** The rules the report covers: all in rules/, or the one named (an unknown name is refused with the known ones). */
export function reportedRules(rulesDir: string, only: string | undefined): ReportedRule[] {
  const files = readRules(rulesDir);
  if (!files.ok) throw new UsageError(`The rules cannot be read; fix these first:\n${formatProblems(files.error)}`);
  const rules = files.value.map(({ rule }) => ({
    id: rule.id,
    name: rule.name,
    ...(rule.variants ? { variants: rule.variants.map((variant) => variant.id) } : {}),
  }));
  if (only === undefined) return rules;
  const rule = rules.find((candidate) => candidate.id === only);
  if (rule === undefined) throw new UsageError(`No rule "${only}" in rules/; the rules are: ${rules.map((candidate) => candidate.id).join(', ')}`);
  return [rule];
}

const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
const money = (amounts: Readonly<Record<string, string>>) =>
  Object.entries(amounts)
    .map(([currency, amount]) => `${amount} ${currency}`)
    .join(' + ') || '0';

function lift(entry: ReportEntry): string {
  const { lift: figures } = entry.holdout;
  if (figures === null) return '–';
  const pp = (value: number) => (value * 100).toFixed(2);
  return `${pp(figures.absolute)} pp [${pp(figures.interval[0])}, ${pp(figures.interval[1])}]`;
}

/** The report as a table per rule and variant, with the variant tests' verdicts under it. */
export function formatMeasurementReport(report: Report): string {
  const header = [
    'rule',
    'variant',
    'sent',
    'delivered',
    'opened',
    'clicked',
    'conversions',
    'revenue',
    'rev/recipient',
    'held out (people/conv.)',
    'lift vs holdout (95%)',
  ];
  const rows = report.rules.map((entry) => [
    entry.rule,
    entry.variant ?? '–',
    String(entry.sent),
    percent(entry.rates.delivery),
    percent(entry.rates.open),
    percent(entry.rates.click),
    String(entry.conversions),
    money(entry.netRevenue),
    money(entry.revenuePerRecipient),
    `${entry.holdout.people}/${entry.holdout.conversions}`,
    lift(entry),
  ]);
  // Control characters in a name (a variant from a broken producer) must not forge rows or colour the terminal.
  const clean = (cell: string) => cell.replace(/\p{Cc}/gu, '?');
  for (const row of rows) row.splice(0, 2, clean(row[0] ?? ''), clean(row[1] ?? ''));
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const tests = report.tests.map((test) => `A/B ${test.rule}: ${test.verdict}`);
  return [`Nudge report, ${report.from} to ${report.to} (UTC days)`, '', line(header), ...rows.map(line), '', ...tests, ...report.notes].join('\n').trimEnd();
}
