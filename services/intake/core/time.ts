/**
 * Any timestamp a platform sends, as ISO 8601 UTC with milliseconds. Accepts ISO strings with
 * offsets, Unix seconds, and the loose dates some senders use ("2015-2-02T00:30:08.276Z").
 */
export function toUtcInstant(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value * 1000).toISOString() : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const loose = value.trim().match(/^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i);
  if (loose) {
    const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = loose;
    const pad = (part: string) => part.padStart(2, '0');
    const offset = zone === undefined || zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const iso = `${year}-${pad(month as string)}-${pad(day as string)}T${pad(hour)}:${minute}:${pad(second)}${fraction.slice(0, 4)}${offset}`;
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** How far ahead of its arrival an event's time may be: clocks a little ahead are normal. */
export const clockSkewToleranceMillis = 5 * 60_000;

/**
 * When an event happened, as far as Nudge will believe: its own time, unless that is more than the
 * tolerance ahead of its arrival (a device clock set wrong, a broken sender), when its arrival stands
 * for it. A time in the future would make the person's profile newer than anything true after it
 * (a name, a location, a time zone no later event could replace) and wait on timers for years.
 */
export function believableTime(occurredAt: string, receivedAt: string): string {
  return Date.parse(occurredAt) - Date.parse(receivedAt) > clockSkewToleranceMillis ? receivedAt : occurredAt;
}
