/**
 * What tools answer: output schemas (snake_case, decimals as strings, the same argument names
 * the tools take — `quantity`, `limit_price`, `trail_amount`) and the mappers from the
 * write side (`Order` in a `WriteResult`) and the read side (the projections' views). Also the
 * honest one-line status of an order: queued until the open is never called filled.
 */
import * as z from 'zod';
import type { Order } from '../domain/account/index.ts';
import { dec, fmt } from '../domain/money.ts';
import type { AccountView, OrderView, PositionView } from '../projections/trading-views.ts';
import { newYorkTime } from './market-info.ts';

const decimal = (description: string) => z.string().describe(description);
const nullableDecimal = (description: string) => z.string().nullable().describe(description);
const nullableTime = (description: string) => z.string().nullable().describe(description);

export const orderOut = z.object({
  id: z.string().describe('Order id (pass it as order_id to other tools)'),
  client_order_id: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop']),
  time_in_force: z.enum(['day', 'gtc', 'ioc', 'fok', 'opg', 'cls']),
  order_class: z
    .enum(['simple', 'bracket', 'oco', 'oto', 'mleg'])
    .describe('mleg: a multi-leg option order (a spread), filled all legs together'),
  status: z
    .enum([
      'new',
      'accepted',
      'pending_new',
      'partially_filled',
      'filled',
      'canceled',
      'expired',
      'rejected',
      'replaced',
      'held',
      'pending_cancel',
    ])
    .describe(
      'new (working), accepted (queued until the session opens), partially_filled, filled, canceled, expired, rejected, replaced, held',
    ),
  quantity: decimal('Ordered shares'),
  filled_quantity: decimal('Shares filled so far'),
  filled_avg_price: nullableDecimal('Average fill price; null before the first fill'),
  limit_price: nullableDecimal('Limit price'),
  stop_price: nullableDecimal('Stop (trigger) price; for trailing stops the current stop'),
  trail_amount: nullableDecimal('Trailing distance in dollars'),
  trail_percent: nullableDecimal('Trailing distance in percent'),
  water_mark: nullableDecimal(
    'Trailing stops: best price seen since placement (high for sells, low for buys)',
  ),
  extended_hours: z.boolean(),
  replaces: z.string().nullable().describe('The order this one replaced'),
  replaced_by: z.string().nullable().describe('The order that replaced this one'),
  created_at: z.string().describe('Simulated time of placement, ISO-8601'),
  updated_at: z.string(),
  filled_at: nullableTime('When the order became completely filled'),
  canceled_at: nullableTime('When it was canceled'),
  expired_at: nullableTime('When it expired'),
});
export type OrderOut = z.infer<typeof orderOut>;

/** Average price of an order's fills, as the projections compute it. */
function averagePrice(order: Order): string | null {
  const qty = dec(order.filledQty);
  if (qty.isZero()) return null;
  return fmt(dec(order.filledNotional).dividedBy(qty).toDecimalPlaces(9));
}

/** An order from the write side (a command's resulting state). */
export function orderFromDomain(order: Order): OrderOut {
  return {
    id: order.id,
    client_order_id: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    time_in_force: order.timeInForce,
    order_class: order.orderClass,
    status: order.status,
    quantity: order.qty,
    filled_quantity: order.filledQty,
    filled_avg_price: averagePrice(order),
    limit_price: order.limitPrice,
    stop_price: order.stopPrice,
    trail_amount: order.trailPrice,
    trail_percent: order.trailPercent,
    water_mark: order.hwm,
    extended_hours: order.extendedHours,
    replaces: order.replaces,
    replaced_by: order.replacedBy,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    filled_at: order.filledAt,
    canceled_at: order.canceledAt,
    expired_at: order.expiredAt,
  };
}

