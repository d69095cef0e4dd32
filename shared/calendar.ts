import { DateTime } from 'luxon';

/**
 * Local times in a person's time zone. Daylight saving never skips or doubles a send: a local
 * time that does not exist on a day (the hour clocks skip) becomes the first instant after the
 * gap, and one that exists twice (the hour clocks repeat) is its second occurrence, in standard
 * time; either way one instant, computed once.
 */

/** A yearly occurrence: the year names it, so each year's message has its own id. */
export interface Occurrence {
  readonly instanceId: string;
  readonly dueAt: number;
}

function localInstant(year: number, month: number, day: number, at: string, zone: string): DateTime {
  const [hour, minute] = at.split(':').map(Number) as [number, number];
  // 29 February in a year without one: the 28th, so a leap-day birthday is still celebrated.
  const lastDay = DateTime.fromObject({ year, month }, { zone }).daysInMonth ?? 28;
  return DateTime.fromObject({ year, month, day: Math.min(day, lastDay), hour, minute }, { zone });
}

/**
 * The next time after `after` that a yearly date (`YYYY-MM-DD`, or an instant such as the first
 * order, read in the zone) comes round at the local time `at`. With `skipOwnYear`, the date's own
 * year does not count (an anniversary is a year later; a birthday's year may be a placeholder).
 */
export function nextYearly(date: string, at: string, zone: string, after: number, skipOwnYear: boolean): Occurrence | undefined {
  const base = date.length === 10 ? DateTime.fromISO(date, { zone }) : DateTime.fromISO(date, { zone: 'utc' }).setZone(zone);
  if (!base.isValid) return undefined;
  const start = DateTime.fromMillis(after, { zone }).year;
  for (let year = start; year <= start + 2; year++) {
    if (skipOwnYear && year <= base.year) continue;
    const instant = localInstant(year, base.month, base.day, at, zone);
    if (instant.toMillis() > after) return { instanceId: String(year), dueAt: instant.toMillis() };
  }
  return undefined;
}

export interface Window {
  readonly from: string;
  readonly to: string;
}

const minutesOf = (time: string) => {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return hour * 60 + minute;
};

/** `at` if it falls inside the daily window in the zone, else the window's next opening. A window may span midnight (22:00–06:00). */
export function nextOpening(window: Window, zone: string, at: number): number {
  const local = DateTime.fromMillis(at, { zone });
  const now = local.hour * 60 + local.minute;
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const inside = from <= to ? now >= from && now < to : now >= from || now < to;
  if (inside) return at;
  for (let days = 0; days <= 2; days++) {
    const day = local.plus({ days });
    const opening = localInstant(day.year, day.month, day.day, window.from, zone).toMillis();
    if (opening > at) return opening;
  }
  return at;
}

/** A local date and time without offset, `YYYY-MM-DDTHH:MM`, as a one-off broadcast names it. */
export const localDateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;

/** The instant a local date and time (`YYYY-MM-DDTHH:MM`) happens in the zone, by the daylight-saving rule above; undefined if it is no date. */
export function localMoment(local: string, zone: string): number | undefined {
  const match = localDateTimePattern.exec(local);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  const date = DateTime.fromObject({ year, month, day }, { zone: 'utc' });
  if (!date.isValid || date.day !== day) return undefined;
  const instant = localInstant(year, month, day, `${hour}:${minute}`, zone);
  return instant.isValid ? instant.toMillis() : undefined;
}

/**
 * Every instant at which a local date and time comes round somewhere: one per distinct offset of
 * the time zones there are (UTC, the fixed offsets and each IANA zone), earliest first (UTC+14 first, UTC-12 last). A broadcast
 * "at 09:00 in each person's time zone" runs once at each, for the people whose 09:00 it is.
 */
export function waveInstants(local: string): number[] {
  // The fixed offsets too (Etc/GMT+12 is UTC-12, which no place keeps but a profile may name).
  const fixed = Array.from({ length: 27 }, (_, index) => index - 14).map((hours) => (hours === 0 ? 'Etc/GMT' : `Etc/GMT${hours > 0 ? '+' : ''}${hours}`));
  const zones = ['UTC', ...fixed, ...Intl.supportedValuesOf('timeZone')];
  const instants = new Set<number>();
  for (const zone of zones) {
    const instant = localMoment(local, zone);
    if (instant !== undefined) instants.add(instant);
  }
  return [...instants].sort((a, b) => a - b);
}

export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}
