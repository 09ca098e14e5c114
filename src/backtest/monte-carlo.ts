/**
 * Monte Carlo by seeded bootstrap: `paths` resamples (with replacement) of the run's daily
 * returns, or of its trades' P&L, each as long as the original. The same seed gives the same
 * percentiles. Random numbers come from the venue's mulberry32 stream (src/market/simulated).
 */
import { quantileSorted } from 'simple-statistics';
import { Random } from '../market/simulated/random.ts';
import { round, returnMetrics } from './metrics.ts';

export interface Percentiles {
  readonly p5: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p95: number;
}

export interface MonteCarloResult {
  readonly method: 'returns' | 'trades';
  readonly paths: number;
  readonly seed: number;
  readonly length: number;
  readonly final_equity: Percentiles;
  readonly max_drawdown: Percentiles;
  readonly sharpe: Percentiles | null;
  /** Share of paths that end below the starting equity. */
  readonly probability_of_loss: number;
}

function percentiles(values: number[]): Percentiles {
  values.sort((a, b) => a - b);
  const q = (p: number): number => round(quantileSorted(values, p), 6);
  return { p5: q(0.05), p25: q(0.25), p50: q(0.5), p75: q(0.75), p95: q(0.95) };
}

/**
 * Bootstraps daily `returns` (method `returns`) or trade P&Ls (`trades`, in money: each path
 * adds them to `initial`; Sharpe of per-trade returns annualized by `tradesPerYear`).
 */
export function monteCarlo(options: {
  readonly method: 'returns' | 'trades';
  readonly paths: number;
  readonly seed: number;
  readonly initial: number;
  readonly returns: readonly number[];
  readonly tradePnls: readonly number[];
  readonly tradesPerYear: number;
}): MonteCarloResult {
  const rng = new Random(options.seed >>> 0);
  const sample = options.method === 'returns' ? options.returns : options.tradePnls;
  const n = sample.length;
  const finals: number[] = [];
  const drawdowns: number[] = [];
  const sharpes: number[] = [];
  let losses = 0;
  const path = new Array<number>(n);
  for (let k = 0; k < options.paths && n > 0; k++) {
    if (options.method === 'returns') {
      for (let i = 0; i < n; i++) path[i] = sample[rng.int(n)] ?? 0;
      const m = returnMetrics(path);
      const final = options.initial * (1 + m.total_return);
      finals.push(final);
      drawdowns.push(m.max_drawdown);
      if (m.sharpe !== null) sharpes.push(m.sharpe);
      if (final < options.initial) losses += 1;
    } else {
      let equity = options.initial;
      for (let i = 0; i < n; i++) {
        const pnl = sample[rng.int(n)] ?? 0;
        path[i] = equity > 0 ? pnl / equity : 0;
        equity += pnl;
      }
      const m = returnMetrics(path, { periodsPerYear: Math.max(1, options.tradesPerYear) });
      finals.push(equity);
      drawdowns.push(m.max_drawdown);
      if (m.sharpe !== null) sharpes.push(m.sharpe);
      if (equity < options.initial) losses += 1;
    }
  }
  const empty: Percentiles = {
    p5: options.initial,
    p25: options.initial,
    p50: options.initial,
    p75: options.initial,
    p95: options.initial,
  };
  return {
    method: options.method,
    paths: options.paths,
    seed: options.seed,
    length: n,
    final_equity: finals.length === 0 ? empty : percentiles(finals),
    max_drawdown:
      drawdowns.length === 0 ? { p5: 0, p25: 0, p50: 0, p75: 0, p95: 0 } : percentiles(drawdowns),
    sharpe: sharpes.length === 0 ? null : percentiles(sharpes),
    probability_of_loss: finals.length === 0 ? 0 : round(losses / finals.length, 6),
  };
}
