/**
 * The NYSE trading calendar: session days, regular hours, early closes and the extended-hours
 * phases, all in America/New_York and returned as UTC instants.
 *
 * Full-day closures come from the `nyse-holidays` package (rule-based, every year since
 * 1885, Juneteenth included) plus the exchange's ad-hoc closures; early closes follow the
 * NYSE's standing 1:00 p.m. rules. See docs/adr/0002-market-calendar.md for why.
 */
import { getHolidays } from 'nyse-holidays';
import type { MarketPhase } from '../domain/market.ts';
import {
  addDays,
  assertCivilDate,
  dayNumber,
  newYorkDate,
  newYorkWallTime,
  weekdayOf,
} from './time-zone.ts';

/** A civil date `YYYY-MM-DD` (New York) or an instant, read as the New York date containing it. */
export type DateLike = string | Date;

/** One trading day's timetable, as UTC instants. */
export interface Session {
  /** The New York civil date, `YYYY-MM-DD`. */
  readonly date: string;
  /** Pre-market opens, 04:00 ET. */
  readonly preOpen: Date;
  /** Regular session opens, 09:30 ET. */
  readonly open: Date;
  /** Regular session closes: 16:00 ET, or 13:00 ET on an early-close day. */
  readonly close: Date;
  /** Post-market closes: 20:00 ET, or 17:00 ET on an early-close day. */
  readonly postClose: Date;
  /** True when the regular session closes early (13:00 ET). */
  readonly earlyClose: boolean;
}

/** A trading calendar. `nyseCalendar` is the one the venue uses. */
export interface MarketCalendar {
  /** True when the exchange holds a regular session on that New York date. */
  isSessionDay(date: DateLike): boolean;
  /** The session held on that date, or `undefined` on weekends and holidays. */
  session(date: DateLike): Session | undefined;
  /** Trading phase at an instant: pre [04:00, open), regular [open, close), post [close, postClose). */
  phaseAt(instant: Date): MarketPhase;
  /** The first regular-session open strictly after `instant`. */
  nextOpen(instant: Date): Date;
  /** The first regular-session close strictly after `instant`. */
  nextClose(instant: Date): Date;
  /** The first session on or after `date`. */
  sessionOnOrAfter(date: DateLike): Session;
  /** The last session on or before `date`. */
  sessionOnOrBefore(date: DateLike): Session;
  /** Sessions from `from` to `to`, both inclusive, in date order (at most ten years). */
  sessions(from: DateLike, to: DateLike): Session[];
  /** Full-day closures on weekdays in a year, as civil dates with names. */
  holidays(year: number): readonly Holiday[];
}

/** A weekday on which the exchange is closed all day. */
export interface Holiday {
  readonly date: string;
  readonly name: string;
}

/** Closures the exchange announced outside its holiday rules. */
const AD_HOC_CLOSURES: readonly Holiday[] = [
  { date: '2001-09-11', name: 'September 11 attacks' },
  { date: '2001-09-12', name: 'September 11 attacks' },
  { date: '2001-09-13', name: 'September 11 attacks' },
  { date: '2001-09-14', name: 'September 11 attacks' },
  { date: '2004-06-11', name: 'National Day of Mourning (Ronald Reagan)' },
  { date: '2007-01-02', name: 'National Day of Mourning (Gerald Ford)' },
  { date: '2012-10-29', name: 'Hurricane Sandy' },
  { date: '2012-10-30', name: 'Hurricane Sandy' },
  { date: '2018-12-05', name: 'National Day of Mourning (George H. W. Bush)' },
  { date: '2025-01-09', name: 'National Day of Mourning (Jimmy Carter)' },
];

const PRE_OPEN_HOUR = 4;
const MAX_SESSIONS_SPAN_DAYS = 3_660;
const MAX_SEARCH_DAYS = 30;

function toCivil(date: DateLike): string {
  if (typeof date === 'string') {
    assertCivilDate(date);
    return date;
  }
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
  return newYorkDate(date);
}

/**
 * The NYSE calendar. Session objects are cached per date; the class is otherwise stateless
 * and safe to share.
 */
export class NyseCalendar implements MarketCalendar {
  readonly #holidaysByYear = new Map<number, ReadonlyMap<string, string>>();
  readonly #sessions = new Map<string, Session | null>();

