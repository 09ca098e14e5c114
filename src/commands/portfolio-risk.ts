/**
 * The risk of an account's portfolio and its risk-limit settings, for REST and MCP: positions
 * and equity from the read models (at the latest marks), daily closes from the market port
 * (split-adjusted), the figures from `src/analysis/risk.ts`. Reading needs read access to
 * the account; setting limits needs trade access (it is an `UpdateSettings` command).
 */
import { alignCloses } from '../analysis/history.ts';
import { computePortfolioRisk, type PortfolioRisk } from '../analysis/risk.ts';
import type { RiskLimits } from '../domain/account/index.ts';
import type { Principal } from './policy.ts';
import type { MarketAnalysis } from './market-analysis.ts';
import type { TradingCallContext, TradingCommands } from './trading.ts';
import type { WriteResult } from './accounts.ts';
import type { MarketData } from '../market/port.ts';

/** The benchmark beta is measured against. */
export const BENCHMARK = 'SPY';
export const DEFAULT_RISK_LOOKBACK = 504;
export const MAX_RISK_LOOKBACK = 1260;

export interface PortfolioRiskReport extends PortfolioRisk {
  readonly accountId: string;
  readonly asOf: string;
  readonly benchmark: string;
  readonly lookbackDays: number;
  readonly positions: readonly {
    readonly symbol: string;
    readonly qty: string;
    readonly marketValue: number;
    /** |value| / gross exposure. */
    readonly weight: number;
    readonly sector: string;
  }[];
  /** Net delta, gamma, theta, vega of option positions; null while the venue trades no options. */
  readonly optionGreeks: null;
  readonly simulated: boolean;
}

export interface PortfolioRiskDeps {
  readonly trading: TradingCommands;
  readonly market: MarketData;
  readonly analysis: MarketAnalysis;
}

export class PortfolioRiskQueries {
  constructor(private readonly deps: PortfolioRiskDeps) {}

  /** Risk of the positions held now over `lookbackDays` sessions of daily history. */
  async portfolioRisk(
    principal: Principal,
    accountId: string,
    options: { readonly lookbackDays?: number } = {},
  ): Promise<PortfolioRiskReport> {
    const { trading, market, analysis } = this.deps;
    const lookback = options.lookbackDays ?? DEFAULT_RISK_LOOKBACK;
    const account = await trading.account(principal, accountId);
    const views = await trading.positions(principal, accountId);
    const positions = views.map((p) => ({
      symbol: p.symbol,
      qty: p.qty,
      marketValue: Number(p.marketValue ?? p.costBasis),
      sector: market.asset(p.symbol)?.sector ?? 'Unknown',
    }));
    const symbols = [...new Set([...positions.map((p) => p.symbol), BENCHMARK])];
    const histories = await Promise.all(
      symbols.map(async (s) => [s, await analysis.closes(s, lookback + 1)] as const),
    );
    const withHistory = Object.fromEntries(histories.filter(([, bars]) => bars.length > 2));
    const { dates, closes } = alignCloses(withHistory);
    const equity = Number(account.equity);
    const risk = computePortfolioRisk({
      positions,
      history: {
        dates,
        closes,
        ...(closes[BENCHMARK] === undefined ? {} : { benchmark: closes[BENCHMARK] }),
      },
      equity,
    });
    const gross = risk.grossExposure;
    return {
      ...risk,
      accountId,
      asOf: market.clock.now().toISOString(),
      benchmark: BENCHMARK,
      lookbackDays: lookback,
      positions: positions.map((p) => ({
        ...p,
        weight: gross > 0 ? Math.abs(p.marketValue) / gross : 0,
      })),
      optionGreeks: null,
      simulated: market.assets()[0]?.simulated ?? true,
    };
  }

  /** The account's risk limits (read access). */
  async riskLimits(
    principal: Principal,
    accountId: string,
  ): Promise<RiskLimits & { readonly accountType: 'cash' | 'margin' }> {
    const account = await this.deps.trading.account(principal, accountId);
    return { ...account.settings.limits, accountType: account.settings.accountType };
  }

  /** Changes some risk limits (`null` removes one); the decider validates them. */
  setRiskLimits(
    principal: Principal,
    accountId: string,
    limits: Partial<RiskLimits>,
    context: TradingCallContext,
  ): Promise<WriteResult> {
    return this.deps.trading.updateSettings(principal, accountId, { limits }, context);
  }
}

/** Risk limits as both interfaces answer them (snake_case, `null` = no limit). */
export interface RiskLimitsWire {
  readonly max_position_qty: string | null;
  readonly max_order_notional: string | null;
  readonly max_gross_exposure: string | null;
  readonly max_position_percent: string | null;
  readonly max_net_exposure: string | null;
  readonly max_daily_loss: string | null;
  readonly pattern_day_trader_rule: boolean;
}

export function riskLimitsWire(l: RiskLimits): RiskLimitsWire {
  return {
    max_position_qty: l.maxPositionQty,
    max_order_notional: l.maxOrderNotional,
    max_gross_exposure: l.maxGrossExposure,
    max_position_percent: l.maxPositionPercent,
    max_net_exposure: l.maxNetExposure,
    max_daily_loss: l.maxDailyLoss,
    pattern_day_trader_rule: l.patternDayTraderRule,
  };
}
