import type { Dec } from '../decimal.ts';
import { DomainError } from '../errors.ts';
import { touchPrice } from '../fill-model.ts';
import { assertId, isValidClientOrderId } from '../ids.ts';
import { instrumentProblem, type OptionInstrument } from '../instrument.ts';
import type { MarketContext } from '../market.ts';
import { dec, fmt } from '../money.ts';
import { EventBatch, type Decision } from './batch.ts';
import type { OrderRequest, PlaceOrder } from './commands.ts';
import { planFill, trailingStopFor, triggerSourcePrice } from './execution.ts';
import { cancelWithCascade, fillIfPossible } from './lifecycle.ts';
import { placeMultiLeg } from './multi-leg.ts';
import { checkOptionOrder, estimatedLegPrice, optionPriceOrReject } from './option-rules.ts';
import type {
  LegRole,
  Order,
  OrderClass,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
} from './order.ts';
import {
  admission,
  assertQuoteFor,
  checkCombination,
  checkFractional,
  preTradeChecks,
  priceOrReject,
  quantityOrReject,
  reject,
  rejectedPlacement,
  Rejection,
  trailPercentOrReject,
} from './rules.ts';
import type { AccountSettings } from './settings.ts';
import type { AccountState } from './state.ts';
import { blankOrder } from './order-factory.ts';
import { isOrderIdUsed, orderById, orderIdOfClientOrderId } from './order-lookup.ts';

export { blankOrder } from './order-factory.ts';

const opposite = (side: OrderSide): OrderSide => (side === 'buy' ? 'sell' : 'buy');

/** Number of generated leg ids each order class needs. */
const LEG_COUNT: Record<OrderClass, number> = { simple: 0, bracket: 2, oco: 1, oto: 1, mleg: 0 };

/**
 * Decides `PlaceOrder`: idempotent on client order id, validates shape and session, runs
 * pre-trade checks, places the order (and its legs), and fills at once when it is
 * marketable in session and the command brought a fill id. IOC remainders are canceled in
 * the same decision; an FOK that cannot fill completely is rejected.
 */
export function placeOrder(command: PlaceOrder['data'], state: AccountState): Decision {
  const { orderId, request, market } = command;
  assertId(orderId, 'orderId');
  const legIds = command.legOrderIds ?? [];
  legIds.forEach((id, i) => assertId(id, `legOrderIds[${i}]`));
  if (command.fillId !== undefined) assertId(command.fillId, 'fillId');
  const clientOrderId = request.clientOrderId ?? orderId;
  if (!isValidClientOrderId(clientOrderId)) {
    throw new DomainError(
      'invalid_command',
      'clientOrderId must be 1–128 printable characters',
      'clientOrderId',
    );
  }
  if (orderIdOfClientOrderId(state, clientOrderId) !== undefined) return EventBatch.of(state, []);
  for (const id of [orderId, ...legIds]) {
    if (isOrderIdUsed(state, id)) {
      throw new DomainError('duplicate_order_id', `order id ${id} is already used`, 'orderId');
    }
  }
  const orderClass = request.orderClass ?? 'simple';
  if (legIds.length < LEG_COUNT[orderClass]) {
    throw new DomainError(
      'invalid_command',
      `a ${orderClass} order needs ${LEG_COUNT[orderClass]} leg ids`,
      'legOrderIds',
    );
  }
  if (
    (request.timeInForce === 'ioc' || request.timeInForce === 'fok') &&
    command.fillId === undefined
  ) {
    throw new DomainError('invalid_command', 'ioc and fok orders need a fillId', 'fillId');
  }
  if (orderClass === 'mleg') {
    assertQuoteFor(request.legs?.[0]?.instrument.underlying ?? '', market);
    return placeMultiLeg({ ...command, legOrderIds: legIds }, clientOrderId, state);
  }
  const symbol =
    request.instrument.kind === 'equity' ? request.instrument.symbol : request.instrument.occSymbol;
  assertQuoteFor(symbol, market);

  const batch = new EventBatch(state);
  try {
    const orders = buildOrders(
      request,
      orderId,
      clientOrderId,
      legIds,
      state.settings,
      market,
      command.queueWhenClosed ?? true,
    );
    const [parent] = orders;
    const placedParent: Order =
      parent.instrument.kind === 'option'
        ? checkedOptionOrder(parent, parent.instrument, request, state, market)
        : { ...parent, reservePrice: preTradeChecks(parent, state, market) };
    if (placedParent.timeInForce === 'fok') {
      const plan = planFill(placedParent, state.settings, market);
      if (plan === undefined || plan.qty.lt(dec(placedParent.qty))) reject('fok_not_fillable');
    }
    batch.emit({ type: 'OrderPlaced', data: { order: placedParent, at: market.now } });
    for (const leg of orders.slice(1))
      batch.emit({ type: 'OrderPlaced', data: { order: leg, at: market.now } });
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    return rejectedPlacement(
      state,
      { orderId, clientOrderId, symbol, request, at: market.now },
      error.reason,
    );
  }

  const placed = orderById(batch.state, orderId);
  if (command.fillId !== undefined && placed !== undefined && isImmediate(placed)) {
    fillIfPossible(batch, orderId, command.fillId, market);
    const after = orderById(batch.state, orderId);
    if (after !== undefined && placed.timeInForce === 'ioc' && after.status !== 'filled') {
      cancelWithCascade(batch, orderId, 'ioc_remainder', market.now);
    }
  }
  return batch;
}

