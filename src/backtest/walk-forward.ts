/**
 * Walk-forward analysis: the range is cut into rolling windows, each an in-sample period
 * followed by an out-of-sample one (`windows` of them, back to back; in-sample length =
 * out-of-sample length × train_ratio / (1 − train_ratio)). In each window every grid point
 * is backtested in-sample (in parallel, on worker threads), the best by the objective is
 * chosen (ties: the first in grid order), and run out-of-sample with fresh capital. The
 * out-of-sample daily returns, chained, give the aggregated metrics.
 */
import type { BarSeries } from '../history/bars.ts';
import { isoDate } from '../market/civil-days.ts';
import type { GridRunner } from './grid.ts';
import { equityReturns, returnMetrics, round, roundOrNull } from './metrics.ts';
import type { BacktestRequest } from './request.ts';
import type { BacktestResult } from './run.ts';
import { dayStart } from './run.ts';
import { StrategyError, type StrategyDefinition } from './strategy.ts';

export interface WalkForwardWindow {
  readonly train: { readonly from: string; readonly to: string };
  readonly test: { readonly from: string; readonly to: string };
  readonly params: Readonly<Record<string, number>>;
  readonly in_sample: {
    readonly objective: number | null;
    readonly total_return: number;
    readonly sharpe: number | null;
  };
  readonly out_of_sample: {
    readonly total_return: number;
    readonly sharpe: number | null;
    readonly max_drawdown: number;
    readonly trades: number;
  };
}

export interface WalkForwardResult {
  readonly objective: string;
  readonly grid: Readonly<Record<string, readonly number[]>>;
  readonly combinations: number;
  readonly windows: readonly WalkForwardWindow[];
  readonly out_of_sample: {
    readonly total_return: number;
    readonly annual_return: number | null;
    readonly sharpe: number | null;
    readonly sortino: number | null;
    readonly max_drawdown: number;
    readonly days: number;
  };
}

/** Every combination of the grid, keys in the grid's order. */
export function gridPoints(
  grid: Readonly<Record<string, readonly number[]>>,
): Record<string, number>[] {
  let points: Record<string, number>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return points;
}

/** Trading days (day numbers) of the series inside the request's range. */
function tradingDays(series: readonly BarSeries[], request: BacktestRequest): number[] {
  const from = dayStart(request.from);
  const to = dayStart(request.to) + 86_400_000;
  const days = new Set<number>();
  for (const s of series) {
    for (const t of s.time) {
      if (t >= from && t < to) days.add(Math.floor((t - 4 * 3_600_000) / 86_400_000));
    }
  }
  return [...days].sort((a, b) => a - b);
}

export async function walkForward(
  request: BacktestRequest,
  definition: StrategyDefinition,
  series: readonly BarSeries[],
  runner: GridRunner,
): Promise<WalkForwardResult> {
  const spec = request.walk_forward;
  if (spec === undefined) throw new StrategyError('walk_forward needs a grid', 'walk_forward');
  for (const key of Object.keys(spec.grid)) {
    if (!(key in definition.params)) {
      throw new StrategyError(
        `walk_forward.grid names "${key}", which ${definition.name} does not take; its parameters: ${Object.keys(definition.params).join(', ') || 'none'}`,
        `walk_forward.grid.${key}`,
      );
    }
  }
  const points = gridPoints(spec.grid);
  if (points.length > 500) {
    throw new StrategyError(
      `walk_forward.grid has ${points.length} combinations; at most 500`,
      'walk_forward.grid',
    );
  }
  const days = tradingDays(series, request);
  const r = spec.train_ratio;
  const testLen = Math.floor(days.length / (spec.windows + r / (1 - r)));
  const trainLen = Math.floor((testLen * r) / (1 - r));
  if (testLen < 5 || trainLen < 5) {
    throw new StrategyError(
      `${days.length} trading days are too few for ${spec.windows} windows (each needs at least 5 in- and out-of-sample days); use fewer windows or a longer range`,
      'walk_forward.windows',
    );
  }
  const day = (i: number): string => isoDate(days[Math.min(i, days.length - 1)] ?? 0);
  const windows: WalkForwardWindow[] = [];
  const oosReturns: number[] = [];
  const objectiveOf = (result: BacktestResult): number | null => {
    const m = result.metrics;
    return spec.objective === 'total_return' ? m.total_return : m[spec.objective];
  };
  for (let w = 0; w < spec.windows; w++) {
    const trainFrom = w * testLen;
    const testFrom = trainFrom + trainLen;
    const testTo = w === spec.windows - 1 ? days.length : testFrom + testLen;
    const train = { from: day(trainFrom), to: day(testFrom - 1) };
    const test = { from: day(testFrom), to: day(testTo - 1) };
    const inSample = await runner.run(
      points.map((params) => ({
        request: { ...request, ...train, params, walk_forward: undefined, monte_carlo: undefined },
      })),
    );
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    inSample.forEach((result, i) => {
      const score = objectiveOf(result) ?? Number.NEGATIVE_INFINITY;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    const params = points[best] ?? {};
    const [outOfSample] = await runner.run([
      { request: { ...request, ...test, params, walk_forward: undefined, monte_carlo: undefined } },
    ]);
    if (outOfSample === undefined)
      throw new Error('walk-forward: the out-of-sample run answered nothing');
    const initial = Number(request.cash);
    oosReturns.push(
      ...equityReturns(
        initial,
        outOfSample.equity_curve.map((p) => p.equity),
      ),
    );
    const chosen = inSample[best];
    windows.push({
      train,
      test,
      params,
      in_sample: {
        objective: roundOrNull(chosen === undefined ? null : objectiveOf(chosen)),
        total_return: chosen?.metrics.total_return ?? 0,
        sharpe: chosen?.metrics.sharpe ?? null,
      },
      out_of_sample: {
        total_return: outOfSample.metrics.total_return,
        sharpe: outOfSample.metrics.sharpe,
        max_drawdown: outOfSample.metrics.max_drawdown,
        trades: outOfSample.metrics.trades,
      },
    });
  }
  const m = returnMetrics(oosReturns, { riskFreeRate: request.risk_free_rate });
  return {
    objective: spec.objective,
    grid: spec.grid,
    combinations: points.length,
    windows,
    out_of_sample: {
      total_return: round(m.total_return),
      annual_return: roundOrNull(m.annual_return),
      sharpe: roundOrNull(m.sharpe),
      sortino: roundOrNull(m.sortino),
      max_drawdown: round(m.max_drawdown),
      days: oosReturns.length,
    },
  };
}
