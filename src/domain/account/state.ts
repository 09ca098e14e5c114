import { AppendMap } from '../append-map.ts';
import { Dec } from '../decimal.ts';
import { cumulativeCommission } from '../fill-model.ts';
import { multiplierOf, type Instrument } from '../instrument.ts';
import { dec, fmt, maxDec, type DecimalString } from '../money.ts';
import type { RejectionReason } from '../rejections.ts';
import type { CorporateActionRecord } from './corporate-actions.ts';
import {
  hasOptionExposure,
  positionRequirement,
  sharesFree,
  workingRequirement,
} from './option-exposure.ts';
import { isMultiLegParent, isOpen, type Order } from './order.ts';
import { DEFAULT_SETTINGS, type AccountSettings } from './settings.ts';
import type { DayTrade, TradingDay } from './trading-day.ts';

/**
 * A position at average cost. `qty` and `costBasis` are signed (negative = short), so for a
 * short the basis is minus the proceeds received. Average cost (not FIFO lots): a partial
 * close removes basis in proportion to the quantity closed.
 */
export interface Position {
  readonly symbol: string;
  readonly instrument: Instrument;
  readonly qty: DecimalString;
  /** Signed: qty × average entry price × multiplier. */
  readonly costBasis: DecimalString;
  /** Realized P&L of this symbol since the position was first opened (gross of charges). */
  readonly realizedPnl: DecimalString;
}

/** What a rejected order left behind: its client order id stays used. */
export interface OrderRejection {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly reason: RejectionReason;
  readonly at: string;
}

/** The account aggregate, folded from the `account-{id}` stream. JSON-safe. */
export interface AccountState {
  readonly status: 'none' | 'open';
  readonly accountId: string | null;
  /** The owning user (null before the account is opened). */
  readonly ownerId: string | null;
  readonly name: string;
  readonly settings: AccountSettings;
  readonly cash: DecimalString;
  readonly totalDeposits: DecimalString;
  readonly totalWithdrawals: DecimalString;
  /** Commissions plus regulatory fees paid. */
  readonly feesPaid: DecimalString;
  /** Realized P&L over all symbols, gross of charges. */
  readonly realizedPnl: DecimalString;
  readonly positions: Readonly<Record<string, Position>>;
  /**
   * Open orders only (every non-terminal status, held child legs included), by id. An order
   * that reaches a terminal status moves to {@link terminalOrders}, so the work of a command
   * grows with the open orders, not with every order the account ever placed. Read an order
   * that may be finished through `orderById` (order-lookup.ts).
   */
  readonly orders: Readonly<Record<string, Order>>;
  /** Orders in a terminal status, by id, in the order they finished. Append-only. */
  readonly terminalOrders: AppendMap<Order>;
  /** client order id → order id, for every order ever placed or rejected. Append-only. */
  readonly clientOrderIds: AppendMap<string>;
  /** Rejected orders by order id. Append-only. */
  readonly rejections: AppendMap<OrderRejection>;
  readonly openedAt: string | null;
  readonly updatedAt: string | null;
  // Risk limits and corporate actions. Optional: states folded before they existed lack them.
  /** The current New York trading day: its start, money flows, opening fills, loss latch. */
  readonly day?: TradingDay;
  /** Recent day trades (the pattern-day-trader rule). */
  readonly dayTrades?: readonly DayTrade[];
  /** Corporate actions applied to the account, by action id. */
  readonly corporateActions?: Readonly<Record<string, CorporateActionRecord>>;
  /** Net dividends paid into the account (negative when shorts were charged more). */
  readonly dividends?: DecimalString;
}

/** The state of an account stream that has no events yet. */
export function initialState(): AccountState {
  return {
    status: 'none',
    accountId: null,
    ownerId: null,
    name: '',
    settings: DEFAULT_SETTINGS,
    cash: '0',
    totalDeposits: '0',
    totalWithdrawals: '0',
    feesPaid: '0',
    realizedPnl: '0',
    positions: {},
    orders: {},
    terminalOrders: AppendMap.empty(),
    clientOrderIds: AppendMap.empty(),
    rejections: AppendMap.empty(),
    openedAt: null,
    updatedAt: null,
  };
}

/**
 * An account state as `JSON.parse` gives it back (or as it was stored before terminal orders
 * moved out of `orders`): the append-only maps are rebuilt from their plain objects, and any
 * terminal order still in `orders` moves to `terminalOrders`.
 */
export function reviveState(stored: AccountState): AccountState {
  const loose = stored as unknown as Record<string, unknown>;
  const orders: Record<string, Order> = {};
  let terminalOrders = AppendMap.from(loose.terminalOrders as Record<string, Order> | undefined);
  for (const [id, order] of Object.entries(stored.orders)) {
    if (isOpen(order)) orders[id] = order;
    else terminalOrders = terminalOrders.set(id, order);
  }
  return {
    ...stored,
    orders,
    terminalOrders,
    clientOrderIds: AppendMap.from(loose.clientOrderIds as Record<string, string> | undefined),
    rejections: AppendMap.from(loose.rejections as Record<string, OrderRejection> | undefined),
  };
}

/** Orders that are not terminal (including held child legs): `state.orders`. */
export function openOrders(state: AccountState): Order[] {
  return Object.values(state.orders);
}

/** Unfilled quantity of an order. */
export function remainingQty(order: Order): Dec {
  return dec(order.qty).minus(dec(order.filledQty));
}

