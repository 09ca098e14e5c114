/**
 * A backtest job off the request thread: receives the request and the loaded bars, runs the
 * replay and the validation tools, and reports progress and the result to its parent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { executeBacktest } from './execute.ts';
import type { BacktestRequest } from './request.ts';
import type { BacktestData } from './run.ts';

const job = workerData as {
  readonly request: BacktestRequest;
  readonly data: BacktestData | undefined;
  readonly cwd: string;
};

let last = 0;
try {
  const result = await executeBacktest(
    job.request,
    job.data === undefined ? {} : { preloaded: job.data },
    {
      cwd: job.cwd,
      onPhase: (phase) => parentPort?.postMessage({ phase }),
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - last < 250 && done < total) return;
        last = now;
        parentPort?.postMessage({ progress: { done, total } });
      },
    },
  );
  parentPort?.postMessage({ result });
} catch (error) {
  parentPort?.postMessage({
    error: {
      message: error instanceof Error ? error.message : String(error),
      code:
        error instanceof Error && 'code' in error && typeof error.code === 'string'
          ? error.code
          : 'backtest_failed',
      field:
        error instanceof Error && 'field' in error && typeof error.field === 'string'
          ? error.field
          : null,
    },
  });
}
