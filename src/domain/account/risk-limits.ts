import { Dec } from '../decimal.ts';
import { DomainError } from '../errors.ts';
import { multiplierOf } from '../instrument.ts';
import type { MarketContext } from '../market.ts';
import { dec } from '../money.ts';
import type { RejectionReason } from '../rejections.ts';
import { tradingDateOf, weekdaysBefore } from '../trading-day.ts';
import type { Order } from './order.ts';
import type { RiskLimits } from './settings.ts';
import { grossExposure, type AccountState } from './state.ts';
import { dayTradesSince, tradingDayFor } from './trading-day.ts';
import { dayResult, equityAtMarket, markPrice, netExposureAtMarket } from './valuation.ts';

/** Equity below which a margin account may not make a 4th day trade in five sessions (FINRA 4210). */
export const PATTERN_DAY_TRADER_MIN_EQUITY = new Dec(25_000);
/** Day trades allowed within five sessions below that equity. */
export const PATTERN_DAY_TRADER_MAX_DAY_TRADES = 3;
/** Sessions the rule looks back over, today included. */
export const PATTERN_DAY_TRADER_WINDOW = 5;

/** What the limits need to know about one order. */
export interface RiskCheck {
  readonly order: Order;
  readonly state: AccountState;
  readonly market: MarketContext;
  /** True when the order adds exposure (not a sell of held shares, not a buy to cover). */
  readonly opens: boolean;
  /** Signed position in the order's symbol before it. */
  readonly position: Dec;
  /** Estimated per-unit price (limit, stop or touch); undefined when nothing tells. */
  readonly estimate: Dec | undefined;
}

/**
 * The account's risk limits (`settings.limits`) against one order, in this order: per-order
 * notional, position quantity, gross exposure at cost, daily loss, position as % of equity,
 * net exposure, pattern-day-trader rule. Orders that only reduce a position pass every limit
 * but the pattern-day-trader rule (a day trade is made by its closing order). Returns the
 * first rejection reason, or undefined.
 */
export function riskLimitViolation(check: RiskCheck): RejectionReason | undefined {
  const { order, state, market, opens, position, estimate } = check;
  const limits = state.settings.limits;
  const m = multiplierOf(order.instrument);
  const qty = dec(order.qty);
  const signedQty = order.side === 'buy' ? qty : qty.negated();
  const price = estimate ?? markPrice(order.symbol, market);
  const notional = price === undefined ? undefined : qty.times(price).times(m);
  const after = position.plus(signedQty);
  const grows = after.abs().gt(position.abs());

  if (
    limits.maxOrderNotional !== null &&
    notional !== undefined &&
    notional.gt(dec(limits.maxOrderNotional))
  ) {
    return 'order_notional_limit_exceeded';
  }
  if (limits.maxPositionQty !== null && grows && after.abs().gt(dec(limits.maxPositionQty))) {
    return 'position_limit_exceeded';
  }
  if (limits.maxGrossExposure !== null && opens && notional !== undefined) {
    if (grossExposure(state).plus(notional).gt(dec(limits.maxGrossExposure))) {
      return 'exposure_limit_exceeded';
    }
  }
  if (limits.maxDailyLoss !== null && opens) {
    const day = dayResult(state, market);
    if (day.lossLimitReached || day.pnl.lte(dec(limits.maxDailyLoss).negated())) {
      return 'daily_loss_limit_reached';
    }
  }
  if (limits.maxPositionPercent !== null && grows && price !== undefined) {
    const equity = equityAtMarket(state, market);
    const value = after.abs().times(price).times(m);
    if (equity.lte(0) || value.times(100).gt(equity.times(dec(limits.maxPositionPercent)))) {
      return 'position_percent_limit_exceeded';
    }
  }
  if (limits.maxNetExposure !== null && notional !== undefined) {
    const net = netExposureAtMarket(state, market);
    const netAfter = net.plus(order.side === 'buy' ? notional : notional.negated());
    if (netAfter.abs().gt(net.abs()) && netAfter.abs().gt(dec(limits.maxNetExposure))) {
      return 'net_exposure_limit_exceeded';
    }
  }
  if (limits.patternDayTraderRule && state.settings.accountType === 'margin') {
    if (wouldDayTradeOverLimit(check)) return 'pattern_day_trader';
  }
  return undefined;
}

/**
 * True when the order closes (part of) a position opened today — a day trade — and the
 * account already made the allowed number of day trades in the window with less than
 * $25,000 of equity at the previous close.
 */
function wouldDayTradeOverLimit({ order, state, market, position }: RiskCheck): boolean {
  const closes = order.side === 'sell' ? position.gt(0) : position.lt(0);
  if (!closes) return false;
  const today = tradingDateOf(market.now);
  if (!tradingDayFor(state, today).opened.includes(order.symbol)) return false;
  const from = market.dayTradeWindowStart ?? weekdaysBefore(today, PATTERN_DAY_TRADER_WINDOW - 1);
  if (dayTradesSince(state, from) < PATTERN_DAY_TRADER_MAX_DAY_TRADES) return false;
  return dayResult(state, market).startEquity.lt(PATTERN_DAY_TRADER_MIN_EQUITY);
}

/**
 * Rejects limits that make no sense: every amount positive, the percentage within (0, 100].
 * Throws `DomainError('invalid_value')` naming the setting.
 */
export function checkRiskLimitSettings(limits: RiskLimits): void {
  const positive = (value: string | null, field: string, max?: number): void => {
    if (value === null) return;
    let parsed: Dec;
    try {
      parsed = dec(value);
    } catch {
      throw new DomainError('invalid_value', `${field} must be a decimal`, field);
    }
    if (parsed.lte(0) || (max !== undefined && parsed.gt(max))) {
      throw new DomainError('invalid_value', `${field} is out of range: ${value}`, field);
    }
  };
  positive(limits.maxPositionQty, 'settings.limits.maxPositionQty');
  positive(limits.maxOrderNotional, 'settings.limits.maxOrderNotional');
  positive(limits.maxGrossExposure, 'settings.limits.maxGrossExposure');
  positive(limits.maxPositionPercent, 'settings.limits.maxPositionPercent', 100);
  positive(limits.maxNetExposure, 'settings.limits.maxNetExposure');
  positive(limits.maxDailyLoss, 'settings.limits.maxDailyLoss');
  if (typeof limits.patternDayTraderRule !== 'boolean') {
    throw new DomainError(
      'invalid_value',
      'settings.limits.patternDayTraderRule must be true or false',
      'settings.limits.patternDayTraderRule',
    );
  }
}
