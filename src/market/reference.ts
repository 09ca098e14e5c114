/**
 * Reference data beside prices: corporate actions, analyst ratings, earnings dates, the depth
 * of book and economic news. Each is a small port; the simulated adapters
 * (`simulated/reference/*.ts`) derive everything from `MARKET_SEED`, the symbol and the date,
 * and say so (`simulated: true`). Analysis code reads these ports; it never knows the adapter.
 */

// ─── corporate actions ──────────────────────────────────────────────────────────────────────

/** A cash dividend of one share class. */
export interface CashDividend {
  readonly kind: 'cash_dividend';
  /** Stable id, e.g. `div-AAPL-2026-02-09`: the account applies an action once per id. */
  readonly id: string;
  readonly symbol: string;
  /** When the board declared it (`YYYY-MM-DD`, New York). */
  readonly declaredDate: string;
  /** From this session on, buyers do not get the dividend: holders at its start do. */
  readonly exDate: string;
  /** T+1 settlement: the record date is the ex-date. */
  readonly recordDate: string;
  readonly payDate: string;
  /** Dollars per share, a decimal string. */
  readonly amountPerShare: string;
  readonly frequency: 'monthly' | 'quarterly';
  readonly simulated: boolean;
}

/** A stock split: `newShares` for every `oldShares`, effective at the start of `exDate`. */
export interface StockSplit {
  readonly kind: 'split';
  readonly id: string;
  readonly symbol: string;
  readonly declaredDate: string;
  readonly exDate: string;
  readonly newShares: number;
  readonly oldShares: number;
  readonly simulated: boolean;
}

export type CorporateAction = CashDividend | StockSplit;

/** Which date of an action a query selects on. */
export type CorporateActionDate = 'ex' | 'pay';

export interface CorporateActionQuery {
  /** Inclusive `YYYY-MM-DD` bounds (New York dates). */
  readonly from: string;
  readonly to: string;
  readonly symbol?: string;
  /** Select on the ex-date (default) or, for dividends, the pay date. */
  readonly by?: CorporateActionDate;
}

/** The corporate-action calendar. */
export interface CorporateActionCalendar {
  /** Actions in the date range, by that date then symbol. */
  actions(query: CorporateActionQuery): CorporateAction[];
}

// ─── analyst ratings ────────────────────────────────────────────────────────────────────────

export type RatingGrade = 'strong_buy' | 'buy' | 'hold' | 'sell' | 'strong_sell';

/** Analyst consensus on a stock. Price targets are decimal strings (dollars). */
export interface AnalystRatings {
  readonly symbol: string;
  /** When the consensus was last revised (`YYYY-MM-DD`). */
  readonly asOf: string;
  readonly analysts: number;
  readonly counts: Readonly<Record<RatingGrade, number>>;
  readonly consensus: RatingGrade;
  /** 1 = strong buy … 5 = strong sell (the usual scale). */
  readonly score: number;
  readonly priceTarget: { readonly low: string; readonly mean: string; readonly high: string };
  /** Recent changes by named (fictional when simulated) brokers. */
  readonly recent: readonly {
    readonly date: string;
    readonly firm: string;
    readonly action: 'upgrade' | 'downgrade' | 'initiate' | 'reiterate';
    readonly from: RatingGrade | null;
    readonly to: RatingGrade;
    readonly priceTarget: string;
  }[];
  readonly simulated: boolean;
}

export interface AnalystRatingsSource {
  /** The consensus as of `at`; undefined for symbols nobody covers (ETFs, unknown). */
  ratings(symbol: string, at: Date): AnalystRatings | undefined;
}

// ─── earnings ───────────────────────────────────────────────────────────────────────────────

export interface EarningsEvent {
  readonly symbol: string;
  readonly date: string;
  /** Before the open, or after the close. */
  readonly time: 'before_open' | 'after_close';
  /** Fiscal quarter reported, e.g. `2026Q1`. */
  readonly fiscalQuarter: string;
  readonly epsEstimate: string;
  /** Known once reported; null before. */
  readonly epsActual: string | null;
  readonly revenueEstimate: string;
  readonly revenueActual: string | null;
  readonly simulated: boolean;
}

export interface EarningsCalendar {
  /** Earnings reports between two `YYYY-MM-DD` dates, inclusive; actuals only when `at` is past them. */
  earnings(symbol: string, from: string, to: string, at: Date): EarningsEvent[];
}

// ─── depth of book ──────────────────────────────────────────────────────────────────────────

export interface DepthLevel {
  /** Decimal string on the tick grid. */
  readonly price: string;
  readonly size: number;
  /** Orders resting at the level. */
  readonly orders: number;
  /** Venues displaying size at the level. */
  readonly venues: readonly string[];
}

/** A level-2 ladder whose top level is the NBBO of the same instant. */
export interface DepthOfBook {
  readonly symbol: string;
  readonly time: string;
  readonly sequence: number;
  /** Best first: descending prices. */
  readonly bids: readonly DepthLevel[];
  /** Best first: ascending prices. */
  readonly asks: readonly DepthLevel[];
  readonly simulated: boolean;
}

export interface DepthSource {
  /** The ladder now, `levels` deep on each side (1 … 50); undefined for an unknown symbol. */
  depth(symbol: string, levels: number): DepthOfBook | undefined;
}

// ─── economic news ──────────────────────────────────────────────────────────────────────────

export interface EconomicRelease {
  readonly id: string;
  /** Release instant, ISO-8601 UTC. */
  readonly time: string;
  readonly name: string;
  readonly country: 'US';
  readonly importance: 'low' | 'medium' | 'high';
  readonly unit: string;
  /** Of the previous period. */
  readonly previous: string;
  readonly consensus: string;
  /** Null until released. */
  readonly actual: string | null;
  readonly simulated: boolean;
}

export interface Headline {
  readonly id: string;
  readonly time: string;
  readonly headline: string;
  readonly summary: string;
  readonly symbols: readonly string[];
  readonly category: 'macro' | 'markets' | 'company' | 'sector';
  readonly sentiment: 'positive' | 'neutral' | 'negative';
  readonly source: string;
  readonly simulated: boolean;
}

export interface EconomicNews {
  /** Scheduled releases between two instants (future ones without actuals). */
  calendar(from: Date, to: Date, at: Date): EconomicRelease[];
  /** Headlines published between two instants, newest first, optionally about one symbol. */
  headlines(
    from: Date,
    to: Date,
    options?: { readonly symbol?: string; readonly limit?: number },
  ): Headline[];
}

/** Every reference-data port, as the interfaces receive them. */
export interface ReferenceData {
  readonly corporateActions: CorporateActionCalendar;
  readonly ratings: AnalystRatingsSource;
  readonly earnings: EarningsCalendar;
  readonly depth: DepthSource;
  readonly news: EconomicNews;
}
