/**
 * Views and domain values → the `/api/v1` wire format (`schemas.ts`): Alpaca's snake_case
 * names, money as decimal strings, timestamps RFC 3339.
 */
import type { AccountState, Order } from '../../domain/account/index.ts';
import { orderById } from '../../domain/account/order-lookup.ts';
import type { AccountEvent } from '../../domain/account/index.ts';
import { Dec } from '../../domain/decimal.ts';
import { fmt } from '../../domain/money.ts';
import type { Quote } from '../../domain/market.ts';
import type { RecordedEvent } from '../../eventstore/port.ts';
import { preTradeRiskBody } from './risk-schemas.ts';
import type { OrderPreview } from '../../commands/trading.ts';
import type {
  AccountView,
  FillView,
  OrderView,
  PortfolioHistory,
  PositionView,
} from '../../projections/trading-views.ts';

type Json = Record<string, unknown>;

/** `camelCase` keys → `snake_case`, deeply (settings, fill models, event data stay readable). */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = snakeKeys(v);
  }
  return out;
}

export function accountBody(view: AccountView): Json {
  return {
    id: view.id,
    name: view.name,
    owner_id: view.ownerId,
    status: 'ACTIVE',
    currency: view.currency,
    account_type: view.accountType,
    cash: view.cash,
    buying_power: view.buyingPower,
    equity: view.equity,
    portfolio_value: view.equity,
    last_equity: view.lastEquity,
    day_pl: view.dayPl,
    long_market_value: view.longMarketValue,
    short_market_value: view.shortMarketValue,
    realized_pl: view.realizedPl,
    fees_paid: view.feesPaid,
    total_deposits: view.totalDeposits,
    total_withdrawals: view.totalWithdrawals,
    open_orders: view.openOrders,
    shorting_enabled: view.accountType === 'margin' && view.settings.shortingEnabled,
    multiplier: view.accountType === 'margin' ? view.settings.marginMultiplier : '1',
    settings: snakeKeys(view.settings),
    created_at: view.createdAt,
    updated_at: view.updatedAt,
  };
}

function orderFields(view: OrderView): Json {
  return {
    id: view.id,
    client_order_id: view.clientOrderId,
    account_id: view.accountId,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
    submitted_at: view.submittedAt,
    filled_at: view.filledAt,
    expired_at: view.expiredAt,
    canceled_at: view.canceledAt,
    failed_at: view.failedAt,
    replaced_at: view.replacedAt,
    replaced_by: view.replacedBy,
    replaces: view.replaces,
    asset_class: view.assetClass,
    symbol: view.symbol,
    notional: null,
    qty: view.qty,
    filled_qty: view.filledQty,
    filled_avg_price: view.filledAvgPrice,
    order_class: view.orderClass,
    order_type: view.type,
    type: view.type,
    side: view.side,
    time_in_force: view.timeInForce,
    limit_price: view.limitPrice,
    stop_price: view.stopPrice,
    trail_price: view.trailPrice,
    trail_percent: view.trailPercent,
    hwm: view.hwm,
    status: view.status,
    extended_hours: view.extendedHours,
    parent_id: view.parentId,
    leg_role: view.legRole,
    position_intent: view.positionIntent ?? null,
    ratio_qty: view.ratioQty ?? null,
    strategy: view.strategy ?? null,
    reject_reason: view.rejectReason,
    event_position: view.position,
  };
}

/** An order with its legs nested (`legs: null` for simple orders, as Alpaca does). */
export function orderBody(view: OrderView): Json {
  return {
    ...orderFields(view),
    legs:
      view.legs.length === 0 ? null : view.legs.map((leg) => ({ ...orderFields(leg), legs: null })),
  };
}

/**
 * The view of an order as the write side knows it right after a command, so a write answers
 * without waiting for the projections. `position` is the write's global position.
 */
