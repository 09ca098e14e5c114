/** A backtest worker thread (see grid.ts): loads the strategy once, then runs tasks. */
import { parentPort, workerData } from 'node:worker_threads';
import type { BarSeries } from '../history/bars.ts';
import type { GridTask } from './grid.ts';
import { assembleResult, engineFor } from './run.ts';
import { loadStrategy } from './strategies/index.ts';
import { resolveParams } from './strategy.ts';

const init = workerData as {
  readonly series: BarSeries[];
  readonly benchmark?: BarSeries;
  readonly strategy: string;
  readonly cwd: string;
};
const definition = await loadStrategy(init.strategy, init.cwd);

parentPort?.on('message', (task: GridTask) => {
  try {
    const params = resolveParams(definition, task.request.params);
    const engine = engineFor(task.request, definition, init.series, params);
    engine.run(Number.MAX_SAFE_INTEGER);
    const output = engine.finish();
    const result = assembleResult(
      task.request,
      definition,
      params,
      {
        series: init.series,
        ...(init.benchmark === undefined ? {} : { benchmark: init.benchmark }),
        source: 'stored',
      },
      output,
      engine.totalSteps,
    );
    parentPort?.postMessage({ result });
  } catch (error) {
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
