import type { MeasurementStore } from './adapters/measurement-store.js';
import { buildReport, type Report, type ReportedRule } from './core/report.js';

/** Earlier than any counted day. */
const testsBegin = '2000-01-01';

/** Reads the counters of the rules for the period and builds the report (CLI, local page). */
export async function readReport(
  store: Pick<MeasurementStore, 'counters'>,
  rules: readonly ReportedRule[],
  period: { from: string; to: string },
): Promise<Report> {
  const rows = [];
  const testRows = [];
  for (const rule of rules) {
    if (rule.variants === undefined) rows.push(...(await store.counters(rule.id, period.from, period.to)));
    else {
      // An A/B test is judged on its whole run so far, whatever the period shown.
      const all = await store.counters(rule.id, testsBegin, period.to);
      testRows.push(...all);
      rows.push(...all.filter((row) => row.day >= period.from));
    }
  }
  return buildReport(rows, rules, period, testRows);
}
