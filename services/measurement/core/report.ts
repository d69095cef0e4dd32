import { addDecimal, negateDecimal } from '#shared/money.js';
import { fail, ok, type Result } from '#shared/result.js';
import { alwaysValidPValue, differenceOfMeans, differenceOfProportions, type Interval, meanAndVariance, relativeLift, wilson } from './statistics.js';

/** One counter item: its rule, variant, UTC day and counters (decimal text). */
export interface CounterRow {
  readonly ruleId: string;
  readonly variant: string | undefined;
  readonly day: string;
  readonly counters: Readonly<Record<string, string>>;
}

export interface ReportedRule {
  readonly id: string;
  readonly name: string;
  /** The variants as the rule declares them, the first being the control. */
  readonly variants?: readonly string[];
}

type Money = Record<string, string>;

export interface GroupFigures {
  readonly people: number;
  readonly conversions: number;
  readonly conversionRate: number | null;
  readonly conversionRateInterval: Interval | null;
  readonly revenue: Money;
}

export interface ReportEntry {
  readonly rule: string;
  readonly name: string;
  readonly variant: string | null;
  readonly requested: number;
  readonly sent: number;
  readonly suppressed: Readonly<Record<string, number>>;
  readonly deferred: number;
  readonly failed: number;
  readonly delivered: number;
  readonly opened: number;
  readonly clicked: number;
  readonly bounced: number;
  readonly complained: number;
  readonly unsubscribed: number;
  readonly rates: { readonly delivery: number | null; readonly open: number | null; readonly click: number | null };
  /** Orders attributed to the rule's messages (last touch). */
  readonly conversions: number;
  readonly revenue: Money;
  readonly refunds: Money;
  readonly netRevenue: Money;
  readonly revenuePerRecipient: Money;
  /** Everyone messaged compared with everyone held out, each followed through the same window. */
  readonly holdout: GroupFigures & {
    readonly messaged: GroupFigures;
    /** Messaged minus held-out conversion rate, in absolute terms, with Newcombe's 95% interval. */
    readonly lift: {
      readonly absolute: number;
      readonly interval: Interval;
      readonly relative: number | null;
      readonly relativeInterval: Interval | null;
    } | null;
    /** (Revenue per messaged person − per held-out person) × messaged people, with a 95% interval, per currency. */
    readonly incrementalRevenue: Readonly<Record<string, { readonly amount: number; readonly interval: Interval }>>;
  };
  readonly days: readonly {
    readonly day: string;
    readonly sent: number;
    readonly opened: number;
    readonly clicked: number;
    readonly conversions: number;
    readonly revenue: Money;
  }[];
}

export interface VariantComparison {
  readonly variant: string;
  readonly people: number;
  readonly conversions: number;
  readonly conversionRate: number | null;
  readonly revenuePerRecipient: Money;
  /** Against the control (the first variant): difference of conversion rates and its always-valid p-value. */
  readonly vsControl: { readonly difference: number; readonly interval: Interval; readonly pValue: number; readonly revenuePValue: number | null } | null;
}

export interface VariantTest {
  readonly rule: string;
  readonly control: string;
  readonly variants: readonly VariantComparison[];
  readonly winner: string | null;
  readonly verdict: string;
}

export interface Report {
  readonly from: string;
  readonly to: string;
  readonly rules: readonly ReportEntry[];
  readonly tests: readonly VariantTest[];
  /** Plain words on what the figures can and cannot say (no data, small samples, several currencies). */
  readonly notes: readonly string[];
}

/** The significance level of variant tests, before the Bonferroni split over comparisons with the control. */
export const alpha = 0.05;
/** Fewer people than this in an arm, or conversions than this overall, and no winner is named. */
export const minimumPeople = 100;
export const minimumConversions = 10;
/**
 * The mixing spread τ of the mSPRT: the size of difference the test is tuned to find. Conversion
 * rates: 2 percentage points. Revenue per recipient: a fifth of the control's mean.
 */
export const conversionTau = 0.02;
export const revenueTauShare = 0.2;

const num = (value: string | undefined) => (value === undefined ? 0 : Number(value));
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

