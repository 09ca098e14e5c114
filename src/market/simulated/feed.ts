/**
 * The seeded simulated market: a `MarketData` adapter whose quotes and bars are pure
 * functions of (seed, symbol, time). Quote `seq` is the feed tick number
 * `floor(epochMs / tickMs)`, so the same seed gives the same quote for the same tick on every
 * run and every machine, however the clock got there.
 */
import type { Asset, MarketContext, MarketPhase, Quote } from '../../domain/market.ts';
import { nyseCalendar } from '../calendar.ts';
import type { MarketCalendar, Session } from '../calendar.ts';
import { UnknownSymbolError } from '../port.ts';
import type { Bar, BarsQuery, Cancel, Clock, MarketData, QuoteListener } from '../port.ts';
import { addDays, newYorkDate } from '../time-zone.ts';
import { formatUnits, toTickUnits } from '../ticks.ts';
import { dailyBar, minuteBar } from './bars.ts';
import { PriceModel } from './price-model.ts';
import type { DayPath } from './price-model.ts';
import { quoteAt } from './quotes.ts';
import { SimulatedCorporateActions } from './reference/corporate-actions.ts';
import { normalizeSeed } from './random.ts';
import { DEFAULT_UNIVERSE, toAsset } from './universe.ts';
import type { SimulatedInstrument } from './universe.ts';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
const DEFAULT_LIMIT = 1_000;
const MAX_LIMIT = 10_000;
const DAILY_BAR_CACHE_SIZE = 50_000;

/** Seed used when `MARKET_SEED` is not set. */
export const DEFAULT_MARKET_SEED = 'open-paper-trading';
/** Date at which every instrument closes at its reference price. */
export const DEFAULT_ANCHOR_DATE = '2026-01-02';
/** Default tick interval, in clock milliseconds. */
export const DEFAULT_TICK_MS = 1_000;
/** Default probability that a symbol halts on a given session day. */
export const DEFAULT_HALT_PROBABILITY = 0.01;

/** Options of {@link SimulatedMarket}. */
export interface SimulatedMarketOptions {
  /** `MARKET_SEED`: any number or text. Default {@link DEFAULT_MARKET_SEED}. */
  readonly seed?: string | number;
  readonly clock: Clock;
  /** Default: the NYSE calendar. */
  readonly calendar?: MarketCalendar;
  /** Default: {@link DEFAULT_UNIVERSE}. */
  readonly universe?: readonly SimulatedInstrument[];
  /** Clock milliseconds between quotes (10 … 60,000). Default 1,000. */
  readonly tickMs?: number;
  /** Probability of a halt per symbol and session day (0 … 1). Default 0.01. */
  readonly haltProbability?: number;
  /** Civil date on which prices equal the reference prices. Default {@link DEFAULT_ANCHOR_DATE}. */
  readonly anchorDate?: string;
  /** Called when a quote listener throws; the feed goes on. Default: ignore. */
  readonly onListenerError?: (error: unknown, quote: Quote) => void;
  /** Yearly split probability per eligible stock (default 0.03); 0 turns simulated splits off. */
  readonly splitProbability?: number;
}

interface Subscription {
  readonly symbols: ReadonlySet<string> | 'all';
  readonly listener: QuoteListener;
}

function normalizeSymbol(symbol: string): string {
  return symbol.trim().toUpperCase();
}

/** A deterministic simulated market. See docs/market-data.md. */
export class SimulatedMarket implements MarketData {
  readonly clock: Clock;
  readonly calendar: MarketCalendar;
  /** The configured seed, as given. */
  readonly seed: string | number;
  readonly tickMs: number;
  /** Dividends and splits of the universe; the prices follow the splits. */
  readonly corporateActions: SimulatedCorporateActions;
  readonly #seed32: number;
  readonly #model: PriceModel;
  readonly #instruments: ReadonlyMap<string, SimulatedInstrument>;
  /** The latest quote computed per instrument, with its tick (see `#quoteInForce`). */
  readonly #lastQuotes = new Map<SimulatedInstrument, { seq: number; quote: Quote }>();
  readonly #assets: readonly Asset[];
  readonly #subscriptions = new Set<Subscription>();
  readonly #dailyBars = new Map<string, Bar>();
  readonly #onListenerError: (error: unknown, quote: Quote) => void;
  #cancelTick: Cancel | undefined;
  #lastTick = -1;

