import type { Report, ReportEntry, VariantTest } from './report.js';
import type { Interval } from './statistics.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
const percent = (value: number | null, digits = 1) => (value === null ? '–' : `${(value * 100).toFixed(digits)}%`);
const money = (amounts: Readonly<Record<string, string>>) =>
  Object.entries(amounts)
    .map(([currency, amount]) => `${Number(amount).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`)
    .join(' + ') || '0';
const colours = ['#2f6fdb', '#e0782f', '#2a9d6f', '#a34fc2', '#c9453a'];

/** Daily sent (bars) and conversions (line, right axis) of one rule over the period. */
function trendChart(entries: readonly ReportEntry[], from: string, to: string): string {
  const days: string[] = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += 86_400_000) days.push(new Date(at).toISOString().slice(0, 10));
  const sum = (day: string, field: 'sent' | 'conversions') =>
    entries.reduce((total, entry) => total + (entry.days.find((figures) => figures.day === day)?.[field] ?? 0), 0);
  const sent = days.map((day) => sum(day, 'sent'));
  const conversions = days.map((day) => sum(day, 'conversions'));
  const [width, height, left, bottom] = [640, 180, 40, 24];
  const maxSent = Math.max(1, ...sent);
  const maxConversions = Math.max(1, ...conversions);
  const step = (width - left - 10) / Math.max(1, days.length);
  const bars = sent
    .map((value, index) => {
      const h = ((height - bottom - 10) * value) / maxSent;
      return `<rect x="${(left + index * step + 1).toFixed(1)}" y="${(height - bottom - h).toFixed(1)}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#b9cdf3"><title>${days[index]}: ${value} sent</title></rect>`;
    })
    .join('');
  const points = conversions
    .map((value, index) => `${(left + index * step + step / 2).toFixed(1)},${(height - bottom - ((height - bottom - 10) * value) / maxConversions).toFixed(1)}`)
    .join(' ');
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Daily trend"><title>Sent per day (bars) and conversions per day (line)</title>
<line x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="#999"/>${bars}
<polyline points="${points}" fill="none" stroke="#e0782f" stroke-width="2"/>
<text x="${left - 4}" y="14" text-anchor="end" font-size="10">${maxSent}</text><text x="${width - 10}" y="14" text-anchor="end" font-size="10" fill="#e0782f">${maxConversions} conv.</text>
<text x="${left}" y="${height - 6}" font-size="10">${days[0] ?? ''}</text><text x="${width - 10}" y="${height - 6}" text-anchor="end" font-size="10">${days.at(-1) ?? ''}</text></svg>`;
}

/** The funnel of one rule: requested, sent, delivered, opened, clicked, converted. */
function funnel(entries: readonly ReportEntry[]): string {
  const total = (field: 'requested' | 'sent' | 'delivered' | 'opened' | 'clicked' | 'conversions') => entries.reduce((sum, entry) => sum + entry[field], 0);
  const steps = [
    ['Requested', total('requested')],
    ['Sent', total('sent')],
    ['Delivered', total('delivered')],
    ['Opened', total('opened')],
    ['Clicked', total('clicked')],
    ['Converted', total('conversions')],
  ] as const;
  const max = Math.max(1, ...steps.map(([, value]) => value));
  const rows = steps
    .map(([label, value], index) => {
      const w = (440 * value) / max;
      return `<text x="0" y="${index * 26 + 16}" font-size="12">${label}</text><rect x="90" y="${index * 26 + 4}" width="${w.toFixed(1)}" height="18" fill="${colours[0]}" opacity="${1 - index * 0.12}"/><text x="${96 + w}" y="${index * 26 + 17}" font-size="12">${value.toLocaleString('en')}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 640 ${steps.length * 26 + 4}" role="img" aria-label="Funnel"><title>Funnel</title>${rows}</svg>`;
}

/** Points with 95% intervals on one axis: conversion rates of variants, or lifts around zero. */
function intervals(items: readonly { label: string; value: number; interval: Interval }[], zeroLine: boolean, asPercent: boolean): string {
  if (items.length === 0) return '';
  const low = Math.min(zeroLine ? 0 : Number.POSITIVE_INFINITY, ...items.map((item) => item.interval[0]));
  const high = Math.max(zeroLine ? 0 : Number.NEGATIVE_INFINITY, ...items.map((item) => item.interval[1]));
  const span = high - low || 1;
  const x = (value: number) => 130 + (480 * (value - low)) / span;
  const label = (value: number) => (asPercent ? `${(value * 100).toFixed(2)}%` : value.toFixed(2));
  const rows = items
    .map((item, index) => {
      const y = index * 28 + 18;
      return `<text x="0" y="${y + 4}" font-size="12">${escapeHtml(item.label)}</text><line x1="${x(item.interval[0]).toFixed(1)}" y1="${y}" x2="${x(item.interval[1]).toFixed(1)}" y2="${y}" stroke="${colours[index % colours.length]}" stroke-width="3"/><circle cx="${x(item.value).toFixed(1)}" cy="${y}" r="5" fill="${colours[index % colours.length]}"/><text x="${x(item.value).toFixed(1)}" y="${y - 8}" font-size="10" text-anchor="middle">${label(item.value)} [${label(item.interval[0])}, ${label(item.interval[1])}]</text>`;
    })
    .join('');
  const zero = zeroLine ? `<line x1="${x(0)}" y1="0" x2="${x(0)}" y2="${items.length * 28 + 8}" stroke="#999" stroke-dasharray="3 3"/>` : '';
  return `<svg viewBox="0 0 640 ${items.length * 28 + 10}" role="img" aria-label="Intervals">${zero}${rows}</svg>`;
}

