/**
 * The trading read side as the interfaces see it: what REST (`/api/v1`, `/v2`), MCP and the
 * dashboard read about accounts, orders, positions, fills and portfolio history. Every view is
 * built from the projections (never from the event store) and every query runs through
 * `withTenant`, so row-level security decides what a caller can see: a row of another tenant
 * is simply absent (`undefined` / not in the page), which the interfaces answer with 404.
 *
 * Money, prices and quantities are exact decimal strings. Market-dependent figures (market
 * value, equity, unrealized P&L) are valued at query time from the market data's latest quote
 * (the quotes cache); they are `null` when no quote is known.
 */
import type { Instrument } from '../domain/instrument.ts';
import type { AuctionPrint, Quote } from '../domain/market.ts';
import type { DecimalString } from '../domain/money.ts';
import type {
  AccountSettings,
  FillExplanation,
  LegRole,
  OrderClass,
  OrderSide,
  OrderStatus,
  OrderType,
  PositionIntent,
  TimeInForce,
} from '../domain/account/index.ts';
import type { ReadAccess } from './tenancy.ts';

/** A page of a list: `nextCursor` is opaque; pass it back as `cursor` for the next page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** Cursor pagination of a list. */
export interface PageRequest {
  /** 1–500; default 50. */
  readonly limit?: number;
  /** A `nextCursor` from the previous page. An invalid cursor throws `InvalidCursor`. */
  readonly cursor?: string;
}

/** Thrown for a cursor that was not produced by this list (REST answers 400 `invalid_cursor`). */
export class InvalidCursor extends Error {
  override readonly name = 'InvalidCursor';
  readonly code = 'invalid_cursor';
  constructor() {
    super('The cursor is not valid for this list');
  }
}

