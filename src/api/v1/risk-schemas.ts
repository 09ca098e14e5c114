/**
 * Wire shapes of pre-trade risk (the `risk` block of an order preview), portfolio risk and
 * the risk-limit settings, with their serializers. Money is exact decimal strings; analytics
 * (VaR, volatility, correlations) are numbers.
 */
import { z } from 'zod';
import {
  riskLimitsWire,
  type GreekTotals,
  type PortfolioRiskReport,
} from '../../commands/portfolio-risk.ts';
import type { PreTradeRisk } from '../../commands/preview-risk.ts';
import type { RiskLimits } from '../../domain/account/index.ts';

const Decimal = z
  .string()
  .meta({ description: 'An exact decimal number as a string', example: '190.25' });
const NullableDecimal = Decimal.nullable();

/** The option order's payoff at expiry (the `option_risk` block of a preview). */
export const OptionOrderRiskSchema = z
  .object({
    strategy: z.string().meta({ description: 'Recognized strategy, e.g. put_credit_spread' }),
    label: z.string(),
    opening_contracts: z
      .array(z.object({ symbol: z.string(), qty: Decimal }))
      .meta({ description: 'Contracts the order opens, signed (+ long, − short)' }),
    closing_contracts: Decimal.meta({
      description: 'Contracts of the order that close a position already held (no new risk)',
    }),
    premium: NullableDecimal.meta({
      description: 'Premium of the opening part, dollars: positive paid, negative received',
    }),
    max_loss: NullableDecimal.meta({
      description:
        'Worst loss at expiry, dollars (positive). Null when unbounded (see max_loss_unbounded) or not known',
    }),
    max_loss_unbounded: z.boolean(),
    max_profit: NullableDecimal,
    max_profit_unbounded: z.boolean(),
    breakevens: z.array(Decimal).meta({ description: 'Underlying prices at expiry' }),
    explanation: z.string(),
  })
  .meta({ id: 'OptionOrderRisk' });

/** The wire form of an option order's risk (shared with the MCP preview). */
export function optionOrderRiskBody(
  o: NonNullable<PreTradeRisk['optionRisk']>,
): z.infer<typeof OptionOrderRiskSchema> {
  return {
    strategy: o.strategy,
    label: o.label,
    opening_contracts: o.openingContracts.map((c) => ({ symbol: c.symbol, qty: c.qty })),
    closing_contracts: o.closingContracts,
    premium: o.premium,
    max_loss: o.maxLoss,
    max_loss_unbounded: o.maxLossUnbounded,
    max_profit: o.maxProfit,
    max_profit_unbounded: o.maxProfitUnbounded,
    breakevens: [...o.breakevens],
    explanation: o.explanation,
  };
}

export const PreTradeRiskSchema = z
  .object({
    assumed_price: NullableDecimal.meta({
      description: 'The price the order is assumed to fill at',
    }),
    position: z.object({
      symbol: z.string(),
      qty_before: Decimal,
      qty_after: Decimal,
      value_after: Decimal,
      percent_of_equity_after: NullableDecimal,
    }),
    portfolio: z.object({
      equity_before: Decimal,
      equity_after: Decimal,
      gross_exposure_before: Decimal,
      gross_exposure_after: Decimal,
      net_exposure_before: Decimal,
      net_exposure_after: Decimal,
      leverage_after: NullableDecimal.meta({ description: 'Gross exposure / equity' }),
      largest_position_percent_after: NullableDecimal,
      herfindahl_after: NullableDecimal.meta({ description: 'Σ (|value| / gross)²' }),
      positions_after: z.number().int(),
    }),
    margin: z.object({
      account_type: z.enum(['cash', 'margin']),
      buying_power_before: Decimal,
      buying_power_after: Decimal,
      buying_power_used: Decimal,
      margin_loan_after: Decimal,
      initial_margin_after: Decimal.meta({ description: 'Reg-T 50 % of gross exposure' }),
    }),
    day_pnl: Decimal,
    day_trades_in_window: z.number().int(),
    limits: z.array(
      z.object({ limit: z.string(), value: Decimal, after: Decimal, used_percent: Decimal }),
    ),
    option_max_loss: NullableDecimal.meta({
      description:
        'Worst loss at expiry of the option contracts the order opens, dollars ("0" when it only closes). Null for a stock order, when unbounded (option_max_loss_unbounded true: a naked short call), or when not known (legs on different expirations)',
    }),
    option_max_loss_unbounded: z.boolean().nullable().meta({
      description: 'True when the option order can lose without limit; null for a stock order',
    }),
    option_risk: OptionOrderRiskSchema.nullable().meta({
      description: 'The option order’s payoff at expiry; null for a stock order',
    }),
  })
  .meta({ id: 'PreTradeRisk', description: 'The position and portfolio once the order is filled' });