function variantsSection(test: VariantTest, liftChart: string): string {
  const items = test.variants.flatMap((variant) => {
    if (variant.conversionRate === null || variant.people === 0) return [];
    const p = variant.conversionRate;
    const half = 1.96 * Math.sqrt((p * (1 - p)) / variant.people);
    return [{ label: `${variant.variant} (${variant.people})`, value: p, interval: [Math.max(0, p - half), p + half] as Interval }];
  });
  const rows = test.variants
    .map(
      (variant) =>
        `<tr><td>${escapeHtml(variant.variant)}${variant.variant === test.winner ? ' 🏆' : ''}</td><td>${variant.people}</td><td>${variant.conversions}</td><td>${percent(variant.conversionRate, 2)}</td><td>${money(variant.revenuePerRecipient)}</td><td>${variant.vsControl === null ? 'control' : `${(variant.vsControl.difference * 100).toFixed(2)} pp, p = ${variant.vsControl.pValue.toPrecision(2)}`}</td></tr>`,
    )
    .join('');
  return `<div class="charts"><div>${liftChart}</div><div><h3>Variants side by side (conversion rate, 95%)</h3>${intervals(items, false, true)}</div></div>
<p class="verdict">${escapeHtml(test.verdict)}</p>
<table><tr><th>Variant</th><th>People</th><th>Converted</th><th>Rate</th><th>Revenue / recipient</th><th>vs control (always-valid p)</th></tr>${rows}</table>`;
}

function ruleSection(report: Report, ruleId: string): string {
  const entries = report.rules.filter((entry) => entry.rule === ruleId);
  const [first] = entries;
  if (first === undefined) return '';
  const test = report.tests.find((candidate) => candidate.rule === ruleId);
  const lifts = entries.flatMap((entry) =>
    entry.holdout.lift === null ? [] : [{ label: entry.variant ?? 'all', value: entry.holdout.lift.absolute, interval: entry.holdout.lift.interval }],
  );
  const liftChart =
    lifts.length > 0
      ? `<h3>Lift over the holdout (conversion rate, points, 95%)</h3>${intervals(lifts, true, true)}`
      : '<p class="muted">No holdout in this period: set "holdout" on the rule to measure lift.</p>';
  const table = entries
    .map(
      (entry) =>
        `<tr><td>${escapeHtml(entry.variant ?? '–')}</td><td>${entry.sent}</td><td>${percent(entry.rates.delivery)}</td><td>${percent(entry.rates.open)}</td><td>${percent(entry.rates.click)}</td><td>${entry.conversions}</td><td>${money(entry.netRevenue)}</td><td>${money(entry.revenuePerRecipient)}</td><td>${entry.holdout.people} / ${entry.holdout.conversions}</td><td>${entry.holdout.lift === null ? '–' : `${(entry.holdout.lift.absolute * 100).toFixed(2)} pp [${(entry.holdout.lift.interval[0] * 100).toFixed(2)}, ${(entry.holdout.lift.interval[1] * 100).toFixed(2)}]`}</td></tr>`,
    )
    .join('');
  return `<section><h2>${escapeHtml(first.name)} <small>${escapeHtml(ruleId)}</small></h2>
<table><tr><th>Variant</th><th>Sent</th><th>Delivered</th><th>Opened</th><th>Clicked</th><th>Conversions</th><th>Revenue (net)</th><th>Revenue / recipient</th><th>Held out: people / converted</th><th>Lift vs holdout (95%)</th></tr>${table}</table>
<div class="charts"><div><h3>Daily trend</h3>${trendChart(entries, report.from, report.to)}</div><div><h3>Funnel</h3>${funnel(entries)}</div></div>
${test === undefined ? `<div class="charts"><div>${liftChart}</div></div>` : variantsSection(test, liftChart)}</section>`;
}

/** The report as one self-contained page: no script, no remote file; charts are inline SVG. */
export function reportHtml(report: Report): string {
  const ruleIds = [...new Set(report.rules.map((entry) => entry.rule))];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Nudge report ${report.from} – ${report.to}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}h1{font-size:1.6rem}h2{border-top:1px solid #ddd;padding-top:1.2rem}h2 small{color:#888;font-weight:normal;font-size:.8rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f6f7f9;font-weight:600}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}svg{width:100%;height:auto}.verdict{font-weight:600}.muted,.notes{color:#666}</style></head>
<body><h1>What each rule earned, ${report.from} to ${report.to}</h1>
<p class="notes">Conversions are orders attributed to a message (last touch). Lift compares everyone messaged with everyone held out, each followed through the same window. Days are UTC.</p>
${report.notes.map((note) => `<p class="notes">${escapeHtml(note)}</p>`).join('')}
${ruleIds.map((ruleId) => ruleSection(report, ruleId)).join('\n')}
</body></html>
`;
}
