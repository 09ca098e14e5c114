/**
 * Backtest jobs for REST and MCP: a request is validated, recorded (`backtest-{id}`), its bars
 * loaded, and the replay runs on a worker thread — never on the request thread — reporting
 * progress to the stream; a job can be canceled (its worker is terminated). The stream keeps
 * the request and the summary; the full result goes to the `results` store (durable in the
 * server: `SqlBacktestResults`) before `BacktestCompleted` is recorded, and the newest
 * `keepResults` stay in memory as well, so a result and its report survive a restart.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { EventStore } from '../eventstore/port.ts';
import type { BarStore } from '../history/store.ts';
import { loadBacktestData, MissingDataError } from './data.ts';
import { backtestStream, BacktestJournal, summarize, type BacktestSummary } from './journal.ts';
import {
  BacktestRequestSchema,
  type BacktestRequest,
  type BacktestRequestInput,
} from './request.ts';
import type { BacktestResultStore } from './results.ts';
import type { BacktestData, BacktestResult } from './run.ts';
import { DEFAULT_UNIVERSE } from '../market/simulated/universe.ts';

const LISTED = new Set(DEFAULT_UNIVERSE.map((i) => i.symbol));
import { builtInStrategy, isStrategyFile, loadStrategy } from './strategies/index.ts';
import { resolveParams, StrategyError } from './strategy.ts';

export interface BacktestServiceDeps {
  readonly store: EventStore;
  readonly bars?: BarStore;
  /** Jobs running at once (default 2); more wait their turn. */
  readonly concurrency?: number;
  /** Finished results kept in memory besides `results` (default 50). */
  readonly keepResults?: number;
  /** Where finished results are kept (default: memory only, lost on restart). */
  readonly results?: BacktestResultStore;
}

/** A job's state as the interfaces answer it. */
export interface BacktestJob extends BacktestSummary {
  /** The full result of a completed job (null before, or when it could not be kept). */
  readonly result: BacktestResult | null;
}

/** Not found, or not the caller's. */
export class BacktestNotFound extends Error {
  override readonly name = 'BacktestNotFound';
  readonly code = 'backtest_not_found';
}

interface Running {
  worker?: Worker;
  canceled: boolean;
  done: Promise<void>;
}

export class BacktestService {
  readonly #deps: BacktestServiceDeps;
  readonly #results = new Map<string, BacktestResult>();
  readonly #durable: BacktestResultStore | undefined;
  readonly #running = new Map<string, Running>();
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(deps: BacktestServiceDeps) {
    this.#deps = deps;
    this.#durable = deps.results;
  }

  /**
   * Validates and starts a job; resolves once it is recorded. Throws `ZodError`, or
   * `StrategyError` / `MissingDataError` (with the field) before anything is written.
   */
  async start(
    ownerId: string,
    input: BacktestRequestInput,
    source: 'rest' | 'mcp',
  ): Promise<{ id: string; position: number }> {
    const request = BacktestRequestSchema.parse(input);
    if (isStrategyFile(request.strategy)) {
      throw new StrategyError(
        'strategy files run only from the CLI (`paper-trading backtest run --strategy path`); name a built-in',
        'strategy',
      );
    }
    const definition = await loadStrategy(request.strategy);
    resolveParams(definition, request.params);
    // Stored bars are read here (I/O; a missing series is the caller's mistake, answered before
    // anything is recorded); generated ones are computed on the job's worker thread.
    let data: BacktestData | undefined;
    if (request.data === 'generated') {
      const unknown = request.symbols.find((s) => !LISTED.has(s));
      if (unknown !== undefined) {
        throw new MissingDataError(
          `${unknown} is not in the simulated universe, so no history can be generated for it; import its history and use data "stored"`,
          'symbols',
        );
      }
    } else {
      data = await loadBacktestData(
        request,
        definition,
        resolveParams(definition, request.params),
        {
          ...(this.#deps.bars === undefined ? {} : { store: this.#deps.bars }),
        },
      );
    }
    const id = randomUUID();
    const journal = new BacktestJournal(this.#deps.store, id, `user:${ownerId}`, source);
    const position = await journal.append({
      type: 'BacktestRequested',
      data: { id, ownerId, request, at: new Date().toISOString() },
    });
    const running: Running = { canceled: false, done: Promise.resolve() };
    this.#running.set(id, running);
    running.done = this.#run(id, ownerId, request, data, journal, running).finally(() => {
      this.#running.delete(id);
    });
    return { id, position };
  }

