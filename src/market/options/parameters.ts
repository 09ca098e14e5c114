/**
 * The inputs of option pricing that are not market prices: the risk-free rate and the
 * dividend yields (from configuration, `RISK_FREE_RATE` and `DIVIDEND_YIELDS`, with the
 * defaults documented here and in docs/options.md), and what the simulated universe says
 * about each underlying (reference volatility, liquidity tier).
 */
import { DEFAULT_UNIVERSE, type LiquidityTier } from '../simulated/universe.ts';

/** Default continuously compounded risk-free rate: 4 % (close to US T-bill yields of 2025). */
export const DEFAULT_RISK_FREE_RATE = 0.04;

/**
 * Default continuous dividend yields of the simulated universe (approximate trailing yields);
 * any other underlying pays none unless configured.
 */
export const DEFAULT_DIVIDEND_YIELDS: Readonly<Record<string, number>> = {
  AAPL: 0.005,
  MSFT: 0.007,
  GOOGL: 0.004,
  NVDA: 0.0003,
  META: 0.003,
  JPM: 0.02,
  V: 0.007,
  MA: 0.005,
  UNH: 0.025,
  XOM: 0.034,
  JNJ: 0.03,
  PG: 0.026,
  HD: 0.024,
  KO: 0.029,
  PEP: 0.037,
  COST: 0.005,
  WMT: 0.009,
  DIS: 0.009,
  AMD: 0,
  INTC: 0.01,
  CRM: 0.006,
  ORCL: 0.008,
  BAC: 0.021,
  WFC: 0.021,
  GS: 0.018,
  MS: 0.026,
  CVX: 0.044,
  PFE: 0.067,
  MRK: 0.036,
  ABBV: 0.03,
  LLY: 0.007,
  T: 0.04,
  VZ: 0.064,
  CSCO: 0.024,
  QCOM: 0.021,
  TXN: 0.029,
  AVGO: 0.007,
  NKE: 0.024,
  MCD: 0.024,
  SBUX: 0.029,
  CAT: 0.011,
  GE: 0.005,
  F: 0.057,
  GM: 0.009,
  PYPL: 0,
  IBM: 0.023,
  AMGN: 0.032,
  HON: 0.021,
  CMCSA: 0.036,
  SPY: 0.012,
  QQQ: 0.006,
  IWM: 0.011,
  DIA: 0.015,
  VTI: 0.012,
  TLT: 0.043,
  XLF: 0.014,
  XLE: 0.033,
  XLK: 0.006,
};

/** What option pricing is configured with. */
export interface PricingParameters {
  readonly riskFreeRate: number;
  /** Per-symbol yields overriding the defaults. */
  readonly dividendYields?: Readonly<Record<string, number>>;
}

/** The yield an underlying is priced with: configured, else the default, else 0. */
export function dividendYieldOf(parameters: PricingParameters, symbol: string): number {
  return parameters.dividendYields?.[symbol] ?? DEFAULT_DIVIDEND_YIELDS[symbol] ?? 0;
}

/** What the universe says about an underlying, with defaults for symbols it does not list. */
export interface UnderlyingProfile {
  readonly symbol: string;
  readonly volatility: number;
  readonly tier: LiquidityTier;
  /** A price level that sets the strike increment (the universe's reference price). */
  readonly referencePrice: number | undefined;
}

const BY_SYMBOL = new Map(DEFAULT_UNIVERSE.map((i) => [i.symbol, i]));

/** The profile of an underlying (a 30 % volatility large cap when the universe does not list it). */
export function underlyingProfile(symbol: string): UnderlyingProfile {
  const listed = BY_SYMBOL.get(symbol);
  return listed === undefined
    ? { symbol, volatility: 0.3, tier: 'large', referencePrice: undefined }
    : {
        symbol,
        volatility: listed.volatility,
        tier: listed.tier,
        referencePrice: listed.referencePrice,
      };
}

/** Options are listed on names above $3 that are not penny stocks (as exchanges require). */
export const MIN_OPTIONABLE_PRICE = 3;
