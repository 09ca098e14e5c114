import { randomUUID } from 'node:crypto';
import {
  assertValidExpectedRevision,
  assertValidStreamName,
  checkEvents,
  EventStoreError,
  expectationHolds,
  matchesFilter,
  prepareEvents,
  WrongExpectedVersion,
  type AppendOptions,
  type AppendResult,
  type CheckedEvent,
  type EventData,
  type EventStore,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from './port.ts';
import { CatchUpSubscription, Notifier } from './subscription.ts';
import { checkMaxCount, idempotentResult, sliceStream } from './reading.ts';

/**
 * In-process event store for unit tests and backtests. Appends are synchronous once
 * validated, so each append is atomic and positions are dense (1, 2, 3, …).
 */
export interface MemoryEventStoreOptions {
  /**
   * `copy` (default): events are stored as parsed copies of the JSON the append serialized,
   * so callers mutating their objects cannot rewrite history. `reference`: the caller's data
   * and metadata objects are stored as they are (checked as `prepareEvents` checks them, but
   * not serialized unless a size bound cannot clear them: `checkEvents`) —
   * for a writer whose events are never mutated after the append, such as the backtest
   * ledger's decider output, where the parse would be most of the cost of a run's journal.
   */
  readonly keep?: 'copy' | 'reference';
}

export class MemoryEventStore implements EventStore {
  readonly kind = 'memory' as const;
  readonly #copy: boolean;
  readonly #all: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  /** Per stream, its events by id: an idempotency check without a scan of the stream. */
  readonly #ids = new Map<string, Map<string, RecordedEvent>>();
  readonly #notifier = new Notifier();
  #closed = false;

  constructor(options: MemoryEventStoreOptions = {}) {
    this.#copy = (options.keep ?? 'copy') === 'copy';
  }

  append(
    streamId: string,
    events: readonly EventData[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    return settle(() => this.#appendNow(streamId, events, options));
  }

  #appendNow(streamId: string, events: readonly EventData[], options: AppendOptions): AppendResult {
    this.#assertOpen();
    const expected = options.expectedRevision ?? 'any';
    assertValidExpectedRevision(expected);
    // A `reference` store keeps the caller's objects: it needs the checks, not the JSON.
    const serialized = this.#copy ? prepareEvents(streamId, events, randomUUID) : undefined;
    const prepared: readonly CheckedEvent[] =
      serialized ?? checkEvents(streamId, events, randomUUID);
    const stream = this.#streams.get(streamId) ?? [];
    const ids = this.#ids.get(streamId) ?? new Map<string, RecordedEvent>();
    const found: RecordedEvent[] = [];
    for (const event of prepared) {
      const stored = ids.get(event.id);
      if (stored) found.push(stored);
    }
    const replay = idempotentResult(found, prepared.length);
    if (replay) return replay;
    const current = stream.length - 1;
    if (!expectationHolds(expected, current)) {
      throw new WrongExpectedVersion(streamId, expected, current === -1 ? 'no_stream' : current);
    }
    const recordedAt = new Date();
    for (let i = 0; i < prepared.length; i++) {
      const event = prepared[i];
      if (event === undefined) continue;
      const json = serialized?.[i];
      const recorded: RecordedEvent = {
        id: event.id,
        streamId,
        type: event.type,
        revision: stream.length,
        position: this.#all.length + 1,
        // Stored as parsed copies so callers mutating their objects cannot rewrite history
        // (unless the writer asked to keep its own, immutable objects).
        data: json === undefined ? event.data : (JSON.parse(json.dataJson) as unknown),
        metadata:
          json === undefined
            ? event.metadata
            : (JSON.parse(json.metadataJson) as RecordedEvent['metadata']),
        recordedAt,
      };
      stream.push(recorded);
      ids.set(recorded.id, recorded);
      this.#all.push(recorded);
    }
    this.#streams.set(streamId, stream);
    this.#ids.set(streamId, ids);
    this.#notifier.notify();
    return { nextRevision: stream.length - 1, position: this.#all.length };
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return settle(() => {
      this.#assertOpen();
      assertValidStreamName(streamId);
      return sliceStream(this.#streams.get(streamId) ?? [], options);
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return settle(() => {
      this.#assertOpen();
      const from = options.fromPosition ?? 0;
      if (!Number.isSafeInteger(from) || from < 0) {
        throw new EventStoreError(
          'invalid_argument',
          `fromPosition must be a non-negative integer (got ${from})`,
        );
      }
      return this.#readFrom(Math.max(1, from), checkMaxCount(options.maxCount), options);
    });
  }

  #readFrom(from: number, max: number, options: ReadAllOptions): RecordedEvent[] {
    const out: RecordedEvent[] = [];
    for (let i = from - 1; i < this.#all.length && out.length < max; i++) {
      const event = this.#all[i];
      if (event && matchesFilter(options.filter, event.streamId, event.type)) out.push(event);
    }
    return out;
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    return new CatchUpSubscription(
      (after, max) => Promise.resolve(this.#readFrom(after + 1, max, options)),
      this.#notifier,
      options,
    );
  }

  headPosition(): Promise<number> {
    return Promise.resolve(this.#all.length);
  }

  ping(): Promise<void> {
    return settle(() => {
      this.#assertOpen();
    });
  }

  wake(): void {
    this.#notifier.notify();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#notifier.notify();
    return Promise.resolve();
  }

  #assertOpen(): void {
    if (this.#closed) throw new EventStoreError('closed', 'The event store is closed');
  }
}

/** Runs synchronous store work and reports its outcome as a promise, as the port promises. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
