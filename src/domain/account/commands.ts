import type { Instrument, OptionInstrument } from '../instrument.ts';
import type { MarketContext } from '../market.ts';
import type { DecimalString } from '../money.ts';
import type { OrderClass, OrderSide, OrderType, PositionIntent, TimeInForce } from './order.ts';
import type { CorporateActionCommand } from './corporate-actions.ts';
import type { SettingsPatch } from './settings.ts';

/** Emmett-style command: a `type` tag and data. Everything the decision needs is in `data`. */
export interface DomainCommand<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

/** An order as a client asks for it (the REST/MCP layers translate into this). */
export interface OrderRequest {
  /** Defaults to the order id. Reusing one makes `PlaceOrder` a no-op (idempotent retry). */
  readonly clientOrderId?: string;
  readonly instrument: Instrument;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly qty: DecimalString;
  readonly limitPrice?: DecimalString;
  readonly stopPrice?: DecimalString;
  readonly trailPrice?: DecimalString;
  /** Percent: `"2.5"` trails by 2.5 %. */
  readonly trailPercent?: DecimalString;
  readonly extendedHours?: boolean;
  readonly orderClass?: OrderClass;
  readonly takeProfit?: { readonly limitPrice: DecimalString };
  readonly stopLoss?: { readonly stopPrice: DecimalString; readonly limitPrice?: DecimalString };
  /** Options: open or close, checked against the position (inferred when absent). */
  readonly positionIntent?: PositionIntent;
  /**
   * Multi-leg option orders (`orderClass: 'mleg'`): 2–4 legs on one underlying. `instrument`
   * is then the first leg's, `side` is ignored, `qty` counts units of the combination and
   * `limitPrice` is the net price per unit: positive a debit paid, negative a credit received.
   */
  readonly legs?: readonly OrderLegRequest[];
}

/** One leg of a multi-leg option order. */
export interface OrderLegRequest {
  readonly instrument: OptionInstrument;
  readonly side: OrderSide;
  /** Contracts per unit of the order's quantity (a whole number, usually 1). */
  readonly ratioQty: DecimalString;
  readonly positionIntent?: PositionIntent;
}

export type OpenAccount = DomainCommand<
  'OpenAccount',
  {
    readonly accountId: string;
    /** The user who owns the account (tenancy: only the owner trades it). */
    readonly ownerId: string;
    readonly name: string;
    readonly initialCash: DecimalString;
    readonly settings?: SettingsPatch;
    readonly at: string;
  }
>;

export type Deposit = DomainCommand<
  'Deposit',
  { readonly amount: DecimalString; readonly reference?: string; readonly at: string }
>;

export type Withdraw = DomainCommand<
  'Withdraw',
  { readonly amount: DecimalString; readonly reference?: string; readonly at: string }
>;

export type UpdateSettings = DomainCommand<
  'UpdateSettings',
  { readonly settings: SettingsPatch; readonly at: string }
>;

export type PlaceOrder = DomainCommand<
  'PlaceOrder',
  {
    readonly orderId: string;
    /** Ids for child legs: bracket needs two (take-profit, stop-loss), oco and oto one. */
    readonly legOrderIds?: readonly string[];
    /** Id for a fill in this same decision (marketable orders in session fill at once). */
    readonly fillId?: string;
    readonly request: OrderRequest;
    readonly market: MarketContext;
    /**
     * Outside the session a market order is queued for the open (`accepted`) unless this is
     * false, in which case it is rejected with `market_closed`. Default true.
     */
    readonly queueWhenClosed?: boolean;
  }
>;

export type CancelOrder = DomainCommand<
  'CancelOrder',
  { readonly orderId: string; readonly at: string }
>;

export type CancelAllOrders = DomainCommand<
  'CancelAllOrders',
  {
    readonly at: string;
    /** Only orders of this asset class (default: every open order). */
    readonly assetClass?: 'us_equity' | 'us_option';
  }
>;

/** Fields a replacement may change; the rest is copied from the old order. */
export interface ReplaceChanges {
  /** The new order's total quantity; defaults to the old order's unfilled quantity. */
  readonly qty?: DecimalString;
  readonly limitPrice?: DecimalString;
  readonly stopPrice?: DecimalString;
  /** New trail, in the unit the order already trails by (price or percent). */
  readonly trail?: DecimalString;
  readonly timeInForce?: TimeInForce;
  readonly clientOrderId?: string;
}

export type ReplaceOrder = DomainCommand<
  'ReplaceOrder',
  {
    readonly orderId: string;
    readonly newOrderId: string;
    readonly fillId?: string;
    readonly changes: ReplaceChanges;
    readonly market: MarketContext;
  }
>;

/** Sent by the engine when a stop is hit; fills at once against the same quote when `fillId` is given. */
export type TriggerOrder = DomainCommand<
  'TriggerOrder',
  { readonly orderId: string; readonly fillId?: string; readonly market: MarketContext }
>;

/** Sent by the engine; the decider prices the fill itself from `market.quote` or `market.auction`. */
export type FillOrder = DomainCommand<
  'FillOrder',
  { readonly orderId: string; readonly fillId: string; readonly market: MarketContext }
>;

export type ExpireOrder = DomainCommand<
  'ExpireOrder',
  { readonly orderId: string; readonly market: MarketContext }
>;

export type UpdateWaterMark = DomainCommand<
  'UpdateWaterMark',
  { readonly orderId: string; readonly market: MarketContext }
>;

export type ResetAccount = DomainCommand<
  'ResetAccount',
  { readonly initialCash: DecimalString; readonly settings?: SettingsPatch; readonly at: string }
>;

/**
 * The holder exercises long option contracts early (American style): priced at the last trade
 * of `market.underlyingQuote`. Default quantity: every contract not promised to a sell order.
 */
export type ExerciseOption = DomainCommand<
  'ExerciseOption',
  { readonly symbol: string; readonly qty?: DecimalString; readonly market: MarketContext }
>;

/**
 * Sent by the engine after the close of an option's expiration day: exercises a long position
 * in the money by at least $0.01, assigns a short one the same way, or expires it worthless.
 */
export type SettleExpiredOption = DomainCommand<
  'SettleExpiredOption',
  {
    readonly symbol: string;
    /** The underlying's closing price on the expiration day (recorded on the event). */
    readonly underlyingPrice: DecimalString;
    /** The New York date of the session being settled. */
    readonly sessionDate: string;
    /** That session's close (ISO-8601): settlement happens after it. */
    readonly sessionClose: string;
    readonly at: string;
  }
>;

/** Every command the account decider accepts. */
export type AccountCommand =
  | OpenAccount
  | Deposit
  | Withdraw
  | UpdateSettings
  | PlaceOrder
  | CancelOrder
  | CancelAllOrders
  | ReplaceOrder
  | TriggerOrder
  | FillOrder
  | ExpireOrder
  | UpdateWaterMark
  | ResetAccount
  | ExerciseOption
  | SettleExpiredOption
  // Corporate actions (corporate-actions.ts).
  | CorporateActionCommand;