function moneyOf(counters: Readonly<Record<string, string>>, prefix: string): Money {
  const money: Money = {};
  for (const [name, value] of Object.entries(counters)) {
    if (!name.startsWith(prefix)) continue;
    const currency = name.slice(prefix.length);
    if (/^[A-Z]{3}$/.test(currency)) money[currency] = value;
  }
  return money;
}

function addCounters(into: Record<string, string>, counters: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(counters)) into[name] = into[name] === undefined ? value : addDecimal(into[name], value);
}

function group(counters: Readonly<Record<string, string>>, name: 'messaged' | 'holdout'): GroupFigures {
  const people = num(counters[`${name}:people`]);
  const conversions = num(counters[`${name}:converted`]);
  return {
    people,
    conversions,
    conversionRate: ratio(conversions, people),
    conversionRateInterval: people > 0 ? wilson(conversions, people) : null,
    revenue: moneyOf(counters, `${name}:revenue:`),
  };
}

function perPerson(counters: Readonly<Record<string, string>>, name: 'messaged' | 'holdout', currency: string) {
  return meanAndVariance(num(counters[`${name}:people`]), num(counters[`${name}:revenue:${currency}`]), num(counters[`${name}:revenueSq:${currency}`]));
}

function entryOf(rule: ReportedRule, variant: string | undefined, rows: readonly CounterRow[]): ReportEntry {
  const totals: Record<string, string> = {};
  const byDay = new Map<string, Record<string, string>>();
  for (const row of rows) {
    addCounters(totals, row.counters);
    const day = byDay.get(row.day) ?? {};
    addCounters(day, row.counters);
    byDay.set(row.day, day);
  }
  const sent = num(totals.sent);
  const revenue = moneyOf(totals, 'revenue:');
  const refunds = moneyOf(totals, 'refunds:');
  const netRevenue: Money = { ...revenue };
  for (const [currency, amount] of Object.entries(refunds)) netRevenue[currency] = addDecimal(netRevenue[currency] ?? '0', negateDecimal(amount));
  const suppressed: Record<string, number> = {};
  for (const [name, value] of Object.entries(totals)) if (name.startsWith('suppressed:')) suppressed[name.slice('suppressed:'.length)] = num(value);
  const messaged = group(totals, 'messaged');
  const held = group(totals, 'holdout');
  const difference = differenceOfProportions(messaged.conversions, messaged.people, held.conversions, held.people);
  const relative = relativeLift(messaged.conversions, messaged.people, held.conversions, held.people);
  const incrementalRevenue: Record<string, { amount: number; interval: Interval }> = {};
  if (messaged.people > 0 && held.people > 0) {
    for (const currency of new Set([...Object.keys(messaged.revenue), ...Object.keys(held.revenue)])) {
      const perMessaged = differenceOfMeans(perPerson(totals, 'messaged', currency), perPerson(totals, 'holdout', currency));
      incrementalRevenue[currency] = {
        amount: perMessaged.difference * messaged.people,
        interval: [perMessaged.interval[0] * messaged.people, perMessaged.interval[1] * messaged.people],
      };
    }
  }
  // Per person messaged (each counted once per window), as the variants are compared.
  const recipients = group(totals, 'messaged').people;
  const revenuePerRecipient: Money = {};
  for (const [currency, amount] of Object.entries(netRevenue)) if (recipients > 0) revenuePerRecipient[currency] = (Number(amount) / recipients).toFixed(4);
  return {
    rule: rule.id,
    name: rule.name,
    variant: variant ?? null,
    requested: num(totals.requested),
    sent,
    suppressed,
    deferred: num(totals.deferred),
    failed: num(totals.failed),
    delivered: num(totals.delivered),
    opened: num(totals.opened),
    clicked: num(totals.clicked),
    bounced: num(totals.bounced),
    complained: num(totals.complained),
    unsubscribed: num(totals.unsubscribed),
    rates: {
      delivery: ratio(num(totals.delivered), sent),
      open: ratio(num(totals.opened), num(totals.delivered) || sent),
      click: ratio(num(totals.clicked), num(totals.delivered) || sent),
    },
    conversions: num(totals.conversions),
    revenue,
    refunds,
    netRevenue,
    revenuePerRecipient,
    holdout: {
      ...held,
      messaged,
      lift:
        difference === undefined
          ? null
          : { absolute: difference.difference, interval: difference.interval, relative: relative?.lift ?? null, relativeInterval: relative?.interval ?? null },
      incrementalRevenue,
    },
    days: [...byDay.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([day, counters]) => ({
        day,
        sent: num(counters.sent),
        opened: num(counters.opened),
        clicked: num(counters.clicked),
        conversions: num(counters.conversions),
        revenue: moneyOf(counters, 'revenue:'),
      })),
  };
}

