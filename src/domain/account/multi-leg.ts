/**
 * Multi-leg option orders (`orderClass: 'mleg'`): 2–4 legs on one underlying placed as one
 * order with a net price — positive a debit paid, negative a credit received — and filled
 * all-or-none: every leg at its own quote's touch (buys at the ask, sells at the bid), only
 * when every leg's displayed size covers it and the net price is at or better than the limit,
 * in one decision with one `OrderFilled` per leg (so in one append). The parent order carries
 * the limit, the strategy and the collateral; its legs are `held` child orders (`option_leg`)
 * that only ever fill with it. The parent's `symbol` is the underlying: the engine works it on
 * the underlying's quotes, which is when option quotes move.
 */
import { Dec } from '../decimal.ts';
import { executionPrice, fillableQty, touchSize, type ExecutionPrice } from '../fill-model.ts';
import { instrumentProblem } from '../instrument.ts';
import type { MarketContext, Quote } from '../market.ts';
import { dec, fmt } from '../money.ts';
import { isValidNetTick } from '../options/listing.ts';
import { recognizeStrategy } from '../options/strategy.ts';
import { DomainError } from '../errors.ts';
import { EventBatch, type Decision } from './batch.ts';
import type { OrderRequest } from './commands.ts';
import { isWorkingNow } from './execution.ts';
import { emitFill } from './lifecycle.ts';
import { checkOptionOrder, estimatedLegPrice } from './option-rules.ts';
import { isMultiLegParent, isOpen, type Order } from './order.ts';
import { blankOrder } from './order-factory.ts';
import { admission, quantityOrReject, reject, rejectedPlacement, Rejection } from './rules.ts';
import type { AccountSettings } from './settings.ts';
import { remainingQty, type AccountState } from './state.ts';
import { orderById } from './order-lookup.ts';

/** Most legs a multi-leg order may have. */
export const MAX_LEGS = 4;

/** The fill of one leg in a multi-leg fill. */
export interface LegFill {
  readonly leg: Order;
  readonly qty: Dec;
  readonly execution: ExecutionPrice;
  readonly quote: Quote;
}

/** A multi-leg fill the order can take now: every leg, at a net price within the limit. */
export interface MultiLegFill {
  /** Units of the parent. */
  readonly qty: Dec;
  /** Net price per share per unit, debit positive. */
  readonly net: Dec;
  readonly legs: readonly LegFill[];
}

/** The legs of a multi-leg parent, in the order they were given. */
export function legsOf(state: AccountState, parent: Order): Order[] {
  return parent.legIds.flatMap((id) => {
    const leg = orderById(state, id);
    return leg === undefined ? [] : [leg];
  });
}

/** The quotes of a multi-leg order's legs, for a market context (by OCC symbol). */
export function legQuotes(market: MarketContext): Readonly<Record<string, Quote>> {
  return market.optionQuotes ?? {};
}

/**
 * What a multi-leg order can fill now against `market` (its `optionQuotes`): the whole
 * remainder or nothing. Undefined when a leg has no quote, not enough displayed size, no price
 * on its side, or the net price is worse than the limit.
 */
export function planMultiLegFill(
  parent: Order,
  legs: readonly Order[],
  settings: AccountSettings,
  market: MarketContext,
): MultiLegFill | undefined {
  if (!isMultiLegParent(parent) || !isOpen(parent) || !isWorkingNow(parent, market))
    return undefined;
  const units = remainingQty(parent);
  if (units.lte(0) || legs.length !== parent.legIds.length) return undefined;
  const fm = settings.fillModel;
  const quotes = legQuotes(market);
  const fills: LegFill[] = [];
  let net = new Dec(0);
  for (const leg of legs) {
    const quote = quotes[leg.symbol];
    if (quote === undefined) return undefined;
    const ratio = dec(leg.ratioQty ?? '1');
    const qty = units.times(ratio);
    const fillable = fillableQty(qty, touchSize(leg.side, quote), dec(fm.maxParticipation));
    if (fillable.lt(qty)) return undefined;
    const execution = executionPrice(leg.side, quote, qty, fm.slippage, null);
    if (execution === undefined) return undefined;
    const signed = execution.price.times(ratio);
    net = leg.side === 'buy' ? net.plus(signed) : net.minus(signed);
    fills.push({ leg, qty, execution, quote });
  }
  if (parent.type === 'limit' && parent.limitPrice !== null && net.gt(dec(parent.limitPrice))) {
    return undefined;
  }
  return { qty: units, net, legs: fills };
}

/**
 * Emits the fills of a planned multi-leg fill: one `OrderFilled` per leg, each recording its
 * own quote; fill ids are `{fillId}.{n}` for the n-th leg. The parent follows in `evolve`.
 */
export function emitMultiLegFill(
  batch: EventBatch,
  plan: MultiLegFill,
  fillId: string,
  market: MarketContext,
): void {
  plan.legs.forEach((fill, i) => {
    const leg = orderById(batch.state, fill.leg.id) ?? fill.leg;
    emitFill(
      batch,
      leg,
      { qty: fill.qty, execution: fill.execution, auction: null },
      `${fillId}.${i + 1}`,
      { ...market, quote: fill.quote },
    );
  });
}

/** Fills a multi-leg order if it can fill now; returns whether it did. */
export function fillMultiLegIfPossible(
  batch: EventBatch,
  parentId: string,
  fillId: string,
  market: MarketContext,
): boolean {
  const parent = orderById(batch.state, parentId);
  if (parent === undefined) return false;
  const plan = planMultiLegFill(parent, legsOf(batch.state, parent), batch.state.settings, market);
  if (plan === undefined) return false;
  emitMultiLegFill(batch, plan, fillId, market);
  return true;
}

