import { buildReport, type CounterRow, reportPeriod } from '#services/measurement/core/report.js';
import { formatMeasurementReport } from '../../cli/report.js';

const row = (ruleId: string, variant: string | undefined, day: string, counters: Record<string, string>): CounterRow => ({ ruleId, variant, day, counters });
const period = { from: '2026-11-01', to: '2026-11-30' };

describe('the report built from counters', () => {
  it('adds up shards and days, keeps currencies apart, and gives revenue per person messaged', () => {
    const report = buildReport(
      [
        row('thanks', undefined, '2026-11-02', { sent: '2', 'messaged:people': '1', conversions: '1', 'revenue:USD': '10.50' }),
        row('thanks', undefined, '2026-11-02', { sent: '1', 'messaged:people': '1', 'revenue:EUR': '3', 'refunds:USD': '0.50' }),
        row('thanks', undefined, '2026-12-02', { sent: '100' }),
      ],
      [{ id: 'thanks', name: 'Thanks' }],
      period,
    );
    expect(report.rules[0]).toMatchObject({ sent: 3, conversions: 1, revenue: { USD: '10.50', EUR: '3' }, netRevenue: { USD: '10.00', EUR: '3' } });
    expect(report.rules[0]?.revenuePerRecipient).toEqual({ USD: '5.0000', EUR: '1.5000' });
    expect(report.notes).toEqual(['Revenue is in EUR, USD: each currency is shown on its own, never converted or added up.']);
  });

  it('says when SES reported more opens or clicks than there were messages, rather than hiding rates above 100%', () => {
    const report = buildReport([row('r', undefined, '2026-11-02', { delivered: '1', opened: '5', clicked: '5' })], [{ id: 'r', name: 'R' }], period);
    expect(report.notes).toEqual([expect.stringMatching(/^More opens, clicks or deliveries than messages for r: /)]);
    expect(report.notes.join(' ')).not.toMatch(/No messages/);
  });

  it('judges only the variants a rule declares; others in the data are shown, not tested', () => {
    const rows = [
      row('r', 'x', '2026-11-02', { sent: '500', 'messaged:people': '500' }),
      row('r', 'y', '2026-11-02', { sent: '500', 'messaged:people': '500' }),
    ];
    const undeclared = buildReport(rows, [{ id: 'r', name: 'R' }], period);
    expect(undeclared.rules.map((entry) => entry.variant)).toEqual(['x', 'y']);
    expect(undeclared.tests).toEqual([]);
    expect(buildReport(rows, [{ id: 'r', name: 'R', variants: ['x', 'y'] }], period).tests).toHaveLength(1);
  });

  it('names no winner too early, however large the difference', () => {
    const rows = [
      row('r', 'a', '2026-11-02', { 'messaged:people': '50', 'messaged:converted': '1' }),
      row('r', 'b', '2026-11-02', { 'messaged:people': '50', 'messaged:converted': '20' }),
    ];
    expect(buildReport(rows, [{ id: 'r', name: 'R', variants: ['a', 'b'] }], period).tests[0]).toMatchObject({
      winner: null,
      verdict: expect.stringMatching(/^Too early/),
    });
  });

  it('prints names as text: control characters cannot forge rows or colour the terminal', () => {
    const report = buildReport([row('r', 'a\nforged row\u001b[31m', '2026-11-02', { sent: '1' })], [{ id: 'r', name: 'R' }], period);
    const table = formatMeasurementReport(report);
    expect(table).not.toContain('\u001b');
    expect(table.split('\n').filter((line) => line.includes('forged'))).toEqual([expect.stringMatching(/^r\s+a\?forged row\?\[31m/)]);
  });
});

describe('the report period', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  it('is the last 30 UTC days by default, and refuses what is not a period, in the words of the caller', () => {
    expect(reportPeriod(undefined, undefined, now)).toEqual({ ok: true, value: { from: '2026-10-29', to: '2026-11-27' } });
    expect(reportPeriod('2026-02-30', undefined, now)).toMatchObject({ ok: false, error: expect.stringMatching(/^--from 2026-02-30 is not a day/) });
    expect(reportPeriod('2026-11-02', '2026-11-01', now, { from: 'from', to: 'to' })).toEqual({ ok: false, error: 'from 2026-11-02 is after to 2026-11-01' });
    expect(reportPeriod('2020-01-01', '2026-01-01', now)).toMatchObject({ ok: false });
  });
});
