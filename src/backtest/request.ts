/**
 * A backtest request as every interface takes it (REST body, MCP arguments, CLI flags all end
 * up here), validated with zod: snake_case on the wire, exact decimals as strings.
 */
import { z } from 'zod';
import type { CommissionModel } from '../domain/fill-model.ts';
import { isValidEquitySymbol } from '../domain/instrument.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

const day = z
  .string()
  .regex(DATE, 'a date YYYY-MM-DD')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T12:00:00Z`)) &&
      new Date(`${d}T12:00:00Z`).toISOString().startsWith(d),
    'a real calendar date',
  );

export const COMMISSION_RULE =
  '"0" (none), "X" or "X/share" (per share, e.g. 0.005), or "X/order" (per order, e.g. 1)';

/** A commission model from its CLI/wire spelling (see `COMMISSION_RULE`). */
export function parseCommission(text: string): CommissionModel | undefined {
  const m = /^(\d+(?:\.\d+)?)(?:\/(share|order))?$/.exec(text.trim());
  if (!m) return undefined;
  const amount = m[1] ?? '0';
  if (Number(amount) === 0) return { kind: 'none' };
  return m[2] === 'order'
    ? { kind: 'per_order', amount }
    : { kind: 'per_share', perShare: amount, minimum: null, maximum: null };
}

export const WalkForwardSchema = z
  .object({
    windows: z
      .number()
      .int()
      .min(2)
      .max(50)
      .default(4)
      .meta({ description: 'How many out-of-sample windows' }),
    train_ratio: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.7)
      .meta({ description: 'Share of each window used for the in-sample parameter search' }),
    grid: z
      .record(z.string(), z.array(z.number()).min(1).max(50))
      .meta({ description: 'Parameter values to search, e.g. {"fast":[10,20],"slow":[50,100]}' }),
    objective: z.enum(['sharpe', 'total_return', 'calmar', 'sortino']).default('sharpe'),
  })
  .strict();

export const MonteCarloSchema = z
  .object({
    paths: z.number().int().min(10).max(100_000).default(1000),
    method: z.enum(['returns', 'trades']).default('returns').meta({
      description: 'Bootstrap daily returns, or the sequence of trade P&Ls',
    }),
  })
  .strict();

export const BacktestRequestSchema = z
  .object({
    strategy: z.string().min(1).max(500).meta({
      description:
        'A built-in (buy_and_hold, sma_crossover, rsi_mean_reversion, bollinger_breakout, momentum_rotation)',
      example: 'sma_crossover',
    }),
    params: z
      .record(z.string(), z.union([z.number(), z.string()]))
      .default({})
      .meta({
        description: 'Strategy parameters, e.g. {"fast": 20, "slow": 50}',
      }),
    symbols: z
      .array(
        z
          .string()
          .transform((s) => s.trim().toUpperCase())
          .refine(isValidEquitySymbol, 'a US stock ticker such as AAPL'),
      )
      .min(1)
      .max(500),
    from: day.meta({
      description: 'First day traded (New York), YYYY-MM-DD',
      example: '2020-01-02',
    }),
    to: day.meta({ description: 'Last day traded, inclusive', example: '2024-12-31' }),
    timeframe: z.enum(['1Day', '1Min']).default('1Day'),
    cash: z.string().regex(DECIMAL, 'a positive decimal amount such as "100000"').default('100000'),
    commission: z
      .string()
      .refine((c) => parseCommission(c) !== undefined, COMMISSION_RULE)
      .default('0'),
    slippage_bps: z
      .number()
      .min(0)
      .max(1000)
      .default(0)
      .meta({ description: 'Fixed slippage in basis points of the touch' }),
    spread_bps: z
      .number()
      .min(0)
      .max(1000)
      .default(0)
      .meta({ description: 'Synthetic bid/ask spread around each bar price' }),
    fractional: z.boolean().default(false),
    fill_at: z.enum(['open', 'close']).default('open').meta({
      description:
        '`open`: orders placed on a bar fill at the next bar’s open; `close`: market orders fill at the same bar’s close',
    }),
    risk_free_rate: z
      .number()
      .min(-0.5)
      .max(1)
      .default(0)
      .meta({ description: 'Annual risk-free rate for Sharpe/Sortino, e.g. 0.04' }),
    benchmark: z
      .string()
      .transform((s) => s.trim().toUpperCase())
      .refine(isValidEquitySymbol, 'a US stock ticker such as SPY')
      .nullable()
      .optional()
      .meta({
        description:
          'Benchmark symbol (default: SPY when stored, else the first symbol); null for none',
      }),
    data: z.enum(['auto', 'stored', 'generated']).default('auto').meta({
      description:
        '`stored`: imported history; `generated`: the seeded simulated model; `auto`: stored when present, else generated',
    }),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31)
      .default(42)
      .meta({ description: 'Seed of generated data and Monte Carlo' }),
    walk_forward: WalkForwardSchema.optional(),
    monte_carlo: MonteCarloSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.to < r.from)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
    if (Number(r.cash) <= 0)
      ctx.addIssue({ code: 'custom', path: ['cash'], message: 'cash must be greater than zero' });
    if (new Set(r.symbols).size !== r.symbols.length)
      ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'symbols must not repeat' });
  });

export type BacktestRequest = z.output<typeof BacktestRequestSchema>;
export type BacktestRequestInput = z.input<typeof BacktestRequestSchema>;