/**
 * A single-leg option order after the option pre-trade checks: what it holds back while open
 * (`collateral`), its position intent, and for buys the per-contract price it reserves at.
 */
export function checkedOptionOrder(
  order: Order,
  instrument: OptionInstrument,
  request: Pick<OrderRequest, 'positionIntent'>,
  state: AccountState,
  market: MarketContext,
  excludeOrderId?: string,
): Order {
  const quote = market.quote;
  if (quote === undefined) reject('no_quote');
  const price =
    order.limitPrice === null
      ? estimatedLegPrice(order.side, quote, state.settings)
      : dec(order.limitPrice);
  const check = checkOptionOrder(
    [
      {
        instrument,
        side: order.side,
        qty: dec(order.qty),
        ...(request.positionIntent === undefined ? {} : { positionIntent: request.positionIntent }),
      },
    ],
    dec(order.qty),
    order.side === 'buy' ? price : price.negated(),
    state,
    market,
    excludeOrderId === undefined ? {} : { excludeOrderId },
  );
  return {
    ...order,
    reservePrice: order.side === 'buy' ? fmt(price) : null,
    collateral: fmt(check.collateral),
    positionIntent: check.legs[0]?.positionIntent ?? 'buy_to_open',
  };
}

/** Orders that may execute in the decision that places them: market and limit, not stops. */
function isImmediate(order: Order): boolean {
  return order.status === 'new' && (order.type === 'market' || order.type === 'limit');
}

/** Validated parent order followed by its legs. */
type OrderTree = readonly [Order, ...Order[]];

/**
 * Turns a request into orders, checking everything that does not depend on the account's
 * holdings: symbol and asset, quantity, prices and ticks, TIF/type/class combinations,
 * extended hours, bracket price sanity and the session.
 */