export function preTradeRiskBody(r: PreTradeRisk): z.infer<typeof PreTradeRiskSchema> {
  return {
    assumed_price: r.assumedPrice,
    position: {
      symbol: r.position.symbol,
      qty_before: r.position.qtyBefore,
      qty_after: r.position.qtyAfter,
      value_after: r.position.valueAfter,
      percent_of_equity_after: r.position.percentOfEquityAfter,
    },
    portfolio: {
      equity_before: r.portfolio.equityBefore,
      equity_after: r.portfolio.equityAfter,
      gross_exposure_before: r.portfolio.grossExposureBefore,
      gross_exposure_after: r.portfolio.grossExposureAfter,
      net_exposure_before: r.portfolio.netExposureBefore,
      net_exposure_after: r.portfolio.netExposureAfter,
      leverage_after: r.portfolio.leverageAfter,
      largest_position_percent_after: r.portfolio.largestPositionPercentAfter,
      herfindahl_after: r.portfolio.herfindahlAfter,
      positions_after: r.portfolio.positionsAfter,
    },
    margin: {
      account_type: r.margin.accountType,
      buying_power_before: r.margin.buyingPowerBefore,
      buying_power_after: r.margin.buyingPowerAfter,
      buying_power_used: r.margin.buyingPowerUsed,
      margin_loan_after: r.margin.marginLoanAfter,
      initial_margin_after: r.margin.initialMarginAfter,
    },
    day_pnl: r.dayPnl,
    day_trades_in_window: r.dayTradesInWindow,
    limits: r.limits.map((l) => ({
      limit: l.limit,
      value: l.value,
      after: l.after,
      used_percent: l.usedPercent,
    })),
    option_max_loss: r.optionMaxLoss,
    option_max_loss_unbounded: r.optionMaxLossUnbounded,
    option_risk: r.optionRisk === null ? null : optionOrderRiskBody(r.optionRisk),
  };
}

const greekFields = {
  delta: z.number().describe('Share-equivalent delta: shares of the underlying'),
  delta_dollars: z.number().describe('Delta × underlying price, dollars'),
  gamma: z.number().describe('Change of the share delta per $1 move of the underlying'),
  theta_per_day: z.number().describe('Dollars gained (+) or lost (−) per calendar day'),
  vega: z.number().describe('Dollars per volatility point (1 % of IV)'),
  rho: z.number().describe('Dollars per percentage point of the rate'),
};

/** Net greeks of the option positions (shared with the MCP `portfolio_risk` tool). */
export const OptionGreeksSchema = z
  .object({
    ...greekFields,
    positions: z.number().int().describe('Open option positions'),
    unpriced: z.array(z.string()).describe('Positions without a quote now, left out'),
    by_underlying: z.array(
      z.object({
        underlying: z.string(),
        underlying_price: z.number().nullable(),
        positions: z.number().int(),
        ...greekFields,
        delta_with_shares: z.number().describe('Option delta plus the shares held'),
      }),
    ),
  })
  .describe(
    'Net greeks of the open option positions: per-share BSM greek × signed contracts × 100; null without option positions',
  );

