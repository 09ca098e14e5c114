/**
 * Civil dates and America/New_York wall-clock conversions, built on the runtime's Intl tz
 * database so daylight-saving transitions follow the IANA rules.
 *
 * A civil date is a `YYYY-MM-DD` string naming a calendar day in New York. A day number is
 * the count of days from 1970-01-01 to that civil date (pure arithmetic, no time zone).
 */

/** The time zone of every US equity session. */
export const MARKET_TIME_ZONE = 'America/New_York';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

const CIVIL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const partsFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: MARKET_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** Offsets change on the hour at most, so one formatter call per UTC hour is enough. */
const offsetByHour = new Map<number, number>();
const OFFSET_CACHE_LIMIT = 50_000;
/** Civil dates by day number (`civilFromDayNumber`), bounded like the offsets. */
const civilByDay = new Map<number, string>();

/**
 * Offset of New York from UTC at an instant, in minutes (-300 in winter, -240 in summer).
 */
export function newYorkOffsetMinutes(instantMs: number): number {
  const hour = Math.floor(instantMs / MS_PER_HOUR);
  const cached = offsetByHour.get(hour);
  if (cached !== undefined) return cached;
  const at = hour * MS_PER_HOUR;
  const field = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of partsFormat.formatToParts(at)) {
    if (part.type in field) field[part.type as keyof typeof field] = Number(part.value);
  }
  const wallAsUtc = Date.UTC(
    field.year,
    field.month - 1,
    field.day,
    field.hour,
    field.minute,
    field.second,
  );
  const offset = Math.round((wallAsUtc - at) / MS_PER_MINUTE);
  if (offsetByHour.size >= OFFSET_CACHE_LIMIT) offsetByHour.clear();
  offsetByHour.set(hour, offset);
  return offset;
}

/** The New York civil date (`YYYY-MM-DD`) that contains an instant. */
export function newYorkDate(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  return civilFromDayNumber(
    Math.floor((ms + newYorkOffsetMinutes(ms) * MS_PER_MINUTE) / MS_PER_DAY),
  );
}

/** Minutes since New York midnight at an instant (0 … 1439). */
export function newYorkMinuteOfDay(instant: Date | number): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const local = ms + newYorkOffsetMinutes(ms) * MS_PER_MINUTE;
  return Math.floor((((local % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_MINUTE);
}

/**
 * The instant at which New York wall clocks show `hour:minute` on a civil date. Session
 * times (04:00–20:00) never fall in the 02:00 DST gap, so the answer is unique for them.
 */
export function newYorkWallTime(date: string, hour: number, minute = 0): Date {
  const wallAsUtc = dayNumber(date) * MS_PER_DAY + hour * MS_PER_HOUR + minute * MS_PER_MINUTE;
  const first = wallAsUtc - newYorkOffsetMinutes(wallAsUtc) * MS_PER_MINUTE;
  const second = wallAsUtc - newYorkOffsetMinutes(first) * MS_PER_MINUTE;
  return new Date(second);
}

/** Throws unless `date` is a valid `YYYY-MM-DD` civil date. */
export function assertCivilDate(date: string): void {
  const match = CIVIL_DATE.exec(date);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  if (civilFromDayNumber(dayNumber(date)) !== date) {
    throw new RangeError(`no such calendar date: ${date}`);
  }
}

/** Days from 1970-01-01 to a civil date. */
export function dayNumber(date: string): number {
  const match = CIVIL_DATE.exec(date);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const [, y, m, d] = match;
  return Math.round(Date.UTC(Number(y), Number(m) - 1, Number(d)) / MS_PER_DAY);
}

/** The civil date a day number names. */
export function civilFromDayNumber(day: number): string {
  // Trading code asks for the same few days over and over (every order, fill and bar).
  let civil = civilByDay.get(day);
  if (civil === undefined) {
    civil = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    if (civilByDay.size >= OFFSET_CACHE_LIMIT) civilByDay.clear();
    civilByDay.set(day, civil);
  }
  return civil;
}

/** Day of week of a day number: 0 = Sunday … 6 = Saturday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Adds whole days to a civil date. */
export function addDays(date: string, days: number): string {
  return civilFromDayNumber(dayNumber(date) + days);
}
