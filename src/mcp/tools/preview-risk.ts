/**
 * The pre-trade risk block of `preview_order`: the position and portfolio once the order is
 * filled, margin impact and limit use, in the tools' snake_case, and one sentence of it.
 */
import * as z from 'zod';
import { optionOrderRiskBody } from '../../api/v1/risk-schemas.ts';
import type { PreTradeRisk, PreviewFinding } from '../../commands/trading.ts';

export const previewRiskOut = z
  .object({
    assumed_price: z.string().nullable().describe('Price the order is assumed to fill at'),
    position_after: z.object({
      symbol: z.string(),
      quantity_before: z.string(),
      quantity_after: z.string(),
      value_after: z.string(),
      percent_of_equity_after: z.string().nullable(),
    }),
    portfolio_after: z.object({
      equity: z.string(),
      gross_exposure: z.string(),
      net_exposure: z.string(),
      leverage: z.string().nullable().describe('Gross exposure / equity'),
      largest_position_percent: z.string().nullable(),
      herfindahl: z.string().nullable(),
      positions: z.number().int(),
    }),
    margin: z.object({
      account_type: z.enum(['cash', 'margin']),
      buying_power_used: z.string(),
      margin_loan_after: z.string(),
      initial_margin_after: z.string(),
    }),
    day_pnl: z.string(),
    day_trades_in_window: z.number().int(),
    limits: z.array(
      z.object({
        limit: z.string(),
        value: z.string(),
        after: z.string(),
        used_percent: z.string(),
      }),
    ),
    option_max_loss: z
      .string()
      .nullable()
      .describe(
        'Option orders: worst loss at expiry in dollars ("0" if it only closes). Null for a stock order, when UNBOUNDED (option_max_loss_unbounded true), or when not known',
      ),
    option_max_loss_unbounded: z
      .boolean()
      .nullable()
      .describe('True when the option order can lose without limit (a naked short call)'),
    option_risk: z
      .object({
        strategy: z.string(),
        label: z.string(),
        opening_contracts: z.array(z.object({ symbol: z.string(), qty: z.string() })),
        closing_contracts: z.string(),
        premium: z.string().nullable().describe('Positive paid, negative received'),
        max_loss: z.string().nullable(),
        max_loss_unbounded: z.boolean(),
        max_profit: z.string().nullable(),
        max_profit_unbounded: z.boolean(),
        breakevens: z.array(z.string()),
        explanation: z.string(),
      })
      .nullable()
      .describe('The option order’s payoff at expiry; null for a stock order'),
  })
  .describe('The order’s risk once filled');

export function previewRiskFrom(r: PreTradeRisk): z.infer<typeof previewRiskOut> {
  return {
    assumed_price: r.assumedPrice,
    position_after: {
      symbol: r.position.symbol,
      quantity_before: r.position.qtyBefore,
      quantity_after: r.position.qtyAfter,
      value_after: r.position.valueAfter,
      percent_of_equity_after: r.position.percentOfEquityAfter,
    },
    portfolio_after: {
      equity: r.portfolio.equityAfter,
      gross_exposure: r.portfolio.grossExposureAfter,
      net_exposure: r.portfolio.netExposureAfter,
      leverage: r.portfolio.leverageAfter,
      largest_position_percent: r.portfolio.largestPositionPercentAfter,
      herfindahl: r.portfolio.herfindahlAfter,
      positions: r.portfolio.positionsAfter,
    },
    margin: {
      account_type: r.margin.accountType,
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

/** `Once filled: 200 NVDA = 36.1 % of equity; gross 62,000, net 62,000, leverage 0.62×. Findings: …`. */
export function previewRiskSentence(r: PreTradeRisk, findings: readonly PreviewFinding[]): string {
  const p = r.position;
  const notes = findings
    .filter((f) => f.severity !== 'rejection')
    .map((f) => `${f.code}: ${f.message}`);
  return (
    `Once filled: ${p.qtyAfter} ${p.symbol} worth ${p.valueAfter}${p.percentOfEquityAfter === null ? '' : ` = ${p.percentOfEquityAfter} % of equity`}; ` +
    `gross exposure ${r.portfolio.grossExposureBefore} → ${r.portfolio.grossExposureAfter}, net ${r.portfolio.netExposureAfter}` +
    `${r.portfolio.leverageAfter === null ? '' : `, leverage ${r.portfolio.leverageAfter}×`}.` +
    (r.optionRisk === null
      ? ''
      : r.optionMaxLossUnbounded === true
        ? ' Option max loss: UNLIMITED.'
        : ` Option max loss: ${r.optionMaxLoss ?? 'not known'}.`) +
    (r.limits.length === 0
      ? ''
      : ` Limits: ${r.limits.map((l) => `${l.limit} ${l.usedPercent} % used`).join(', ')}.`) +
    (notes.length === 0 ? ' No risk findings.' : ` Findings: ${notes.join(' ')}`)
  );
}
