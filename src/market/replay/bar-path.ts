/**
 * How a bar becomes the quotes the account decider prices fills against, and where its
 * session boundaries are. This is the one place backtests and the replay feed agree on
 * (docs/backtesting.md, "Intrabar path"):
 *
 * - A bar is visited as four prices: open → first extreme → second extreme → close. A bar that
 *   closes at or above its open visits its low first (open → low → high → close), otherwise
 *   its high first (open → high → low → close). The path is continuous between them: where a
 *   move crosses the limit or stop of a working order, a quote at that level comes first (so
 *   a limit fills at its limit and a stop at its stop, not at the far extreme); only a gap at
 *   the open jumps.
 * - Each price p becomes an NBBO quote: bid = p × (1 − spread/2) floored to the tick grid,
 *   ask = p × (1 + spread/2) ceiled, last = p on the grid; with no spread a price on the grid
 *   quotes bid = ask = p. Both sides show the bar's volume (10^9 shares when it has none), so
 *   the fill model's `maxParticipation` caps the share of a bar one fill takes.
 * - Daily bars: the open at 09:30 New York, the extremes at one and two thirds of the
 *   session, the close one second before the close (13:00 on early-close days); decisions are
 *   made at the close. Minute bars: the minute's start, +15 s, +30 s, +59 s; decisions at the
 *   minute's end.
 */
import type { AuctionPrint, MarketContext, MarketPhase, Quote } from '../../domain/market.ts';
import { nyseCalendar, type MarketCalendar } from '../calendar.ts';
import { formatUnits, toTickUnits } from '../ticks.ts';
import { newYorkDate } from '../time-zone.ts';
import type { Timeframe } from '../port.ts';
import { civilInto, daysInMonth, isoDate, weekdayOfDay } from '../civil-days.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Shares each side shows when a bar has no volume. */
export const UNLIMITED_SIZE = 1_000_000_000;

/** The session a bar belongs to, as epoch ms. */
export interface BarSession {
  readonly open: number;
  readonly close: number;
  readonly postClose: number;
}

/**
 * The NYSE's 1:00 p.m. closes (the day after Thanksgiving; July 3 and December 24 when they
 * fall Monday to Thursday), by arithmetic on the civil date so a million daily bars need no
 * time-zone lookups. Session days are weekdays, and DST changes on Sunday nights, so a
 * weekday's session is always a fixed number of hours after its New York midnight.
 */
const civil = { year: 0, month: 0, dom: 0 };
/** The month of the last civil conversion, as day numbers [from, to): consecutive bars share it. */
let monthFrom = 1;
let monthTo = 0;

function isEarlyClose(dayNumber: number): boolean {
  const weekday = weekdayOfDay(dayNumber);
  if (dayNumber < monthFrom || dayNumber >= monthTo) {
    civilInto(dayNumber, civil);
    monthFrom = dayNumber - civil.dom + 1;
    monthTo = monthFrom + daysInMonth(civil.year, civil.month);
  }
  const month = civil.month;
  const dom = dayNumber - monthFrom + 1;
  const midweek = weekday >= 1 && weekday <= 4;
  if (month === 7 && dom === 3) return midweek;
  if (month === 12 && dom === 24) return midweek;
  return month === 11 && weekday === 5 && dom >= 23 && dom <= 29;
}

/** Session times of a daily bar starting at New York midnight `t` (into `out` when given). */
export function dailySession(t: number, out?: MutableSession): BarSession {
  const early = isEarlyClose(Math.floor(t / 86_400_000));
  const s = out ?? { open: 0, close: 0, postClose: 0 };
  s.open = t + 9.5 * HOUR;
  s.close = t + (early ? 13 : 16) * HOUR;
  s.postClose = t + (early ? 17 : 20) * HOUR;
  return s;
}

/** A session object the hot loop reuses. */
export interface MutableSession {
  open: number;
  close: number;
  postClose: number;
}

/** Session lookups for minute bars, cached by New York date. */
export class MinuteSessions {
  readonly #byDate = new Map<string, BarSession | null>();
  #lastKey = -1;
  #last: BarSession | null = null;

  constructor(private readonly calendar: MarketCalendar = nyseCalendar) {}

