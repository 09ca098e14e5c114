/**
 * The risk of an account's portfolio and its risk-limit settings, for REST and MCP: positions
 * and equity from the read models (at the latest marks), daily closes from the market port
 * (split-adjusted), the figures from `src/analysis/risk.ts`. Reading needs read access to
 * the account; setting limits needs trade access (it is an `UpdateSettings` command).
 * Net option greeks come from the options desk (each open contract's BSM greeks from the
 * options market × signed contracts × multiplier), summed per underlying and in total.
 */
import { alignCloses } from '../analysis/history.ts';
import { computePortfolioRisk, type PortfolioRisk } from '../analysis/risk.ts';
import type { RiskLimits } from '../domain/account/index.ts';
import type { Principal } from './policy.ts';
import type { MarketAnalysis } from './market-analysis.ts';
import type { TradingCallContext, TradingCommands } from './trading.ts';
import type { WriteResult } from './accounts.ts';
import type { MarketData } from '../market/port.ts';
import type { OptionsDesk, UnderlyingOptions } from './options-desk.ts';

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
  /** Net greeks of the open option positions; null when the account holds none. */
  readonly optionGreeks: NetOptionGreeks | null;
  readonly simulated: boolean;
}

/**
 * Greeks of option positions in position terms (per-share greek × signed contracts ×
 * multiplier): delta in shares of the underlying, gamma in shares per $1 move, theta in
 * dollars per calendar day, vega in dollars per volatility point, rho in dollars per rate point.
 */
export interface GreekTotals {
  readonly delta: number;
  /** Σ delta × underlying price: the dollar exposure the options carry. */
  readonly deltaDollars: number;
  readonly gamma: number;
  readonly thetaPerDay: number;
  readonly vega: number;
  readonly rho: number;
}

/** Net option greeks of an account, per underlying and in total. */
export interface NetOptionGreeks extends GreekTotals {
  /** Open option positions counted. */
  readonly positions: number;
  /** Open positions without a quote now (left out of the sums). */
  readonly unpriced: readonly string[];
  readonly byUnderlying: readonly (GreekTotals & {
    readonly underlying: string;
    readonly underlyingPrice: number | null;
    readonly positions: number;
    /** Option delta plus the shares of the underlying held. */
    readonly deltaWithShares: number;
  })[];
}

const g4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** Sums the desk's per-underlying groups (null when there are no open option positions). */
export function netOptionGreeks(groups: readonly UnderlyingOptions[]): NetOptionGreeks | null {
  const live = groups.filter((g) => g.positions.length > 0);
  if (live.length === 0) return null;
  const byUnderlying = live.map((g) => {
    const price = g.underlyingPrice === null ? null : Number(g.underlyingPrice);
    const n = g.netGreeks;
    return {
      underlying: g.underlying,
      underlyingPrice: price,
      positions: g.positions.length,
      delta: g4(n.delta),
      deltaDollars: g4(n.delta * (price ?? 0)),
      gamma: g4(n.gamma),
      thetaPerDay: g4(n.thetaPerDay),
      vega: g4(n.vega),
      rho: g4(n.rho),
      deltaWithShares: g4(g.netDeltaWithShares),
    };
  });
  const sum = (pick: (g: UnderlyingOptions) => number): number =>
    g4(live.reduce((s, g) => s + pick(g), 0));
  return {
    delta: sum((g) => g.netGreeks.delta),
    deltaDollars: sum((g) => g.netGreeks.delta * Number(g.underlyingPrice ?? 0)),
    gamma: sum((g) => g.netGreeks.gamma),
    thetaPerDay: sum((g) => g.netGreeks.thetaPerDay),
    vega: sum((g) => g.netGreeks.vega),
    rho: sum((g) => g.netGreeks.rho),
    positions: live.reduce((s, g) => s + g.positions.length, 0),
    unpriced: live.flatMap((g) =>
      g.positions.filter((p) => p.positionGreeks === null).map((p) => p.symbol),
    ),
    byUnderlying,
  };
}

export interface PortfolioRiskDeps {
  readonly trading: TradingCommands;
  readonly market: MarketData;
  readonly analysis: MarketAnalysis;
  /** The options desk; without it `optionGreeks` is null. */
  readonly options?: OptionsDesk;
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
    const desk = this.deps.options;
    const optionGreeks =
      desk === undefined ? null : netOptionGreeks(await desk.aggregate(principal, accountId));
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
      optionGreeks,
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
