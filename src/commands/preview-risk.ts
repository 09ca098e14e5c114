/**
 * Pre-trade risk of an order: the position and the portfolio as they would be once the order
 * is filled (at its limit, stop or the touch; at once when it fills at once), valued at the
 * portfolio's marks — concentration, gross and net exposure, leverage, buying power and margin
 * impact, the use of every account risk limit — and the findings that follow. Exact decimals
 * for money, ratios rounded to 4 places. An option order also reports what it can lose at
 * expiry (`domain/account/option-order-risk.ts`): `optionMaxLoss`, with `optionMaxLossUnbounded`
 * true for a naked short call, and the whole payoff in `optionRisk`.
 */
import { Dec } from '../domain/decimal.ts';
import {
  applyTrade,
  buyingPower,
  positionQty,
  type AccountState,
  type OrderRequest,
  type Position,
} from '../domain/account/index.ts';
import {
  PATTERN_DAY_TRADER_MAX_DAY_TRADES,
  PATTERN_DAY_TRADER_MIN_EQUITY,
} from '../domain/account/risk-limits.ts';
import { dayTradesSince, tradingDayFor } from '../domain/account/trading-day.ts';
import {
  dayResult,
  equityAtMarket,
  grossExposureAtMarket,
  markPrice,
  netExposureAtMarket,
  positionValue,
} from '../domain/account/valuation.ts';
import { multiplierOf } from '../domain/instrument.ts';
import {
  legTouch,
  optionOrderRisk,
  type OptionOrderRisk,
} from '../domain/account/option-order-risk.ts';
import type { MarketContext } from '../domain/market.ts';
import { dec, fmt, type DecimalString } from '../domain/money.ts';
import { tradingDateOf, weekdaysBefore } from '../domain/trading-day.ts';

/** A risk or information finding of a preview. */
export interface PreviewFinding {
  readonly severity: 'info' | 'warning' | 'rejection';
  readonly code: string;
  readonly message: string;
}

export interface LimitUse {
  readonly limit: string;
  readonly value: DecimalString;
  /** What the order leaves it at. */
  readonly after: DecimalString;
  /** after / value in percent. */
  readonly usedPercent: DecimalString;
}

/** The order's effect on risk, as if it were filled. */
export interface PreTradeRisk {
  /** The price the order is assumed to fill at (its fill, limit, stop, or the touch). */
  readonly assumedPrice: DecimalString | null;
  readonly position: {
    readonly symbol: string;
    readonly qtyBefore: DecimalString;
    readonly qtyAfter: DecimalString;
    readonly valueAfter: DecimalString;
    /** |value after| in percent of equity after. */
    readonly percentOfEquityAfter: DecimalString | null;
  };
  readonly portfolio: {
    readonly equityBefore: DecimalString;
    readonly equityAfter: DecimalString;
    readonly grossExposureBefore: DecimalString;
    readonly grossExposureAfter: DecimalString;
    readonly netExposureBefore: DecimalString;
    readonly netExposureAfter: DecimalString;
    /** Gross exposure / equity. */
    readonly leverageAfter: DecimalString | null;
    /** The largest |position| in percent of equity after. */
    readonly largestPositionPercentAfter: DecimalString | null;
    /** Σ (|value| / gross)² after. */
    readonly herfindahlAfter: DecimalString | null;
    readonly positionsAfter: number;
  };
  readonly margin: {
    readonly accountType: 'cash' | 'margin';
    readonly buyingPowerBefore: DecimalString;
    readonly buyingPowerAfter: DecimalString;
    /** Buying power the order uses (or frees, negative). */
    readonly buyingPowerUsed: DecimalString;
    /** Money borrowed after the fill: max(0, long value − equity) in a margin account. */
    readonly marginLoanAfter: DecimalString;
    /** Reg-T initial margin of the portfolio after: 50 % of gross exposure (margin accounts). */
    readonly initialMarginAfter: DecimalString;
  };
  readonly dayPnl: DecimalString;
  readonly dayTradesInWindow: number;
  readonly limits: readonly LimitUse[];
  /**
   * Worst loss at expiry of the option contracts the order opens, dollars (a positive amount;
   * "0" for an order that only closes). Null for a stock order, when the loss is unbounded
   * (`optionMaxLossUnbounded`), or when it is not known (legs on different expirations).
   */
  readonly optionMaxLoss: DecimalString | null;
  /** True only when the loss has no limit (a naked short call); null for a stock order. */
  readonly optionMaxLossUnbounded: boolean | null;
  /** The option order's payoff at expiry; null for a stock order. */
  readonly optionRisk: OptionOrderRisk | null;
}