  constructor(options: SimulatedMarketOptions) {
    const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    if (!Number.isInteger(tickMs) || tickMs < 10 || tickMs > MS_PER_MINUTE) {
      throw new RangeError(`tickMs must be an integer from 10 to 60000, got ${tickMs}`);
    }
    const haltProbability = options.haltProbability ?? DEFAULT_HALT_PROBABILITY;
    if (!(haltProbability >= 0 && haltProbability <= 1)) {
      throw new RangeError(`haltProbability must be within 0 … 1, got ${haltProbability}`);
    }
    this.clock = options.clock;
    this.calendar = options.calendar ?? nyseCalendar;
    this.seed = options.seed ?? DEFAULT_MARKET_SEED;
    this.tickMs = tickMs;
    this.#seed32 = normalizeSeed(this.seed);
    const universe = [...(options.universe ?? DEFAULT_UNIVERSE)].sort((a, b) =>
      a.symbol.localeCompare(b.symbol),
    );
    this.#instruments = new Map(universe.map((i) => [i.symbol, i]));
    this.#assets = universe.map(toAsset);
    const anchorDate = options.anchorDate ?? DEFAULT_ANCHOR_DATE;
    this.corporateActions = new SimulatedCorporateActions({
      seed: this.#seed32,
      calendar: this.calendar,
      universe,
      anchorYear: Number(anchorDate.slice(0, 4)),
      ...(options.splitProbability === undefined
        ? {}
        : { splitProbability: options.splitProbability }),
    });
    this.#model = new PriceModel({
      seed: this.#seed32,
      calendar: this.calendar,
      anchorDate,
      haltProbability,
      splitRatioOn: (symbol, date) => this.corporateActions.splitRatioOn(symbol, date),
    });
    this.#onListenerError = options.onListenerError ?? (() => undefined);
  }

  assets(): readonly Asset[] {
    return this.#assets;
  }

  asset(symbol: string): Asset | undefined {
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    return instrument ? toAsset(instrument) : undefined;
  }

  /**
   * The regular-session close of a symbol on a session day, cheaply (no minute path): the
   * close its daily bar reports. Undefined for an unknown symbol, a non-session day or a
   * session not closed yet at the clock's now.
   */
  dailyClose(symbol: string, date: string): string | undefined {
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    const session = this.calendar.session(date);
    if (!instrument || !session || session.close.getTime() > this.clock.now().getTime()) {
      return undefined;
    }
    return formatUnits(toTickUnits(this.#model.closeOn(instrument, session), 'nearest'));
  }

  /** The model parameters of a symbol (reference price, volatility, …), for tools and tests. */
  instrument(symbol: string): SimulatedInstrument | undefined {
    return this.#instruments.get(normalizeSymbol(symbol));
  }

  latestQuote(symbol: string): Quote | undefined {
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    return instrument ? this.#quoteInForce(instrument, this.clock.now().getTime()) : undefined;
  }

  /**
   * The quote in force at a past instant: the one of that tick when the symbol was quoting,
   * otherwise the last one before. Throws for an instant after the clock's now, so a
   * backtest cannot look ahead.
   */
  quoteAt(symbol: string, at: Date): Quote | undefined {
    if (at.getTime() > this.clock.now().getTime()) {
      throw new RangeError('quoteAt: the instant is in the future of the clock');
    }
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    return instrument ? this.#quoteInForce(instrument, at.getTime()) : undefined;
  }

  /** True when the symbol is halted at `at` (default: now). */
  isHalted(symbol: string, at: Date = this.clock.now()): boolean {
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    if (!instrument) return false;
    const session = this.calendar.session(at);
    if (!session || this.calendar.phaseAt(at) !== 'regular') return false;
    const window = this.#model.haltWindow(instrument, session);
    if (!window) return false;
    const minute = Math.floor((at.getTime() - session.preOpen.getTime()) / MS_PER_MINUTE);
    return minute >= window.start && minute < window.end;
  }

  /** The halt of a symbol on a session day, as instants, if it halts that day. */
  haltOn(symbol: string, date: string): { start: Date; end: Date } | undefined {
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    const session = this.calendar.session(date);
    if (!instrument || !session) return undefined;
    const window = this.#model.haltWindow(instrument, session);
    if (!window) return undefined;
    const base = session.preOpen.getTime();
    return {
      start: new Date(base + window.start * MS_PER_MINUTE),
      end: new Date(base + window.end * MS_PER_MINUTE),
    };
  }

  context(symbol: string): MarketContext {
    const now = this.clock.now();
    const session = this.calendar.session(now);
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    const quote = instrument ? this.#quoteInForce(instrument, now.getTime()) : undefined;
    return {
      now: now.toISOString(),
      phase: this.calendar.phaseAt(now),
      halted: this.isHalted(symbol, now),
      ...(session ? { sessionClose: session.close.toISOString() } : {}),
      ...(quote ? { quote } : {}),
      ...(instrument ? { asset: toAsset(instrument) } : {}),
    };
  }

  subscribeQuotes(symbols: readonly string[] | 'all', onQuote: QuoteListener): Cancel {
    let wanted: ReadonlySet<string> | 'all' = 'all';
    if (symbols !== 'all') {
      const set = new Set(symbols.map(normalizeSymbol));
      for (const s of set) if (!this.#instruments.has(s)) throw new UnknownSymbolError(s);
      wanted = set;
    }
    const subscription: Subscription = { symbols: wanted, listener: onQuote };
    this.#subscriptions.add(subscription);
    if (!this.#cancelTick) this.#scheduleTick();
    return () => {
      this.#subscriptions.delete(subscription);
      if (this.#subscriptions.size === 0) this.#stopTicking();
    };
  }

  bars(symbol: string, query: BarsQuery): Promise<Bar[]> {
    try {
      return Promise.resolve(this.barsSync(symbol, query));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** `bars` without the promise, for callers that stay in memory (backtests, tests). */
  barsSync(symbol: string, query: BarsQuery): Bar[] {
    const instrument = this.#instruments.get(normalizeSymbol(symbol));
    if (!instrument) throw new UnknownSymbolError(symbol);
    const now = this.clock.now().getTime();
    const end = Math.min(query.end?.getTime() ?? now, now);
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new RangeError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    if (query.timeframe === '1Min') {
      const start =
        query.start?.getTime() ?? this.calendar.sessionOnOrBefore(new Date(now)).preOpen.getTime();
      assertRange(start, end);
      return this.#minuteBars(instrument, start, end, now, limit);
    }
    if ((query.timeframe as string) !== '1Day') {
      throw new RangeError(`unsupported timeframe: ${query.timeframe}`);
    }
    const start = query.start?.getTime() ?? end - 365 * MS_PER_DAY;
    assertRange(start, end);
    return this.#dailyBarsBetween(instrument, start, end, now, limit);
  }

  close(): void {
    this.#subscriptions.clear();
    this.#stopTicking();
  }

  #minuteBars(
    instrument: SimulatedInstrument,
    start: number,
    end: number,
    now: number,
    limit: number,
  ): Bar[] {
    const out: Bar[] = [];
    for (const session of this.#sessionsBetween(start, end)) {
      if (session.postClose.getTime() <= start) continue;
      const path = this.#model.dayPath(instrument, session);
      const base = session.preOpen.getTime();
      const first = Math.max(0, Math.ceil((start - base) / MS_PER_MINUTE));
      for (let m = first; m < path.minutes; m += 1) {
        const barStart = base + m * MS_PER_MINUTE;
        if (barStart >= end || barStart + MS_PER_MINUTE > now) return out;
        const bar = minuteBar(path, m);
        if (bar) out.push(bar);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  #dailyBarsBetween(
    instrument: SimulatedInstrument,
    start: number,
    end: number,
    now: number,
    limit: number,
  ): Bar[] {
    const out: Bar[] = [];
    for (const session of this.#sessionsBetween(start, end)) {
      if (session.close.getTime() > now) break;
      const key = `${instrument.symbol}|${session.date}`;
      let bar = this.#dailyBars.get(key);
      if (!bar) {
        bar = dailyBar(this.#model.dayPath(instrument, session));
        if (this.#dailyBars.size >= DAILY_BAR_CACHE_SIZE) this.#dailyBars.clear();
        this.#dailyBars.set(key, bar);
      }
      const barTime = Date.parse(bar.time);
      if (barTime < start) continue;
      if (barTime >= end) break;
      out.push(bar);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Sessions whose New York date lies between the dates of two instants. */
  *#sessionsBetween(start: number, end: number): Generator<Session> {
    const lastDate = newYorkDate(end);
    let session = this.calendar.sessionOnOrAfter(newYorkDate(start));
    while (session.date <= lastDate) {
      yield session;
      session = this.calendar.sessionOnOrAfter(addDays(session.date, 1));
    }
  }

  /**
   * The quote in force at `atMs` depends only on the tick the instant falls in, so the last one
   * computed for each instrument is kept: every read within a tick (a positions request values
   * each holding, the engine checks each order) gets the same object instead of a new walk of
   * the day's price path.
   */
  #quoteInForce(instrument: SimulatedInstrument, atMs: number): Quote {
    const seq = Math.floor(atMs / this.tickMs);
    const kept = this.#lastQuotes.get(instrument);
    if (kept?.seq === seq) return kept.quote;
    const quote = this.#computeQuoteInForce(instrument, seq);
    this.#lastQuotes.set(instrument, { seq, quote });
    return quote;
  }

  #computeQuoteInForce(instrument: SimulatedInstrument, seq: number): Quote {
    const tickMs = seq * this.tickMs;
    const tick = new Date(tickMs);
    const date = newYorkDate(tick);
    const session = this.calendar.session(date);
    if (session && tickMs >= session.preOpen.getTime() && tickMs < session.postClose.getTime()) {
      const path = this.#model.dayPath(instrument, session);
      const minute = Math.floor((tickMs - session.preOpen.getTime()) / MS_PER_MINUTE);
      if (minute >= path.haltStart && minute < path.haltEnd) {
        const haltStart = session.preOpen.getTime() + path.haltStart * MS_PER_MINUTE;
        return this.#quoteOfTick(instrument, path, Math.ceil(haltStart / this.tickMs) - 1);
      }
      return this.#quoteOfTick(instrument, path, seq);
    }
    const last =
      session && tickMs >= session.postClose.getTime()
        ? session
        : this.calendar.sessionOnOrBefore(addDays(date, -1));
    const lastSeq = Math.ceil(last.postClose.getTime() / this.tickMs) - 1;
    return this.#quoteOfTick(instrument, this.#model.dayPath(instrument, last), lastSeq);
  }

  #quoteOfTick(instrument: SimulatedInstrument, path: DayPath, seq: number): Quote {
    const phase: MarketPhase = this.calendar.phaseAt(new Date(seq * this.tickMs));
    return quoteAt(path, instrument, this.#seed32, seq, this.tickMs, phase);
  }

  #scheduleTick(): void {
    const now = this.clock.now().getTime();
    let next = (Math.floor(now / this.tickMs) + 1) * this.tickMs;
    if (this.calendar.phaseAt(new Date(next)) === 'closed') {
      const resume = this.#nextQuotingStart(next);
      next = Math.ceil(resume / this.tickMs) * this.tickMs;
    }
    this.#cancelTick = this.clock.schedule(new Date(next), () => {
      this.#cancelTick = undefined;
      this.#tick();
      if (this.#subscriptions.size > 0) this.#scheduleTick();
    });
  }

  #stopTicking(): void {
    this.#cancelTick?.();
    this.#cancelTick = undefined;
  }

  #nextQuotingStart(atMs: number): number {
    const date = newYorkDate(atMs);
    const today = this.calendar.session(date);
    if (today && atMs < today.preOpen.getTime()) return today.preOpen.getTime();
    return this.calendar.sessionOnOrAfter(addDays(date, 1)).preOpen.getTime();
  }

  #tick(): void {
    const seq = Math.floor(this.clock.now().getTime() / this.tickMs);
    if (seq <= this.#lastTick) return;
    this.#lastTick = seq;
    const at = new Date(seq * this.tickMs);
    const phase = this.calendar.phaseAt(at);
    const session = this.calendar.session(at);
    if (phase === 'closed' || !session) return;
    const minute = Math.floor((at.getTime() - session.preOpen.getTime()) / MS_PER_MINUTE);
    for (const instrument of this.#watched()) {
      const path = this.#model.dayPath(instrument, session);
      if (minute >= path.haltStart && minute < path.haltEnd) continue;
      const quote = quoteAt(path, instrument, this.#seed32, seq, this.tickMs, phase);
      for (const subscription of [...this.#subscriptions]) {
        if (subscription.symbols !== 'all' && !subscription.symbols.has(instrument.symbol)) {
          continue;
        }
        try {
          subscription.listener(quote);
        } catch (error) {
          this.#onListenerError(error, quote);
        }
      }
    }
  }

  #watched(): SimulatedInstrument[] {
    const symbols = new Set<string>();
    for (const subscription of this.#subscriptions) {
      if (subscription.symbols === 'all') return [...this.#instruments.values()];
      for (const s of subscription.symbols) symbols.add(s);
    }
    return [...symbols].sort().flatMap((s) => {
      const instrument = this.#instruments.get(s);
      return instrument ? [instrument] : [];
    });
  }
}

function assertRange(start: number, end: number): void {
  if (Number.isNaN(start) || Number.isNaN(end)) throw new RangeError('invalid start or end');
}
