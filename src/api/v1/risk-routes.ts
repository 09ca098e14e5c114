/**
 * `/api/v1/accounts/{id}/risk` (portfolio risk: VaR, expected shortfall, volatility, beta,
 * correlations, concentration, sectors) and `/api/v1/accounts/{id}/risk-limits` (read and
 * change the account's risk limits, which the decider enforces on every order).
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  DEFAULT_RISK_LOOKBACK,
  MAX_RISK_LOOKBACK,
  type PortfolioRiskQueries,
} from '../../commands/portfolio-risk.ts';
import type { RouteModule } from '../app.ts';
import { principalOf, route } from '../authenticate.ts';
import { API_PREFIX, documentOperation } from '../openapi.ts';
import { minPosition, setEventPosition, type PositionWaiter } from './consistency.ts';
import { exactBody } from './decimal-json.ts';
import { accountIdOf, tradingContext } from './deps.ts';
import { parseInput } from './input.ts';
import {
  PortfolioRiskSchema,
  portfolioRiskBody,
  RiskLimitsPatch,
  RiskLimitsSchema,
  riskLimitsBody,
  riskLimitsPatchOf,
} from './risk-schemas.ts';
import { AccountParams } from './schemas.ts';

export interface RiskRouteDeps {
  readonly risk: PortfolioRiskQueries;
  readonly authenticated: readonly RequestHandler[];
  /** Read-your-writes: what `X-Min-Position` waits on, and for how long. */
  readonly waiter: PositionWaiter;
  readonly readWaitMs: number;
}

const riskQuery = z
  .object({
    lookback_days: z.coerce
      .number()
      .int()
      .min(20)
      .max(MAX_RISK_LOOKBACK)
      .optional()
      .meta({
        description: `Sessions of daily history (default ${String(DEFAULT_RISK_LOOKBACK)}, about two years)`,
      }),
  })
  .strict();

/** Mounts the risk routes under `/accounts`. */
export function riskRoutes(deps: RiskRouteDeps): RouteModule {
  return (api) => {
    const router = Router();
    router.use(...deps.authenticated);
    const read = minPosition(deps.waiter, deps.readWaitMs);
    router.get(
      '/:id/risk',
      read,
      route(async (req, res) => {
        const accountId = accountIdOf(req);
        const q = riskQuery.parse(req.query);
        const report = await deps.risk.portfolioRisk(principalOf(res), accountId, {
          ...(q.lookback_days === undefined ? {} : { lookbackDays: q.lookback_days }),
        });
        res.json(portfolioRiskBody(report));
      }),
    );
    router.get(
      '/:id/risk-limits',
      read,
      route(async (req, res) => {
        const limits = await deps.risk.riskLimits(principalOf(res), accountIdOf(req));
        res.json(riskLimitsBody(limits));
      }),
    );
    router.put(
      '/:id/risk-limits',
      route(async (req, res) => {
        const accountId = accountIdOf(req);
        const body = parseInput(RiskLimitsPatch, exactBody(req));
        const result = await deps.risk.setRiskLimits(
          principalOf(res),
          accountId,
          riskLimitsPatchOf(body),
          tradingContext(req, res),
        );
        setEventPosition(res, result.position);
        res.json(riskLimitsBody(result.state.settings.limits));
      }),
    );
    api.use('/accounts', router);
  };
}

const p = (path: string): string => `${API_PREFIX}/accounts/{id}${path}`;
const TAGS = ['Risk'];

