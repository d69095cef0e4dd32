import type { MeasurementStore } from './adapters/measurement-store.js';
import { buildReport, type Report, type ReportedRule } from './core/report.js';

/** Reads the counters of the rules for the period and builds the report (CLI, local page). */
export async function readReport(
  store: Pick<MeasurementStore, 'counters'>,
  rules: readonly ReportedRule[],
  period: { from: string; to: string },
): Promise<Report> {
  const rows = [];
  for (const rule of rules) rows.push(...(await store.counters(rule.id, period.from, period.to)));
  return buildReport(rows, rules, period);
}
