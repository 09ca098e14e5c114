/**
 * The `backtest-{id}` stream (DESIGN.md section 3): a job's request, its progress and its
 * result summary, in the venue's event store. The account the backtest trades lives in the
 * backtest's own memory store, never here.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import type { BacktestRequest } from './request.ts';
import type { BacktestResult } from './run.ts';

export type BacktestStatus = 'queued' | 'running' | 'completed' | 'failed' | 'canceled';

export type BacktestEvent =
  | {
      readonly type: 'BacktestRequested';
      readonly data: {
        readonly id: string;
        readonly ownerId: string;
        readonly request: BacktestRequest;
        readonly at: string;
      };
    }
  | {
      readonly type: 'BacktestProgressed';
      readonly data: {
        readonly phase: string;
        readonly done: number;
        readonly total: number;
        readonly at: string;
      };
    }
  | {
      readonly type: 'BacktestCompleted';
      readonly data: {
        readonly metrics: BacktestResult['metrics'];
        readonly benchmark: BacktestResult['benchmark'];
        readonly orders: BacktestResult['orders'];
        readonly stats: BacktestResult['stats'];
        readonly at: string;
      };
    }
  | {
      readonly type: 'BacktestFailed';
      readonly data: {
        readonly code: string;
        readonly message: string;
        readonly field: string | null;
        readonly at: string;
      };
    }
  | { readonly type: 'BacktestCanceled'; readonly data: { readonly at: string } };

export function backtestStream(id: string): string {
  return `backtest-${id}`;
}

/** What a `backtest-{id}` stream says about its job. */
export interface BacktestSummary {
  readonly id: string;
  readonly ownerId: string;
  readonly status: BacktestStatus;
  readonly request: BacktestRequest;
  readonly progress: {
    readonly phase: string;
    readonly done: number;
    readonly total: number;
  } | null;
  readonly completed: Extract<BacktestEvent, { type: 'BacktestCompleted' }>['data'] | null;
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field: string | null;
  } | null;
  readonly requestedAt: string;
  readonly finishedAt: string | null;
}

/** Folds a stream into its summary (`undefined` for an empty stream). */
export function summarize(events: readonly RecordedEvent[]): BacktestSummary | undefined {
  let s: BacktestSummary | undefined;
  for (const recorded of events) {
    const e = { type: recorded.type, data: recorded.data } as BacktestEvent;
    switch (e.type) {
      case 'BacktestRequested':
        s = {
          id: e.data.id,
          ownerId: e.data.ownerId,
          status: 'queued',
          request: e.data.request,
          progress: null,
          completed: null,
          error: null,
          requestedAt: e.data.at,
          finishedAt: null,
        };
        break;
      case 'BacktestProgressed':
        if (s)
          s = {
            ...s,
            status: 'running',
            progress: { phase: e.data.phase, done: e.data.done, total: e.data.total },
          };
        break;
      case 'BacktestCompleted':
        if (s) s = { ...s, status: 'completed', completed: e.data, finishedAt: e.data.at };
        break;
      case 'BacktestFailed':
        if (s)
          s = {
            ...s,
            status: 'failed',
            error: { code: e.data.code, message: e.data.message, field: e.data.field },
            finishedAt: e.data.at,
          };
        break;
      case 'BacktestCanceled':
        if (s) s = { ...s, status: 'canceled', finishedAt: e.data.at };
        break;
    }
  }
  return s;
}

/** Appends a job's events, in order (one writer per job). */
export class BacktestJournal {
  #revision = -1;

  constructor(
    private readonly store: EventStore,
    readonly id: string,
    private readonly actor: string,
    private readonly source: 'rest' | 'mcp' | 'cli',
  ) {}

  async append(event: BacktestEvent): Promise<number> {
    const result = await this.store.append(
      backtestStream(this.id),
      [
        {
          id: randomUUID(),
          type: event.type,
          data: event.data,
          metadata: { actor: this.actor, source: this.source, correlationId: this.id },
        },
      ],
      { expectedRevision: this.#revision === -1 ? 'no_stream' : this.#revision },
    );
    this.#revision = result.nextRevision;
    return result.position;
  }

  /** The summary block of a finished result. */
  static completed(result: BacktestResult): Extract<BacktestEvent, { type: 'BacktestCompleted' }> {
    return {
      type: 'BacktestCompleted',
      data: {
        metrics: result.metrics,
        benchmark: result.benchmark,
        orders: result.orders,
        stats: result.stats,
        at: new Date().toISOString(),
      },
    };
  }
}