function buildOrders(
  request: OrderRequest,
  orderId: string,
  clientOrderId: string,
  legIds: readonly string[],
  settings: AccountSettings,
  market: MarketContext,
  queueWhenClosed: boolean,
): OrderTree {
  const instrument = request.instrument;
  if (instrumentProblem(instrument) !== undefined) reject('invalid_symbol');
  if (instrument.kind === 'equity') {
    if (market.asset === undefined) reject('unknown_symbol');
    if (!market.asset.tradable) reject('asset_not_tradable');
  }
  const orderClass = request.orderClass ?? 'simple';
  const type: OrderType = request.type;
  const tif: TimeInForce = request.timeInForce;
  const side = request.side;
  const extendedHours = request.extendedHours ?? false;
  const qty = quantityOrReject(request.qty);
  if (instrument.kind === 'option') {
    if (orderClass !== 'simple' || (type !== 'market' && type !== 'limit') || extendedHours) {
      reject('instrument_not_supported');
    }
    if (tif !== 'day') reject('invalid_time_in_force');
    if (!qty.isInteger()) reject('invalid_quantity');
  }

  let limitPrice: Dec | null = null;
  let stopPrice: Dec | null = null;
  let trailPrice: Dec | null = null;
  let trailPercent: Dec | null = null;
  switch (type) {
    case 'market':
      break;
    case 'limit':
      limitPrice =
        orderClass === 'oco'
          ? requiredPrice(request.takeProfit?.limitPrice ?? request.limitPrice, instrument)
          : requiredPrice(request.limitPrice, instrument);
      break;
    case 'stop':
      stopPrice = requiredPrice(request.stopPrice, instrument);
      break;
    case 'stop_limit':
      stopPrice = requiredPrice(request.stopPrice, instrument);
      limitPrice = requiredPrice(request.limitPrice, instrument);
      break;
    case 'trailing_stop':
      if ((request.trailPrice === undefined) === (request.trailPercent === undefined))
        reject('invalid_trail');
      if (request.trailPrice !== undefined) trailPrice = priceOrReject(request.trailPrice);
      if (request.trailPercent !== undefined)
        trailPercent = trailPercentOrReject(request.trailPercent);
      break;
  }

  checkCombination(type, tif, orderClass, extendedHours);

  const tp =
    request.takeProfit === undefined
      ? null
      : { limit: priceOrReject(request.takeProfit.limitPrice) };
  const sl =
    request.stopLoss === undefined
      ? null
      : {
          stop: priceOrReject(request.stopLoss.stopPrice),
          limit:
            request.stopLoss.limitPrice === undefined
              ? null
              : priceOrReject(request.stopLoss.limitPrice),
        };
  switch (orderClass) {
    case 'simple':
      if (tp !== null || sl !== null) reject('invalid_order_class');
      break;
    case 'bracket':
      if (tp === null || sl === null || type === 'trailing_stop') reject('invalid_order_class');
      break;
    case 'oto':
      if ((tp === null) === (sl === null) || type === 'trailing_stop')
        reject('invalid_order_class');
      break;
    case 'oco':
      if (tp === null || sl === null || type !== 'limit') reject('invalid_order_class');
      break;
  }
  checkLegPrices(orderClass, side, limitPrice ?? stopPrice ?? marketBase(side, market), tp, sl);

  const at = market.now;
  let parent = blankOrder({
    id: orderId,
    clientOrderId,
    instrument,
    side,
    type,
    timeInForce: tif,
    orderClass,
    qty: fmt(qty),
    limitPrice: limitPrice === null ? null : fmt(limitPrice),
    stopPrice: stopPrice === null ? null : fmt(stopPrice),
    trailPrice: trailPrice === null ? null : fmt(trailPrice),
    trailPercent: trailPercent === null ? null : fmt(trailPercent),
    extendedHours,
    createdAt: at,
    legRole: orderClass === 'simple' ? null : orderClass === 'oco' ? 'take_profit' : 'entry',
    ocoGroupId: orderClass === 'oco' ? orderId : null,
  });
  checkFractional(parent, settings, market);
  const status = admission(parent, market, queueWhenClosed);
  parent = { ...parent, status };
  if (type === 'trailing_stop' && market.quote !== undefined) {
    const mark = triggerSourcePrice(parent, market.quote, settings.stopTriggerSource);
    if (mark !== undefined)
      parent = { ...parent, hwm: fmt(mark), stopPrice: fmt(trailingStopFor(parent, mark)) };
  }

  if (orderClass === 'simple') return [parent];
  const legs: Order[] = [];
  const legStatus: OrderStatus = orderClass === 'oco' ? status : 'held';
  const leg = (id: string, role: LegRole, fields: Partial<Order> & Pick<Order, 'type'>): Order =>
    blankOrder({
      id,
      clientOrderId: id,
      instrument,
      side: orderClass === 'oco' ? side : opposite(side),
      timeInForce: tif,
      orderClass,
      qty: fmt(qty),
      createdAt: at,
      status: legStatus,
      parentId: orderId,
      legRole: role,
      ocoGroupId: orderClass === 'oto' ? null : orderId,
      ...fields,
    });
  const ids = [...legIds];
  if (tp !== null && orderClass !== 'oco') {
    legs.push(leg(ids.shift() ?? '', 'take_profit', { type: 'limit', limitPrice: fmt(tp.limit) }));
  }
  if (sl !== null) {
    legs.push(
      leg(ids.shift() ?? '', 'stop_loss', {
        type: sl.limit === null ? 'stop' : 'stop_limit',
        stopPrice: fmt(sl.stop),
        limitPrice: sl.limit === null ? null : fmt(sl.limit),
      }),
    );
  }
  parent = { ...parent, legIds: legs.map((l) => l.id) };
  return [parent, ...legs];
}

/** The touch a market entry would meet, when a quote is known. */
function marketBase(side: OrderSide, market: MarketContext): Dec | null {
  if (market.quote === undefined) return null;
  const touch = touchPrice(side, market.quote);
  return touch.gt(0) ? touch : null;
}

/**
 * Exit legs must sit on the right sides of the entry: for a long entry the take-profit above
 * it and the stop-loss below it (and a stop-limit's limit not above its stop); mirrored for
 * a short entry. OCO orders exit an existing position, so only the two legs are compared.
 */
function checkLegPrices(
  orderClass: OrderClass,
  side: OrderSide,
  base: Dec | null,
  tp: { readonly limit: Dec } | null,
  sl: { readonly stop: Dec; readonly limit: Dec | null } | null,
): void {
  if (orderClass === 'simple') return;
  // Exits of a long position sell; `up` is the profitable direction for the position.
  const longEntry = orderClass === 'oco' ? side === 'sell' : side === 'buy';
  const above = (a: Dec, b: Dec): boolean => (longEntry ? a.gt(b) : a.lt(b));
  if (sl !== null && sl.limit !== null && above(sl.limit, sl.stop))
    reject('invalid_bracket_prices');
  if (orderClass === 'oco') {
    if (tp !== null && sl !== null && !above(tp.limit, sl.stop)) reject('invalid_bracket_prices');
    return;
  }
  if (base === null) return;
  if (tp !== null && !above(tp.limit, base)) reject('invalid_bracket_prices');
  if (sl !== null && !above(base, sl.stop)) reject('invalid_bracket_prices');
}

/** A price the order type needs (rejected when missing or off the grid). */
function requiredPrice(value: string | undefined, instrument: Order['instrument']): Dec {
  if (value === undefined) return reject('invalid_price');
  return instrument.kind === 'option' ? optionPriceOrReject(value) : priceOrReject(value);
}
