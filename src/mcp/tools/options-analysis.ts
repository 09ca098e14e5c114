/**
 * `options_chain_analysis`: what an underlying's option chain says now — put/call ratios, max
 * pain, IV rank and percentile, the expected move to each expiration. A thin call into
 * `analyzeOptionsChain`; the same fields as `GET /api/v1/options/chains/{underlying}/analysis`.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import {
  OptionsChainAnalysisSchema,
  optionsChainAnalysisWire,
} from '../../api/v1/option-analysis-schemas.ts';
import { analyzeOptionsChain, OptionsAnalysisError } from '../../commands/options-analysis.ts';
import { integerArg } from '../args.ts';
import { ToolFailure } from '../errors.ts';
import { expirationArg, underlyingArg } from '../option-args.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog } from '../tool.ts';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: false } as const;
const DEFAULT_EXPIRATIONS = 8;

const ratioText = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));

/** Registers `options_chain_analysis`. */
export function registerOptionsAnalysisTool(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  registerTool(server, session, catalog, {
    name: 'options_chain_analysis',
    title: 'Options-chain analysis',
    group: 'market',
    description:
      'What the (SIMULATED) option chain of a stock or ETF says now: put/call volume and open-interest ratios (whole chain and per expiration; above 1 = more puts), ' +
      'max pain per expiration (the strike where option holders would be paid the least at expiry, from open interest), IV rank and IV percentile (today’s 30-day at-the-money IV against the past 252 sessions of the simulated surface), ' +
      'and the expected move to each expiration: the at-the-money straddle price and spot × IV × √T. ' +
      `Lists the nearest ${String(DEFAULT_EXPIRATIONS)} expirations unless expiration or max_expirations says otherwise. ` +
      'Example: {"underlying": "AAPL"} or {"underlying": "SPY", "expiration": "2026-01-16"}.',
    input: z.strictObject({
      underlying: underlyingArg,
      expiration: expirationArg.optional(),
      max_expirations: integerArg(
        'max_expirations',
        1,
        60,
        `Optional: at most this many expirations, nearest first (default ${String(DEFAULT_EXPIRATIONS)}).`,
      ).optional(),
    }),
    output: OptionsChainAnalysisSchema.shape,
    annotations: READ,
    run: (args) => {
      const options = session.deps.options;
      if (options === undefined) {
        throw new ToolFailure(
          'options_unavailable',
          'This server was started without the options market',
          undefined,
          'Use a server started with `paper-trading serve` or `paper-trading mcp`.',
        );
      }
      let analysis;
      try {
        analysis = analyzeOptionsChain(options.market, args.underlying, {
          ...(args.expiration === undefined ? {} : { expiration: args.expiration }),
          maxExpirations: args.max_expirations ?? DEFAULT_EXPIRATIONS,
        });
      } catch (error) {
        if (!(error instanceof OptionsAnalysisError)) throw error;
        throw new ToolFailure(
          error.code,
          error.message,
          error.field,
          error.code === 'unknown_symbol'
            ? 'Options are listed on the simulated stocks and ETFs above $3 (not the penny names); get_quote tells whether a ticker is listed.'
            : `Use one of the listed expirations: ${error.listed.join(', ')}.`,
        );
      }
      const data = optionsChainAnalysisWire(analysis);
      const t = data.totals;
      const iv = data.iv;
      const lines = data.expirations.map((e) => {
        const move = e.expected_move;
        return (
          `• ${e.expiration} (${String(e.days_to_expiration)} d): P/C volume ${ratioText(e.put_call_volume_ratio)}, P/C OI ${ratioText(e.put_call_open_interest_ratio)}, ` +
          `max pain ${e.max_pain === null ? 'n/a' : String(e.max_pain.strike)}, ` +
          (move === null
            ? 'no two-sided ATM straddle'
            : `expected move ±${move.straddle} (${move.straddle_percent.toFixed(1)} %, straddle at ${String(move.atm_strike)}; 1σ ±${move.one_sigma_move.toFixed(2)} at IV ${(move.atm_iv * 100).toFixed(1)} %)`)
        );
      });
      return Promise.resolve({
        data,
        summary:
          `${data.underlying} at ${data.underlying_price.toFixed(2)} — options analysis (simulated): put/call volume ratio ${ratioText(t.put_call_volume_ratio)} (${String(t.put_volume)} puts / ${String(t.call_volume)} calls), open-interest ratio ${ratioText(t.put_call_open_interest_ratio)}. ` +
          (iv === null
            ? 'No IV history.'
            : `30-day ATM IV ${(iv.atm_iv_30d * 100).toFixed(1)} %: IV rank ${iv.iv_rank.toFixed(0)}, IV percentile ${iv.iv_percentile.toFixed(0)} (252-session range ${(iv.low * 100).toFixed(1)}–${(iv.high * 100).toFixed(1)} %).`) +
          `\n${lines.join('\n')}\n`,
      });
    },
  });
}
