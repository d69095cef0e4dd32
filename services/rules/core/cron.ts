import { Cron } from 'croner';
import { DateTime } from 'luxon';
import { fail, ok, type Result } from '#shared/result.js';

/**
 * Recurring schedules, written as EventBridge Scheduler writes them: `cron(minutes hours
 * day-of-month month day-of-week year)`, evaluated in a time zone. The local runtime computes
 * runs with these functions; in AWS, Scheduler does. They agree because Nudge refuses the one
 * case where they would not: a run inside the hour that daylight saving skips (Scheduler skips
 * such a run; refusing it means a recurring rule never silently misses a week).
 */

/** AWS counts days of the week 1 (Sunday) to 7; croner 0 (Sunday) to 6. Names (MON, WED) pass as they are. */
function dayOfWeek(field: string): string | undefined {
  if (/[LW]/.test(field.replace(/[A-Za-z]{3}/g, ''))) return undefined;
  return field.replace(/\d+/g, (digits, offset: number, whole: string) => (whole[offset - 1] === '#' ? digits : String(Number(digits) - 1)));
}

/** Translates an EventBridge Scheduler cron expression for croner (the pattern), or says what is wrong with it. */
export function parseCron(expression: string): Result<string, string> {
  const match = /^cron\((.+)\)$/.exec(expression.trim());
  if (!match) return fail('write a schedule as EventBridge Scheduler does, such as "cron(0 9 ? * MON *)"');
  const fields = (match[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) return fail('a cron expression has six fields: minutes hours day-of-month month day-of-week year');
  const [minutes, hours, dayOfMonth, month, weekDay, year] = fields as [string, string, string, string, string, string];
  if (year !== '*') return fail('the year field must be "*" (use activeFrom and activeUntil to bound a rule in time)');
  if ((dayOfMonth === '?') === (weekDay === '?')) return fail('exactly one of day-of-month and day-of-week must be "?"');
  if (/[LW#]/.test(dayOfMonth)) return fail('L and W in day-of-month are not supported by Nudge; name the days');
  const weekDays = weekDay === '?' ? '*' : dayOfWeek(weekDay);
  if (weekDays === undefined) return fail('L in day-of-week is not supported by Nudge; use "#" (such as "2#1", the first Monday) or name the day');
  const pattern = `0 ${minutes} ${hours} ${dayOfMonth === '?' ? '*' : dayOfMonth} ${month} ${weekDays}`;
  let cron: Cron;
  try {
    // Stryker disable next-line BooleanLiteral,ObjectLiteral,StringLiteral: a Cron without a function never starts; whether the pattern is valid and ever runs does not depend on the zone.
    cron = new Cron(pattern, { paused: true, timezone: 'UTC' });
  } catch (error) {
    return fail(`not a valid cron expression: ${(error as Error).message}`);
  }
  // Searched from a fixed instant so the answer never depends on today: a date that does not exist never comes.
  if (cron.nextRun(new Date(0)) === null) return fail('this schedule never runs: no such date (such as 30 February)');
  return ok(pattern);
}

/** The first run strictly after `after`, in the zone. */
export function nextRun(pattern: string, zone: string, after: number): number | undefined {
  // Stryker disable next-line BooleanLiteral: a Cron without a function to run never starts, paused or not.
  return new Cron(pattern, { paused: true, timezone: zone }).nextRun(new Date(after))?.getTime();
}

/**
 * Runs that would fall in the hour daylight saving skips, in the `years` after `from`: the local
 * days and times, so a marketer can move the schedule out of the gap.
 */
export function runsInSkippedHours(pattern: string, zone: string, from: number, years = 5): string[] {
  // Stryker disable next-line BooleanLiteral: a Cron without a function to run never starts, paused or not.
  const wallClock = new Cron(pattern, { paused: true, timezone: 'UTC' });
  const found: string[] = [];
  let day = DateTime.fromMillis(from, { zone }).startOf('day');
  const end = day.plus({ years });
  while (day < end) {
    const next = day.plus({ days: 1 });
    // The offset at the next day's start: a zone that jumps at midnight (Havana, Santiago) skips that midnight hour.
    const before = day.offset;
    const after = next.offset;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a day without a forward jump has a gap of no minutes; the check only saves the search.
    if (after > before) {
      // Find the instant the clocks jump, then test every minute of the wall-clock gap.
      let low = day.toMillis();
      let high = next.toMillis();
      while (high - low > 60_000) {
        const middle = Math.floor((low + high) / 2 / 60_000) * 60_000;
        if (DateTime.fromMillis(middle, { zone }).offset === before) low = middle;
        else high = middle;
      }
      // Stryker disable next-line EqualityOperator: at offset 0 "UTC-0" and "UTC+0" are the same zone.
      const gapStart = DateTime.fromMillis(high, { zone: `UTC${before >= 0 ? '+' : '-'}${Math.abs(before) / 60}` });
      for (let minute = 0; minute < after - before; minute++) {
        const wall = Date.UTC(gapStart.year, gapStart.month - 1, gapStart.day, gapStart.hour, gapStart.minute + minute);
        // Stryker disable next-line OptionalChaining: a valid pattern always has a next run within a year.
        if (wallClock.nextRun(new Date(wall - 1000))?.getTime() === wall) found.push(new Date(wall).toISOString().slice(0, 16).replace('T', ' '));
      }
    }
    day = next;
  }
  return found;
}
