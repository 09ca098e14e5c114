/**
 * The market-data port: what the engine, the command layer and the interfaces may ask of a
 * market feed, whatever produces it (the seeded simulator, a replay of stored history, …).
 *
 * Hot-path reads (`latestQuote`, `context`) are synchronous: an adapter keeps the latest
 * state in memory. History (`bars`) is asynchronous so an adapter may read it from storage.
 */
import type { Asset, MarketContext, Quote } from '../domain/market.ts';
import type { MarketCalendar } from './calendar.ts';

export type { Asset, MarketContext, MarketPhase, Quote } from '../domain/market.ts';

/** Cancels a timer or a subscription. Calling it twice is harmless. */
export type Cancel = () => void;

/** Source of time and timers. `RealClock` and `SimulatedClock` implement it. */
export interface Clock {
  /** The current instant (simulation time for a simulated clock). */
  now(): Date;
  /**
   * Calls `fn` once when clock time reaches `at` (soon, if `at` is already past).
   * Returns a function that cancels the call.
   */
  schedule(at: Date, fn: () => void): Cancel;
  /** Resolves after `ms` of clock time; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Bar width. */
export type Timeframe = '1Min' | '1Day';

/** One OHLCV bar. Prices are exact decimal strings on the tick grid, except `vwap`. */
export interface Bar {
  /** Bar start as ISO-8601 UTC; a daily bar starts at midnight New York time. */
  readonly time: string;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  /** Shares traded. */
  readonly volume: number;
  /** Volume-weighted average price, a decimal string with 4 decimal places. */
  readonly vwap: string;
  /** Number of trades. */
  readonly tradeCount: number;
}

/** A bar query. Only completed bars are returned; `end` is capped at the clock's now. */
export interface BarsQuery {
  readonly timeframe: Timeframe;
  /** Inclusive start. Default: the current session's pre-open (1Min) or a year before `end` (1Day). */
  readonly start?: Date;
  /** Exclusive end. Default and maximum: now. */
  readonly end?: Date;
  /** Maximum bars returned, the earliest first. Default 1,000, at most 10,000. */
  readonly limit?: number;
}

/** Receives quotes as a feed produces them. */
export type QuoteListener = (quote: Quote) => void;

/** The market-data port. */
export interface MarketData {
  /** The clock this feed runs on. */
  readonly clock: Clock;
  /** The trading calendar this feed follows. */
  readonly calendar: MarketCalendar;
  /**
   * The latest quote for a symbol at the clock's now: during pre, regular and post the one of
   * the current tick; when closed or halted the last one produced before. `undefined` for an
   * unknown symbol.
   */
  latestQuote(symbol: string): Quote | undefined;
  /**
   * Calls `onQuote` with every new quote for the symbols (or all symbols) as the clock
   * advances. Returns the unsubscribe function.
   */
  subscribeQuotes(symbols: readonly string[] | 'all', onQuote: QuoteListener): Cancel;
  /** Historical bars; throws `UnknownSymbolError` for a symbol the feed does not list. */
  bars(symbol: string, query: BarsQuery): Promise<Bar[]>;
  /** Every listed asset, sorted by symbol. */
  assets(): readonly Asset[];
  /** One asset, or `undefined`. Symbols are matched case-insensitively. */
  asset(symbol: string): Asset | undefined;
  /** The market as a command should see it for `symbol` right now. */
  context(symbol: string): MarketContext;
  /** Stops timers and drops subscriptions. */
  close(): void;
  /**
   * Optional, for adapters that can answer without building bars: the regular-session close
   * of a completed session (the close its daily bar reports), else undefined. Long daily
   * histories (risk, the scanner) use it when present.
   */
  dailyClose?(symbol: string, date: string): string | undefined;
}

/** Thrown when a symbol is not in the feed's universe. */
export class UnknownSymbolError extends Error {
  readonly code = 'unknown_symbol';
  constructor(readonly symbol: string) {
    super(`unknown symbol: ${symbol}`);
    this.name = 'UnknownSymbolError';
  }
}
