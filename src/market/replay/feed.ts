/**
 * The replay feed (`MARKET_FEED=replay`): stored history played as NBBO quotes into the same
 * market-data port as the simulated feed, on a simulated clock that starts at `REPLAY_FROM`
 * and runs at `REPLAY_SPEED`, so paper trading and the execution engine run "as of" a past
 * period. Each bar becomes quotes along the intrabar path of `bar-path.ts` (open → extreme →
 * extreme → close, the same path backtests use); minute bars are preferred when stored, else
 * daily bars. Quotes say `source: 'replay'`; assets of generated history say `simulated`.
 *
 * Hot reads stay synchronous: the feed keeps the bars of a window around the clock in memory
 * and loads the next window ahead of time from the store's time-window scan.
 */
import type { Asset, MarketContext, Quote } from '../../domain/market.ts';
import { nyseCalendar, type MarketCalendar } from '../calendar.ts';
import { SimulatedClock } from '../clock.ts';
import {
  UnknownSymbolError,
  type Bar,
  type BarsQuery,
  type Cancel,
  type MarketData,
  type QuoteListener,
  type Timeframe,
} from '../port.ts';
import {
  contextAt,
  dailySession,
  MinuteSessions,
  pathTimes,
  QuoteMaker,
  UNLIMITED_SIZE,
  type BarSession,
} from './bar-path.ts';

/** What the feed reads: the time-series store (`SqlBarStore` fits). */
export interface ReplaySource {
  series(filter?: {
    readonly timeframe?: Timeframe;
  }): Promise<
    { readonly symbol: string; readonly timeframe: Timeframe; readonly source: string }[]
  >;
  window(
    timeframe: Timeframe,
    range: { readonly start: Date; readonly end: Date; readonly limit: number },
  ): Promise<(Bar & { readonly symbol: string })[]>;
  bars(
    symbol: string,
    timeframe: Timeframe,
    range: { readonly start?: Date; readonly end?: Date; readonly limit: number },
  ): Promise<Bar[]>;
}

export interface ReplayOptions {
  readonly source: ReplaySource;
  readonly from: Date;
  /** Replay stops producing quotes after this instant (default: the end of the history). */
  readonly to?: Date;
  /** Simulated ms per real ms (`REPLAY_SPEED`). */
  readonly speed: number;
  readonly spreadBps?: number;
  readonly calendar?: MarketCalendar;
  /** Clock ms between quote ticks (default 1000). */
  readonly tickMs?: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const WINDOW_ROWS = 200_000;

export class ReplayMarket implements MarketData {
  readonly clock: SimulatedClock;
  readonly calendar: MarketCalendar;
  readonly timeframe: Timeframe;
  readonly #source: ReplaySource;
  readonly #assets: readonly Asset[];
  readonly #bySymbol: ReadonlyMap<string, Asset>;
  readonly #quotes: QuoteMaker;
  readonly #sessions: MinuteSessions;
  readonly #to: number | undefined;
  readonly #tickMs: number;
  /** Bars loaded around the clock, per symbol, in time order. */
  readonly #bars = new Map<string, Bar[]>();
  #loadedUntil: number;
  #loading: Promise<void> | undefined;
  readonly #listeners = new Set<{
    symbols: ReadonlySet<string> | 'all';
    listener: QuoteListener;
  }>();
  #cancelTick: Cancel | undefined;
  readonly #last = new Map<string, string>();

  private constructor(options: ReplayOptions, timeframe: Timeframe, assets: readonly Asset[]) {
    this.#source = options.source;
    this.timeframe = timeframe;
    this.calendar = options.calendar ?? nyseCalendar;
    this.clock = new SimulatedClock({ start: options.from, speed: options.speed });
    this.#assets = assets;
    this.#bySymbol = new Map(assets.map((a) => [a.symbol, a]));
    this.#quotes = new QuoteMaker(options.spreadBps ?? 0);
    this.#sessions = new MinuteSessions(this.calendar);
    this.#to = options.to?.getTime();
    this.#tickMs = options.tickMs ?? 1000;
    this.#loadedUntil = options.from.getTime() - this.#span();
  }

