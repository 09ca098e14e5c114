import { Dec } from '../decimal.ts';
import { DomainError } from '../errors.ts';
import { estimateCommission, touchPrice } from '../fill-model.ts';
import { multiplierOf } from '../instrument.ts';
import type { MarketContext } from '../market.ts';
import { dec, fmt } from '../money.ts';
import { isValidTick, parsePrice, parseQuantity } from '../price.ts';
import { rejectionMessage, type RejectionReason } from '../rejections.ts';
import { EventBatch, type Decision } from './batch.ts';
import type { OrderRequest } from './commands.ts';
import type { Order, OrderClass, OrderStatus, OrderType, TimeInForce } from './order.ts';
import type { AccountSettings } from './settings.ts';
import { riskLimitViolation } from './risk-limits.ts';
import { availableToSell, buyingPower, positionQty, type AccountState } from './state.ts';

/** Thrown inside a decision to turn into an `OrderRejected` event; never escapes the decider. */
export class Rejection extends Error {
  override readonly name = 'Rejection';

  constructor(readonly reason: RejectionReason) {
    super(reason);
  }
}

/** Aborts the current order decision with a business rejection. */
export function reject(reason: RejectionReason): never {
  throw new Rejection(reason);
}

/** Parses a quantity, rejecting (not throwing) malformed input. */
export function quantityOrReject(input: string): Dec {
  try {
    return dec(parseQuantity(input));
  } catch (error) {
    if (error instanceof DomainError) reject('invalid_quantity');
    throw error;
  }
}

/**
 * Parses a price, rejecting malformed input and prices off the tick grid: by default the
 * equity grid (sub-penny at or above $1, sub-0.0001 below); options pass their own.
 */
export function priceOrReject(
  input: string,
  validTick: (price: Dec) => boolean = isValidTick,
): Dec {
  let price: Dec;
  try {
    price = dec(parsePrice(input));
  } catch (error) {
    if (error instanceof DomainError) reject('invalid_price');
    throw error;
  }
  if (!validTick(price)) reject('invalid_tick_size');
  return price;
}

/** The `OrderRejected` decision of a new order (not a replacement). */
export function rejectedPlacement(
  state: AccountState,
  order: {
    readonly orderId: string;
    readonly clientOrderId: string;
    readonly symbol: string;
    readonly request: OrderRequest;
    readonly at: string;
  },
  reason: RejectionReason,
): Decision {
  return EventBatch.of(state, [
    {
      type: 'OrderRejected',
      data: {
        ...order,
        reason,
        message: rejectionMessage(reason),
        replaces: null,
      },
    },
  ]);
}

/** Parses a trailing percentage: strictly between 0 and 100. */
export function trailPercentOrReject(input: string): Dec {
  let pct: Dec;
  try {
    pct = dec(input);
  } catch (error) {
    if (error instanceof DomainError) reject('invalid_trail');
    throw error;
  }
  if (pct.lte(0) || pct.gte(100)) reject('invalid_trail');
  return pct;
}

/**
 * Alpaca's allowed combinations: auction and immediate TIFs only for market and limit
 * orders; trailing stops and multi-leg classes only day or gtc; extended hours only for
 * simple limit day orders.
 */
export function checkCombination(
  type: OrderType,
  tif: TimeInForce,
  orderClass: OrderClass,
  extendedHours: boolean,
): void {
  const auctionOrImmediate = tif === 'opg' || tif === 'cls' || tif === 'ioc' || tif === 'fok';
  if (auctionOrImmediate && type !== 'market' && type !== 'limit') reject('invalid_time_in_force');
  if (auctionOrImmediate && orderClass !== 'simple') reject('invalid_time_in_force');
  if (type === 'trailing_stop' && tif !== 'day' && tif !== 'gtc') reject('invalid_time_in_force');
  if (extendedHours && (type !== 'limit' || tif !== 'day' || orderClass !== 'simple')) {
    reject('invalid_extended_hours');
  }
}

/**
 * Fractional quantities follow Alpaca: market orders, day only, simple, on a fractionable
 * equity, when the account allows them. Shorts are always whole.
 */
export function checkFractional(
  order: Order,
  settings: AccountSettings,
  market: MarketContext,
): void {
  if (dec(order.qty).isInteger()) return;
  const allowed =
    order.instrument.kind === 'equity' &&
    settings.fractionalTrading &&
    market.asset?.fractionable === true &&
    order.type === 'market' &&
    order.timeInForce === 'day' &&
    order.orderClass === 'simple';
  if (!allowed) reject('fractional_not_allowed');
}

/**
 * Where the order may go given the session: `new` (working now) or `accepted` (queued for
 * the next session), or a rejection. Halts reject everything.
 */