  async #run(
    id: string,
    ownerId: string,
    request: BacktestRequest,
    data: BacktestData | undefined,
    journal: BacktestJournal,
    running: Running,
  ): Promise<void> {
    await this.#slot();
    try {
      if (running.canceled) return;
      const outcome = await new Promise<
        | { result: BacktestResult }
        | { error: { message: string; code: string; field: string | null } }
        | { canceled: true }
      >((resolve) => {
        const worker = new Worker(new URL('./job-boot.js', import.meta.url), {
          workerData: { request, data, cwd: process.cwd() },
        });
        running.worker = worker;
        let lastWrite = 0;
        worker.on(
          'message',
          (m: {
            progress?: { done: number; total: number };
            phase?: string;
            result?: BacktestResult;
            error?: { message: string; code: string; field: string | null };
          }) => {
            if (m.result !== undefined) resolve({ result: m.result });
            else if (m.error !== undefined) resolve({ error: m.error });
            else if (m.progress !== undefined || m.phase !== undefined) {
              const now = Date.now();
              if (m.phase === undefined && now - lastWrite < 1000) return;
              lastWrite = now;
              void journal
                .append({
                  type: 'BacktestProgressed',
                  data: {
                    phase: m.phase ?? 'replay',
                    done: m.progress?.done ?? 0,
                    total: m.progress?.total ?? 0,
                    at: new Date().toISOString(),
                  },
                })
                .catch(() => undefined);
            }
          },
        );
        worker.on('error', (error) => {
          resolve({ error: { message: error.message, code: 'backtest_failed', field: null } });
        });
        worker.on('exit', () => {
          if (running.canceled) resolve({ canceled: true });
        });
      });
      await running.worker?.terminate();
      const at = new Date().toISOString();
      if ('canceled' in outcome || isCanceled(running)) {
        await journal.append({ type: 'BacktestCanceled', data: { at } });
      } else if ('error' in outcome) {
        await journal.append({ type: 'BacktestFailed', data: { ...outcome.error, at } });
      } else {
        this.#keep(id, outcome.result);
        // Kept before the summary is recorded: whoever sees `completed` can read the result.
        // A store that fails costs the result's durability, not the job (it stays in memory).
        await this.#durable?.save({ id, ownerId, result: outcome.result }).catch(() => undefined);
        await journal.append(BacktestJournal.completed(outcome.result));
      }
    } catch {
      // The stream could not be written (store gone): nothing more to record.
    } finally {
      this.#release();
    }
  }

  /** Cancels a queued or running job of `ownerId`; false when it already finished. */
  async cancel(id: string, ownerId: string, readAll = false): Promise<boolean> {
    await this.get(id, ownerId, readAll);
    const running = this.#running.get(id);
    if (running === undefined) return false;
    running.canceled = true;
    await running.worker?.terminate();
    await running.done;
    return true;
  }

  /** A job as its owner (or a reader of every account, `readAll`) may see it. */
  async get(id: string, ownerId: string, readAll = false): Promise<BacktestJob> {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new BacktestNotFound(`no backtest ${id}`);
    const summary = summarize(await this.#deps.store.readStream(backtestStream(id)));
    if (summary === undefined || (!readAll && summary.ownerId !== ownerId)) {
      throw new BacktestNotFound(`no backtest ${id}`);
    }
    return { ...summary, result: await this.#result(id, summary) };
  }

  /** A completed job's result: from memory, else from the durable store (then remembered). */
  async #result(id: string, summary: BacktestSummary): Promise<BacktestResult | null> {
    if (summary.status !== 'completed') return null;
    const held = this.#results.get(id);
    if (held !== undefined) return held;
    const stored = await this.#durable?.load(id, summary.ownerId);
    if (stored === undefined) return null;
    this.#keep(id, stored);
    return stored;
  }

  /** Resolves when a job has finished (tests, MCP waits). */
  async settled(id: string, timeoutMs: number): Promise<boolean> {
    const running = this.#running.get(id);
    if (running === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, timeoutMs);
    });
    try {
      return await Promise.race([running.done.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cancels every job (shutdown). */
  async close(): Promise<void> {
    for (const running of this.#running.values()) {
      running.canceled = true;
      await running.worker?.terminate();
    }
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  #keep(id: string, result: BacktestResult): void {
    this.#results.set(id, result);
    const max = this.#deps.keepResults ?? 50;
    while (this.#results.size > max) {
      const oldest = this.#results.keys().next();
      if (oldest.done) break;
      this.#results.delete(oldest.value);
    }
  }

  async #slot(): Promise<void> {
    if (this.#active < (this.#deps.concurrency ?? 2)) {
      this.#active += 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active += 1;
  }

  #release(): void {
    this.#active -= 1;
    this.#waiting.shift()?.();
  }
}

/** Read through a call: cancellation happens while the job awaits. */
function isCanceled(running: Running): boolean {
  return running.canceled;
}

export { builtInStrategy, MissingDataError };