export function optionGreeksBody(
  g: NonNullable<PortfolioRiskReport['optionGreeks']>,
): z.infer<typeof OptionGreeksSchema> {
  const fields = (t: GreekTotals): z.infer<z.ZodObject<typeof greekFields>> => ({
    delta: t.delta,
    delta_dollars: t.deltaDollars,
    gamma: t.gamma,
    theta_per_day: t.thetaPerDay,
    vega: t.vega,
    rho: t.rho,
  });
  return {
    ...fields(g),
    positions: g.positions,
    unpriced: [...g.unpriced],
    by_underlying: g.byUnderlying.map((u) => ({
      underlying: u.underlying,
      underlying_price: u.underlyingPrice,
      positions: u.positions,
      ...fields(u),
      delta_with_shares: u.deltaWithShares,
    })),
  };
}

const VarFigure = z.object({
  confidence: z.number(),
  horizon_days: z.number().int(),
  value_at_risk: z.number().meta({ description: 'Dollars, positive' }),
  expected_shortfall: z.number(),
});

export const PortfolioRiskSchema = z
  .object({
    account_id: z.string(),
    as_of: z.string(),
    benchmark: z.string(),
    lookback_days: z.number().int(),
    observations: z.number().int().meta({ description: 'Daily returns used' }),
    from: z.string().nullable(),
    to: z.string().nullable(),
    equity: z.number(),
    long_value: z.number(),
    short_value: z.number(),
    gross_exposure: z.number(),
    net_exposure: z.number(),
    var_historical: z.array(VarFigure),
    var_parametric: z.array(VarFigure),
    volatility_annualized: z.number().nullable(),
    daily_pnl_std_dev: z.number().nullable(),
    beta: z.number().nullable(),
    correlation: z.object({
      symbols: z.array(z.string()),
      matrix: z.array(z.array(z.number().nullable())),
    }),
    asset_volatility: z.record(z.string(), z.number().nullable()),
    herfindahl: z.number().nullable(),
    effective_positions: z.number().nullable(),
    largest_weight: z.number().nullable(),
    sectors: z.array(
      z.object({
        sector: z.string(),
        long: z.number(),
        short: z.number(),
        net: z.number(),
        gross: z.number(),
        weight: z.number(),
      }),
    ),
    positions: z.array(
      z.object({
        symbol: z.string(),
        qty: Decimal,
        market_value: z.number(),
        weight: z.number(),
        sector: z.string(),
      }),
    ),
    option_greeks: OptionGreeksSchema.nullable(),
    warnings: z.array(z.string()),
    simulated: z.boolean(),
  })
  .meta({ id: 'PortfolioRisk' });

const varBody = (f: PortfolioRiskReport['historical'][number]): z.infer<typeof VarFigure> => ({
  confidence: f.confidence,
  horizon_days: f.horizonDays,
  value_at_risk: f.valueAtRisk,
  expected_shortfall: f.expectedShortfall,
});

export function portfolioRiskBody(r: PortfolioRiskReport): z.infer<typeof PortfolioRiskSchema> {
  return {
    account_id: r.accountId,
    as_of: r.asOf,
    benchmark: r.benchmark,
    lookback_days: r.lookbackDays,
    observations: r.observations,
    from: r.from,
    to: r.to,
    equity: r.equity,
    long_value: r.longValue,
    short_value: r.shortValue,
    gross_exposure: r.grossExposure,
    net_exposure: r.netExposure,
    var_historical: r.historical.map(varBody),
    var_parametric: r.parametric.map(varBody),
    volatility_annualized: r.volatility,
    daily_pnl_std_dev: r.dailyPnlStdDev,
    beta: r.beta,
    correlation: {
      symbols: [...r.correlation.symbols],
      matrix: r.correlation.matrix.map((row) => [...row]),
    },
    asset_volatility: { ...r.assetVolatility },
    herfindahl: r.herfindahl,
    effective_positions: r.effectivePositions,
    largest_weight: r.largestWeight,
    sectors: r.sectors.map((s) => ({ ...s })),
    positions: r.positions.map((p) => ({
      symbol: p.symbol,
      qty: p.qty,
      market_value: p.marketValue,
      weight: p.weight,
      sector: p.sector,
    })),
    option_greeks: r.optionGreeks === null ? null : optionGreeksBody(r.optionGreeks),
    warnings: [...r.warnings],
    simulated: r.simulated,
  };
}

const limitField = (description: string) => NullableDecimal.meta({ description });