export function admission(
  order: Order,
  market: MarketContext,
  queueWhenClosed: boolean,
): OrderStatus {
  if (market.halted) reject('symbol_halted');
  const phase = market.phase;
  switch (order.timeInForce) {
    case 'opg':
      return phase === 'pre' || phase === 'closed' ? 'accepted' : reject('auction_closed');
    case 'cls':
      return phase === 'post' ? reject('auction_closed') : 'accepted';
    case 'ioc':
    case 'fok':
      return phase === 'regular' ? 'new' : reject('market_closed');
    case 'day':
    case 'gtc':
      break;
  }
  if (phase === 'regular') return 'new';
  if (order.extendedHours && (phase === 'pre' || phase === 'post')) return 'new';
  if (order.type === 'market' && !queueWhenClosed) reject('market_closed');
  return 'accepted';
}

/**
 * A per-unit price good enough for limits and short checks: the limit, the stop, or the
 * touch. Undefined when only a quote could tell and there is none.
 */
export function estimateUnitPrice(order: Order, market: MarketContext): Dec | undefined {
  if (order.limitPrice !== null) return dec(order.limitPrice);
  if (order.stopPrice !== null) return dec(order.stopPrice);
  const quote = market.quote;
  // A trailing stop without a stop had no usable quote at placement: nothing to estimate from.
  if (quote === undefined || order.type === 'trailing_stop') return undefined;
  const touch = touchPrice(order.side, quote);
  return touch.gt(0) ? touch : undefined;
}

/**
 * The per-unit price a buy reserves buying power at: its limit when it has one, otherwise
 * the price it is expected to pay plus the account's market-order buffer.
 */
export function reservePriceFor(
  order: Order,
  settings: AccountSettings,
  market: MarketContext,
): Dec | undefined {
  if (order.limitPrice !== null) return dec(order.limitPrice);
  const base = estimateUnitPrice(order, market);
  if (base === undefined) return undefined;
  return base.times(new Dec(1).plus(dec(settings.marketOrderBuffer)));
}

/**
 * Pre-trade checks that depend on the account: position available to sell, short-sale
 * rules, buying power, and risk limits. Returns the reserve price to record on the order
 * (null when the order reserves nothing). `excludeOrderId` leaves out an order being replaced.
 */
export function preTradeChecks(
  order: Order,
  state: AccountState,
  market: MarketContext,
  excludeOrderId?: string,
): string | null {
  const settings = state.settings;
  const m = multiplierOf(order.instrument);
  const qty = dec(order.qty);
  const pos = positionQty(state, order.symbol);
  const estimate = estimateUnitPrice(order, market);
  const isExit = order.legRole === 'take_profit' || order.legRole === 'stop_loss';
  let reservePrice: string | null = null;
  let opens = true;

  if (order.side === 'sell') {
    const available = availableToSell(state, order.symbol, excludeOrderId);
    if (qty.lte(available)) {
      opens = false;
    } else if (pos.gt(0) || isExit) {
      reject('insufficient_position');
    } else {
      if (settings.accountType === 'cash' || !settings.shortingEnabled) reject('short_not_allowed');
      if (order.instrument.kind !== 'equity') reject('short_not_allowed');
      if (market.asset?.shortable !== true) reject('short_not_allowed');
      if (!market.asset.easyToBorrow) reject('not_easy_to_borrow');
      if (!qty.isInteger()) reject('fractional_not_allowed');
      if (estimate === undefined) reject('no_quote');
      const cost = qty.times(estimate).times(m);
      if (cost.gt(buyingPower(state, excludeOrderId))) reject('insufficient_buying_power');
    }
  } else if (isExit || (pos.lt(0) && qty.lte(pos.abs()))) {
    // Buying to cover reduces exposure; it needs no buying power and reserves none.
    if (isExit && !(pos.lt(0) && qty.lte(pos.abs()))) reject('insufficient_position');
    opens = false;
  } else {
    const price = reservePriceFor(order, settings, market);
    if (price === undefined) reject('no_quote');
    const cost = qty
      .times(price)
      .times(m)
      .plus(estimateCommission(settings.fillModel.commission, qty));
    if (cost.gt(buyingPower(state, excludeOrderId))) reject('insufficient_buying_power');
    reservePrice = fmt(price);
  }

  const violation = riskLimitViolation({ order, state, market, opens, position: pos, estimate });
  if (violation !== undefined) reject(violation);
  return reservePrice;
}

/** Guards engine/command-layer mistakes that are not the trader's fault. */
export function assertQuoteFor(symbol: string, market: MarketContext): void {
  if (market.quote !== undefined && market.quote.symbol !== symbol) {
    throw new DomainError(
      'quote_symbol_mismatch',
      `quote is for ${market.quote.symbol}, order is for ${symbol}`,
      'market.quote',
    );
  }
}