/** True for child legs that close what their parent opened (they never reserve buying power). */
function isExitLeg(order: Order): boolean {
  return order.legRole === 'take_profit' || order.legRole === 'stop_loss';
}

/** Whether an order holds buying power back (see {@link orderReservation}). */
function reserves(order: Order): boolean {
  // Option orders carry what they hold back, computed when they were placed.
  if (order.collateral !== undefined) {
    return isOpen(order) && order.status !== 'held' && dec(order.collateral).gt(0);
  }
  return (
    isOpen(order) &&
    order.status !== 'held' &&
    order.side === 'buy' &&
    !isExitLeg(order) &&
    order.reservePrice !== null
  );
}

/**
 * Buying power an open order holds back: remaining × reserve price × multiplier plus the
 * commission still to be charged. Only live buy orders that add exposure reserve; sells and
 * held legs do not.
 */
export function orderReservation(order: Order, settings: AccountSettings): Dec {
  if (!reserves(order)) return new Dec(0);
  const remaining = remainingQty(order);
  const commission = cumulativeCommission(settings.fillModel.commission, dec(order.qty)).minus(
    cumulativeCommission(settings.fillModel.commission, dec(order.filledQty)),
  );
  if (order.collateral !== undefined) {
    // A multi-leg order's collateral already holds its legs' commission.
    const unit = remaining.times(dec(order.collateral));
    return isMultiLegParent(order) ? unit : unit.plus(commission);
  }
  if (order.reservePrice === null) return new Dec(0);
  return remaining
    .times(dec(order.reservePrice))
    .times(multiplierOf(order.instrument))
    .plus(commission);
}

/** Total buying power reserved by open orders (optionally ignoring one, e.g. the order being replaced). */
export function reservedBuyingPower(state: AccountState, excludeOrderId?: string): Dec {
  let sum = new Dec(0);
  for (const o of Object.values(state.orders)) {
    if (o.id === excludeOrderId || !reserves(o)) continue;
    sum = sum.plus(orderReservation(o, state.settings));
  }
  return sum;
}

/** True for an open buy order on `symbol` (a multi-leg leg included, its parent not). */
export function isOpenBuyOn(order: Order, symbol: string): boolean {
  return (
    order.symbol === symbol && order.side === 'buy' && isOpen(order) && !isMultiLegParent(order)
  );
}

/** Σ |cost basis| over all positions: gross exposure valued at cost. */
export function grossExposure(state: AccountState): Dec {
  return Object.values(state.positions).reduce(
    (sum, p) => sum.plus(dec(p.costBasis).abs()),
    new Dec(0),
  );
}

/**
 * Buying power, with positions valued at cost (the decider sees one quote, not a portfolio
 * of marks): `(cash + Σ basis) × m − Σ |basis| − reserved − options requirement`, the sums over
 * stock positions, m = 1 for cash accounts and the margin multiplier (Reg-T 2) for margin
 * accounts. For a cash account without short options this is `cash − reserved`. Options are
 * not marginable: a long option's premium simply left cash, and short options hold back what
 * `options/collateral.ts` requires (strike-secured, spread widths, nothing when covered).
 */
export function buyingPower(state: AccountState, excludeOrderId?: string): Dec {
  const m =
    state.settings.accountType === 'cash' ? new Dec(1) : dec(state.settings.marginMultiplier);
  let basis = new Dec(0);
  let gross = new Dec(0);
  let options = false;
  for (const p of Object.values(state.positions)) {
    if (p.instrument.kind === 'option') {
      options = true;
      continue;
    }
    const b = dec(p.costBasis);
    basis = basis.plus(b);
    gross = gross.plus(b.abs());
  }
  const equityAtCost = dec(state.cash).plus(basis);
  const bp = equityAtCost.times(m).minus(gross).minus(reservedBuyingPower(state, excludeOrderId));
  return options ? bp.minus(positionRequirement(state).total) : bp;
}

/** Cash that can leave the account now: never more than cash or buying power. */
export function withdrawableCash(state: AccountState): Dec {
  const bp = buyingPower(state);
  const m =
    state.settings.accountType === 'cash' ? new Dec(1) : dec(state.settings.marginMultiplier);
  return maxDec(new Dec(0), Dec.min(dec(state.cash), bp.dividedBy(m)));
}

/** Signed position quantity in a symbol (0 when flat). */
export function positionQty(state: AccountState, symbol: string): Dec {
  const p = state.positions[symbol];
  return p === undefined ? new Dec(0) : dec(p.qty);
}

/**
 * Long quantity not yet promised to open sell orders (Alpaca's `qty_available`). Legs of one
 * OCO group sell the same shares, so a group counts once; held legs count when they go live.
 * `excludeOrderId` leaves out an order (and its OCO group) that is being replaced.
 */
export function availableToSell(state: AccountState, symbol: string, excludeOrderId?: string): Dec {
  const free = sharesFree(state, symbol, excludeOrderId);
  if (!hasOptionExposure(state)) return free;
  // Shares covering short calls (held or being sold to open) are committed to them.
  const committed = workingRequirement(state, excludeOrderId).sharesCommitted.get(symbol);
  return committed === undefined ? free : free.minus(committed);
}

/** Average entry price per unit (positive), or undefined when flat. */
export function avgEntryPrice(position: Position): DecimalString | undefined {
  const qty = dec(position.qty);
  if (qty.isZero()) return undefined;
  return fmt(
    dec(position.costBasis)
      .dividedBy(qty)
      .dividedBy(multiplierOf(position.instrument))
      .toDecimalPlaces(9),
  );
}
