/**
 * The simulated price model.
 *
 * 1. Daily closes follow a geometric Brownian motion over session days, anchored at each
 *    instrument's reference price on the anchor date and walked forwards and backwards from
 *    there. Daily shocks mix a common market factor with an idiosyncratic one.
 * 2. Each session day is a minute path in log space, built from Brownian bridges pinned at
 *    the day's anchors: previous post-close → open (pre-market), open → close (regular),
 *    close → post-close (post-market). Each minute gets a high and a low around its open and
 *    close, and a volume from a U-shaped intraday profile.
 * 3. Halts: with a configured probability per symbol-day, trading stops for 5–30 minutes
 *    at some minute of the regular session.
 *
 * Every draw is keyed by (seed, symbol, purpose, day), so any day can be built on its own.
 */
import type { MarketCalendar, Session } from '../calendar.ts';
import { addDays, dayNumber } from '../time-zone.ts';
import { toTickUnits } from '../ticks.ts';
import { Random } from './random.ts';
import type { SimulatedInstrument } from './universe.ts';

const TRADING_DAYS_PER_YEAR = 252;
const REGULAR_MINUTES = 390;
const MS_PER_MINUTE = 60_000;
/** Annual drift of every instrument; small enough to leave prices near their references. */
const DRIFT = 0.05;
/** Pseudo-symbol for the common market factor. */
const MARKET_FACTOR = '$MARKET';
const EXTENDED_VOL_FACTOR = 0.35;
const PRE_VOLUME_SHARE = 0.025;
const POST_VOLUME_SHARE = 0.02;
const DAY_PATH_CACHE_SIZE = 512;

/** One session day of one instrument, minute by minute from pre-open to post-close. */
export interface DayPath {
  readonly symbol: string;
  readonly session: Session;
  /** Minutes from pre-open to post-close. */
  readonly minutes: number;
  /** Minute index of the regular open. */
  readonly regularStart: number;
  /** Minute index of the regular close (exclusive end of the regular session). */
  readonly regularEnd: number;
  /** First halted minute, or -1 when the day has no halt. */
  readonly haltStart: number;
  /** First minute after the halt, or -1. */
  readonly haltEnd: number;
  /** Float prices of each minute: open, the two intra-minute extremes, close. */
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** 1 when the minute visits its low before its high. */
  readonly lowFirst: Uint8Array;
  /** The same prices rounded to the tick grid, in units of $0.0001. */
  readonly openUnits: Float64Array;
  readonly highUnits: Float64Array;
  readonly lowUnits: Float64Array;
  readonly closeUnits: Float64Array;
  /** Shares traded in each minute. */
  readonly volume: Float64Array;
  /** Trades in each minute. */
  readonly trades: Float64Array;
}

/** Knobs of the model. */
export interface PriceModelOptions {
  /** 32-bit seed (see `normalizeSeed`). */
  readonly seed: number;
  readonly calendar: MarketCalendar;
  /** Civil date on (or after) which each instrument closes at its reference price. */
  readonly anchorDate: string;
  /** Probability that a symbol halts on a given session day (0 … 1). */
  readonly haltProbability: number;
  /**
   * New shares per old share of a split of `symbol` effective on `date` (1 when none): prices
   * from that session on are divided by it, so splits change share counts, not values.
   */
  readonly splitRatioOn?: (symbol: string, date: string) => number;
}

interface DailyChain {
  readonly closes: Map<number, number>;
  forwardDate: string;
  forwardClose: number;
  backwardDate: string;
  backwardClose: number;
}

/** Deterministic price paths for a universe; caches what it computes. */
export class PriceModel {
  readonly #options: PriceModelOptions;
  readonly #chains = new Map<string, DailyChain>();
  readonly #paths = new Map<string, DayPath>();

  constructor(options: PriceModelOptions) {
    this.#options = options;
  }

