import type { Device, Profile } from '#shared/events/profile.js';
import type { ProfileConfig } from './config.js';

const dayMillis = 24 * 3600 * 1000;

/** 5 within the first threshold, down to 1 past the last (for "less is better", as recency). */
function scoreBelow(value: number, thresholds: readonly number[]): number {
  const reached = thresholds.findIndex((threshold) => value <= threshold);
  return reached === -1 ? 1 : 5 - reached;
}

/** 1 below the first threshold, up to 5 at the last (for "more is better", as frequency). */
function scoreAbove(value: number, thresholds: readonly number[]): number {
  return 1 + thresholds.filter((threshold) => value >= threshold).length;
}

const within = (score: number, [low, high]: readonly [number, number]) => score >= low && score <= high;

/** Recency, frequency and monetary scores as of `asOf`, and the first configured segment they fall in. */
export function rfmOf(profile: Profile, asOf: string, config: ProfileConfig['rfm']): Profile['rfm'] {
  const orders = profile.orderCount - (profile.cancelledCount ?? 0);
  if (profile.lastOrderAt === undefined || orders <= 0) return undefined;
  const days = Math.floor((Date.parse(asOf) - Date.parse(profile.lastOrderAt)) / dayMillis);
  const recency = scoreBelow(days, config.recencyDays);
  const frequency = scoreAbove(orders, config.orders);
  const monetary = scoreAbove(Number(profile.revenue[config.currency] ?? '0'), config.revenue);
  const segment =
    config.segments.find(
      (candidate) =>
        within(recency, candidate.recency) &&
        within(frequency, candidate.frequency) &&
        (candidate.monetary === undefined || within(monetary, candidate.monetary)),
    )?.name ?? 'other';
  return { recency, frequency, monetary, segment, asOf };
}

/** Distinct active days in the 30 days up to `asOf`. */
export function engagementOf(activeDays: readonly string[] | undefined, asOf: string, config: ProfileConfig['engagement']): Profile['engagement'] {
  const from = new Date(Date.parse(asOf) - 29 * dayMillis).toISOString().slice(0, 10);
  const days = (activeDays ?? []).filter((day) => day >= from && day <= asOf.slice(0, 10)).length;
  if (days >= config.highDays) return 'high';
  if (days >= config.mediumDays) return 'medium';
  return days > 0 ? 'low' : undefined;
}

/** Exact decimal division to cents, rounded half up: "100.00" / 3 = "33.33". */
export function divideToCents(amount: string, by: number): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const tenThousandths = BigInt(whole + fraction.padEnd(4, '0').slice(0, 4));
  const cents = (tenThousandths / BigInt(by) + 50n) / 100n;
  const text = cents.toString().padStart(3, '0');
  return `${negative && cents > 0n ? '-' : ''}${text.slice(0, -2)}.${text.slice(-2)}`;
}

/**
 * The traits computed from the others: average order value, RFM, engagement, preferred device,
 * loyalty tier and the segments they put the person in. All are as of the person's latest event.
 */
export function derive(profile: Profile, config: ProfileConfig): Profile {
  const asOf = profile.lastSeenAt;
  const orders = profile.orderCount - (profile.cancelledCount ?? 0);
  const averageOrderValue =
    orders > 0 ? Object.fromEntries(Object.entries(profile.revenue).map(([currency, amount]) => [currency, divideToCents(amount, orders)])) : undefined;
  const rfm = rfmOf(profile, asOf, config.rfm);
  const engagement = engagementOf(profile.activeDays, asOf, config.engagement);
  const preferredDevice = Object.entries(profile.devices ?? {}).sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b))[0]?.[0] as
    | Device
    | undefined;
  const points = profile.loyalty?.points ?? 0;
  const tier = [...config.loyalty.tiers].reverse().find((candidate) => points >= candidate.points)?.name ?? config.loyalty.tiers[0]?.name ?? 'none';
  const segments = [rfm ? `rfm:${rfm.segment}` : undefined, `tier:${tier}`, engagement ? `engagement:${engagement}` : undefined].filter(
    (segment): segment is string => segment !== undefined,
  );
  return { ...profile, averageOrderValue, rfm, engagement, preferredDevice, loyalty: { points, tier }, segments };
}

/** Which segments a change entered and left. */
export function segmentChanges(before: Profile | undefined, after: Profile): { entered: string[]; left: string[] } {
  const was = new Set(before?.segments ?? []);
  const is = new Set(after.segments ?? []);
  return { entered: [...is].filter((segment) => !was.has(segment)), left: [...was].filter((segment) => !is.has(segment)) };
}
