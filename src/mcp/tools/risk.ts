/**
 * Risk tools: the portfolio's value at risk and risk metrics (`portfolio_risk`), and the
 * account's risk limits, read and set (`risk_limits`) — which the decider then enforces on
 * every order with a reason code.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { OptionGreeksSchema, optionGreeksBody } from '../../api/v1/risk-schemas.ts';
import { riskLimitsWire } from '../../commands/portfolio-risk.ts';
import type { RiskLimits } from '../../domain/account/index.ts';
import { accountIdArg, booleanArg, integerArg, numberArg, ARGUMENT_HINTS } from '../args.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog } from '../tool.ts';

const money = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

const limitsOut = z.object({
  max_position_qty: z.string().nullable().describe('Largest |position| per symbol, shares'),
  max_order_notional: z.string().nullable().describe('Largest value of one order, dollars'),
  max_gross_exposure: z.string().nullable().describe('Largest Σ |position| at cost plus the order'),
  max_position_percent: z.string().nullable().describe('Largest position, percent of equity'),
  max_net_exposure: z.string().nullable().describe('Largest |long − short| at market, dollars'),
  max_daily_loss: z.string().nullable().describe('Largest loss of a trading day, dollars'),
  pattern_day_trader_rule: z.boolean(),
});

const limitsFrom = (l: RiskLimits): z.infer<typeof limitsOut> => riskLimitsWire(l);

function limitsSentence(l: z.infer<typeof limitsOut>): string {
  const set = [
    l.max_order_notional === null ? null : `orders ≤ $${l.max_order_notional}`,
    l.max_position_qty === null ? null : `positions ≤ ${l.max_position_qty} shares`,
    l.max_position_percent === null ? null : `positions ≤ ${l.max_position_percent} % of equity`,
    l.max_gross_exposure === null ? null : `gross exposure ≤ $${l.max_gross_exposure}`,
    l.max_net_exposure === null ? null : `net exposure ≤ $${l.max_net_exposure}`,
    l.max_daily_loss === null ? null : `daily loss ≤ $${l.max_daily_loss}`,
    l.pattern_day_trader_rule ? 'pattern-day-trader rule on' : null,
  ].filter((x): x is string => x !== null);
  return set.length === 0 ? 'no risk limits set' : set.join(', ');
}

/** A limit amount: a positive number, or "none"/0/null to remove it. */
const limitArg = (name: string, description: string) =>
  z
    .union([numberArg(name, 0, 1e13, description), z.literal('none'), z.literal('off')])
    .optional()
    .meta({ description: `Optional: ${description} Pass "none" to remove the limit.` });

