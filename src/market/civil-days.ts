/**
 * Civil-date arithmetic on day numbers (days since 1970-01-01) without `Date` objects: the
 * backtest converts one per bar, a million times for a long daily series. The algorithm is
 * Howard Hinnant's `civil_from_days` (proleptic Gregorian calendar).
 */

/** Year, month (1–12) and day of month of a day number. */
export function civilOf(day: number): {
  readonly year: number;
  readonly month: number;
  readonly dom: number;
} {
  const out = { year: 0, month: 0, dom: 0 };
  civilInto(day, out);
  return out;
}

/** `civilOf` into a caller's object (no allocation: the hot loop converts one date per bar). */
export function civilInto(day: number, out: { year: number; month: number; dom: number }): void {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const dom = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  out.year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  out.month = month;
  out.dom = dom;
}

/** Day of week of a day number: 0 = Sunday … 6 = Saturday. */
export function weekdayOfDay(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `YYYY-MM-DD` of a day number (years 0–9999). */
export function isoDate(day: number): string {
  const c = civilOf(day);
  return `${String(c.year).padStart(4, '0')}-${pad2(c.month)}-${pad2(c.dom)}`;
}

const DOM = Array.from({ length: 32 }, (_, i) => pad2(i));

/**
 * `isoDate` for a run of day numbers in (mostly) ascending order, as an equity curve has them:
 * the `YYYY-MM-` prefix is computed once per month and the day of month is a table lookup, so
 * a million-point curve needs no civil conversion per point. Any order is still correct (a day
 * outside the cached month recomputes it).
 */
export class IsoDates {
  #from = 1;
  #to = 0;
  #prefix = '';
  readonly #civil = { year: 0, month: 0, dom: 0 };

  format(day: number): string {
    if (day < this.#from || day >= this.#to) {
      const c = this.#civil;
      civilInto(day, c);
      this.#from = day - c.dom + 1;
      this.#to = this.#from + daysInMonth(c.year, c.month);
      this.#prefix = `${String(c.year).padStart(4, '0')}-${pad2(c.month)}-`;
    }
    return this.#prefix + (DOM[day - this.#from + 1] ?? '');
  }
}

/** Days in a month (1–12) of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `YYYY-MM` of a day number. */
export function isoMonth(day: number): string {
  const c = civilOf(day);
  return formatMonth(c.year, c.month);
}

/** `YYYY-MM` of a year (0–9999) and month (1–12). */
export function formatMonth(year: number, month: number): string {
  return `${String(year).padStart(4, '0')}-${pad2(month)}`;
}

/** A month index (year × 12 + month − 1) of a day number, for grouping. */
export function monthIndex(day: number): number {
  const c = civilOf(day);
  return c.year * 12 + c.month - 1;
}
