import type { Instrument } from '../instrument.ts';
import type { DecimalString } from '../money.ts';

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'trailing_stop';
export type TimeInForce = 'day' | 'gtc' | 'ioc' | 'fok' | 'opg' | 'cls';
/** `mleg`: a multi-leg option order (2–4 legs filled together at a net price, as Alpaca names it). */
export type OrderClass = 'simple' | 'bracket' | 'oco' | 'oto' | 'mleg';

/** Whether an option order opens or closes a position (Alpaca's `position_intent`). */
export type PositionIntent = 'buy_to_open' | 'buy_to_close' | 'sell_to_open' | 'sell_to_close';

/** Alpaca's status names. `pending_new` and `pending_cancel` are reserved for asynchronous venues. */
export type OrderStatus =
  | 'new'
  | 'accepted'
  | 'pending_new'
  | 'partially_filled'
  | 'filled'
  | 'canceled'
  | 'expired'
  | 'rejected'
  | 'replaced'
  | 'held'
  | 'pending_cancel';

/** The part an order plays in a multi-order class (`option_leg`: a leg of a multi-leg order). */
export type LegRole = 'entry' | 'take_profit' | 'stop_loss' | 'option_leg';

/** Statuses after which an order never changes again. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = [
  'filled',
  'canceled',
  'expired',
  'rejected',
  'replaced',
];

/** An order as the account stream knows it. Every price and quantity is a decimal string. */
export interface Order {
  readonly id: string;
  readonly clientOrderId: string;
  readonly instrument: Instrument;
  /** Ticker or OCC symbol (positions are keyed by it). */
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly orderClass: OrderClass;
  readonly qty: DecimalString;
  readonly filledQty: DecimalString;
  /** Σ fill qty × fill price (per unit, without multiplier): the average price is this / filledQty. */
  readonly filledNotional: DecimalString;
  readonly limitPrice: DecimalString | null;
  /** The stop; for trailing stops, the current stop derived from the water mark. */
  readonly stopPrice: DecimalString | null;
  readonly trailPrice: DecimalString | null;
  /** Percent, e.g. `"2.5"` for 2.5 %. */
  readonly trailPercent: DecimalString | null;
  /** High-water mark (sell trailing stop) or low-water mark (buy trailing stop). */
  readonly hwm: DecimalString | null;
  /** Stop-type orders: true once the stop has been hit (a stop then works as market, stop_limit as limit). */
  readonly triggered: boolean;
  readonly extendedHours: boolean;
  readonly status: OrderStatus;
  readonly parentId: string | null;
  readonly legIds: readonly string[];
  /** Orders sharing this id are one-cancels-other. */
  readonly ocoGroupId: string | null;
  readonly legRole: LegRole | null;
  /**
   * Per-unit price at which the order reserves buying power while open (buys only), fixed
   * when placed so reservations are released exactly as they were taken.
   */
  readonly reservePrice: DecimalString | null;
  readonly replaces: string | null;
  readonly replacedBy: string | null;
  /**
   * Options: buying power held per unit of quantity while the order is open — the premium at
   * the limit plus the collateral the order adds, less what it frees (never below zero).
   */
  readonly collateral?: DecimalString;
  /** Options: opening or closing, as given or as the position implied at placement. */
  readonly positionIntent?: PositionIntent;
  /** A multi-leg order's leg: contracts per unit of the parent's quantity. */
  readonly ratioQty?: DecimalString;
  /** A multi-leg order: the strategy its legs form (`call_credit_spread`, `iron_condor`…). */
  readonly strategy?: string;
  /** A multi-leg order: parent units filled per leg id (legs fill together, all or none). */
  readonly legsFilled?: Readonly<Record<string, DecimalString>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly triggeredAt: string | null;
  readonly filledAt: string | null;
  readonly canceledAt: string | null;
  readonly expiredAt: string | null;
  readonly replacedAt: string | null;
}

/** True for statuses that never change again. */
export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** True for orders that still count: they may fill, or hold/reserve something. */
export function isOpen(order: Order): boolean {
  return !isTerminal(order.status);
}

/** True for the parent of a multi-leg option order (its legs are the orders that fill). */
export function isMultiLegParent(order: Order): boolean {
  return order.orderClass === 'mleg' && order.legRole !== 'option_leg';
}

/** True for stop-type orders (they wait for a trigger before they can fill). */
export function isStopType(type: OrderType): boolean {
  return type === 'stop' || type === 'stop_limit' || type === 'trailing_stop';
}

/** How the order executes now: a triggered stop acts as market, a triggered stop-limit as limit. */
export function effectiveType(order: Order): OrderType {
  if (!order.triggered || !isStopType(order.type)) return order.type;
  return order.type === 'stop_limit' ? 'limit' : 'market';
}
