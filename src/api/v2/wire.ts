/**
 * Views and market values → Alpaca's trading-API wire format (`/v2`): the field names, enum
 * values and types the official SDKs read (../../../docs/alpaca.md). Money and quantities are
 * decimal strings, timestamps RFC 3339; the exceptions are what Alpaca itself sends as JSON
 * numbers (portfolio-history arrays, market-data payloads, `maintenance_margin_requirement`).
 *
 * Orders build on the `/api/v1` order resource (the same names, which are Alpaca's) so the two
 * APIs, the SSE stream and `trade_updates` describe an order identically.
 */
import { createHash } from 'node:crypto';
import { Dec } from '../../domain/decimal.ts';
import type { Asset, Quote } from '../../domain/market.ts';
import { multiplierOf } from '../../domain/instrument.ts';
import { fmt } from '../../domain/money.ts';
import { optionsLevelOf } from '../../domain/account/index.ts';
import type { Bar } from '../../market/port.ts';
import type { MarketCalendar, Session } from '../../market/calendar.ts';
import { addDays, newYorkDate, newYorkWallTime } from '../../market/time-zone.ts';
import type {
  AccountView,
  FillView,
  OrderView,
  PortfolioHistory,
  PositionView,
} from '../../projections/trading-views.ts';
import { historyBody, orderBody } from '../v1/serialize.ts';
import { optionContractId, wireSymbol } from './option-ids.ts';

type Json = Record<string, unknown>;

/**
 * A stable asset id for a symbol (Alpaca's `asset_id` is a UUID): the UUID-shaped SHA-1 of the
 * symbol, so every process, and every restart, gives a symbol the same id.
 */