  /** Opens a replay over what the store holds (minute bars when there are any, else daily). */
  static async open(options: ReplayOptions): Promise<ReplayMarket> {
    const all = await options.source.series();
    const minute = all.filter((s) => s.timeframe === '1Min');
    const chosen = minute.length > 0 ? minute : all.filter((s) => s.timeframe === '1Day');
    if (chosen.length === 0) {
      throw new Error(
        'MARKET_FEED=replay needs stored history: import some with `paper-trading data import <file.csv>`',
      );
    }
    const assets = chosen
      .map((s): Asset => ({
        symbol: s.symbol,
        name: s.symbol,
        exchange: 'REPLAY',
        sector: 'unknown',
        class: 'us_equity',
        tradable: true,
        shortable: true,
        easyToBorrow: true,
        fractionable: true,
        simulated: s.source === 'generated',
      }))
      .sort((a, b) => a.symbol.localeCompare(b.symbol));
    const market = new ReplayMarket(options, minute.length > 0 ? '1Min' : '1Day', assets);
    await market.#load(options.from.getTime() - market.#span());
    return market;
  }

  /** How far a window reaches: a day of minute bars, a quarter of daily bars. */
  #span(): number {
    return this.timeframe === '1Min' ? DAY : 92 * DAY;
  }

  /** Loads bars from `start` to `start + 2 spans` (all symbols), replacing older ones. */
  async #load(start: number): Promise<void> {
    const end = start + 2 * this.#span();
    const rows = await this.#source.window(this.timeframe, {
      start: new Date(start),
      end: new Date(end),
      limit: WINDOW_ROWS,
    });
    const keepFrom = this.clock.now().getTime() - this.#span();
    for (const [symbol, list] of this.#bars) {
      this.#bars.set(
        symbol,
        list.filter((b) => Date.parse(b.time) >= keepFrom),
      );
    }
    for (const row of rows) {
      const { symbol, ...bar } = row;
      let list = this.#bars.get(symbol);
      if (list === undefined) this.#bars.set(symbol, (list = []));
      if (list.length === 0 || Date.parse(list[list.length - 1]?.time ?? '') < Date.parse(bar.time))
        list.push(bar);
    }
    const lastRow = rows.at(-1);
    this.#loadedUntil =
      rows.length >= WINDOW_ROWS && lastRow !== undefined ? Date.parse(lastRow.time) : end;
  }

  /** Loads the next window when the clock nears the end of the loaded one. */
  #ahead(): void {
    const now = this.clock.now().getTime();
    if (this.#loading !== undefined || now < this.#loadedUntil - this.#span() / 2) return;
    this.#loading = this.#load(this.#loadedUntil).finally(() => {
      this.#loading = undefined;
    });
    this.#loading.catch(() => undefined);
  }

  #session(t: number): BarSession | null {
    return this.timeframe === '1Day' ? dailySession(t) : this.#sessions.at(t);
  }

  /** The quote in force at `t` from the bars loaded: the last path point at or before `t`. */
  #quoteAt(symbol: string, t: number): Quote | undefined {
    const list = this.#bars.get(symbol);
    if (list === undefined || list.length === 0) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Date.parse(list[mid]?.time ?? '') <= t) lo = mid + 1;
      else hi = mid;
    }
    const bar = list[lo - 1];
    if (bar === undefined) return undefined;
    const start = Date.parse(bar.time);
    const times = new Float64Array(4);
    pathTimes(this.timeframe, start, this.#session(start), times);
    const open = Number(bar.open);
    const close = Number(bar.close);
    const path = [
      open,
      close >= open ? Number(bar.low) : Number(bar.high),
      close >= open ? Number(bar.high) : Number(bar.low),
      close,
    ];
    let k = 0;
    for (let i = 0; i < 4; i++) if ((times[i] ?? Infinity) <= t) k = i;
    // Before the bar's first point (a daily bar before the open) the previous close is in force.
    const price = (times[0] ?? 0) > t ? close : (path[k] ?? close);
    const at = (times[0] ?? 0) > t ? start : (times[k] ?? start);
    return this.#quotes.quote(
      symbol,
      price,
      bar.volume >= 1 ? Math.floor(bar.volume) : UNLIMITED_SIZE,
      Math.min(at, t),
    );
  }

  latestQuote(symbol: string): Quote | undefined {
    const s = symbol.trim().toUpperCase();
    if (!this.#bySymbol.has(s)) return undefined;
    this.#ahead();
    const now = this.clock.now().getTime();
    return this.#quoteAt(s, this.#to === undefined ? now : Math.min(now, this.#to));
  }

  subscribeQuotes(symbols: readonly string[] | 'all', onQuote: QuoteListener): Cancel {
    let wanted: ReadonlySet<string> | 'all' = 'all';
    if (symbols !== 'all') {
      const set = new Set(symbols.map((s) => s.trim().toUpperCase()));
      for (const s of set) if (!this.#bySymbol.has(s)) throw new UnknownSymbolError(s);
      wanted = set;
    }
    const entry = { symbols: wanted, listener: onQuote };
    this.#listeners.add(entry);
    if (this.#cancelTick === undefined) this.#schedule();
    return () => {
      this.#listeners.delete(entry);
      if (this.#listeners.size === 0) {
        this.#cancelTick?.();
        this.#cancelTick = undefined;
      }
    };
  }

  #schedule(): void {
    const next = (Math.floor(this.clock.now().getTime() / this.#tickMs) + 1) * this.#tickMs;
    this.#cancelTick = this.clock.schedule(new Date(next), () => {
      this.#cancelTick = undefined;
      this.#tick();
      if (
        this.#listeners.size > 0 &&
        (this.#to === undefined || this.clock.now().getTime() < this.#to)
      )
        this.#schedule();
    });
  }

  #tick(): void {
    for (const asset of this.#assets) {
      const quote = this.latestQuote(asset.symbol);
      if (quote === undefined) continue;
      const key = `${quote.bid}|${quote.ask}|${quote.last}|${quote.time}`;
      if (this.#last.get(asset.symbol) === key) continue;
      this.#last.set(asset.symbol, key);
      for (const { symbols, listener } of [...this.#listeners]) {
        if (symbols !== 'all' && !symbols.has(asset.symbol)) continue;
        try {
          listener(quote);
        } catch {
          // A listener's failure is its own; the feed goes on.
        }
      }
    }
  }

  async bars(symbol: string, query: BarsQuery): Promise<Bar[]> {
    const s = symbol.trim().toUpperCase();
    if (!this.#bySymbol.has(s)) throw new UnknownSymbolError(symbol);
    const now = this.clock.now().getTime();
    const end = Math.min(query.end?.getTime() ?? now, now);
    const start =
      query.start?.getTime() ?? end - (query.timeframe === '1Min' ? HOUR * 16 : 365 * DAY);
    const bars = await this.#source.bars(s, query.timeframe, {
      start: new Date(start),
      end: new Date(end),
      limit: query.limit ?? 1000,
    });
    // Only completed bars: nothing from the replay's future.
    const width = query.timeframe === '1Min' ? 60_000 : DAY;
    return bars.filter((b) => Date.parse(b.time) + width <= now);
  }

  assets(): readonly Asset[] {
    return this.#assets;
  }

  asset(symbol: string): Asset | undefined {
    return this.#bySymbol.get(symbol.trim().toUpperCase());
  }

  context(symbol: string): MarketContext {
    const now = this.clock.now().getTime();
    const s = symbol.trim().toUpperCase();
    const quote = this.latestQuote(s);
    const asset = this.#bySymbol.get(s);
    const session = this.calendar.session(new Date(now));
    const base = contextAt(
      now,
      session === undefined
        ? null
        : {
            open: session.open.getTime(),
            close: session.close.getTime(),
            postClose: session.postClose.getTime(),
          },
      { quote, asset, auction: undefined },
    );
    return { ...base, phase: this.calendar.phaseAt(new Date(now)) };
  }

  close(): void {
    this.#listeners.clear();
    this.#cancelTick?.();
    this.#cancelTick = undefined;
  }
}
