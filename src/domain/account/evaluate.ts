import type { MarketContext } from '../market.ts';
import { fmt, type DecimalString } from '../money.ts';
import type { ExpireReason } from './events.ts';
import {
  auctionMatches,
  expiryDue,
  favourableWaterMark,
  isWorkingNow,
  planFill,
  stopHit,
  trailingStopFor,
  triggerSourcePrice,
} from './execution.ts';
import { legsOf, planMultiLegFill } from './multi-leg.ts';
import { isMultiLegParent, isOpen, isStopType, type Order } from './order.ts';
import type { AccountSettings } from './settings.ts';
import { openOrders, type AccountState } from './state.ts';

/**
 * What the execution engine should do about one open order now. Each action maps to one
 * command: `expire` → ExpireOrder, `update_water_mark` → UpdateWaterMark, `trigger` →
 * TriggerOrder (with a fillId when `fill` is set), `fill` → FillOrder. The decider
 * re-validates, so a stale evaluation can only lead to a typed error, never a wrong event.
 */
export type OrderEvaluation =
  | { readonly action: 'none' }
  | { readonly action: 'expire'; readonly reason: ExpireReason }
  | {
      readonly action: 'update_water_mark';
      readonly hwm: DecimalString;
      readonly stopPrice: DecimalString;
    }
  | {
      readonly action: 'trigger';
      readonly triggerPrice: DecimalString;
      readonly fill: { readonly qty: DecimalString; readonly price: DecimalString } | null;
    }
  | { readonly action: 'fill'; readonly qty: DecimalString; readonly price: DecimalString };

const NONE: OrderEvaluation = { action: 'none' };

/**
 * Evaluates an order against the market, check-then-update for trailing stops: a quote that
 * hits the current stop triggers it; only a quote that does not may move the water mark.
 * An auction print is tried before expiry so an `opg`/`cls` order gets its auction first.
 */
export function evaluateOrder(
  order: Order,
  settings: AccountSettings,
  market: MarketContext,
  /** A multi-leg order's legs (see `legsOf`); without them it can only expire. */
  legs?: readonly Order[],
): OrderEvaluation {
  if (!isOpen(order) || order.status === 'held') return NONE;
  if (isMultiLegParent(order)) {
    const expiry = expiryDue(order, market);
    if (expiry !== undefined) return { action: 'expire', reason: expiry };
    if (legs === undefined || market.quote?.symbol !== order.symbol) return NONE;
    const plan = planMultiLegFill(order, legs, settings, market);
    return plan === undefined ? NONE : { action: 'fill', qty: fmt(plan.qty), price: fmt(plan.net) };
  }
  if (auctionMatches(order, market.auction)) {
    const plan = planFill(order, settings, market);
    if (plan !== undefined)
      return { action: 'fill', qty: fmt(plan.qty), price: fmt(plan.execution.price) };
  }
  const expiry = expiryDue(order, market);
  if (expiry !== undefined) return { action: 'expire', reason: expiry };
  const quote = market.quote;
  if (quote?.symbol !== order.symbol || !isWorkingNow(order, market)) return NONE;

  if (isStopType(order.type) && !order.triggered) {
    const price = triggerSourcePrice(order, quote, settings.stopTriggerSource);
    if (price === undefined) return NONE;
    if (order.type === 'trailing_stop' && order.hwm === null) {
      return {
        action: 'update_water_mark',
        hwm: fmt(price),
        stopPrice: fmt(trailingStopFor(order, price)),
      };
    }
    if (stopHit(order, price)) {
      const plan = planFill({ ...order, triggered: true }, settings, market);
      return {
        action: 'trigger',
        triggerPrice: fmt(price),
        fill: plan === undefined ? null : { qty: fmt(plan.qty), price: fmt(plan.execution.price) },
      };
    }
    if (order.type === 'trailing_stop') {
      const next = favourableWaterMark(order, price);
      if (next !== undefined) {
        return {
          action: 'update_water_mark',
          hwm: fmt(next),
          stopPrice: fmt(trailingStopFor(order, next)),
        };
      }
    }
    return NONE;
  }
  const plan = planFill(order, settings, market);
  return plan === undefined
    ? NONE
    : { action: 'fill', qty: fmt(plan.qty), price: fmt(plan.execution.price) };
}

/** Evaluations for every open order of the account in `market`'s symbol (quote symbol, or all when no quote). */
export function evaluateAccount(
  state: AccountState,
  market: MarketContext,
): { readonly orderId: string; readonly evaluation: OrderEvaluation }[] {
  const symbol = market.quote?.symbol;
  return openOrders(state)
    .filter((o) => symbol === undefined || o.symbol === symbol)
    .map((o) => ({
      orderId: o.id,
      evaluation: evaluateOrder(
        o,
        state.settings,
        market,
        isMultiLegParent(o) ? legsOf(state, o) : undefined,
      ),
    }))
    .filter((e) => e.evaluation.action !== 'none');
}