/** The variants of one rule compared with the first (the control), looking once per day of the period. */
/**
 * The variants of one rule compared with the first (the control), from the test's first day up to
 * the end of the period, one look per day: the sequential test is valid only over the whole run of
 * the test, not over whichever period a report shows.
 */
function variantTest(rule: ReportedRule, rows: readonly CounterRow[]): VariantTest | undefined {
  // Only the variants the rule declares are a test; others in the data (from an earlier test) are shown, not judged.
  const declared = rule.variants ?? [];
  const present = new Set(rows.map((row) => row.variant));
  const order = declared.filter((variant) => present.has(variant));
  if (order.length < 2) return undefined;
  const [control = ''] = order;
  const days = [...new Set(rows.map((row) => row.day))].sort();
  const cumulative = (variant: string) => {
    const running: Record<string, string> = {};
    return days.map((day) => {
      for (const row of rows) if (row.variant === variant && row.day === day) addCounters(running, row.counters);
      return { ...running };
    });
  };
  const controlLooks = cumulative(control);
  const final = (variant: string) => group(cumulative(variant).at(-1) ?? {}, 'messaged');
  const currency = Object.keys(final(control)?.revenue ?? {})[0];
  const comparisons = order.map((variant): VariantComparison => {
    const figures = final(variant);
    const people = figures?.people ?? 0;
    const revenuePerRecipient: Money = {};
    for (const [code, amount] of Object.entries(figures?.revenue ?? {})) if (people > 0) revenuePerRecipient[code] = (Number(amount) / people).toFixed(4);
    const base = { variant, people, conversions: figures?.conversions ?? 0, conversionRate: figures?.conversionRate ?? null, revenuePerRecipient };
    if (variant === control) return { ...base, vsControl: null };
    const looks = cumulative(variant);
    const conversionLooks = looks.map((counters, index) => {
      const a = controlLooks[index] ?? {};
      const [nA, cA, nB, cB] = [num(a['messaged:people']), num(a['messaged:converted']), num(counters['messaged:people']), num(counters['messaged:converted'])];
      if (nA === 0 || nB === 0) return { estimate: 0, variance: 0 };
      const [pA, pB] = [cA / nA, cB / nB];
      return { estimate: pB - pA, variance: (pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB };
    });
    const revenueLooks =
      currency === undefined
        ? []
        : looks.map((counters, index) => {
            const a = perPerson(controlLooks[index] ?? {}, 'messaged', currency);
            const b = perPerson(counters, 'messaged', currency);
            return { estimate: b.mean - a.mean, variance: a.varianceOfMean + b.varianceOfMean, scale: a.mean };
          });
    const revenueTau = (revenueLooks.at(-1)?.scale ?? 0) * revenueTauShare;
    const difference = differenceOfProportions(base.conversions, people, final(control)?.conversions ?? 0, final(control)?.people ?? 0);
    return {
      ...base,
      vsControl:
        difference === undefined
          ? null
          : {
              difference: difference.difference,
              interval: difference.interval,
              pValue: alwaysValidPValue(conversionLooks, conversionTau ** 2),
              revenuePValue: revenueTau > 0 ? alwaysValidPValue(revenueLooks, revenueTau ** 2) : null,
            },
    };
  });
  const threshold = alpha / (order.length - 1);
  const totalConversions = comparisons.reduce((sum, comparison) => sum + comparison.conversions, 0);
  const small = comparisons.some((comparison) => comparison.people < minimumPeople) || totalConversions < minimumConversions;
  const better = comparisons.filter(
    (comparison) => comparison.vsControl !== null && comparison.vsControl.pValue < threshold && comparison.vsControl.difference > 0,
  );
  const worse = comparisons.filter(
    (comparison) => comparison.vsControl !== null && comparison.vsControl.pValue < threshold && comparison.vsControl.difference < 0,
  );
  let winner: string | null = null;
  let verdict: string;
  if (small) verdict = `Too early: each variant needs ${minimumPeople} people and the test ${minimumConversions} conversions before a winner can be named.`;
  else if (better.length > 0) {
    const best = better.reduce((a, b) => ((a.conversionRate ?? 0) >= (b.conversionRate ?? 0) ? a : b));
    winner = best.variant;
    verdict = `${best.variant} converts better than ${control} (always-valid p = ${best.vsControl?.pValue.toPrecision(2)} < ${threshold.toPrecision(2)}).`;
  } else if (worse.length === order.length - 1) {
    winner = control;
    verdict = `${control} converts better than every other variant (always-valid p < ${threshold.toPrecision(2)}).`;
  } else verdict = 'No variant differs from the control beyond chance yet; keep the test running.';
  return { rule: rule.id, control, variants: comparisons, winner, verdict };
}

/** The report of a period from the counters read for it, rule by rule (in the order given) and variant by variant. */
export function buildReport(
  rows: readonly CounterRow[],
  rules: readonly ReportedRule[],
  period: { readonly from: string; readonly to: string },
  /** The counters of rules with variants since their first day, for the A/B tests (default: `rows`). */
  testRows?: readonly CounterRow[],
): Report {
  const entries: ReportEntry[] = [];
  const tests: VariantTest[] = [];
  const notes: string[] = [];
  for (const rule of rules) {
    const ruleRows = rows.filter((row) => row.ruleId === rule.id && row.day >= period.from && row.day <= period.to);
    const variants = [...new Set(ruleRows.map((row) => row.variant))];
    const ordered = [
      ...(rule.variants ?? []).filter((variant) => variants.includes(variant)),
      ...variants.filter((variant) => !rule.variants?.includes(variant as string)),
    ];
    const ruleEntries = (ordered.length === 0 ? [undefined] : ordered).map((variant) =>
      entryOf(
        rule,
        variant,
        ruleRows.filter((row) => row.variant === variant),
      ),
    );
    entries.push(...ruleEntries);
    const test = variantTest(
      rule,
      (testRows ?? rows).filter((row) => row.ruleId === rule.id && row.day <= period.to),
    );
    if (test !== undefined) tests.push(test);
  }
  const inPeriod = rows.filter((row) => row.day >= period.from && row.day <= period.to && rules.some((rule) => rule.id === row.ruleId));
  if (inPeriod.every((row) => Object.values(row.counters).every((value) => Number(value) === 0)))
    notes.push(`No messages and no conversions between ${period.from} and ${period.to} (UTC days).`);
  const beyond = entries.filter(
    (entry) => entry.delivered > entry.sent || entry.opened > Math.max(entry.delivered, entry.sent) || entry.clicked > entry.opened,
  );
  if (beyond.length > 0)
    notes.push(
      `More opens, clicks or deliveries than messages for ${[...new Set(beyond.map((entry) => entry.rule))].join(', ')}: SES reported events of messages Nudge has no send of in this period, so those rates are above 100%.`,
    );
  const currencies = new Set(entries.flatMap((entry) => Object.keys(entry.revenue)));
  if (currencies.size > 1) notes.push(`Revenue is in ${[...currencies].sort().join(', ')}: each currency is shown on its own, never converted or added up.`);
  return { from: period.from, to: period.to, rules: entries, tests, notes };
}

const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/** The report's period from what a user typed (UTC days, inclusive): by default the last 30 days up to today. */
export function reportPeriod(
  from: string | undefined,
  to: string | undefined,
  now: number,
  names: { readonly from: string; readonly to: string } = { from: '--from', to: '--to' },
): Result<{ readonly from: string; readonly to: string }, string> {
  for (const [flag, value] of [
    [names.from, from],
    [names.to, to],
  ] as const) {
    const at = value === undefined ? Number.NaN : Date.parse(`${value}T00:00:00Z`);
    if (value !== undefined && (!isoDay.test(value) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== value))
      return fail(`${flag} ${value} is not a day: write it as YYYY-MM-DD, such as 2026-11-01`);
  }
  const end = to ?? new Date(now).toISOString().slice(0, 10);
  const start = from ?? new Date(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  if (start > end) return fail(`${names.from} ${start} is after ${names.to} ${end}`);
  if (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`) > 3 * 366 * 86_400_000) return fail('a report covers at most three years');
  return ok({ from: start, to: end });
}
