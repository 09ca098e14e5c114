/**
 * Options-chain analysis for REST and MCP: the underlying's chain now from the options market,
 * its at-the-money IV history from the simulated surface, the figures from
 * `src/analysis/options-chain.ts`. Market data only: no account is involved.
 *
 * IV history: the surface of an underlying on a day is deterministic from `MARKET_SEED`, the
 * symbol and the date (`market/options/surface.ts`), so the 30-day constant-maturity
 * at-the-money IV of each of the past 252 sessions is recomputed exactly as the chain of that
 * day priced it. IV rank and percentile compare today's 30-day ATM IV with those sessions.
 */
import {
  analyzeExpirations,
  ivStanding,
  putCallRatios,
  type ChainRow,
  type ExpirationAnalysis,
  type IvStanding,
  type PutCallRatios,
} from '../analysis/options-chain.ts';
import { previousSession, recentSessionDates } from '../market/history.ts';
import { midOf, type OptionsMarket } from '../market/options/index.ts';
import { newYorkDate } from '../market/time-zone.ts';

/** Sessions of ATM IV history IV rank and percentile are measured over (one trading year). */
export const IV_HISTORY_SESSIONS = 252;
/** Calendar days to expiry of the constant-maturity ATM IV. */
export const IV_TENOR_DAYS = 30;
/** Most expirations one answer lists. */
export const MAX_ANALYSIS_EXPIRATIONS = 60;

/** Bad input to the analysis: which argument, and why. */
export class OptionsAnalysisError extends Error {
  constructor(
    readonly code: 'unknown_symbol' | 'unknown_expiration',
    readonly field: 'underlying' | 'expiration',
    message: string,
    /** What the caller can use instead (the listed expirations). */
    readonly listed: readonly string[] = [],
  ) {
    super(message);
    this.name = 'OptionsAnalysisError';
  }
}

/** One expiration of the answer. */
export interface ExpirationReport extends ExpirationAnalysis {
  readonly daysToExpiration: number;
}

/** The analysis of one underlying's chain now. */
export interface OptionsChainAnalysis {
  readonly underlying: string;
  readonly underlyingPrice: number;
  readonly asOf: string;
  readonly simulated: boolean;
  /** Every listed contract of every expiration. */
  readonly totals: PutCallRatios;
  /** 30-day ATM IV now against the past 252 sessions. */
  readonly iv: (IvStanding & { readonly tenorDays: number; readonly from: string }) | null;
  /** Listed expirations, nearest first. */
  readonly listedExpirations: readonly string[];
  /** The expirations analysed (all, one, or the nearest `maxExpirations`). */
  readonly expirations: readonly ExpirationReport[];
}

/** Analyses `underlying`'s chain now; throws {@link OptionsAnalysisError} on bad input. */
export function analyzeOptionsChain(
  market: OptionsMarket,
  underlying: string,
  options: { readonly expiration?: string; readonly maxExpirations?: number } = {},
): OptionsChainAnalysis {
  const symbol = underlying.trim().toUpperCase();
  const chain = market.chain(symbol);
  if (chain === undefined) {
    throw new OptionsAnalysisError(
      'unknown_symbol',
      'underlying',
      `${symbol} has no listed options on this venue`,
    );
  }
  if (options.expiration !== undefined && !chain.expirations.includes(options.expiration)) {
    throw new OptionsAnalysisError(
      'unknown_expiration',
      'expiration',
      `${symbol} has no options expiring ${options.expiration}`,
      chain.expirations,
    );
  }
  const spot = midOf(chain.underlyingQuote);
  const rows: ChainRow[] = chain.contracts.map((c) => ({
    expiration: c.contract.expiration,
    right: c.contract.right,
    strike: Number(c.contract.strike),
    volume: c.volume,
    openInterest: c.openInterest,
    multiplier: c.contract.multiplier,
    bid: c.quote.bid,
    ask: c.quote.ask,
    impliedVolatility: c.impliedVolatility,
    years: c.years,
  }));
  const wanted =
    options.expiration === undefined
      ? chain.expirations.slice(0, options.maxExpirations ?? chain.expirations.length)
      : [options.expiration];
  const expirations = analyzeExpirations(
    rows.filter((r) => wanted.includes(r.expiration)),
    spot,
  ).map((e) => ({ ...e, daysToExpiration: Math.ceil(e.years * 365) }));

  const now = new Date(Date.parse(chain.asOf));
  const today = newYorkDate(now.getTime());
  const before = previousSession(market.calendar, now);
  const dates = recentSessionDates(market.calendar, before.open, IV_HISTORY_SESSIONS);
  const history = dates.map((d) => market.atmVolatility(symbol, d, IV_TENOR_DAYS));
  const standing = ivStanding(market.atmVolatility(symbol, today, IV_TENOR_DAYS), history);
  return {
    underlying: symbol,
    underlyingPrice: spot,
    asOf: chain.asOf,
    // Volume, open interest and the surface are simulated whatever feed moves the underlying.
    simulated: true,
    totals: putCallRatios(rows),
    iv:
      standing === null ? null : { ...standing, tenorDays: IV_TENOR_DAYS, from: dates[0] ?? today },
    listedExpirations: chain.expirations,
    expirations,
  };
}