const RATIO = 4;
const ratio = (a: Dec, b: Dec): DecimalString | null =>
  b.lte(0) ? null : fmt(a.dividedBy(b).times(100).toDecimalPlaces(RATIO));

/** The state as if `request` had filled completely at `price` (no charges). */
function assumeFilled(
  state: AccountState,
  request: Pick<OrderRequest, 'instrument' | 'side' | 'qty'>,
  symbol: string,
  price: Dec,
): AccountState {
  const qty = dec(request.qty);
  const signed = request.side === 'buy' ? qty : qty.negated();
  const trade = applyTrade(state.positions[symbol], request.instrument, signed, price);
  const m = multiplierOf(request.instrument);
  const { [symbol]: _old, ...others } = state.positions;
  const positions: Record<string, Position> = trade.qty.isZero()
    ? others
    : {
        ...others,
        [symbol]: {
          symbol,
          instrument: request.instrument,
          qty: fmt(trade.qty),
          costBasis: fmt(trade.costBasis),
          realizedPnl: state.positions[symbol]?.realizedPnl ?? '0',
        },
      };
  return { ...state, positions, cash: fmt(dec(state.cash).minus(signed.times(price).times(m))) };
}

/** What `after` (the decided state) would be once the rest of the order filled at `price`. */
export function preTradeRisk(input: {
  readonly before: AccountState;
  /** The state after the decision (with any immediate fill). */
  readonly after: AccountState;
  readonly request: OrderRequest;
  readonly symbol: string;
  /** The market the order was decided against, with the portfolio's marks. */
  readonly market: MarketContext;
  /** Shares the decision filled at once. */
  readonly filledQty: Dec;
  /** Price the rest is assumed to fill at; undefined when nothing tells (no quote). */
  readonly price: Dec | undefined;
  readonly accepted: boolean;
}): { risk: PreTradeRisk; findings: PreviewFinding[] } {
  const { before, request, symbol, market } = input;
  const legs = request.legs ?? [];
  const rest = dec(request.qty).minus(input.filledQty);
  let filledState = input.after;
  if (legs.length > 0) {
    // All or none: when the order rests, every leg is assumed filled at its touch.
    if (input.accepted && input.filledQty.isZero()) {
      const units = dec(request.qty);
      for (const leg of legs) {
        const touch = legTouch(market.optionQuotes?.[leg.instrument.occSymbol], leg.side);
        if (touch === undefined) {
          filledState = input.after;
          break;
        }
        filledState = assumeFilled(
          filledState,
          { instrument: leg.instrument, side: leg.side, qty: fmt(dec(leg.ratioQty).times(units)) },
          leg.instrument.occSymbol,
          touch,
        );
      }
    }
  } else if (input.accepted && rest.gt(0) && input.price !== undefined) {
    filledState = assumeFilled(input.after, { ...request, qty: fmt(rest) }, symbol, input.price);
  }
  const optionRisk = optionOrderRisk(before, request, market, input.price) ?? null;
  // Value the order's symbol at its mark (the price it trades at when there is none).
  const marks = { ...market.marks };
  const mark = markPrice(symbol, market) ?? input.price;
  if (mark !== undefined && marks[symbol] === undefined) marks[symbol] = { price: fmt(mark) };
  const valued: MarketContext = { ...market, marks };

  const equityBefore = equityAtMarket(before, valued);
  const equityAfter = equityAtMarket(filledState, valued);
  const grossBefore = grossExposureAtMarket(before, valued);
  const grossAfter = grossExposureAtMarket(filledState, valued);
  const netBefore = netExposureAtMarket(before, valued);
  const netAfter = netExposureAtMarket(filledState, valued);
  const positionAfter = filledState.positions[symbol];
  const valueAfter =
    positionAfter === undefined ? new Dec(0) : positionValue(positionAfter, valued);
  const values = Object.values(filledState.positions).map((p) => positionValue(p, valued).abs());
  const largest = values.reduce((m, v) => (v.gt(m) ? v : m), new Dec(0));
  const hhi = grossAfter.gt(0)
    ? values.reduce((s, v) => s.plus(v.dividedBy(grossAfter).pow(2)), new Dec(0))
    : undefined;
  const bpBefore = buyingPower(before);
  const bpAfter = buyingPower(input.after);
  const margin = before.settings.accountType === 'margin';
  const longAfter = Object.values(filledState.positions)
    .map((p) => positionValue(p, valued))
    .filter((v) => v.gt(0))
    .reduce((s, v) => s.plus(v), new Dec(0));
  const loan = margin && longAfter.gt(equityAfter) ? longAfter.minus(equityAfter) : new Dec(0);
  const day = dayResult(before, market);
  const today = tradingDateOf(market.now);
  const windowStart = market.dayTradeWindowStart ?? weekdaysBefore(today, 4);
  const dayTrades = dayTradesSince(before, windowStart);

  const l = before.settings.limits;
  const limits: LimitUse[] = [];
  const use = (name: string, value: DecimalString | null, after: Dec): void => {
    if (value === null) return;
    limits.push({
      limit: name,
      value,
      after: fmt(after.toDecimalPlaces(2)),
      usedPercent: ratio(after, dec(value)) ?? '0',
    });
  };
  const orderNotional =
    legs.length > 0
      ? optionRisk?.premium === null || optionRisk?.premium === undefined
        ? new Dec(0)
        : dec(optionRisk.premium).abs()
      : input.price === undefined
        ? new Dec(0)
        : dec(request.qty).times(input.price).times(multiplierOf(request.instrument));
  use('max_order_notional', l.maxOrderNotional, orderNotional);
  use('max_position_qty', l.maxPositionQty, positionQty(filledState, symbol).abs());
  use('max_gross_exposure', l.maxGrossExposure, grossAfter);
  use('max_net_exposure', l.maxNetExposure, netAfter.abs());
  use(
    'max_position_percent',
    l.maxPositionPercent,
    equityAfter.gt(0) ? valueAfter.abs().dividedBy(equityAfter).times(100) : new Dec(0),
  );
  use('max_daily_loss', l.maxDailyLoss, day.pnl.lt(0) ? day.pnl.negated() : new Dec(0));

  const risk: PreTradeRisk = {
    assumedPrice: input.price === undefined ? null : fmt(input.price),
    position: {
      symbol,
      qtyBefore: fmt(positionQty(before, symbol)),
      qtyAfter: fmt(positionQty(filledState, symbol)),
      valueAfter: fmt(valueAfter.toDecimalPlaces(2)),
      percentOfEquityAfter: ratio(valueAfter.abs(), equityAfter),
    },
    portfolio: {
      equityBefore: fmt(equityBefore.toDecimalPlaces(2)),
      equityAfter: fmt(equityAfter.toDecimalPlaces(2)),
      grossExposureBefore: fmt(grossBefore.toDecimalPlaces(2)),
      grossExposureAfter: fmt(grossAfter.toDecimalPlaces(2)),
      netExposureBefore: fmt(netBefore.toDecimalPlaces(2)),
      netExposureAfter: fmt(netAfter.toDecimalPlaces(2)),
      leverageAfter: equityAfter.gt(0)
        ? fmt(grossAfter.dividedBy(equityAfter).toDecimalPlaces(RATIO))
        : null,
      largestPositionPercentAfter: ratio(largest, equityAfter),
      herfindahlAfter: hhi === undefined ? null : fmt(hhi.toDecimalPlaces(RATIO)),
      positionsAfter: values.length,
    },
    margin: {
      accountType: before.settings.accountType,
      buyingPowerBefore: fmt(bpBefore),
      buyingPowerAfter: fmt(bpAfter),
      buyingPowerUsed: fmt(bpBefore.minus(bpAfter)),
      marginLoanAfter: fmt(loan.toDecimalPlaces(2)),
      initialMarginAfter: margin ? fmt(grossAfter.dividedBy(2).toDecimalPlaces(2)) : '0',
    },
    dayPnl: fmt(day.pnl.toDecimalPlaces(2)),
    dayTradesInWindow: dayTrades,
    limits,
    optionMaxLoss: optionRisk?.maxLoss ?? null,
    optionMaxLossUnbounded: optionRisk === null ? null : optionRisk.maxLossUnbounded,
    optionRisk,
  };
  return { risk, findings: findingsOf(risk, before, input, dayTrades, day.startEquity) };
}

