import { assembleResult, engineFor } from '../../src/backtest/run.ts';
import type { BacktestRequest } from '../../src/backtest/request.ts';
import type { StrategyDefinition } from '../../src/backtest/strategy.ts';
import type { BarSeries } from '../../src/history/bars.ts';

/** Runs a backtest and also answers its ledger (the memory store and the final state). */
export async function runBacktestWithLedger(
  request: BacktestRequest,
  definition: StrategyDefinition,
  series: BarSeries,
) {
  const engine = engineFor(request, definition, [series], {});
  engine.run(Number.MAX_SAFE_INTEGER);
  const output = engine.finish();
  await output.ledger.flush({ actor: 'test', correlationId: 'test' });
  const result = assembleResult(
    request,
    definition,
    {},
    { series: [series], source: 'csv' },
    output,
    engine.totalSteps,
  );
  return { result, ledger: output.ledger };
}
