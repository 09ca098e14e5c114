import { Dec } from '../decimal.ts';
import {
  executionPrice,
  fillableQty,
  touchPrice,
  touchSize,
  type ExecutionPrice,
} from '../fill-model.ts';
import type { AuctionPrint, MarketContext, Quote } from '../market.ts';
import { dec } from '../money.ts';
import { roundToTick } from '../price.ts';
import type { ExpireReason } from './events.ts';
import { effectiveType, isOpen, isStopType, type Order } from './order.ts';
import type { AccountSettings, StopTriggerSource } from './settings.ts';
import { remainingQty } from './state.ts';

/**
 * Order-against-market rules shared by the decider (which re-validates) and the engine's
 * evaluator (which decides what to send). Keeping one implementation is what makes a fill
 * re-derivable from the quote recorded on it.
 */

/** Milliseconds since the epoch of an ISO-8601 instant (pure: parses its argument). */
export function instant(iso: string): number {
  return Date.parse(iso);
}

/**
 * Whether an order can interact with the continuous market now: a live status, no halt,
 * the regular session (or pre/post for extended-hours orders). Auction orders never do.
 */
export function isWorkingNow(order: Order, market: MarketContext): boolean {
  if (
    order.status !== 'new' &&
    order.status !== 'accepted' &&
    order.status !== 'partially_filled'
  ) {
    return false;
  }
  if (market.halted) return false;
  if (order.timeInForce === 'opg' || order.timeInForce === 'cls') return false;
  if (market.phase === 'regular') return true;
  if (market.phase === 'pre' || market.phase === 'post') return order.extendedHours;
  return false;
}

/** The price a stop compares against: last trade, or the touch the order would meet. */
export function triggerSourcePrice(
  order: Order,
  quote: Quote,
  source: StopTriggerSource,
): Dec | undefined {
  const price = source === 'last' ? dec(quote.last) : touchPrice(order.side, quote);
  return price.gt(0) ? price : undefined;
}

/** Sell stops trigger at or below the stop, buy stops at or above it. */
export function stopHit(order: Order, price: Dec): boolean {
  if (order.stopPrice === null) return false;
  const stop = dec(order.stopPrice);
  return order.side === 'sell' ? price.lte(stop) : price.gte(stop);
}

/**
 * The stop a trailing order implies for a water mark: below the high for sells, above the
 * low for buys, by a price or a percentage, rounded onto the tick grid.
 */
export function trailingStopFor(order: Order, waterMark: Dec): Dec {
  const sign = order.side === 'sell' ? -1 : 1;
  const offset =
    order.trailPrice !== null
      ? dec(order.trailPrice)
      : waterMark.times(dec(order.trailPercent ?? '0')).dividedBy(100);
  return roundToTick(waterMark.plus(offset.times(sign)), 'nearest');
}

/** A new water mark when `price` moved in the trader's favour (higher for sells, lower for buys). */
export function favourableWaterMark(order: Order, price: Dec): Dec | undefined {
  if (order.hwm === null) return price;
  const hwm = dec(order.hwm);
  return (order.side === 'sell' ? price.gt(hwm) : price.lt(hwm)) ? price : undefined;
}

/** A fill the order can take now, before charges. */
export interface PlannedFill {
  readonly qty: Dec;
  readonly execution: ExecutionPrice;
  readonly auction: AuctionPrint | null;
}

/** True when `auction` is the print this order's time in force waits for. */
export function auctionMatches(
  order: Order,
  auction: AuctionPrint | undefined,
): auction is AuctionPrint {
  return (
    auction !== undefined &&
    ((order.timeInForce === 'opg' && auction.kind === 'open') ||
      (order.timeInForce === 'cls' && auction.kind === 'close'))
  );
}

/**
 * What the order can fill right now against `market`: auction orders take the whole
 * remainder at the auction print (if within the limit); everything else meets the touch,
 * size-limited, after its stop (if any) has triggered. Undefined when nothing can fill.
 */
export function planFill(
  order: Order,
  settings: AccountSettings,
  market: MarketContext,
): PlannedFill | undefined {
  if (!isOpen(order) || order.status === 'held') return undefined;
  const remaining = remainingQty(order);
  if (remaining.lte(0)) return undefined;
  const limit =
    effectiveType(order) === 'limit' && order.limitPrice !== null ? dec(order.limitPrice) : null;

  if (order.timeInForce === 'opg' || order.timeInForce === 'cls') {
    if (market.halted || !auctionMatches(order, market.auction)) return undefined;
    const price = dec(market.auction.price);
    if (limit !== null && (order.side === 'buy' ? price.gt(limit) : price.lt(limit)))
      return undefined;
    return {
      qty: remaining,
      execution: { base: price, slippage: new Dec(0), price },
      auction: market.auction,
    };
  }

  if (!isWorkingNow(order, market)) return undefined;
  if (isStopType(order.type) && !order.triggered) return undefined;
  const quote = market.quote;
  if (quote === undefined) return undefined;
  const fm = settings.fillModel;
  const qty = fillableQty(remaining, touchSize(order.side, quote), dec(fm.maxParticipation));
  if (qty.lte(0)) return undefined;
  const execution = executionPrice(order.side, quote, qty, fm.slippage, limit);
  if (execution === undefined) return undefined;
  return { qty, execution, auction: null };
}

/** Why (if at all) an open order is due to expire at `market.now`. */
export function expiryDue(order: Order, market: MarketContext): ExpireReason | undefined {
  if (!isOpen(order) || order.status === 'held') return undefined;
  const now = instant(market.now);
  const created = instant(order.createdAt);
  switch (order.timeInForce) {
    case 'day':
      if (order.extendedHours)
        return passed(market.extendedClose, now, created) ? 'extended_close' : undefined;
      return passed(market.sessionClose, now, created) ? 'session_close' : undefined;
    case 'opg':
      return passed(market.sessionOpen, now, created) ? 'opening_auction' : undefined;
    case 'cls':
      return passed(market.sessionClose, now, created) ? 'closing_auction' : undefined;
    case 'gtc':
    case 'ioc':
    case 'fok':
      return undefined;
  }
}

/** Did the order live through `boundary` (created before it, and it is now past)? */
function passed(boundary: string | undefined, now: number, created: number): boolean {
  return boundary !== undefined && now >= instant(boundary) && created < instant(boundary);
}