export function orderViewOf(
  order: Order,
  state: AccountState,
  position: number | undefined,
): OrderView {
  const filled = new Dec(order.filledQty);
  const legs = order.legIds
    .map((id) => orderById(state, id))
    .filter((leg): leg is Order => leg !== undefined)
    .map((leg) => orderViewOf(leg, state, position));
  return {
    id: order.id,
    accountId: state.accountId ?? '',
    clientOrderId: order.clientOrderId,
    instrument: order.instrument,
    symbol: order.symbol,
    assetClass: order.instrument.kind === 'equity' ? 'us_equity' : 'us_option',
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    orderClass: order.orderClass,
    status: order.status,
    qty: order.qty,
    filledQty: order.filledQty,
    filledAvgPrice: filled.isZero()
      ? null
      : fmt(
          new Dec(order.filledNotional).dividedBy(filled).toDecimalPlaces(9, Dec.ROUND_HALF_EVEN),
        ),
    limitPrice: order.limitPrice,
    stopPrice: order.stopPrice,
    trailPrice: order.trailPrice,
    trailPercent: order.trailPercent,
    hwm: order.hwm,
    extendedHours: order.extendedHours,
    parentId: order.parentId,
    legRole: order.legRole,
    positionIntent: order.positionIntent ?? null,
    ratioQty: order.ratioQty ?? null,
    strategy: order.strategy ?? null,
    legs,
    replaces: order.replaces,
    replacedBy: order.replacedBy,
    rejectReason: null,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    submittedAt: order.createdAt,
    filledAt: order.filledAt,
    canceledAt: order.canceledAt,
    expiredAt: order.expiredAt,
    replacedAt: order.replacedAt,
    failedAt: null,
    position: position ?? 0,
  };
}

export function positionBody(view: PositionView, exchange: string): Json {
  return {
    symbol: view.symbol,
    asset_class: view.assetClass,
    exchange,
    qty: view.qty,
    qty_available: view.qty,
    side: view.side,
    avg_entry_price: view.avgEntryPrice,
    cost_basis: view.costBasis,
    current_price: view.currentPrice,
    market_value: view.marketValue,
    unrealized_pl: view.unrealizedPl,
    unrealized_plpc: view.unrealizedPlpc,
    lastday_price: view.lastdayPrice,
    change_today: view.changeToday,
    realized_pl: view.realizedPl,
    updated_at: view.updatedAt,
  };
}

function quoteBody(quote: Quote): Json {
  return {
    symbol: quote.symbol,
    bid: quote.bid,
    ask: quote.ask,
    bid_size: quote.bidSize,
    ask_size: quote.askSize,
    last: quote.last,
    time: quote.time,
    seq: quote.seq,
    source: quote.source,
  };
}

export function fillBody(view: FillView): Json {
  return {
    id: view.id,
    order_id: view.orderId,
    account_id: view.accountId,
    symbol: view.symbol,
    side: view.side,
    qty: view.qty,
    price: view.price,
    gross_amount: view.grossAmount,
    commission: view.commission,
    regulatory_fees: view.regulatoryFees,
    cash_delta: view.cashDelta,
    realized_pl: view.realizedPl,
    order_status: view.orderStatus,
    cum_qty: view.cumulativeQty,
    leaves_qty: view.leavesQty,
    quote: view.quote === null ? null : quoteBody(view.quote),
    auction: view.auction,
    fill_model: snakeKeys(view.model),
    position_after: { qty: view.positionAfter.qty, cost_basis: view.positionAfter.costBasis },
    transaction_time: view.at,
    event_position: view.position,
  };
}

/** Alpaca's portfolio-history arrays (numbers, for charts) plus the exact series. */
export function historyBody(history: PortfolioHistory): Json {
  const points = history.points;
  const first = points[0];
  return {
    timestamp: points.map((p) => Math.floor(Date.parse(p.timestamp) / 1000)),
    equity: points.map((p) => Number(p.equity)),
    profit_loss: points.map((p) => Number(p.profitLoss)),
    profit_loss_pct: points.map((p) => Number(p.profitLossPct)),
    base_value: Number(history.baseValue),
    base_value_asof: first === undefined ? null : first.timestamp.slice(0, 10),
    timeframe: history.timeframe,
    exact: {
      time: points.map((p) => p.timestamp),
      equity: points.map((p) => p.equity),
      cash: points.map((p) => p.cash),
      profit_loss: points.map((p) => p.profitLoss),
      profit_loss_pct: points.map((p) => p.profitLossPct),
      base_value: history.baseValue,
    },
  };
}

export function eventBody(event: RecordedEvent): Json {
  return {
    id: event.id,
    stream_id: event.streamId,
    type: event.type,
    revision: event.revision,
    position: event.position,
    data: event.data,
    metadata: event.metadata,
    recorded_at: event.recordedAt.toISOString(),
  };
}

export function previewBody(preview: OrderPreview): Json {
  return {
    accepted: preview.accepted,
    status: preview.status,
    rejection: preview.rejection,
    buying_power_before: preview.buyingPowerBefore,
    buying_power_after: preview.buyingPowerAfter,
    cash_before: preview.cashBefore,
    cash_after: preview.cashAfter,
    findings: preview.findings,
    events: preview.events.map((e: AccountEvent) => ({ type: e.type, data: e.data })),
    risk: preTradeRiskBody(preview.risk),
  };
}
