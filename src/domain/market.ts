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
  /** The symbol's listing (shortable, fractionable, …), when the symbol is known. */
  readonly asset?: Asset;
  /** Today's regular-session open (ISO-8601 UTC) on a session day; `opg` orders expire after it. */
  readonly sessionOpen?: string;
  /** End of today's post-market session (ISO-8601 UTC); extended-hours day orders expire then. */
  readonly extendedClose?: string;
  /** The opening or closing auction print when the command is priced by one (`opg`, `cls`). */
  readonly auction?: AuctionPrint;
  /** Options: the underlying's latest quote (exercise prices, option pre-trade checks). */
  readonly underlyingQuote?: Quote;
  /** Multi-leg option orders: the latest quote of each leg's contract, by OCC symbol. */
  readonly optionQuotes?: Readonly<Record<string, Quote>>;
  /**
   * Marks of the account's holdings (and the order's symbol), by symbol, when an account risk
   * limit needs the portfolio at market (% of equity, net exposure, daily loss, the
   * pattern-day-trader rule). A holding without a mark is valued at cost.
   */
  readonly marks?: Readonly<Record<string, Mark>>;
  /**
   * New York date of the first of the five sessions the pattern-day-trader rule counts day
   * trades in (today included). Without it the decider counts five weekdays.
   */
  readonly dayTradeWindowStart?: string;
}

/** What a holding is worth now and was worth at the previous close, per unit (decimal strings). */
export interface Mark {
  readonly price: string;
  /** The previous session's closing price; absent when unknown. */
  readonly previousClose?: string;
}

/** The single-price print of an opening or closing auction. */
export interface AuctionPrint {
  readonly kind: 'open' | 'close';
  /** Auction price, an exact decimal string. */
  readonly price: string;
  /** Auction time, ISO-8601 UTC. */
  readonly time: string;
}

/** Asset class of a tradable instrument; only US equities (stocks and ETFs) for now. */
export type AssetClass = 'us_equity';

/**
 * A tradable instrument as the venue lists it (the fields of Alpaca's asset object). The
 * domain reads `tradable`, `shortable`, `easyToBorrow` and `fractionable` in pre-trade checks.
 */
export interface Asset {
  /** Ticker symbol, upper case (e.g. "AAPL"). */
  readonly symbol: string;
  readonly name: string;
  /** Primary listing exchange, e.g. "NASDAQ", "NYSE", "ARCA". */
  readonly exchange: string;
  /** GICS-style sector, or "ETF" for exchange-traded funds. */
  readonly sector: string;
  readonly class: AssetClass;
  readonly tradable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow: boolean;
  readonly fractionable: boolean;
  /** True when the instrument and its prices are simulated (every asset of the simulated feed). */
  readonly simulated: boolean;
}