/** Warnings and information a trader should read before sending the order. */
function findingsOf(
  risk: PreTradeRisk,
  before: AccountState,
  input: {
    readonly symbol: string;
    readonly market: MarketContext;
    readonly request: OrderRequest;
    readonly accepted: boolean;
  },
  dayTrades: number,
  startEquity: Dec,
): PreviewFinding[] {
  const out: PreviewFinding[] = [];
  if (!input.accepted) return out;
  const pct = risk.position.percentOfEquityAfter;
  if (pct !== null && dec(pct).gt(25)) {
    out.push({
      severity: 'warning',
      code: 'concentration',
      message: `${input.symbol} would be ${pct} % of equity after the order (over 25 %).`,
    });
  }
  for (const l of risk.limits) {
    const used = dec(l.usedPercent);
    if (used.gte(80) && used.lte(100)) {
      out.push({
        severity: 'warning',
        code: 'limit_nearly_reached',
        message: `The order brings ${l.limit} to ${l.usedPercent} % of its ${l.value} limit.`,
      });
    }
  }
  const leverage = risk.portfolio.leverageAfter;
  if (leverage !== null && dec(leverage).gt(1)) {
    out.push({
      severity: 'warning',
      code: 'leverage',
      message: `Gross exposure would be ${leverage}× equity (margin loan ${risk.margin.marginLoanAfter}).`,
    });
  }
  const qtyBefore = dec(risk.position.qtyBefore);
  const qtyAfter = dec(risk.position.qtyAfter);
  const option = risk.optionRisk;
  if (option !== null) {
    out.push({
      severity: option.maxLossUnbounded ? 'warning' : 'info',
      code: option.maxLossUnbounded ? 'unlimited_loss' : 'option_max_loss',
      message: option.explanation,
    });
  } else if (qtyAfter.lt(0) && qtyAfter.lt(qtyBefore)) {
    out.push({
      severity: 'info',
      code: 'short_sale',
      message:
        'The order opens or adds to a short position: losses grow if the price rises, without limit.',
    });
  }
  const closesToday =
    ((input.request.side === 'sell' && qtyBefore.gt(0)) ||
      (input.request.side === 'buy' && qtyBefore.lt(0))) &&
    tradingDayFor(before, tradingDateOf(input.market.now)).opened.includes(input.symbol);
  if (closesToday && before.settings.accountType === 'margin') {
    out.push({
      severity:
        dayTrades + 1 > PATTERN_DAY_TRADER_MAX_DAY_TRADES &&
        startEquity.lt(PATTERN_DAY_TRADER_MIN_EQUITY)
          ? 'warning'
          : 'info',
      code: 'day_trade',
      message: `This closes a position opened today: day trade ${String(dayTrades + 1)} in five sessions${startEquity.lt(PATTERN_DAY_TRADER_MIN_EQUITY) ? ' (under $25,000 equity the pattern-day-trader rule allows 3)' : ''}.`,
    });
  }
  if (dec(risk.dayPnl).lt(0) && before.settings.limits.maxDailyLoss !== null) {
    out.push({
      severity: 'info',
      code: 'daily_loss',
      message: `The day's P&L is ${risk.dayPnl}; the daily loss limit is ${before.settings.limits.maxDailyLoss}.`,
    });
  }
  return out;
}