/** An order from the read models. */
export function orderFromView(view: OrderView): OrderOut {
  return {
    id: view.id,
    client_order_id: view.clientOrderId,
    symbol: view.symbol,
    side: view.side,
    type: view.type,
    time_in_force: view.timeInForce,
    order_class: view.orderClass,
    status: view.status,
    quantity: view.qty,
    filled_quantity: view.filledQty,
    filled_avg_price: view.filledAvgPrice,
    limit_price: view.limitPrice,
    stop_price: view.stopPrice,
    trail_amount: view.trailPrice,
    trail_percent: view.trailPercent,
    water_mark: view.hwm,
    extended_hours: view.extendedHours,
    replaces: view.replaces,
    replaced_by: view.replacedBy,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
    filled_at: view.filledAt,
    canceled_at: view.canceledAt,
    expired_at: view.expiredAt,
  };
}

function priceTerms(order: OrderOut): string {
  switch (order.type) {
    case 'market':
      return 'at market';
    case 'limit':
      return `limit ${order.limit_price ?? '?'}`;
    case 'stop':
      return `stop ${order.stop_price ?? '?'}`;
    case 'stop_limit':
      return `stop ${order.stop_price ?? '?'} limit ${order.limit_price ?? '?'}`;
    case 'trailing_stop':
      return `trailing ${order.trail_percent !== null ? `${order.trail_percent} %` : `$${order.trail_amount ?? '?'}`} (stop now ${order.stop_price ?? '?'})`;
  }
}

/** `buy 10 AAPL limit 180 (day)`. */
export function orderLabel(order: OrderOut): string {
  return `${order.side} ${order.quantity} ${order.symbol} ${priceTerms(order)} (${order.time_in_force})`;
}

/** What waits for what: the condition under which a working order fills. */
function workingCondition(order: OrderOut): string {
  const touch = order.side === 'buy' ? 'ask' : 'bid';
  switch (order.type) {
    case 'market':
      return 'it fills at the next quote with liquidity';
    case 'limit':
      return `it fills when the ${touch} is at or ${order.side === 'buy' ? 'below' : 'above'} ${order.limit_price ?? '?'}`;
    case 'stop':
      return `it becomes a market order when the price ${order.side === 'buy' ? 'rises to' : 'falls to'} ${order.stop_price ?? '?'}`;
    case 'stop_limit':
      return `it becomes a limit order at ${order.limit_price ?? '?'} when the price ${order.side === 'buy' ? 'rises to' : 'falls to'} ${order.stop_price ?? '?'}`;
    case 'trailing_stop':
      return `its stop (now ${order.stop_price ?? '?'}) follows the price and it becomes a market order when the price ${order.side === 'buy' ? 'rises to' : 'falls to'} the stop`;
  }
}

/**
 * The honest state of an order in words: what has happened and what will. Filled only when
 * filled; an order queued for the open says so with the open's time.
 */
export function orderStatusSentence(order: OrderOut, nextOpen?: string): string {
  const label = orderLabel(order);
  const bought = order.side === 'buy' ? 'bought' : 'sold';
  const before =
    order.filled_quantity === '0'
      ? ''
      : ` (${bought} ${order.filled_quantity} at an average ${order.filled_avg_price ?? '?'} before that)`;
  switch (order.status) {
    case 'filled':
      return `FILLED: ${bought} ${order.filled_quantity} ${order.symbol} at an average ${order.filled_avg_price ?? '?'} (${label}).`;
    case 'partially_filled':
      return `PARTIALLY FILLED: ${bought} ${order.filled_quantity} of ${order.quantity} ${order.symbol} at an average ${order.filled_avg_price ?? '?'}; the rest is still working: ${workingCondition(order)} (${label}).`;
    case 'accepted':
      return `ACCEPTED AND QUEUED, NOT FILLED: the market is not in its regular session, so ${label} waits for the open${nextOpen === undefined ? '' : ` at ${newYorkTime(nextOpen, false)}`}; then ${workingCondition(order)}.`;
    case 'new':
    case 'pending_new':
      return `WORKING, NOT FILLED YET: ${label}; ${workingCondition(order)}.`;
    case 'held':
      return `HELD, NOT WORKING YET: ${label} waits for its parent order to fill.`;
    case 'canceled':
      return `CANCELED: ${label}; nothing more will fill${before}.`;
    case 'pending_cancel':
      return `CANCEL PENDING: ${label}.`;
    case 'expired':
      return `EXPIRED: ${label} ended with its time in force${before}.`;
    case 'replaced':
      return `REPLACED: ${label} was replaced by order ${order.replaced_by ?? '?'}${before}.`;
    case 'rejected':
      return `REJECTED: ${label}; nothing was traded.`;
  }
}