  /** Regular-session close of an instrument on a session day, as a float. */
  closeOn(instrument: SimulatedInstrument, session: Session): number {
    const chain = this.#chain(instrument);
    const day = dayNumber(session.date);
    const known = chain.closes.get(day);
    if (known !== undefined) return known;
    const { calendar } = this.#options;
    if (session.date > chain.forwardDate) {
      while (chain.forwardDate < session.date) {
        const next = calendar.sessionOnOrAfter(addDays(chain.forwardDate, 1));
        chain.forwardClose *= Math.exp(this.#dailyLogReturn(instrument, next.date));
        chain.forwardDate = next.date;
        chain.closes.set(dayNumber(next.date), chain.forwardClose);
      }
      return chain.forwardClose;
    }
    while (chain.backwardDate > session.date) {
      const previous = calendar.sessionOnOrBefore(addDays(chain.backwardDate, -1));
      chain.backwardClose /= Math.exp(this.#dailyLogReturn(instrument, chain.backwardDate));
      chain.backwardDate = previous.date;
      chain.closes.set(dayNumber(previous.date), chain.backwardClose);
    }
    return chain.backwardClose;
  }

  /** The halt window of a symbol on a session day, as minute indices, if it halts. */
  haltWindow(
    instrument: SimulatedInstrument,
    session: Session,
  ): { start: number; end: number } | undefined {
    const p = this.#options.haltProbability;
    if (p <= 0) return undefined;
    const rng = Random.for(this.#options.seed, instrument.symbol, 'halt', dayNumber(session.date));
    if (rng.next() >= p) return undefined;
    const regularStart = minutesBetween(session.preOpen, session.open);
    const regularEnd = minutesBetween(session.preOpen, session.close);
    // Halts start between 30 minutes after the open and an hour before the close.
    const start = regularStart + 30 + rng.int(Math.max(1, regularEnd - regularStart - 90));
    const end = Math.min(regularEnd, start + 5 + rng.int(26));
    return { start, end };
  }

  /** The minute path of an instrument on a session day. */
  dayPath(instrument: SimulatedInstrument, session: Session): DayPath {
    const key = `${instrument.symbol}|${session.date}`;
    const cached = this.#paths.get(key);
    if (cached) {
      // Refresh recency: Map iteration order is insertion order.
      this.#paths.delete(key);
      this.#paths.set(key, cached);
      return cached;
    }
    const path = this.#buildDayPath(instrument, session);
    if (this.#paths.size >= DAY_PATH_CACHE_SIZE) {
      const oldest = this.#paths.keys().next();
      if (oldest.done !== true) this.#paths.delete(oldest.value);
    }
    this.#paths.set(key, path);
    return path;
  }

  #chain(instrument: SimulatedInstrument): DailyChain {
    let chain = this.#chains.get(instrument.symbol);
    if (!chain) {
      const anchor = this.#options.calendar.sessionOnOrAfter(this.#options.anchorDate);
      chain = {
        closes: new Map([[dayNumber(anchor.date), instrument.referencePrice]]),
        forwardDate: anchor.date,
        forwardClose: instrument.referencePrice,
        backwardDate: anchor.date,
        backwardClose: instrument.referencePrice,
      };
      this.#chains.set(instrument.symbol, chain);
    }
    return chain;
  }

  /** Log return from the previous session's close to this session's close. */
  #dailyLogReturn(instrument: SimulatedInstrument, date: string): number {
    const day = dayNumber(date);
    const { seed } = this.#options;
    const market = Random.for(seed, MARKET_FACTOR, 'day', day).normal();
    const own = Random.for(seed, instrument.symbol, 'day', day).normal();
    const loading = instrument.marketLoading;
    const shock = loading * market + Math.sqrt(1 - loading * loading) * own;
    const sigma = instrument.volatility;
    return (
      (DRIFT - (sigma * sigma) / 2) / TRADING_DAYS_PER_YEAR +
      (sigma / Math.sqrt(TRADING_DAYS_PER_YEAR)) * shock -
      Math.log(this.#splitRatio(instrument, date))
    );
  }

  #splitRatio(instrument: SimulatedInstrument, date: string): number {
    return this.#options.splitRatioOn?.(instrument.symbol, date) ?? 1;
  }

  /** Price at the end of the post-market of a session day. */
  #postClosePrice(instrument: SimulatedInstrument, session: Session): number {
    const sigmaDay = instrument.volatility / Math.sqrt(TRADING_DAYS_PER_YEAR);
    const z = Random.for(this.#options.seed, instrument.symbol, 'post', dayNumber(session.date));
    return this.closeOn(instrument, session) * Math.exp(sigmaDay * 0.12 * z.normal());
  }

  #buildDayPath(instrument: SimulatedInstrument, session: Session): DayPath {
    const { seed, calendar } = this.#options;
    const day = dayNumber(session.date);
    const previous = calendar.sessionOnOrBefore(addDays(session.date, -1));
    // A split takes effect at the start of its ex-date: the pre-market already trades split.
    const split = this.#splitRatio(instrument, session.date);
    const previousClose = this.closeOn(instrument, previous) / split;
    const close = this.closeOn(instrument, session);
    const sigmaDay = instrument.volatility / Math.sqrt(TRADING_DAYS_PER_YEAR);
    const sigmaMinute = sigmaDay / Math.sqrt(REGULAR_MINUTES);
    const gap = sigmaDay * 0.3 * Random.for(seed, instrument.symbol, 'gap', day).normal();
    const open = previousClose * Math.exp(gap);

    const regularStart = minutesBetween(session.preOpen, session.open);
    const regularEnd = minutesBetween(session.preOpen, session.close);
    const minutes = minutesBetween(session.preOpen, session.postClose);
    const rng = Random.for(seed, instrument.symbol, 'path', day);

    const logPoints = new Float64Array(minutes + 1);
    const extendedSigma = sigmaMinute * EXTENDED_VOL_FACTOR;
    bridge(
      logPoints,
      0,
      regularStart,
      Math.log(this.#postClosePrice(instrument, previous) / split),
      Math.log(open),
      extendedSigma,
      rng,
    );
    bridge(
      logPoints,
      regularStart,
      regularEnd - regularStart,
      Math.log(open),
      Math.log(close),
      sigmaMinute,
      rng,
    );
    bridge(
      logPoints,
      regularEnd,
      minutes - regularEnd,
      Math.log(close),
      Math.log(this.#postClosePrice(instrument, session)),
      extendedSigma,
      rng,
    );

    const openF = new Float64Array(minutes);
    const highF = new Float64Array(minutes);
    const lowF = new Float64Array(minutes);
    const closeF = new Float64Array(minutes);
    const lowFirst = new Uint8Array(minutes);
    const openUnits = new Float64Array(minutes);
    const highUnits = new Float64Array(minutes);
    const lowUnits = new Float64Array(minutes);
    const closeUnits = new Float64Array(minutes);
    let o = Math.exp(logPoints[0] ?? 0);
    let ou = toTickUnits(o, 'nearest');
    for (let m = 0; m < minutes; m += 1) {
      const step = m >= regularStart && m < regularEnd ? sigmaMinute : extendedSigma;
      const c = Math.exp(logPoints[m + 1] ?? 0);
      const cu = toTickUnits(c, 'nearest');
      const h = (o > c ? o : c) * Math.exp(rng.exponential() * step * 0.4);
      const l = (o < c ? o : c) * Math.exp(-rng.exponential() * step * 0.4);
      openF[m] = o;
      closeF[m] = c;
      highF[m] = h;
      lowF[m] = l;
      lowFirst[m] = rng.next() < 0.5 ? 1 : 0;
      openUnits[m] = ou;
      closeUnits[m] = cu;
      highUnits[m] = Math.max(toTickUnits(h, 'nearest'), ou, cu);
      lowUnits[m] = Math.min(toTickUnits(l, 'nearest'), ou, cu);
      o = c;
      ou = cu;
    }
    const halt = this.haltWindow(instrument, session);
    const path: DayPath = {
      symbol: instrument.symbol,
      session,
      minutes,
      regularStart,
      regularEnd,
      haltStart: halt?.start ?? -1,
      haltEnd: halt?.end ?? -1,
      open: openF,
      high: highF,
      low: lowF,
      close: closeF,
      lowFirst,
      openUnits,
      highUnits,
      lowUnits,
      closeUnits,
      volume: new Float64Array(minutes),
      trades: new Float64Array(minutes),
    };
    fillVolumes(path, instrument, rng);
    return path;
  }
}

function minutesBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / MS_PER_MINUTE);
}

