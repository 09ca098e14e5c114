/**
 * The wire form of options-chain analysis, shared by `GET /options/chains/{underlying}/analysis`
 * and the `options_chain_analysis` MCP tool (the same snake_case fields and descriptions).
 * Ratios, volatilities and percents are JSON numbers (analytics); the straddle is an exact
 * decimal string (a sum of quote mids).
 */
import { z } from 'zod';
import type { OptionsChainAnalysis } from '../../commands/options-analysis.ts';
import type { PutCallRatios } from '../../analysis/options-chain.ts';

/** How the figures are computed, in one paragraph (also in docs/analysis.md). */
export const OPTIONS_ANALYSIS_METHOD =
  'Put/call ratio = put ÷ call contracts (volume today; open interest at the start of the day), null without calls. ' +
  'Max pain = the listed strike at which that expiration’s options would pay holders the least at expiry: Σ call OI × max(0, S − K) × 100 + Σ put OI × max(0, K − S) × 100 (lowest strike on a tie). ' +
  'IV rank = (ATM IV now − 252-session low) ÷ (high − low) × 100; IV percentile = % of the past 252 sessions with a lower ATM IV. ATM IV is the 30-day constant-maturity at-the-money volatility of the simulated surface, recomputed for each past session from MARKET_SEED exactly as that day’s chain priced it. ' +
  'Expected move = the at-the-money straddle (call mid + put mid at the strike nearest the spot), and spot × σ × √T with σ the mean IV of that call and put and T in years to the expiration close. All simulated.';

const ratio = (x: number | null): number | null =>
  x === null ? null : Math.round(x * 10_000) / 10_000;
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r4 = (x: number): number => Math.round(x * 10_000) / 10_000;

const Ratios = {
  call_volume: z.number().int().describe('Call contracts traded today'),
  put_volume: z.number().int().describe('Put contracts traded today'),
  put_call_volume_ratio: z
    .number()
    .nullable()
    .describe('Put volume ÷ call volume; null without call volume (before the open)'),
  call_open_interest: z.number().int(),
  put_open_interest: z.number().int(),
  put_call_open_interest_ratio: z
    .number()
    .nullable()
    .describe('Put open interest ÷ call open interest'),
};

export const ExpirationAnalysisSchema = z.object({
  expiration: z.string(),
  days_to_expiration: z.number().int(),
  ...Ratios,
  max_pain: z
    .object({
      strike: z.number().describe('Settlement price (a listed strike) that pays holders least'),
      payout: z.number().describe('What the expiration’s contracts would pay there, dollars'),
    })
    .nullable()
    .describe('Null when the expiration has no open interest'),
  expected_move: z
    .object({
      atm_strike: z.number(),
      straddle: z.string().describe('ATM call mid + put mid, dollars per share'),
      straddle_percent: z.number().describe('Straddle in % of the underlying price'),
      atm_iv: z.number().describe('Mean implied volatility of the ATM call and put'),
      one_sigma_move: z.number().describe('spot × IV × √T, dollars per share'),
      one_sigma_percent: z.number(),
      range_low: z.number().describe('Spot − straddle'),
      range_high: z.number().describe('Spot + straddle'),
    })
    .nullable(),
});

export const OptionsChainAnalysisSchema = z.object({
  underlying: z.string(),
  underlying_price: z.number(),
  as_of: z.string().describe('Valuation instant (the underlying quote time)'),
  simulated: z.literal(true).describe('Volume, open interest and volatility are simulated'),
  totals: z.object(Ratios).describe('The whole chain, every expiration'),
  iv: z
    .object({
      atm_iv_30d: z.number().describe('30-day at-the-money implied volatility now'),
      low: z.number().describe('Lowest over the history'),
      high: z.number().describe('Highest over the history'),
      iv_rank: z.number().describe('0–100: where IV now sits between the low and the high'),
      iv_percentile: z.number().describe('0–100: % of the sessions with a lower IV'),
      sessions: z.number().int(),
      from: z.string().describe('First session of the history'),
    })
    .nullable(),
  listed_expirations: z.array(z.string()),
  expirations: z.array(ExpirationAnalysisSchema).describe('Nearest first'),
  method: z.string(),
});

export type OptionsChainAnalysisWire = z.infer<typeof OptionsChainAnalysisSchema>;

function ratiosWire(r: PutCallRatios): z.infer<z.ZodObject<typeof Ratios>> {
  return {
    call_volume: r.callVolume,
    put_volume: r.putVolume,
    put_call_volume_ratio: ratio(r.volumeRatio),
    call_open_interest: r.callOpenInterest,
    put_open_interest: r.putOpenInterest,
    put_call_open_interest_ratio: ratio(r.openInterestRatio),
  };
}

/** The analysis on the wire. */
export function optionsChainAnalysisWire(a: OptionsChainAnalysis): OptionsChainAnalysisWire {
  const spot = a.underlyingPrice;
  return {
    underlying: a.underlying,
    underlying_price: r4(spot),
    as_of: a.asOf,
    simulated: true,
    totals: ratiosWire(a.totals),
    iv:
      a.iv === null
        ? null
        : {
            atm_iv_30d: r4(a.iv.current),
            low: r4(a.iv.low),
            high: r4(a.iv.high),
            iv_rank: r2(a.iv.rank),
            iv_percentile: r2(a.iv.percentile),
            sessions: a.iv.sessions,
            from: a.iv.from,
          },
    listed_expirations: [...a.listedExpirations],
    expirations: a.expirations.map((e) => ({
      expiration: e.expiration,
      days_to_expiration: e.daysToExpiration,
      ...ratiosWire(e),
      max_pain: e.maxPain === null ? null : { strike: e.maxPain.strike, payout: e.maxPain.payout },
      expected_move:
        e.expectedMove === null
          ? null
          : {
              atm_strike: e.expectedMove.atmStrike,
              straddle: e.expectedMove.straddle,
              straddle_percent: r2(e.expectedMove.straddlePercent),
              atm_iv: r4(e.expectedMove.atmImpliedVolatility),
              one_sigma_move: r4(e.expectedMove.oneSigmaMove),
              one_sigma_percent: r2(e.expectedMove.oneSigmaPercent),
              range_low: r4(spot - Number(e.expectedMove.straddle)),
              range_high: r4(spot + Number(e.expectedMove.straddle)),
            },
    })),
    method: OPTIONS_ANALYSIS_METHOD,
  };
}

export const ChainAnalysisQuery = z
  .object({
    expiration: z.iso
      .date()
      .optional()
      .meta({ description: 'Only this expiration (YYYY-MM-DD); totals stay the whole chain' }),
    max_expirations: z.coerce
      .number()
      .int()
      .min(1)
      .max(60)
      .optional()
      .meta({ description: 'At most this many expirations, nearest first (default: all)' }),
  })
  .strict();