export interface AccountView {
  readonly id: string;
  readonly ownerId: string;
  readonly name: string;
  readonly status: 'active';
  readonly currency: 'USD';
  readonly accountType: AccountSettings['accountType'];
  readonly cash: DecimalString;
  /** Cash (or margin) available for new orders after reservations of open orders. */
  readonly buyingPower: DecimalString;
  /** Cash + market value of positions (positions without a quote at cost). */
  readonly equity: DecimalString;
  /** Equity at the previous regular-session close (for the day's P&L). */
  readonly lastEquity: DecimalString;
  /** equity − lastEquity. */
  readonly dayPl: DecimalString;
  readonly longMarketValue: DecimalString;
  readonly shortMarketValue: DecimalString;
  readonly realizedPl: DecimalString;
  readonly feesPaid: DecimalString;
  readonly totalDeposits: DecimalString;
  readonly totalWithdrawals: DecimalString;
  readonly openOrders: number;
  readonly settings: AccountSettings;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface OrderView {
  readonly id: string;
  readonly accountId: string;
  readonly clientOrderId: string;
  readonly instrument: Instrument;
  readonly symbol: string;
  readonly assetClass: 'us_equity' | 'us_option';
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly orderClass: OrderClass;
  readonly status: OrderStatus;
  readonly qty: DecimalString;
  readonly filledQty: DecimalString;
  /** Null until the first fill. */
  readonly filledAvgPrice: DecimalString | null;
  readonly limitPrice: DecimalString | null;
  readonly stopPrice: DecimalString | null;
  readonly trailPrice: DecimalString | null;
  readonly trailPercent: DecimalString | null;
  readonly hwm: DecimalString | null;
  readonly extendedHours: boolean;
  readonly parentId: string | null;
  readonly legRole: LegRole | null;
  /** Options: opening or closing (absent for stock orders). */
  readonly positionIntent?: PositionIntent | null;
  /** A multi-leg order's leg: contracts per unit of its parent. */
  readonly ratioQty?: DecimalString | null;
  /** A multi-leg order: the strategy its legs form. */
  readonly strategy?: string | null;
  /** Child orders (bracket/OCO/OTO legs, multi-leg legs), nested; empty for simple orders. */
  readonly legs: readonly OrderView[];
  readonly replaces: string | null;
  readonly replacedBy: string | null;
  /** Reason code of a rejection (`insufficient_buying_power`…), null otherwise. */
  readonly rejectReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly submittedAt: string;
  readonly filledAt: string | null;
  readonly canceledAt: string | null;
  readonly expiredAt: string | null;
  readonly replacedAt: string | null;
  readonly failedAt: string | null;
  /** Global position of the last event that changed this order. */
  readonly position: number;
}

export interface PositionView {
  readonly accountId: string;
  readonly symbol: string;
  readonly instrument: Instrument;
  readonly assetClass: 'us_equity' | 'us_option';
  /** Signed: negative for a short. */
  readonly qty: DecimalString;
  readonly side: 'long' | 'short';
  readonly avgEntryPrice: DecimalString;
  /** Signed: qty × avg entry × multiplier. */
  readonly costBasis: DecimalString;
  /** Latest quote's mid (or last) price; null without a quote. */
  readonly currentPrice: DecimalString | null;
  readonly marketValue: DecimalString | null;
  readonly unrealizedPl: DecimalString | null;
  /** Unrealized P&L as a fraction of |cost basis| (`"0.0125"` = 1.25 %). */
  readonly unrealizedPlpc: DecimalString | null;
  /** Previous regular-session close; null when unknown. */
  readonly lastdayPrice: DecimalString | null;
  /** (currentPrice − lastdayPrice) / lastdayPrice. */
  readonly changeToday: DecimalString | null;
  readonly realizedPl: DecimalString;
  readonly updatedAt: string;
}

export interface FillView {
  readonly id: string;
  readonly accountId: string;
  readonly orderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly qty: DecimalString;
  readonly price: DecimalString;
  readonly grossAmount: DecimalString;
  readonly commission: DecimalString;
  /** SEC fee + FINRA TAF. */
  readonly regulatoryFees: DecimalString;
  readonly cashDelta: DecimalString;
  readonly realizedPl: DecimalString;
  readonly orderStatus: 'partially_filled' | 'filled';
  readonly cumulativeQty: DecimalString;
  readonly leavesQty: DecimalString;
  /** The quote that priced the fill (null for auction fills). */
  readonly quote: Quote | null;
  readonly auction: AuctionPrint | null;
  readonly model: FillExplanation;
  /** The position right after this fill. */
  readonly positionAfter: { readonly qty: DecimalString; readonly costBasis: DecimalString };
  readonly at: string;
  /** Global position of the `OrderFilled` event. */
  readonly position: number;
}

/** Alpaca's portfolio-history timeframes we support. */
export type HistoryTimeframe = '1Min' | '5Min' | '15Min' | '1H' | '1D';

export interface PortfolioHistoryRequest {
  /** Default `1D` for periods over a day, `1Min` otherwise. */
  readonly timeframe?: HistoryTimeframe;
  /** Inclusive, ISO-8601; default: the account's opening (bounded by `maxPoints`). */
  readonly start?: string;
  /** Inclusive, ISO-8601; default: now (market clock). */
  readonly end?: string;
}

export interface PortfolioHistoryPoint {
  readonly timestamp: string;
  readonly equity: DecimalString;
  readonly cash: DecimalString;
  /** equity − baseValue. */
  readonly profitLoss: DecimalString;
  /** profitLoss / baseValue. */
  readonly profitLossPct: DecimalString;
}

export interface PortfolioHistory {
  readonly timeframe: HistoryTimeframe;
  /** Equity at the first point (the basis of profit/loss). */
  readonly baseValue: DecimalString;
  readonly points: readonly PortfolioHistoryPoint[];
}

export interface OrderListRequest extends PageRequest {
  /** Default `open`. */
  readonly status?: 'open' | 'closed' | 'all';
  /** Restrict to these symbols. */
  readonly symbols?: readonly string[];
  /** Only stock (`us_equity`) or option (`us_option`, multi-leg included) orders. */
  readonly assetClass?: 'us_equity' | 'us_option';
  /** Only orders created after / until these instants (ISO-8601). */
  readonly after?: string;
  readonly until?: string;
  /** Newest first (`desc`, default) or oldest first. */
  readonly direction?: 'asc' | 'desc';
  /** When true, child legs appear only nested under their parent (default true). */
  readonly nested?: boolean;
}

export interface FillListRequest extends PageRequest {
  readonly orderId?: string;
  readonly symbol?: string;
  readonly after?: string;
  readonly until?: string;
  readonly direction?: 'asc' | 'desc';
}

/**
 * Queries over the trading projections. `access` is derived from the principal by the caller
 * (`accessOf(principal)`): a tenant sees its own rows, auditors and admins every row.
 */
export interface TradingQueries {
  listAccounts(access: ReadAccess, page?: PageRequest): Promise<Page<AccountView>>;
  getAccount(access: ReadAccess, accountId: string): Promise<AccountView | undefined>;
  /**
   * The owner of an account visible to `access` (undefined when it does not exist or is not
   * visible): the check before a read of the account's orders, positions or fills, without
   * valuing the account.
   */
  accountOwner(access: ReadAccess, accountId: string): Promise<string | undefined>;
  listOrders(
    access: ReadAccess,
    accountId: string,
    request?: OrderListRequest,
  ): Promise<Page<OrderView>>;
  getOrder(access: ReadAccess, accountId: string, orderId: string): Promise<OrderView | undefined>;
  getOrderByClientOrderId(
    access: ReadAccess,
    accountId: string,
    clientOrderId: string,
  ): Promise<OrderView | undefined>;
  listPositions(access: ReadAccess, accountId: string): Promise<readonly PositionView[]>;
  /**
   * `accountOwner` and `listPositions` from one read of the account: the owner, and the
   * positions valued when `positions` is called (once the caller has authorized the read).
   */
  ownedPositions(
    access: ReadAccess,
    accountId: string,
  ): Promise<{
    readonly owner: string | undefined;
    readonly positions: () => Promise<readonly PositionView[]>;
  }>;
  getPosition(
    access: ReadAccess,
    accountId: string,
    symbol: string,
  ): Promise<PositionView | undefined>;
  listFills(
    access: ReadAccess,
    accountId: string,
    request?: FillListRequest,
  ): Promise<Page<FillView>>;
  /** Undefined when the account is not visible to `access`. */
  portfolioHistory(
    access: ReadAccess,
    accountId: string,
    request?: PortfolioHistoryRequest,
  ): Promise<PortfolioHistory | undefined>;
}