  holidays(year: number): readonly Holiday[] {
    return [...this.#holidayMap(year)].map(([date, name]) => ({ date, name }));
  }

  isSessionDay(date: DateLike): boolean {
    return this.session(date) !== undefined;
  }

  session(date: DateLike): Session | undefined {
    const civil = toCivil(date);
    let cached = this.#sessions.get(civil);
    if (cached === undefined) {
      cached = this.#buildSession(civil);
      if (this.#sessions.size > 20_000) this.#sessions.clear();
      this.#sessions.set(civil, cached);
    }
    return cached ?? undefined;
  }

  phaseAt(instant: Date): MarketPhase {
    const session = this.session(instant);
    if (!session) return 'closed';
    const t = instant.getTime();
    if (t < session.preOpen.getTime()) return 'closed';
    if (t < session.open.getTime()) return 'pre';
    if (t < session.close.getTime()) return 'regular';
    if (t < session.postClose.getTime()) return 'post';
    return 'closed';
  }

  nextOpen(instant: Date): Date {
    return this.#nextBoundary(instant, (s) => s.open);
  }

  nextClose(instant: Date): Date {
    return this.#nextBoundary(instant, (s) => s.close);
  }

  sessionOnOrAfter(date: DateLike): Session {
    let civil = toCivil(date);
    for (let i = 0; i <= MAX_SEARCH_DAYS; i += 1) {
      const session = this.session(civil);
      if (session) return session;
      civil = addDays(civil, 1);
    }
    throw new Error(`no session within ${MAX_SEARCH_DAYS} days after ${toCivil(date)}`);
  }

  sessionOnOrBefore(date: DateLike): Session {
    let civil = toCivil(date);
    for (let i = 0; i <= MAX_SEARCH_DAYS; i += 1) {
      const session = this.session(civil);
      if (session) return session;
      civil = addDays(civil, -1);
    }
    throw new Error(`no session within ${MAX_SEARCH_DAYS} days before ${toCivil(date)}`);
  }

  sessions(from: DateLike, to: DateLike): Session[] {
    const start = dayNumber(toCivil(from));
    const end = dayNumber(toCivil(to));
    if (end - start > MAX_SESSIONS_SPAN_DAYS) {
      throw new RangeError(`calendar range too long: at most ${MAX_SESSIONS_SPAN_DAYS} days`);
    }
    const out: Session[] = [];
    let civil = toCivil(from);
    for (let day = start; day <= end; day += 1) {
      const session = this.session(civil);
      if (session) out.push(session);
      civil = addDays(civil, 1);
    }
    return out;
  }

  #nextBoundary(instant: Date, pick: (s: Session) => Date): Date {
    const t = instant.getTime();
    let session = this.sessionOnOrAfter(instant);
    for (let i = 0; i <= MAX_SEARCH_DAYS; i += 1) {
      const boundary = pick(session);
      if (boundary.getTime() > t) return boundary;
      session = this.sessionOnOrAfter(addDays(session.date, 1));
    }
    /* c8 ignore next */
    throw new Error('no session boundary found');
  }

  #holidayMap(year: number): ReadonlyMap<string, string> {
    let map = this.#holidaysByYear.get(year);
    if (!map) {
      const entries = new Map<string, string>();
      for (const h of getHolidays(year)) {
        // The package also lists the next year's New Year's Day observed on Dec 31; keep
        // each date under its own year.
        if (h.dateString.startsWith(`${year}-`)) entries.set(h.dateString, h.name);
      }
      for (const h of AD_HOC_CLOSURES) {
        if (h.date.startsWith(`${year}-`)) entries.set(h.date, h.name);
      }
      map = new Map([...entries].sort(([a], [b]) => a.localeCompare(b)));
      this.#holidaysByYear.set(year, map);
    }
    return map;
  }

  #buildSession(date: string): Session | null {
    const day = dayNumber(date);
    const weekday = weekdayOf(day);
    if (weekday === 0 || weekday === 6) return null;
    if (this.#holidayMap(Number(date.slice(0, 4))).has(date)) return null;
    const earlyClose = isEarlyCloseDate(date, weekday);
    return {
      date,
      preOpen: newYorkWallTime(date, PRE_OPEN_HOUR),
      open: newYorkWallTime(date, 9, 30),
      close: newYorkWallTime(date, earlyClose ? 13 : 16),
      postClose: newYorkWallTime(date, earlyClose ? 17 : 20),
      earlyClose,
    };
  }
}

/**
 * The NYSE's standing 1:00 p.m. closes: the day after Thanksgiving, and July 3 and
 * December 24 when they fall Monday to Thursday (on a Friday they are the observed holiday).
 */
function isEarlyCloseDate(date: string, weekday: number): boolean {
  const month = Number(date.slice(5, 7));
  const dom = Number(date.slice(8, 10));
  const midweek = weekday >= 1 && weekday <= 4;
  if (month === 7 && dom === 3) return midweek;
  if (month === 12 && dom === 24) return midweek;
  // The fourth Thursday of November falls on the 22nd–28th, so the Friday after is the 23rd–29th.
  return month === 11 && weekday === 5 && dom >= 23 && dom <= 29;
}

/** The calendar of the New York Stock Exchange, shared by the whole venue. */
export const nyseCalendar: MarketCalendar = new NyseCalendar();

/** What `GET /market/clock` answers: the phase at an instant and the next boundaries. */
export interface MarketClockSnapshot {
  readonly timestamp: string;
  readonly phase: MarketPhase;
  readonly isOpen: boolean;
  readonly nextOpen: string;
  readonly nextClose: string;
}

/** The market clock at an instant, in the shape of Alpaca's `/v2/clock` (camelCase). */
export function marketClock(calendar: MarketCalendar, now: Date): MarketClockSnapshot {
  const phase = calendar.phaseAt(now);
  return {
    timestamp: now.toISOString(),
    phase,
    isOpen: phase === 'regular',
    nextOpen: calendar.nextOpen(now).toISOString(),
    nextClose: calendar.nextClose(now).toISOString(),
  };
}