export const RiskLimitsSchema = z
  .object({
    max_position_qty: limitField('Largest |position| per symbol, shares'),
    max_order_notional: limitField('Largest value of one order, dollars'),
    max_gross_exposure: limitField('Largest Σ |position| at cost plus the order, dollars'),
    max_position_percent: limitField('Largest position in percent of equity (0 < x ≤ 100)'),
    max_net_exposure: limitField('Largest |long − short| at market, dollars'),
    max_daily_loss: limitField(
      'Largest loss of a trading day, dollars: then opening orders are refused until the next day',
    ),
    pattern_day_trader_rule: z.boolean().meta({
      description: 'Refuse a 4th day trade in five sessions under $25,000 (margin accounts)',
    }),
  })
  .meta({ id: 'RiskLimits' });

const patchField = (description: string) =>
  z
    .union([
      z.string().regex(/^\d+(\.\d+)?$/, 'A positive decimal such as "25000" or "12.5"'),
      z.number().positive(),
    ])
    .transform((v) => String(v))
    .nullable()
    .optional()
    .meta({ description: `${description}; null removes the limit` });

/** PUT body: any subset; `null` removes a limit. */
export const RiskLimitsPatch = z
  .object({
    max_position_qty: patchField('Largest |position| per symbol, shares'),
    max_order_notional: patchField('Largest value of one order, dollars'),
    max_gross_exposure: patchField('Largest Σ |position| at cost plus the order, dollars'),
    max_position_percent: patchField('Largest position in percent of equity (0 < x ≤ 100)'),
    max_net_exposure: patchField('Largest |long − short| at market, dollars'),
    max_daily_loss: patchField('Largest loss of a trading day, dollars'),
    pattern_day_trader_rule: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'RiskLimitsPatch' });

/** The limits on the wire (the same shape `risk_limits` answers over MCP). */
export const riskLimitsBody = (l: RiskLimits): z.infer<typeof RiskLimitsSchema> =>
  riskLimitsWire(l);

/** The domain patch of a validated PUT body. */
export function riskLimitsPatchOf(body: z.infer<typeof RiskLimitsPatch>): Partial<RiskLimits> {
  const patch: { -readonly [K in keyof RiskLimits]?: RiskLimits[K] } = {};
  if (body.max_position_qty !== undefined) patch.maxPositionQty = body.max_position_qty;
  if (body.max_order_notional !== undefined) patch.maxOrderNotional = body.max_order_notional;
  if (body.max_gross_exposure !== undefined) patch.maxGrossExposure = body.max_gross_exposure;
  if (body.max_position_percent !== undefined) patch.maxPositionPercent = body.max_position_percent;
  if (body.max_net_exposure !== undefined) patch.maxNetExposure = body.max_net_exposure;
  if (body.max_daily_loss !== undefined) patch.maxDailyLoss = body.max_daily_loss;
  if (body.pattern_day_trader_rule !== undefined)
    patch.patternDayTraderRule = body.pattern_day_trader_rule;
  return patch;
}

/** The `risk` block of the preview example (a 19-share AAPL buy in a fresh 100,000 account). */
export const preTradeRiskExample: z.infer<typeof PreTradeRiskSchema> = {
  assumed_price: null,
  position: {
    symbol: 'AAPL',
    qty_before: '0',
    qty_after: '19',
    value_after: '1902.31',
    percent_of_equity_after: '1.9023',
  },
  portfolio: {
    equity_before: '100000',
    equity_after: '99999.81',
    gross_exposure_before: '0',
    gross_exposure_after: '1902.31',
    net_exposure_before: '0',
    net_exposure_after: '1902.31',
    leverage_after: '0.019',
    largest_position_percent_after: '1.9023',
    herfindahl_after: '1',
    positions_after: 1,
  },
  margin: {
    account_type: 'cash',
    buying_power_before: '100000',
    buying_power_after: '98097.5',
    buying_power_used: '1902.5',
    margin_loan_after: '0',
    initial_margin_after: '0',
  },
  day_pnl: '0',
  day_trades_in_window: 0,
  limits: [],
  option_max_loss: null,
  option_max_loss_unbounded: null,
  option_risk: null,
};
