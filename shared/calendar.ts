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

export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}
