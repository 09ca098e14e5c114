/**
 * The New York trading date of an instant, by the US daylight-saving rule in force since 2007
 * (second Sunday of March 02:00 EST → first Sunday of November 02:00 EDT). Pure arithmetic: no
 * time-zone database, no clock — the decider folds every event through it, so it must be cheap
 * and give the same answer on every machine. The market layer (`src/market/time-zone.ts`) uses
 * the runtime's tz database for calendars; the two agree for every instant since 2007.
 */

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Day of the month of the `n`-th Sunday (1-based) of a month (0-based), in UTC arithmetic. */
function nthSunday(year: number, month: number, n: number): number {
  const firstWeekday = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - firstWeekday) % 7) + 7 * (n - 1);
}

const offsets = new Map<number, readonly [number, number]>();

/** [DST start, DST end) of a year as UTC milliseconds. */
function dstWindow(year: number): readonly [number, number] {
  let window = offsets.get(year);
  if (window === undefined) {
    // 02:00 EST is 07:00 UTC; 02:00 EDT is 06:00 UTC.
    window = [
      Date.UTC(year, 2, nthSunday(year, 2, 2), 7),
      Date.UTC(year, 10, nthSunday(year, 10, 1), 6),
    ];
    if (offsets.size > 1000) offsets.clear();
    offsets.set(year, window);
  }
  return window;
}

/** Offset of New York from UTC at an instant, in hours (-4 in summer, -5 in winter). */
export function newYorkOffsetHours(ms: number): number {
  const [start, end] = dstWindow(new Date(ms).getUTCFullYear());
  return ms >= start && ms < end ? -4 : -5;
}

/** The New York civil date (`YYYY-MM-DD`) of an ISO-8601 instant or epoch milliseconds. */
export function tradingDateOf(instant: string | number): string {
  // Every event of one decision carries the same instant: remember the last answer.
  if (instant === lastInstant) return lastDate;
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  const date = new Date(ms + newYorkOffsetHours(ms) * MS_PER_HOUR).toISOString().slice(0, 10);
  lastInstant = instant;
  lastDate = date;
  return date;
}

let lastInstant: string | number | undefined;
let lastDate = '';

/**
 * The date `count` weekdays (Monday–Friday) before `date` (`YYYY-MM-DD`). Holidays are not
 * known here: the command layer passes the exact session window when it has a calendar.
 */
export function weekdaysBefore(date: string, count: number): string {
  let ms = Date.parse(`${date}T12:00:00Z`);
  let left = count;
  while (left > 0) {
    ms -= MS_PER_DAY;
    const weekday = new Date(ms).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  return new Date(ms).toISOString().slice(0, 10);
}