documentOperation({
  method: 'get',
  path: p('/risk'),
  tags: TAGS,
  summary: 'Portfolio risk',
  description:
    'Risk of the positions held now over `lookback_days` sessions of split-adjusted daily closes: historical-simulation and variance–covariance value at risk at 95 % and 99 % over 1 and 10 days (√10 scaling) with expected shortfall, annualized volatility, beta to SPY, the correlation matrix of the holdings, concentration (Herfindahl, effective number of positions), exposure by sector, and `option_greeks`: the net greeks of the open option positions (each contract’s Black–Scholes–Merton greeks from the options market × signed contracts × 100 — delta in shares and in dollars, gamma per $1, theta in dollars per day, vega in dollars per volatility point, rho — per underlying and in total; null without option positions). Methods after Jorion, "Value at Risk" (3rd ed.). Prices are simulated on the simulated feed.',
  consistency: 'read',
  request: { params: AccountParams, query: riskQuery },
  responses: {
    200: {
      description: 'The risk report',
      schema: PortfolioRiskSchema,
      example: {
        account_id: 'b7e1d1c2-…',
        as_of: '2026-11-18T16:00:00.000Z',
        benchmark: 'SPY',
        lookback_days: 504,
        observations: 503,
        from: '2024-11-15',
        to: '2026-11-17',
        equity: 100000,
        long_value: 27000,
        short_value: 0,
        gross_exposure: 27000,
        net_exposure: 27000,
        var_historical: [
          { confidence: 0.95, horizon_days: 1, value_at_risk: 690.2, expected_shortfall: 1004.8 },
        ],
        var_parametric: [
          { confidence: 0.95, horizon_days: 1, value_at_risk: 712.4, expected_shortfall: 893.4 },
        ],
        volatility_annualized: 0.069,
        daily_pnl_std_dev: 433.1,
        beta: 0.27,
        correlation: { symbols: ['AAPL'], matrix: [[1]] },
        asset_volatility: { AAPL: 0.27 },
        herfindahl: 1,
        effective_positions: 1,
        largest_weight: 1,
        sectors: [
          {
            sector: 'Information Technology',
            long: 27000,
            short: 0,
            net: 27000,
            gross: 27000,
            weight: 0.27,
          },
        ],
        positions: [
          {
            symbol: 'AAPL',
            qty: '100',
            market_value: 27000,
            weight: 1,
            sector: 'Information Technology',
          },
        ],
        option_greeks: null,
        warnings: [],
        simulated: true,
      },
    },
  },
  errors: { 404: ['account_not_found'], 422: ['validation_failed'] },
});

const limitsExample = {
  max_position_qty: null,
  max_order_notional: '50000',
  max_gross_exposure: null,
  max_position_percent: '25',
  max_net_exposure: null,
  max_daily_loss: '2000',
  pattern_day_trader_rule: true,
};

documentOperation({
  method: 'get',
  path: p('/risk-limits'),
  tags: TAGS,
  summary: 'Risk limits',
  description:
    'The account risk limits the decider enforces on every order (`null` = no limit). Orders beyond a limit are rejected with its reason code: `order_notional_limit_exceeded`, `position_limit_exceeded`, `exposure_limit_exceeded`, `position_percent_limit_exceeded`, `net_exposure_limit_exceeded`, `daily_loss_limit_reached`, `pattern_day_trader`.',
  consistency: 'read',
  request: { params: AccountParams },
  responses: {
    200: { description: 'The limits', schema: RiskLimitsSchema, example: limitsExample },
  },
  errors: { 404: ['account_not_found'] },
});

documentOperation({
  method: 'put',
  path: p('/risk-limits'),
  tags: TAGS,
  summary: 'Change risk limits',
  description:
    'Sets the limits given (any subset; `null` removes one) as an `AccountSettingsUpdated` event and answers all limits. Amounts are positive decimals (strings or numbers); `max_position_percent` is 0 < x ≤ 100.',
  consistency: 'write',
  request: {
    params: AccountParams,
    body: {
      schema: RiskLimitsPatch,
      example: { max_daily_loss: '2000', max_position_percent: '25' },
    },
  },
  responses: {
    200: { description: 'The limits now', schema: RiskLimitsSchema, example: limitsExample },
  },
  errors: {
    403: ['forbidden'],
    404: ['account_not_found'],
    422: ['validation_failed', 'invalid_value'],
  },
});
