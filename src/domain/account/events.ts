import type { FillModel, SlippageModel } from '../fill-model.ts';
import type { AuctionPrint, Quote } from '../market.ts';
import type { DecimalString } from '../money.ts';
import type { RejectionReason } from '../rejections.ts';
import type { OrderRequest } from './commands.ts';
import type { CorporateActionEvent } from './corporate-actions.ts';
import type { Order, OrderSide } from './order.ts';
import type { AccountSettings, StopTriggerSource } from './settings.ts';

/** Emmett-style event: a `type` tag and JSON-safe `data`. Metadata is added by the command layer. */
export interface DomainEvent<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

export type AccountOpened = DomainEvent<
  'AccountOpened',
  {
    readonly accountId: string;
    readonly ownerId: string;
    readonly name: string;
    readonly settings: AccountSettings;
    readonly at: string;
  }
>;

/** Cash entering the ledger; `reason: 'initial'` for the opening balance. */
export type CashDeposited = DomainEvent<
  'CashDeposited',
  {
    readonly amount: DecimalString;
    readonly cashAfter: DecimalString;
    readonly reason: 'initial' | 'deposit';
    readonly reference: string | null;
    readonly at: string;
  }
>;

export type CashWithdrawn = DomainEvent<
  'CashWithdrawn',
  {
    readonly amount: DecimalString;
    readonly cashAfter: DecimalString;
    readonly reference: string | null;
    readonly at: string;
  }
>;

export type AccountSettingsUpdated = DomainEvent<
  'AccountSettingsUpdated',
  { readonly settings: AccountSettings; readonly at: string }
>;

/** A new order, complete: status `new`, `accepted` (queued for the session) or `held` (child leg). */
export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  { readonly order: Order; readonly at: string }
>;

/** A business rejection of an order (or of a replacement, then `replaces` names the old order). */
export type OrderRejected = DomainEvent<
  'OrderRejected',
  {
    readonly orderId: string;
    readonly clientOrderId: string;
    readonly symbol: string;
    readonly reason: RejectionReason;
    readonly message: string;
    readonly replaces: string | null;
    readonly request: OrderRequest | null;
    readonly at: string;
  }
>;

/** A stop-type order's stop was hit; it now works as a market (or, for stop_limit, limit) order. */
export type OrderTriggered = DomainEvent<
  'OrderTriggered',
  {
    readonly orderId: string;
    readonly stopPrice: DecimalString;
    /** The price that crossed the stop (last, bid or ask per `triggerSource`). */
    readonly triggerPrice: DecimalString;
    readonly triggerSource: StopTriggerSource;
    readonly quote: Quote;
    readonly at: string;
  }
>;

/** A held child leg becomes live because its parent filled (or stopped filling part-way). */
export type OrderActivated = DomainEvent<
  'OrderActivated',
  {
    readonly orderId: string;
    readonly parentId: string;
    /** The child's quantity from now on: the parent's filled quantity. */
    readonly qty: DecimalString;
    readonly at: string;
  }
>;

/** How a fill was priced, so it can be explained and re-derived from the recorded quote. */
export interface FillExplanation {
  /** The touch (ask for buys, bid for sells) or the auction price. */
  readonly basePrice: DecimalString;
  readonly slippagePerUnit: DecimalString;
  readonly slippage: SlippageModel;
  readonly commission: FillModel['commission'];
  readonly regulatoryFees: FillModel['regulatoryFees'];
  readonly maxParticipation: DecimalString;
  /** Partial-fill rule in force: at most the displayed size × participation per quote, or the auction. */
  readonly partialFillRule: 'displayed_size' | 'auction';
  readonly limitPrice: DecimalString | null;
}

/** One execution. Partial fills are several of these; `cashDelta` is exactly what cash moved. */
export type OrderFilled = DomainEvent<
  'OrderFilled',
  {
    readonly orderId: string;
    readonly fillId: string;
    readonly symbol: string;
    readonly side: OrderSide;
    readonly qty: DecimalString;
    readonly price: DecimalString;
    readonly multiplier: number;
    /** qty × price × multiplier. */
    readonly grossAmount: DecimalString;
    readonly commission: DecimalString;
    readonly secFee: DecimalString;
    readonly taf: DecimalString;
    /** Signed change of cash: −(gross + charges) for buys, gross − charges for sells. */
    readonly cashDelta: DecimalString;
    readonly cumulativeQty: DecimalString;
    readonly leavesQty: DecimalString;
    readonly avgFillPrice: DecimalString;
    readonly orderStatus: 'partially_filled' | 'filled';
    /** Realized P&L of this fill (gross of charges), average-cost method. */
    readonly realizedPnl: DecimalString;
    /** The position right after this fill. */
    readonly position: { readonly qty: DecimalString; readonly costBasis: DecimalString };
    readonly quote: Quote | null;
    readonly auction: AuctionPrint | null;
    readonly model: FillExplanation;
    readonly at: string;
  }
>;

