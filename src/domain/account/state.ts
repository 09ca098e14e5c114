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
  readonly orders: Readonly<Record<string, Order>>;
  /** client order id → order id, for every order ever placed or rejected. */
  readonly clientOrderIds: Readonly<Record<string, string>>;
  readonly rejections: Readonly<Record<string, OrderRejection>>;
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
    clientOrderIds: {},
    rejections: {},
    openedAt: null,
    updatedAt: null,
  };
}

/** Orders that are not terminal (including held child legs). */
export function openOrders(state: AccountState): Order[] {
  return Object.values(state.orders).filter(isOpen);
}

/** What a `client_order_id` already refers to, so a retried `PlaceOrder` can answer with it. */
export interface ClientOrderLookup {
  readonly orderId: string;
  /** Present when the order was placed. */
  readonly order: Order | undefined;
  /** Present when the order was rejected. */
  readonly rejection: OrderRejection | undefined;
}

/**
 * Finds the order a client order id was used for. The decider answers a duplicate
 * `PlaceOrder` with no events; the command layer calls this to return the original.
 */
export function findOrderByClientOrderId(
  state: AccountState,
  clientOrderId: string,
): ClientOrderLookup | undefined {
  const orderId = state.clientOrderIds[clientOrderId];
  if (orderId === undefined) return undefined;
  return { orderId, order: state.orders[orderId], rejection: state.rejections[orderId] };
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
