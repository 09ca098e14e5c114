import { fillCharges } from '../fill-model.ts';
import { multiplierOf } from '../instrument.ts';
import type { MarketContext } from '../market.ts';
import { dec, fmt } from '../money.ts';
import type { EventBatch } from './batch.ts';
import type { CancelReason, ExpireReason } from './events.ts';
import { planFill, type PlannedFill } from './execution.ts';
import { isOpen, type Order } from './order.ts';
import { applyTrade } from './position.ts';
import { orderById } from './order-lookup.ts';

/** Decimal places of a reported average fill price. */
const AVG_PRICE_DECIMALS = 9;

/**
 * Emits one `OrderFilled` for a planned fill, then what a fill implies: the rest of an OCO
 * group is canceled, and a fully filled parent releases its held legs.
 */
export function emitFill(
  batch: EventBatch,
  order: Order,
  plan: PlannedFill,
  fillId: string,
  market: MarketContext,
): void {
  const settings = batch.state.settings;
  const m = multiplierOf(order.instrument);
  const qty = plan.qty;
  const price = plan.execution.price;
  const gross = qty.times(price).times(m);
  const filledBefore = dec(order.filledQty);
  const notionalBefore = dec(order.filledNotional);
  const cumQty = filledBefore.plus(qty);
  const cumNotional = notionalBefore.plus(qty.times(price));
  const charges = fillCharges(
    settings.fillModel,
    order.side,
    { qty: filledBefore, notional: notionalBefore.times(m) },
    { qty: cumQty, notional: cumNotional.times(m) },
  );
  const totalCharges = charges.commission.plus(charges.secFee).plus(charges.taf);
  const signedQty = order.side === 'buy' ? qty : qty.negated();
  const trade = applyTrade(batch.state.positions[order.symbol], order.instrument, signedQty, price);
  const cashDelta =
    order.side === 'buy' ? gross.plus(totalCharges).negated() : gross.minus(totalCharges);
  const leaves = dec(order.qty).minus(cumQty);
  const fm = settings.fillModel;

  batch.emit({
    type: 'OrderFilled',
    data: {
      orderId: order.id,
      fillId,
      symbol: order.symbol,
      side: order.side,
      qty: fmt(qty),
      price: fmt(price),
      multiplier: m,
      grossAmount: fmt(gross),
      commission: fmt(charges.commission),
      secFee: fmt(charges.secFee),
      taf: fmt(charges.taf),
      cashDelta: fmt(cashDelta),
      cumulativeQty: fmt(cumQty),
      leavesQty: fmt(leaves),
      avgFillPrice: fmt(cumNotional.dividedBy(cumQty).toDecimalPlaces(AVG_PRICE_DECIMALS)),
      orderStatus: leaves.isZero() ? 'filled' : 'partially_filled',
      realizedPnl: fmt(trade.realized),
      position: { qty: fmt(trade.qty), costBasis: fmt(trade.costBasis) },
      quote: plan.auction === null ? (market.quote ?? null) : null,
      auction: plan.auction,
      model: {
        basePrice: fmt(plan.execution.base),
        slippagePerUnit: fmt(plan.execution.slippage),
        slippage: fm.slippage,
        commission: fm.commission,
        regulatoryFees: fm.regulatoryFees,
        maxParticipation: fm.maxParticipation,
        partialFillRule: plan.auction === null ? 'displayed_size' : 'auction',
        limitPrice: order.type === 'limit' || order.type === 'stop_limit' ? order.limitPrice : null,
      },
      at: market.now,
    },
  });

  if (order.ocoGroupId !== null) {
    for (const sibling of groupSiblings(batch, order)) {
      batch.emit({
        type: 'OrderCanceled',
        data: { orderId: sibling.id, reason: 'oco_sibling_filled', at: market.now },
      });
    }
  }
  if (leaves.isZero()) activateLegs(batch, order.id, fmt(cumQty), market.now);
}

/** Fills the order against `market` if it can fill now; returns whether it did. */
export function fillIfPossible(
  batch: EventBatch,
  orderId: string,
  fillId: string,
  market: MarketContext,
): boolean {
  const order = orderById(batch.state, orderId);
  if (order === undefined) return false;
  const plan = planFill(order, batch.state.settings, market);
  if (plan === undefined) return false;
  emitFill(batch, order, plan, fillId, market);
  return true;
}

/** Cancels an order and whatever depends on it (see {@link cascadeFrom}). */
export function cancelWithCascade(
  batch: EventBatch,
  orderId: string,
  reason: CancelReason,
  at: string,
): void {
  batch.emit({ type: 'OrderCanceled', data: { orderId, reason, at } });
  cascadeFrom(batch, orderId, 'parent_canceled', at);
}

/** Expires an order and whatever depends on it (see {@link cascadeFrom}). */
export function expireWithCascade(
  batch: EventBatch,
  orderId: string,
  reason: ExpireReason,
  at: string,
): void {
  batch.emit({ type: 'OrderExpired', data: { orderId, reason, at } });
  cascadeFrom(batch, orderId, 'parent_expired', at);
}

/**
 * After an order ends without filling completely: its OCO partners are canceled, and its
 * held legs either go live for the quantity that did fill or are canceled when none did.
 */
function cascadeFrom(
  batch: EventBatch,
  orderId: string,
  parentReason: 'parent_canceled' | 'parent_expired',
  at: string,
): void {
  const order = orderById(batch.state, orderId);
  if (order === undefined) return;
  if (order.ocoGroupId !== null) {
    for (const sibling of groupSiblings(batch, order)) {
      batch.emit({
        type: 'OrderCanceled',
        data: { orderId: sibling.id, reason: 'oco_sibling_canceled', at },
      });
    }
  }
  if (dec(order.filledQty).gt(0)) {
    activateLegs(batch, order.id, order.filledQty, at);
  } else {
    for (const leg of heldLegs(batch, order.id)) {
      batch.emit({ type: 'OrderCanceled', data: { orderId: leg.id, reason: parentReason, at } });
    }
  }
}

function activateLegs(batch: EventBatch, parentId: string, qty: string, at: string): void {
  for (const leg of heldLegs(batch, parentId)) {
    batch.emit({ type: 'OrderActivated', data: { orderId: leg.id, parentId, qty, at } });
  }
}

function heldLegs(batch: EventBatch, parentId: string): Order[] {
  // Every leg is listed by its parent (replacements included), so an order that never had
  // legs needs no scan of the account's orders.
  if (orderById(batch.state, parentId)?.legIds.length === 0) return [];
  return Object.values(batch.state.orders).filter(
    (o) => o.parentId === parentId && o.status === 'held',
  );
}

function groupSiblings(batch: EventBatch, order: Order): Order[] {
  return Object.values(batch.state.orders).filter(
    (o) =>
      o.id !== order.id && o.ocoGroupId !== null && o.ocoGroupId === order.ocoGroupId && isOpen(o),
  );
}
