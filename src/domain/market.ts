/**
 * Market-data values shared by the domain (which prices fills against them) and by
 * `src/market` (which produces them). Plain, JSON-safe data: a quote is recorded verbatim
 * on every fill it prices, so it must survive a JSON round trip unchanged.
 */

/** Where a quote came from; recorded on fills so an auditor knows what priced them. */
export type QuoteSource = 'simulated' | 'replay' | 'test';

/** A National Best Bid and Offer snapshot for one symbol. */
export interface Quote {
  readonly symbol: string;
  /** Best bid, an exact decimal string (e.g. "189.42"). */
  readonly bid: string;
  /** Best ask (offer), an exact decimal string. */
  readonly ask: string;
  /** Shares bid at the best bid (a whole number of shares). */
  readonly bidSize: number;
  /** Shares offered at the best ask (a whole number of shares). */
  readonly askSize: number;
  /** Last trade price, an exact decimal string. */
  readonly last: string;
  /** Quote time as ISO-8601 UTC (simulation time when the clock is simulated). */
  readonly time: string;
  /** Feed sequence number, strictly increasing per symbol for one feed. */
  readonly seq: number;
  readonly source: QuoteSource;
}

/** The trading phase of the US equity market at some instant (America/New_York sessions). */
export type MarketPhase = 'pre' | 'regular' | 'post' | 'closed';

/**
 * What the market looked like for a symbol when a command was issued. Commands carry this
 * so deciders stay pure: they never read a clock or a feed themselves.
 */
export interface MarketContext {
  /** Instant of the decision, ISO-8601 UTC (simulation time when simulated). */
  readonly now: string;
  readonly phase: MarketPhase;
  /** True when trading in the symbol is halted. */
  readonly halted: boolean;
  /** Today's regular-session close (ISO-8601 UTC) when today is a session day; early closes included. */
  readonly sessionClose?: string;
  /** Latest quote for the order's symbol, when one is known. */
  readonly quote?: Quote;
}
