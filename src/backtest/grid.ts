/**
 * Parameter grids on worker threads: every worker receives the series once, then runs one
 * backtest per task (a sub-period and a parameter set) and answers its result. Runs are pure
 * functions of their task, so results do not depend on which worker ran them or in what order.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BarSeries } from '../history/bars.ts';
import type { BacktestRequest } from './request.ts';
import type { BacktestResult } from './run.ts';

/** One backtest of a grid. */
export interface GridTask {
  readonly request: BacktestRequest;
}

export interface GridRunner {
  run(tasks: readonly GridTask[]): Promise<BacktestResult[]>;
  close(): Promise<void>;
}

interface Pending {
  readonly resolve: (r: BacktestResult) => void;
  readonly reject: (e: Error) => void;
}

/** Workers to use by default: one per core, at least one, at most four. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** A pool of backtest workers over one set of series and one strategy. */
export class WorkerGrid implements GridRunner {
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #queue: { task: GridTask; pending: Pending }[] = [];
  readonly #inFlight = new Map<Worker, Pending>();
  #failed: Error | undefined;

  private constructor() {}

  static open(options: {
    readonly series: readonly BarSeries[];
    readonly benchmark?: BarSeries;
    readonly strategy: string;
    readonly cwd: string;
    readonly size?: number;
  }): WorkerGrid {
    const grid = new WorkerGrid();
    const size = Math.max(1, options.size ?? defaultWorkers());
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./worker-boot.js', import.meta.url), {
        workerData: {
          series: options.series,
          benchmark: options.benchmark,
          strategy: options.strategy,
          cwd: options.cwd,
        },
      });
      worker.on('message', (message: { result?: BacktestResult; error?: string }) => {
        const pending = grid.#inFlight.get(worker);
        grid.#inFlight.delete(worker);
        if (pending !== undefined) {
          if (message.error !== undefined) pending.reject(new Error(message.error));
          else if (message.result !== undefined) pending.resolve(message.result);
        }
        grid.#idle.push(worker);
        grid.#pump();
      });
      worker.on('error', (error) => {
        grid.#fail(error);
      });
      grid.#workers.push(worker);
      grid.#idle.push(worker);
    }
    return grid;
  }

  run(tasks: readonly GridTask[]): Promise<BacktestResult[]> {
    return Promise.all(
      tasks.map(
        (task) =>
          new Promise<BacktestResult>((resolve, reject) => {
            if (this.#failed !== undefined) {
              reject(this.#failed);
              return;
            }
            this.#queue.push({ task, pending: { resolve, reject } });
            this.#pump();
          }),
      ),
    );
  }

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop();
      const next = this.#queue.shift();
      if (worker === undefined || next === undefined) return;
      this.#inFlight.set(worker, next.pending);
      worker.postMessage(next.task);
    }
  }

  #fail(error: Error): void {
    this.#failed = error;
    for (const p of this.#inFlight.values()) p.reject(error);
    this.#inFlight.clear();
    for (const q of this.#queue.splice(0)) q.pending.reject(error);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
