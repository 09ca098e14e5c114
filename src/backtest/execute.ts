/**
 * A whole backtest job: load the strategy and the bars, replay, then the validation tools the
 * request asks for (Monte Carlo in process, walk-forward on worker threads). The CLI, the REST
 * jobs and the MCP tools all run this.
 */
import { loadBacktestData, type LoadSources } from './data.ts';
import { WorkerGrid } from './grid.ts';
import { equityReturns } from './metrics.ts';
import { monteCarlo } from './monte-carlo.ts';
import type { BacktestRequest } from './request.ts';
import { runBacktest, type BacktestData, type BacktestResult, type RunOptions } from './run.ts';
import { loadStrategy } from './strategies/index.ts';
import { resolveParams } from './strategy.ts';
import { walkForward } from './walk-forward.ts';

export interface ExecuteOptions extends RunOptions {
  /** Where a strategy file path is resolved from. */
  readonly cwd?: string;
  /** Worker threads for walk-forward grids (default: one per core, at most four). */
  readonly workers?: number;
  /** Called when a phase starts (`replay`, `monte_carlo`, `walk_forward`). */
  readonly onPhase?: (phase: 'replay' | 'monte_carlo' | 'walk_forward') => void;
}

export async function executeBacktest(
  request: BacktestRequest,
  sources: LoadSources & { readonly preloaded?: BacktestData },
  options: ExecuteOptions = {},
): Promise<BacktestResult> {
  const cwd = options.cwd ?? process.cwd();
  const definition = await loadStrategy(request.strategy, cwd);
  const params = resolveParams(definition, request.params);
  const data = sources.preloaded ?? (await loadBacktestData(request, definition, params, sources));
  options.onPhase?.('replay');
  const result = await runBacktest(request, definition, data, options);
  if (request.monte_carlo !== undefined) {
    options.onPhase?.('monte_carlo');
    const initial = Number(request.cash);
    const years = Math.max(1, result.metrics.days) / 252;
    result.monte_carlo = monteCarlo({
      method: request.monte_carlo.method,
      paths: request.monte_carlo.paths,
      seed: request.seed,
      initial,
      returns: equityReturns(
        initial,
        result.equity_curve.map((p) => p.equity),
      ),
      tradePnls: result.trades.map((t) => t.pnl),
      tradesPerYear: result.trades.length / years,
    });
  }
  if (request.walk_forward !== undefined) {
    options.onPhase?.('walk_forward');
    const grid = WorkerGrid.open({
      series: [...data.series],
      ...(data.benchmark === undefined ? {} : { benchmark: data.benchmark }),
      strategy: request.strategy,
      cwd,
      ...(options.workers === undefined ? {} : { size: options.workers }),
    });
    try {
      result.walk_forward = await walkForward(request, definition, data.series, grid);
    } finally {
      await grid.close();
    }
  }
  return result;
}