/** Why an order was canceled. */
export type CancelReason =
  | 'user'
  | 'cancel_all'
  | 'ioc_remainder'
  | 'oco_sibling_filled'
  | 'oco_sibling_canceled'
  | 'parent_canceled'
  | 'parent_expired'
  | 'account_reset';

export type OrderCanceled = DomainEvent<
  'OrderCanceled',
  { readonly orderId: string; readonly reason: CancelReason; readonly at: string }
>;

/** Why an order expired. */
export type ExpireReason =
  'session_close' | 'extended_close' | 'opening_auction' | 'closing_auction';

export type OrderExpired = DomainEvent<
  'OrderExpired',
  { readonly orderId: string; readonly reason: ExpireReason; readonly at: string }
>;

/** The old order becomes `replaced`; `newOrder` takes its place (its links included). */
export type OrderReplaced = DomainEvent<
  'OrderReplaced',
  {
    readonly orderId: string;
    readonly replacedBy: string;
    readonly newOrder: Order;
    readonly at: string;
  }
>;

/** A trailing stop's water mark moved in the trader's favour, carrying the stop with it. */
export type OrderWaterMarkUpdated = DomainEvent<
  'OrderWaterMarkUpdated',
  {
    readonly orderId: string;
    readonly hwm: DecimalString;
    readonly stopPrice: DecimalString;
    readonly quote: Quote;
    readonly at: string;
  }
>;

/** Wipes orders and positions and starts over with `initialCash`. */
export type AccountReset = DomainEvent<
  'AccountReset',
  { readonly initialCash: DecimalString; readonly settings: AccountSettings; readonly at: string }
>;

/** How an option position ended: what moved, at which underlying price. */
export interface OptionSettlementData {
  /** The OCC symbol. */
  readonly symbol: string;
  readonly underlying: string;
  readonly right: 'call' | 'put';
  readonly strike: DecimalString;
  readonly expiration: string;
  readonly multiplier: number;
  /** Contracts settled (positive). */
  readonly qty: DecimalString;
  /** The underlying price used: the close of the expiration day, or the last trade for an early exercise. */
  readonly underlyingPrice: DecimalString;
  /** Intrinsic value per share at that price (0 when out of the money). */
  readonly intrinsicValue: DecimalString;
  readonly reason: 'expiration' | 'early_exercise';
  /** Realized P&L of the option position: closed at its intrinsic value (0 when expiring). */
  readonly optionRealizedPnl: DecimalString;
  /** The option position right after. */
  readonly position: { readonly qty: DecimalString; readonly costBasis: DecimalString };
  /** The shares delivered or received at the underlying price, with the strike paid or received as cash. */
  readonly shares: {
    readonly symbol: string;
    /** Signed: + received, − delivered. */
    readonly qty: DecimalString;
    readonly price: DecimalString;
    readonly realizedPnl: DecimalString;
    readonly position: { readonly qty: DecimalString; readonly costBasis: DecimalString };
  } | null;
  /** Signed change of cash: the strike × shares, paid for shares received, received for shares delivered. */
  readonly cashDelta: DecimalString;
  /** Option and share realized P&L together. */
  readonly realizedPnl: DecimalString;
  readonly at: string;
}

/** A long option was exercised (early, or automatically at expiry in the money by ≥ $0.01). */
export type OptionExercised = DomainEvent<'OptionExercised', OptionSettlementData>;

/** A short option was assigned at expiry (in the money by ≥ $0.01). */
export type OptionAssigned = DomainEvent<'OptionAssigned', OptionSettlementData>;

/** An option position expired worthless and was closed at zero. */
export type OptionExpired = DomainEvent<'OptionExpired', OptionSettlementData>;

/** Every event of the `account-{id}` stream. */
export type AccountEvent =
  | AccountOpened
  | CashDeposited
  | CashWithdrawn
  | AccountSettingsUpdated
  | OrderPlaced
  | OrderRejected
  | OrderTriggered
  | OrderActivated
  | OrderFilled
  | OrderCanceled
  | OrderExpired
  | OrderReplaced
  | OrderWaterMarkUpdated
  | AccountReset
  | OptionExercised
  | OptionAssigned
  | OptionExpired
  // Corporate actions (corporate-actions.ts).
  | CorporateActionEvent;

/** All account event type names (e.g. for subscription filters). */
export const ACCOUNT_EVENT_TYPES = [
  'AccountOpened',
  'CashDeposited',
  'CashWithdrawn',
  'AccountSettingsUpdated',
  'OrderPlaced',
  'OrderRejected',
  'OrderTriggered',
  'OrderActivated',
  'OrderFilled',
  'OrderCanceled',
  'OrderExpired',
  'OrderReplaced',
  'OrderWaterMarkUpdated',
  'AccountReset',
  'StockSplitApplied',
  'DividendAccrued',
  'DividendPaid',
  'OptionExercised',
  'OptionAssigned',
  'OptionExpired',
] as const satisfies readonly AccountEvent['type'][];