/** Registers the risk tools. */
export function registerRiskTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  registerTool(server, session, catalog, {
    name: 'portfolio_risk',
    title: 'Portfolio risk (VaR)',
    group: 'risk',
    description:
      'Measure the risk of your current positions from their (simulated, split-adjusted) daily price history: value at risk at 95 % and 99 % over 1 and 10 days by historical simulation ' +
      'and by the variance–covariance method, expected shortfall, annualized volatility, beta to SPY, the correlation matrix of your holdings, concentration (Herfindahl, effective ' +
      'number of positions), exposure by sector, and the net greeks of your option positions (delta in shares and dollars, gamma, theta in $/day, vega in $ per vol point; per underlying and in total, null without options). ' +
      'VaR is the loss not exceeded with that confidence. Example: {} or {"lookback_days": 252}.',
    input: z.strictObject({
      account_id: accountIdArg,
      lookback_days: integerArg(
        'lookback_days',
        20,
        1260,
        `Optional: ${ARGUMENT_HINTS.lookback_days ?? ''}.`,
      ).optional(),
    }),
    output: {
      account_id: z.string(),
      equity: z.number(),
      gross_exposure: z.number(),
      net_exposure: z.number(),
      observations: z.number().int().describe('Daily returns used'),
      var: z.array(
        z.object({
          method: z.enum(['historical', 'parametric']),
          confidence: z.number(),
          horizon_days: z.number().int(),
          value_at_risk: z.number(),
          expected_shortfall: z.number(),
          percent_of_equity: z.number().nullable(),
        }),
      ),
      volatility_annualized: z.number().nullable(),
      beta: z.number().nullable(),
      correlation: z.object({
        symbols: z.array(z.string()),
        matrix: z.array(z.array(z.number().nullable())),
      }),
      herfindahl: z.number().nullable(),
      effective_positions: z.number().nullable(),
      sectors: z.array(
        z.object({ sector: z.string(), net: z.number(), gross: z.number(), weight: z.number() }),
      ),
      positions: z.array(
        z.object({
          symbol: z.string(),
          market_value: z.number(),
          weight: z.number(),
          sector: z.string(),
        }),
      ),
      option_greeks: OptionGreeksSchema.nullable(),
      warnings: z.array(z.string()),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      await session.readable();
      const r = await session.deps.risk.portfolioRisk(session.principal, accountId, {
        ...(args.lookback_days === undefined ? {} : { lookbackDays: args.lookback_days }),
      });
      const pct = (x: number): number | null =>
        r.equity > 0 ? Math.round((10_000 * x) / r.equity) / 100 : null;
      const varRows = [
        ...r.historical.map((f) => ({ method: 'historical' as const, ...f })),
        ...r.parametric.map((f) => ({ method: 'parametric' as const, ...f })),
      ].map((f) => ({
        method: f.method,
        confidence: f.confidence,
        horizon_days: f.horizonDays,
        value_at_risk: Math.round(f.valueAtRisk * 100) / 100,
        expected_shortfall: Math.round(f.expectedShortfall * 100) / 100,
        percent_of_equity: pct(f.valueAtRisk),
      }));
      const h95 = varRows.find(
        (f) => f.method === 'historical' && f.confidence === 0.95 && f.horizon_days === 1,
      );
      const p99 = varRows.find(
        (f) => f.method === 'parametric' && f.confidence === 0.99 && f.horizon_days === 10,
      );
      const g = r.optionGreeks;
      const greeks =
        g === null
          ? null
          : `Net option greeks (${String(g.positions)} position(s)): delta ${g.delta.toFixed(1)} shares ($${money(g.deltaDollars)}), gamma ${g.gamma.toFixed(2)} per $1, theta ${g.thetaPerDay.toFixed(2)} $/day, vega ${g.vega.toFixed(2)} $ per vol point.`;
      const summary =
        r.positions.length === 0
          ? 'No positions: the portfolio is all cash, so its value at risk is zero.'
          : `Portfolio of ${String(r.positions.length)} position(s), gross $${money(r.grossExposure)} on equity $${money(r.equity)} (${String(r.observations)} days of simulated history): ` +
            `1-day 95 % historical VaR $${money(h95?.value_at_risk ?? 0)}${h95?.percent_of_equity === null || h95 === undefined ? '' : ` (${String(h95.percent_of_equity)} % of equity)`}, ` +
            `10-day 99 % parametric VaR $${money(p99?.value_at_risk ?? 0)}; volatility ${r.volatility === null ? 'n/a' : `${(r.volatility * 100).toFixed(1)} %/yr`}, beta to SPY ${r.beta === null ? 'n/a' : r.beta.toFixed(2)}, ` +
            `effective positions ${r.effectivePositions === null ? 'n/a' : r.effectivePositions.toFixed(1)}; top sector ${r.sectors[0]?.sector ?? 'n/a'}.${greeks === null ? '' : ` ${greeks}`}${r.warnings.length === 0 ? '' : ` Warnings: ${r.warnings.join('; ')}.`}`;
      return {
        data: {
          account_id: accountId,
          equity: r.equity,
          gross_exposure: r.grossExposure,
          net_exposure: r.netExposure,
          observations: r.observations,
          var: varRows,
          volatility_annualized: r.volatility,
          beta: r.beta,
          correlation: {
            symbols: [...r.correlation.symbols],
            matrix: r.correlation.matrix.map((row) =>
              row.map((x) => (x === null ? null : Math.round(x * 1e4) / 1e4)),
            ),
          },
          herfindahl: r.herfindahl,
          effective_positions: r.effectivePositions,
          sectors: r.sectors.map((s) => ({
            sector: s.sector,
            net: s.net,
            gross: s.gross,
            weight: s.weight,
          })),
          positions: r.positions.map((p) => ({
            symbol: p.symbol,
            market_value: p.marketValue,
            weight: p.weight,
            sector: p.sector,
          })),
          option_greeks: r.optionGreeks === null ? null : optionGreeksBody(r.optionGreeks),
          warnings: [...r.warnings],
        },
        summary,
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'risk_limits',
    title: 'Read or set risk limits',
    group: 'risk',
    description:
      'Read your account risk limits, or set them by passing any of: max_order_notional (dollars per order), max_position_qty (shares per symbol), max_position_percent (a position’s % of equity), ' +
      'max_gross_exposure, max_net_exposure (dollars), max_daily_loss (dollars: once the day’s loss reaches it, opening orders are REFUSED for the rest of the trading day), ' +
      'pattern_day_trader_rule (true: a margin account under $25,000 may not make a 4th day trade in five sessions). The venue then REJECTS any order beyond a limit with a reason code ' +
      '(e.g. daily_loss_limit_reached). "none" removes a limit. Called with no limit arguments it only reads. Example: {"max_daily_loss": 2000, "max_position_percent": 25}.',
    input: z.strictObject({
      account_id: accountIdArg,
      max_order_notional: limitArg('max_order_notional', 'largest value of one order, dollars.'),
      max_position_qty: limitArg('max_position_qty', 'largest position per symbol, shares.'),
      max_position_percent: limitArg(
        'max_position_percent',
        'largest position in percent of equity (0-100).',
      ),
      max_gross_exposure: limitArg(
        'max_gross_exposure',
        'largest sum of |positions| at cost, dollars.',
      ),
      max_net_exposure: limitArg('max_net_exposure', 'largest |long − short| at market, dollars.'),
      max_daily_loss: limitArg('max_daily_loss', 'largest loss of a trading day, dollars.'),
      pattern_day_trader_rule: booleanArg(
        'pattern_day_trader_rule',
        'Optional: true to enforce the pattern-day-trader rule.',
      ).optional(),
    }),
    output: {
      account_id: z.string(),
      changed: z.boolean().describe('True when this call changed the limits'),
      limits: limitsOut,
      event_position: z.number().int().nullable(),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const patch: { -readonly [K in keyof RiskLimits]?: RiskLimits[K] } = {};
      const amount = (v: number | 'none' | 'off' | undefined): string | null | undefined =>
        v === undefined ? undefined : v === 'none' || v === 'off' || v === 0 ? null : String(v);
      const set = <K extends keyof RiskLimits>(key: K, value: RiskLimits[K] | undefined): void => {
        if (value !== undefined) patch[key] = value;
      };
      set('maxOrderNotional', amount(args.max_order_notional));
      set('maxPositionQty', amount(args.max_position_qty));
      set('maxPositionPercent', amount(args.max_position_percent));
      set('maxGrossExposure', amount(args.max_gross_exposure));
      set('maxNetExposure', amount(args.max_net_exposure));
      set('maxDailyLoss', amount(args.max_daily_loss));
      set('patternDayTraderRule', args.pattern_day_trader_rule);
      if (Object.keys(patch).length === 0) {
        await session.readable();
        const limits = limitsFrom(await session.deps.risk.riskLimits(session.principal, accountId));
        return {
          data: { account_id: accountId, changed: false, limits, event_position: null },
          summary: `Risk limits of account ${accountId}: ${limitsSentence(limits)}.`,
        };
      }
      const result = await session.deps.risk.setRiskLimits(
        session.principal,
        accountId,
        patch,
        session.callContext(),
      );
      session.wrote(result.position);
      const limits = limitsFrom(result.state.settings.limits);
      return {
        data: {
          account_id: accountId,
          changed: true,
          limits,
          event_position: result.position ?? null,
        },
        summary: `Risk limits updated: ${limitsSentence(limits)}. Orders beyond them are now rejected with a reason code.`,
      };
    },
  });
}