/**
 * Writes a Brownian bridge in log space into `points[from … from + n]`, pinned at `logA`
 * and `logB`, with per-step standard deviation `sigma`.
 */
function bridge(
  points: Float64Array,
  from: number,
  n: number,
  logA: number,
  logB: number,
  sigma: number,
  rng: Random,
): void {
  points[from] = logA;
  if (n <= 0) return;
  const walk = new Float64Array(n + 1);
  for (let k = 1; k <= n; k += 1) walk[k] = (walk[k - 1] ?? 0) + rng.normal();
  const last = walk[n] ?? 0;
  for (let k = 1; k <= n; k += 1) {
    const f = k / n;
    points[from + k] = logA + f * (logB - logA) + sigma * ((walk[k] ?? 0) - f * last);
  }
}

/** U-shaped intraday volume around a lognormal daily total; thin extended hours. */
function fillVolumes(path: DayPath, instrument: SimulatedInstrument, rng: Random): void {
  const regularMinutes = path.regularEnd - path.regularStart;
  const dayVolume =
    instrument.averageDailyVolume *
    (regularMinutes / REGULAR_MINUTES) *
    Math.exp(0.3 * rng.normal() - 0.045);
  const weights = new Float64Array(path.minutes);
  let regularWeight = 0;
  for (let m = path.regularStart; m < path.regularEnd; m += 1) {
    const x = (m - path.regularStart + 0.5) / regularMinutes;
    const w =
      (1 + 2.2 * Math.exp(-x / 0.05) + 1.4 * Math.exp(-(1 - x) / 0.04)) *
      Math.exp(0.35 * rng.normal() - 0.06);
    weights[m] = w;
    regularWeight += w;
  }
  const preVolume = (dayVolume * PRE_VOLUME_SHARE) / Math.max(1, path.regularStart);
  const postVolume = (dayVolume * POST_VOLUME_SHARE) / Math.max(1, path.minutes - path.regularEnd);
  for (let m = 0; m < path.minutes; m += 1) {
    let v: number;
    if (m < path.regularStart) v = preVolume * Math.exp(0.6 * rng.normal() - 0.18);
    else if (m < path.regularEnd) v = (dayVolume * (weights[m] ?? 0)) / regularWeight;
    else v = postVolume * Math.exp(0.6 * rng.normal() - 0.18);
    const shares = Math.max(1, Math.round(v));
    path.volume[m] = shares;
    path.trades[m] = Math.max(
      1,
      Math.round((shares / instrument.averageTradeSize) * (0.8 + 0.4 * rng.next())),
    );
  }
}