/**
 * Decides the placement of a multi-leg order (ids and idempotency already checked by
 * `placeOrder`): validates the legs, runs the option pre-trade checks on all of them together,
 * places the parent and its held legs, and fills at once when marketable in the session.
 */
export function placeMultiLeg(
  d: {
    readonly orderId: string;
    readonly legOrderIds: readonly string[];
    readonly fillId?: string;
    readonly request: OrderRequest;
    readonly market: MarketContext;
    readonly queueWhenClosed?: boolean;
  },
  clientOrderId: string,
  state: AccountState,
): Decision {
  const { orderId, request, market } = d;
  const legsIn = request.legs ?? [];
  if (d.legOrderIds.length < legsIn.length) {
    throw new DomainError(
      'invalid_command',
      `a multi-leg order needs ${legsIn.length} leg ids`,
      'legOrderIds',
    );
  }
  const underlying = legsIn[0]?.instrument.underlying ?? request.instrument.kind;
  const batch = new EventBatch(state);
  try {
    if (legsIn.length < 2 || legsIn.length > MAX_LEGS) reject('invalid_legs');
    const symbols = new Set<string>();
    for (const leg of legsIn) {
      if (instrumentProblem(leg.instrument) !== undefined) reject('invalid_symbol');
      if (leg.instrument.underlying !== underlying || symbols.has(leg.instrument.occSymbol)) {
        reject('invalid_legs');
      }
      symbols.add(leg.instrument.occSymbol);
      const ratio = quantityOrReject(leg.ratioQty);
      if (!ratio.isInteger()) reject('invalid_legs');
    }
    if (request.type !== 'market' && request.type !== 'limit') reject('instrument_not_supported');
    if (request.extendedHours === true) reject('instrument_not_supported');
    if (request.timeInForce !== 'day') reject('invalid_time_in_force');
    const qty = quantityOrReject(request.qty);
    if (!qty.isInteger()) reject('invalid_quantity');
    let limit: Dec | null = null;
    if (request.type === 'limit') {
      if (request.limitPrice === undefined) reject('invalid_price');
      try {
        limit = dec(request.limitPrice);
      } catch {
        reject('invalid_price');
      }
      if (!isValidNetTick(limit)) reject('invalid_tick_size');
    }
    const quotes = legQuotes(market);
    let estimate = new Dec(0);
    for (const leg of legsIn) {
      const quote = quotes[leg.instrument.occSymbol];
      if (quote === undefined) reject('no_quote');
      const price = estimatedLegPrice(leg.side, quote, state.settings).times(dec(leg.ratioQty));
      estimate = leg.side === 'buy' ? estimate.plus(price) : estimate.minus(price);
    }
    const net = limit ?? estimate;
    const check = checkOptionOrder(
      legsIn.map((leg) => ({
        instrument: leg.instrument,
        side: leg.side,
        qty: qty.times(dec(leg.ratioQty)),
        ...(leg.positionIntent === undefined ? {} : { positionIntent: leg.positionIntent }),
      })),
      qty,
      net,
      state,
      market,
      { commissionInCollateral: true },
    );
    const strategy = recognizeStrategy(
      check.legs.map((l, i) => {
        const ratio = dec(legsIn[i]?.ratioQty ?? '1');
        return {
          right: l.contract.right,
          strike: dec(l.contract.strike),
          expiration: l.contract.expiration,
          qty: l.side === 'buy' ? ratio : ratio.negated(),
        };
      }),
    );
    const at = market.now;
    const first = legsIn[0];
    if (first === undefined) return reject('invalid_legs');
    let parent = blankOrder({
      id: orderId,
      clientOrderId,
      instrument: first.instrument,
      symbol: underlying,
      side: net.isNegative() ? 'sell' : 'buy',
      type: request.type,
      timeInForce: 'day',
      orderClass: 'mleg',
      qty: fmt(qty),
      limitPrice: limit === null ? null : fmt(limit),
      createdAt: at,
      legIds: legsIn.map((_, i) => d.legOrderIds[i] ?? ''),
      strategy,
      collateral: fmt(check.collateral),
      legsFilled: {},
    });
    parent = { ...parent, status: admission(parent, market, d.queueWhenClosed ?? true) };
    batch.emit({ type: 'OrderPlaced', data: { order: parent, at } });
    check.legs.forEach((leg, i) => {
      const legId = d.legOrderIds[i] ?? '';
      const ratio = legsIn[i]?.ratioQty ?? '1';
      batch.emit({
        type: 'OrderPlaced',
        data: {
          order: blankOrder({
            id: legId,
            clientOrderId: legId,
            instrument: leg.instrument,
            side: leg.side,
            type: request.type,
            timeInForce: 'day',
            orderClass: 'mleg',
            qty: fmt(leg.qty),
            status: 'held',
            parentId: orderId,
            legRole: 'option_leg',
            ratioQty: fmt(dec(ratio)),
            positionIntent: leg.positionIntent,
            createdAt: at,
          }),
          at,
        },
      });
    });
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    return rejectedPlacement(
      state,
      { orderId, clientOrderId, symbol: underlying, request, at: market.now },
      error.reason,
    );
  }
  const placed = orderById(batch.state, orderId);
  if (d.fillId !== undefined && placed?.status === 'new') {
    fillMultiLegIfPossible(batch, orderId, d.fillId, market);
  }
  return batch;
}
