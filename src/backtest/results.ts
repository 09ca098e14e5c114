/**
 * Where finished backtest results are kept. The `backtest-{id}` stream holds a job's request,
 * progress and summary; the full result (equity curve, trades, walk-forward and Monte Carlo
 * panels) lives behind this port so it survives a restart: the SQL adapter
 * (`src/projections/backtest-results.ts`, a tenant table of the read-model schema) in the
 * server, the memory one in tests and embedded uses.
 */
import type { BacktestResult } from './run.ts';

export interface StoredBacktestResult {
  readonly id: string;
  readonly ownerId: string;
  readonly result: BacktestResult;
}

export interface BacktestResultStore {
  /** Keeps a finished job's result (a repeat for the same id keeps the first). */
  save(record: StoredBacktestResult): Promise<void>;
  /** The result of job `id` owned by `ownerId`, if kept. */
  load(id: string, ownerId: string): Promise<BacktestResult | undefined>;
}

/** Results in process memory: the newest `keep` (default 50), lost on restart. */
export class MemoryBacktestResults implements BacktestResultStore {
  readonly #results = new Map<string, StoredBacktestResult>();

  constructor(private readonly keep = 50) {}

  save(record: StoredBacktestResult): Promise<void> {
    if (!this.#results.has(record.id)) this.#results.set(record.id, record);
    while (this.#results.size > this.keep) {
      const oldest = this.#results.keys().next();
      if (oldest.done) break;
      this.#results.delete(oldest.value);
    }
    return Promise.resolve();
  }

  load(id: string, ownerId: string): Promise<BacktestResult | undefined> {
    const record = this.#results.get(id);
    return Promise.resolve(record?.ownerId === ownerId ? record.result : undefined);
  }
}
