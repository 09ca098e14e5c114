/**
 * What is listed: expiration dates (weekly Fridays, monthly third Fridays, January LEAPS),
 * strike grids with the increments US exchanges use, and option tick sizes. Pure: the market
 * calendar comes in as an `isSessionDay` function, so an expiry that falls on an exchange
 * holiday moves to the previous session day (Good Friday → Thursday), as OCC does.
 */
import { Dec } from '../decimal.ts';

/** Tells whether a `YYYY-MM-DD` New York date has a trading session. */
export type SessionDayTest = (date: string) => boolean;

/** How many of each kind of expiration are listed at a time. */
export interface ExpiryListing {
  /** Weekly (Friday) expirations, the nearest first. */
  readonly weeklies: number;
  /** Monthly (third-Friday) expirations. */
  readonly monthlies: number;
  /** January LEAPS beyond the monthlies, in years. */
  readonly leapsYears: number;
}

/** Six weeklies, six monthlies and two years of January LEAPS (typical for a liquid name). */
export const DEFAULT_EXPIRY_LISTING: ExpiryListing = { weeklies: 6, monthlies: 6, leapsYears: 2 };

const MS_PER_DAY = 86_400_000;

function toDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY;
}

function fromDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The third Friday of a month (`month` 1–12). */
export function thirdFriday(year: number, month: number): string {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const firstFriday = 1 + ((5 - first + 7) % 7);
  return fromDay(toDay(`${year}-${String(month).padStart(2, '0')}-01`) + firstFriday - 1 + 14);
}

/** The session day on or before `date` (at most two weeks back, which no holiday run reaches). */
export function sessionOnOrBefore(date: string, isSessionDay: SessionDayTest): string {
  let day = toDay(date);
  for (let i = 0; i < 14; i++, day--) {
    const d = fromDay(day);
    if (isSessionDay(d)) return d;
  }
  return date;
}

/**
 * The expirations listed on `today` (a New York date), ascending and distinct: the next
 * weekly Fridays, the next monthly third Fridays and the January third Fridays of the LEAPS
 * years, each moved to the previous session day when the exchange is closed that day. An
 * expiration of today itself is listed until it expires.
 */
export function listedExpirations(
  today: string,
  isSessionDay: SessionDayTest,
  listing: ExpiryListing = DEFAULT_EXPIRY_LISTING,
): string[] {
  const out = new Set<string>();
  const start = toDay(today);
  const weekday = new Date(start * MS_PER_DAY).getUTCDay();
  let friday = start + ((5 - weekday + 7) % 7);
  // A Friday whose session moved earlier (a holiday) may already lie behind us this week.
  for (let n = 0; n < listing.weeklies; friday += 7) {
    const expiry = sessionOnOrBefore(fromDay(friday), isSessionDay);
    if (expiry < today) continue;
    out.add(expiry);
    n++;
  }
  const [y = 0, m = 1] = today.split('-').map(Number);
  let year = y;
  let month = m;
  let lastMonthly = today;
  for (let n = 0; n < listing.monthlies;) {
    const expiry = sessionOnOrBefore(thirdFriday(year, month), isSessionDay);
    if (expiry >= today) {
      out.add(expiry);
      lastMonthly = expiry;
      n++;
    }
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  const lastYear = Number(lastMonthly.slice(0, 4));
  for (let k = 1; k <= listing.leapsYears; k++) {
    out.add(sessionOnOrBefore(thirdFriday(lastYear + k, 1), isSessionDay));
  }
  return [...out].sort();
}

/**
 * Strike increment by price band, as the exchanges list equity options: $0.50 under $25,
 * $1 under $50, $2.50 under $200, $5 under $500 and $10 above. Index ETFs list $1 strikes
 * from $25 up (`etf`).
 */
export function strikeIncrement(price: number, etf = false): number {
  if (price < 25) return 0.5;
  if (etf) return 1;
  if (price < 50) return 1;
  if (price < 200) return 2.5;
  if (price < 500) return 5;
  return 10;
}

/** Options for {@link strikeGrid}. */
export interface StrikeGridOptions {
  /** Where the grid is centred (the underlying's price). */
  readonly spot: number;
  /** The grid increment (see {@link strikeIncrement}). */
  readonly increment: number;
  /** Annualised volatility, for how far the grid reaches. */
  readonly volatility: number;
  /** Years to expiration. */
  readonly years: number;
  /** Beyond 10 % of the spot only multiples of this are listed (default: the increment). */
  readonly coarse?: number;
}

/**
 * Strikes listed for one expiration: the increment grid from `spot × (1 − w)` to
 * `spot × (1 + w)`, w = max(25 %, 3σ√T) (at most 90 % below), with half increments ($2.50
 * between $5 strikes, $5 between $10 ones) within 10 % of the spot for expirations up to 45 days
 * away, as exchanges add strikes where they trade. Strikes
 * are numbers with at most three decimals, ascending.
 */
export function strikeGrid(options: StrikeGridOptions): number[] {
  const { spot, increment, volatility, years } = options;
  const coarse = options.coarse ?? increment;
  if (!(spot > 0) || !(increment > 0)) return [];
  const reach = Math.max(0.25, 3 * volatility * Math.sqrt(Math.max(years, 0)));
  const low = spot * Math.max(0.1, 1 - reach);
  const high = spot * (1 + reach);
  const fine = years <= 45 / 365 && increment >= 5 ? increment / 2 : increment;
  const out: number[] = [];
  const first = Math.ceil(low / fine - 1e-9);
  const last = Math.floor(high / fine + 1e-9);
  for (let i = first; i <= last; i++) {
    const strike = Math.round(i * fine * 1000) / 1000;
    if (strike <= 0) continue;
    // Beyond 10 % of the spot only the full (or coarse) increment is listed.
    const onFull = Math.abs(strike / coarse - Math.round(strike / coarse)) < 1e-9;
    if (!onFull && Math.abs(strike - spot) > 0.1 * spot) continue;
    out.push(strike);
  }
  return out;
}

/**
 * Minimum price increment of an option (the penny-program schedule most listed equity options
 * trade on): $0.01 below $3.00, $0.05 at or above. Multi-leg net prices trade in pennies.
 */
export function optionTickSize(price: Dec): Dec {
  return price.abs().lt(3) ? new Dec('0.01') : new Dec('0.05');
}

/** True when an option price respects the tick size for its level. */
export function isValidOptionTick(price: Dec): boolean {
  return price.mod(optionTickSize(price)).isZero();
}

/** True when a multi-leg net price is in whole cents. */
export function isValidNetTick(price: Dec): boolean {
  return price.mod(new Dec('0.01')).isZero();
}