export function assetId(symbol: string): string {
  const h = createHash('sha1').update(`open-paper-trading/asset/${symbol}`).digest('hex');
  // RFC 4122 layout, version 5 (name-based, SHA-1), variant 10.
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Alpaca's account number: `PA` and ten characters of the account id (display only). */
function accountNumber(id: string): string {
  return `PA${id.replace(/-/g, '').slice(0, 10).toUpperCase()}`;
}

/**
 * An order resource of `/api/v1` (JSON) as Alpaca writes it: `asset_id`, option symbols in
 * compact OCC (`AAPL250117C00150000`), the Alpaca-only fields we never set (`expires_at`,
 * `source`, `subtag`), and legs likewise. A multi-leg (`mleg`) order has no symbol of its own
 * (`""`, as Alpaca), its legs carry them. `position_intent` and `ratio_qty` are the order's
 * (options) or null (stocks). The `/api/v1` extras (`account_id`, `event_position`,
 * `reject_reason`…) stay: the SDKs keep order keys they do not know.
 */
export function alpacaOrderJson(order: Json): Json {
  const legs = order.legs;
  const symbol = typeof order.symbol === 'string' ? order.symbol : null;
  const option = symbol !== null && order.asset_class === 'us_option';
  // The parent of a multi-leg order (its legs are `mleg` too, with `legs: null`).
  const mleg = order.order_class === 'mleg' && Array.isArray(legs);
  return {
    ...order,
    symbol: mleg ? '' : option ? wireSymbol(symbol) : symbol,
    asset_id: mleg
      ? ''
      : symbol === null
        ? null
        : option
          ? optionContractId(symbol)
          : assetId(symbol),
    expires_at: null,
    position_intent: order.position_intent ?? null,
    ratio_qty: order.ratio_qty ?? null,
    source: null,
    subtag: null,
    legs: Array.isArray(legs) ? legs.map((leg) => alpacaOrderJson(leg as Json)) : null,
  };
}

export function orderWire(view: OrderView): Json {
  return alpacaOrderJson(orderBody(view));
}

/** FINRA Rule 4210 minimums: 25 % of long and 30 % of short market value. */
const MAINTENANCE_LONG = new Dec('0.25');
const MAINTENANCE_SHORT = new Dec('0.3');

/**
 * The account in Alpaca's names. Margin figures are estimates from the positions' market
 * values (initial = gross exposure ÷ multiplier, maintenance = FINRA minimums); pattern day
 * trading and crypto are not modelled and read as off / zero. The options levels are the
 * account's (`settings.optionsLevel`: 1 covered, 2 long, 3 spreads — Alpaca's levels).
 */
export function accountWire(view: AccountView, asOf: Date): Json {
  const margin = view.accountType === 'margin';
  const multiplier = margin ? new Dec(view.settings.marginMultiplier) : new Dec(1);
  const long = new Dec(view.longMarketValue);
  const short = new Dec(view.shortMarketValue).abs();
  const gross = long.plus(short);
  const maintenance = fmt(long.times(MAINTENANCE_LONG).plus(short.times(MAINTENANCE_SHORT)));
  const buyingPower = view.buyingPower;
  const optionsLevel = optionsLevelOf(view.settings);
  return {
    id: view.id,
    account_number: accountNumber(view.id),
    status: 'ACTIVE',
    crypto_status: 'INACTIVE',
    currency: view.currency,
    buying_power: buyingPower,
    regt_buying_power: buyingPower,
    daytrading_buying_power: '0',
    effective_buying_power: buyingPower,
    non_marginable_buying_power: margin
      ? fmt(new Dec(buyingPower).dividedBy(multiplier).toDecimalPlaces(2, Dec.ROUND_DOWN))
      : buyingPower,
    // What the option checks spend: premium and collateral come out of the buying power.
    options_buying_power: buyingPower,
    bod_dtbp: '0',
    cash: view.cash,
    accrued_fees: '0',
    pending_transfer_in: '0',
    pending_transfer_out: '0',
    portfolio_value: view.equity,
    equity: view.equity,
    last_equity: view.lastEquity,
    long_market_value: view.longMarketValue,
    short_market_value: view.shortMarketValue,
    position_market_value: fmt(gross),
    initial_margin: fmt(gross.dividedBy(multiplier).toDecimalPlaces(2, Dec.ROUND_HALF_UP)),
    maintenance_margin: maintenance,
    last_maintenance_margin: maintenance,
    sma: '0',
    multiplier: margin ? view.settings.marginMultiplier : '1',
    shorting_enabled: margin && view.settings.shortingEnabled,
    pattern_day_trader: false,
    daytrade_count: 0,
    trading_blocked: false,
    transfers_blocked: false,
    account_blocked: false,
    trade_suspended_by_user: false,
    balance_asof: newYorkDate(asOf),
    crypto_tier: 0,
    options_approved_level: optionsLevel,
    options_trading_level: optionsLevel,
    intraday_adjustments: '0',
    pending_reg_taf_fees: '0',
    created_at: view.createdAt,
    // Ours, beside Alpaca's (the SDKs keep account keys they do not know).
    name: view.name,
    account_type: view.accountType,
    day_pl: view.dayPl,
    realized_pl: view.realizedPl,
    fees_paid: view.feesPaid,
  };
}

/** `GET /v2/account/configurations`: the account settings in Alpaca's terms. */
export function configurationsWire(view: AccountView): Json {
  return {
    dtbp_check: 'entry',
    trade_confirm_email: 'none',
    suspend_trade: false,
    no_shorting: !(view.accountType === 'margin' && view.settings.shortingEnabled),
    fractional_trading: view.settings.fractionalTrading,
    max_margin_multiplier: view.accountType === 'margin' ? view.settings.marginMultiplier : '1',
    max_options_trading_level: optionsLevelOf(view.settings),
    pdt_check: 'entry',
    ptp_no_exception_entry: false,
  };
}

/** Alpaca's one-letter exchange codes, as market data writes them. */
const EXCHANGE_CODES: Readonly<Record<string, string>> = {
  NASDAQ: 'Q',
  NYSE: 'N',
  ARCA: 'P',
  AMEX: 'A',
  BATS: 'Z',
};
/** The consolidated tape of a listing exchange. */
const TAPES: Readonly<Record<string, string>> = { NYSE: 'A', NASDAQ: 'C' };

export function exchangeCode(asset: Asset | undefined): string {
  return EXCHANGE_CODES[asset?.exchange ?? ''] ?? 'V';
}

export function tape(asset: Asset | undefined): string {
  return TAPES[asset?.exchange ?? ''] ?? 'B';
}

/**
 * A position in Alpaca's names (every key the SDK's strict `Position` model reads). Options as
 * Alpaca shows them: `qty` in contracts, prices per share, values (cost basis, market value,
 * P&L) in dollars (× the multiplier), the compact OCC symbol and the contract id.
 */
export function positionWire(view: PositionView, asset: Asset | undefined): Json {
  const qty = new Dec(view.qty);
  const option = view.instrument.kind === 'option';
  const multiplier = multiplierOf(view.instrument);
  const intraday =
    view.currentPrice === null || view.lastdayPrice === null
      ? null
      : new Dec(view.currentPrice).minus(view.lastdayPrice).times(qty).times(multiplier);
  const lastdayValue =
    view.lastdayPrice === null
      ? null
      : new Dec(view.lastdayPrice).times(qty).times(multiplier).abs();
  return {
    asset_id: option ? optionContractId(view.symbol) : assetId(view.symbol),
    symbol: option ? wireSymbol(view.symbol) : view.symbol,
    exchange: option ? '' : (asset?.exchange ?? ''),
    asset_class: view.assetClass,
    asset_marginable: !option,
    qty: view.qty,
    qty_available: view.qty,
    avg_entry_price: view.avgEntryPrice,
    side: view.side,
    market_value: view.marketValue,
    cost_basis: view.costBasis,
    unrealized_pl: view.unrealizedPl,
    unrealized_plpc: view.unrealizedPlpc,
    unrealized_intraday_pl: intraday === null ? null : fmt(intraday),
    unrealized_intraday_plpc:
      intraday === null || lastdayValue === null || lastdayValue.isZero()
        ? null
        : fmt(intraday.dividedBy(lastdayValue).toDecimalPlaces(10, Dec.ROUND_HALF_EVEN)),
    current_price: view.currentPrice,
    lastday_price: view.lastdayPrice,
    change_today: view.changeToday,
    // Ours.
    realized_pl: view.realizedPl,
  };
}

/** An asset in Alpaca's names. */
export function assetWire(asset: Asset): Json {
  return {
    id: assetId(asset.symbol),
    class: asset.class,
    exchange: asset.exchange,
    symbol: asset.symbol,
    name: asset.name,
    status: 'active',
    tradable: asset.tradable,
    marginable: true,
    maintenance_margin_requirement: 30,
    margin_requirement_long: '30',
    margin_requirement_short: '100',
    shortable: asset.shortable,
    easy_to_borrow: asset.easyToBorrow,
    fractionable: asset.fractionable,
    attributes: asset.fractionable ? ['fractional_eh_enabled'] : [],
    // Ours.
    sector: asset.sector,
    simulated: asset.simulated,
  };
}

/** `/v2/clock`. */
export function clockWire(calendar: MarketCalendar, now: Date): Json {
  return {
    timestamp: now.toISOString(),
    is_open: calendar.phaseAt(now) === 'regular',
    next_open: calendar.nextOpen(now).toISOString(),
    next_close: calendar.nextClose(now).toISOString(),
  };
}

/** New York wall time of `at` on `date`, `HH:MM` (with `:`) or `HHMM` (without). */
function wallTime(date: string, at: Date, separator: string): string {
  const minutes = Math.round((at.getTime() - newYorkWallTime(date, 0).getTime()) / 60_000);
  const h = String(Math.floor(minutes / 60)).padStart(2, '0');
  const m = String(minutes % 60).padStart(2, '0');
  return `${h}${separator}${m}`;
}

/** One `/v2/calendar` day; `settlement_date` is T+1 (the next session). */
export function calendarDayWire(session: Session, calendar: MarketCalendar): Json {
  return {
    date: session.date,
    open: wallTime(session.date, session.open, ':'),
    close: wallTime(session.date, session.close, ':'),
    session_open: wallTime(session.date, session.preOpen, ''),
    session_close: wallTime(session.date, session.postClose, ''),
    settlement_date: calendar.sessionOnOrAfter(addDays(session.date, 1)).date,
  };
}

/** Alpaca's activity id: the transaction time (`YYYYMMDDHHmmssSSS`) and our fill id. */
export function activityId(fill: FillView): string {
  return `${fill.at.replace(/[-:TZ.]/g, '').slice(0, 17)}::${fill.id}`;
}

/** A `FILL` activity. */
export function fillActivityWire(fill: FillView): Json {
  return {
    id: activityId(fill),
    account_id: fill.accountId,
    activity_type: 'FILL',
    transaction_time: fill.at,
    type: fill.orderStatus === 'filled' ? 'fill' : 'partial_fill',
    price: fill.price,
    qty: fill.qty,
    side: fill.side,
    symbol: fill.symbol,
    leaves_qty: fill.leavesQty,
    order_id: fill.orderId,
    cum_qty: fill.cumulativeQty,
    order_status: fill.orderStatus,
    // Ours: what the fill cost, beside Alpaca's fields.
    commission: fill.commission,
    regulatory_fees: fill.regulatoryFees,
    net_amount: fill.cashDelta,
  };
}

/** Portfolio history: Alpaca's number arrays (the `/api/v1` body, which adds `exact`). */
export function historyWire(history: PortfolioHistory): Json {
  return { ...historyBody(history), cashflow: {} };
}

// ─── market data ────────────────────────────────────────────────────────────────────────────

/** A quote as Alpaca's market data writes it (prices and sizes are JSON numbers there). */
export function quoteWire(quote: Quote, asset: Asset | undefined): Json {
  const x = exchangeCode(asset);
  return {
    t: quote.time,
    ax: x,
    ap: Number(quote.ask),
    as: quote.askSize,
    bx: x,
    bp: Number(quote.bid),
    bs: quote.bidSize,
    c: ['R'],
    z: tape(asset),
  };
}

/**
 * The last trade of a quote. The simulated feed publishes no trade prints, so the trade is
 * the quote's last price with a round-lot size and the feed sequence as its id.
 */
export function tradeWire(quote: Quote, asset: Asset | undefined): Json {
  return {
    t: quote.time,
    x: exchangeCode(asset),
    p: Number(quote.last),
    s: 100,
    c: ['@'],
    i: quote.seq,
    z: tape(asset),
  };
}

export function barWire(bar: Bar): Json {
  return {
    t: bar.time,
    o: Number(bar.open),
    h: Number(bar.high),
    l: Number(bar.low),
    c: Number(bar.close),
    v: bar.volume,
    n: bar.tradeCount,
    vw: Number(bar.vwap),
  };
}