export const positionOut = z.object({
  symbol: z.string(),
  quantity: decimal('Signed: negative for a short'),
  side: z.enum(['long', 'short']),
  avg_entry_price: decimal('Average entry price'),
  cost_basis: decimal('quantity × average entry price'),
  current_price: nullableDecimal('Latest price (mid of the simulated quote); null without a quote'),
  market_value: nullableDecimal('quantity × current_price'),
  unrealized_pl: nullableDecimal('market_value − cost_basis'),
  unrealized_pl_percent: nullableDecimal('Unrealized P&L in percent of |cost basis|, e.g. "1.25"'),
  change_today_percent: nullableDecimal('Price change since the previous close, in percent'),
  realized_pl: decimal('Realized P&L of this symbol so far'),
});
export type PositionOut = z.infer<typeof positionOut>;

function percent(fraction: string | null): string | null {
  return fraction === null ? null : fmt(dec(fraction).times(100).toDecimalPlaces(4));
}

export function positionFromView(view: PositionView): PositionOut {
  return {
    symbol: view.symbol,
    quantity: view.qty,
    side: view.side,
    avg_entry_price: view.avgEntryPrice,
    cost_basis: view.costBasis,
    current_price: view.currentPrice,
    market_value: view.marketValue,
    unrealized_pl: view.unrealizedPl,
    unrealized_pl_percent: percent(view.unrealizedPlpc),
    change_today_percent: percent(view.changeToday),
    realized_pl: view.realizedPl,
  };
}

export const accountOut = z.object({
  id: z.string().describe('Account id (pass it as account_id)'),
  name: z.string(),
  account_type: z.enum(['cash', 'margin']),
  currency: z.literal('USD'),
  cash: decimal('Cash balance'),
  buying_power: decimal(
    'Cash (or margin) available for new orders after reservations of open orders',
  ),
  equity: decimal('Cash + market value of positions'),
  last_equity: decimal('Equity at the previous close'),
  day_pl: decimal('equity − last_equity'),
  long_market_value: decimal('Market value of long positions'),
  short_market_value: decimal('Market value of short positions (negative)'),
  open_orders: z.number().int(),
});
export type AccountOut = z.infer<typeof accountOut>;

export function accountFromView(view: AccountView): AccountOut {
  return {
    id: view.id,
    name: view.name,
    account_type: view.accountType,
    currency: view.currency,
    cash: view.cash,
    buying_power: view.buyingPower,
    equity: view.equity,
    last_equity: view.lastEquity,
    day_pl: view.dayPl,
    long_market_value: view.longMarketValue,
    short_market_value: view.shortMarketValue,
    open_orders: view.openOrders,
  };
}

/** A quote as recorded on a fill or served by `get_quote`. */
export const quoteOut = z.object({
  symbol: z.string(),
  bid: decimal('Best bid'),
  ask: decimal('Best ask (offer)'),
  bid_size: z.number().describe('Shares bid at the best bid'),
  ask_size: z.number().describe('Shares offered at the best ask'),
  last: decimal('Last trade price'),
  time: z.string().describe('Quote time (market clock), ISO-8601 UTC'),
  sequence: z.number().int().describe('Feed sequence number'),
  source: z
    .enum(['simulated', 'replay', 'test'])
    .describe('simulated: generated by the venue; replay: stored history'),
});
export type QuoteOut = z.infer<typeof quoteOut>;

export function quoteFrom(q: {
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly bidSize: number;
  readonly askSize: number;
  readonly last: string;
  readonly time: string;
  readonly seq: number;
  readonly source: 'simulated' | 'replay' | 'test';
}): QuoteOut {
  return {
    symbol: q.symbol,
    bid: q.bid,
    ask: q.ask,
    bid_size: q.bidSize,
    ask_size: q.askSize,
    last: q.last,
    time: q.time,
    sequence: q.seq,
    source: q.source,
  };
}