  /** The session of the New York day containing `t` (`null` on a non-session day). */
  at(t: number): BarSession | null {
    const hour = Math.floor(t / HOUR);
    if (hour === this.#lastKey) return this.#last;
    const date = newYorkDate(t);
    let session = this.#byDate.get(date);
    if (session === undefined) {
      const s = this.calendar.session(date);
      session =
        s === undefined
          ? null
          : { open: s.open.getTime(), close: s.close.getTime(), postClose: s.postClose.getTime() };
      this.#byDate.set(date, session);
    }
    this.#lastKey = hour;
    this.#last = session;
    return session;
  }
}

/** The phase at `t` within a session (pre from 04:00 New York is not tracked: `pre` before the open). */
export function phaseIn(session: BarSession | null, t: number): MarketPhase {
  if (session === null) return 'closed';
  if (t < session.open) return t >= session.open - 5.5 * HOUR ? 'pre' : 'closed';
  if (t < session.close) return 'regular';
  if (t < session.postClose) return 'post';
  return 'closed';
}

/** Instants of a bar's four path quotes and of its end (when decisions are made). */
export function pathTimes(
  timeframe: Timeframe,
  t: number,
  session: BarSession | null,
  out: Float64Array,
): number {
  if (timeframe === '1Day' && session !== null) {
    const third = (session.close - session.open) / 3;
    out[0] = session.open;
    out[1] = session.open + third;
    out[2] = session.open + 2 * third;
    out[3] = session.close - 1000;
    return session.close;
  }
  out[0] = t;
  out[1] = t + 15_000;
  out[2] = t + 30_000;
  out[3] = t + 59_000;
  return t + MINUTE;
}

/**
 * `new Date(ms).toISOString()` without a `Date`: the `YYYY-MM-DDT` of the last day asked for,
 * and the time of day from a table (a backtest's quotes and decisions fall on a handful of
 * times of day — its path times and its sessions' open and close — a million times over).
 * Outside years 0–9999 or for a fractional or non-finite instant, `Date` answers (and throws
 * as it does).
 */
const DAY_MS = 86_400_000;
const ISO_MIN = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const ISO_MAX = 253_402_300_800_000; // 10000-01-01T00:00:00.000Z
const TIMES_KEPT = 4096;
const isoTimes = new Map<number, string>();
let isoDay = Number.NaN;
let isoDayPrefix = '';

export function isoInstant(ms: number): string {
  if (!(ms >= ISO_MIN && ms < ISO_MAX) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== isoDay) {
    isoDay = day;
    isoDayPrefix = `${isoDate(day)}T`;
  }
  const inDay = ms - day * DAY_MS;
  let time = isoTimes.get(inDay);
  if (time === undefined) {
    if (isoTimes.size >= TIMES_KEPT) isoTimes.clear();
    time = new Date(inDay).toISOString().slice(11);
    isoTimes.set(inDay, time);
  }
  return isoDayPrefix + time;
}

/** Builds quotes from float prices (fast: tick units, no decimal parsing). */
export class QuoteMaker {
  readonly #half: number;
  #seq = 0;

  constructor(spreadBps: number) {
    this.#half = spreadBps / 20_000;
  }

  quote(symbol: string, price: number, size: number, time: number): Quote {
    const bid = formatUnits(toTickUnits(price * (1 - this.#half), 'floor'));
    const ask = formatUnits(toTickUnits(price * (1 + this.#half), 'ceil'));
    this.#seq += 1;
    return {
      symbol,
      bid,
      ask,
      bidSize: size,
      askSize: size,
      last: formatUnits(toTickUnits(price, 'nearest')),
      time: isoInstant(time),
      seq: this.#seq,
      source: 'replay',
    };
  }

  /** The auction print at a price (opening or closing). */
  auction(kind: 'open' | 'close', price: number, time: number): AuctionPrint {
    return {
      kind,
      price: formatUnits(toTickUnits(price, 'nearest')),
      time: isoInstant(time),
    };
  }
}

/** The market context of a decision at `now`. */
export function contextAt(
  now: number,
  session: BarSession | null,
  extra: Pick<MarketContext, 'quote' | 'asset' | 'auction'>,
): MarketContext {
  return {
    now: isoInstant(now),
    phase: phaseIn(session, now),
    halted: false,
    ...(session === null
      ? {}
      : {
          sessionOpen: isoInstant(session.open),
          sessionClose: isoInstant(session.close),
          extendedClose: isoInstant(session.postClose),
        }),
    ...(extra.quote === undefined ? {} : { quote: extra.quote }),
    ...(extra.asset === undefined ? {} : { asset: extra.asset }),
    ...(extra.auction === undefined ? {} : { auction: extra.auction }),
  };
}
