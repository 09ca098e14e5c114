/**
 * The transaction log behind the EventStoreDB double: one ordered list of event records with
 * ESDB's write rules, and nothing about gRPC.
 *
 * What it keeps from EventStoreDB:
 * - revisions (event numbers) are 0-based per stream; `-1` stands for "no stream";
 * - every event is its own log record at a byte offset, so positions are sparse and strictly
 *   increasing, and an event written through gRPC has commit position = prepare position;
 * - the optimistic-concurrency and idempotency decision is a port of the server's
 *   `IndexWriter.CheckCommit`: `any`/`stream_exists` look the batch's ids up in the
 *   committed-event cache (first id unknown → write; first known but a later one not →
 *   "corrupted idempotency", answered as wrong expected version), an exact revision behind
 *   the stream compares the ids at the following revisions one by one.
 *
 * What it simplifies: the committed-event cache is unbounded (the server's is bounded by
 * memory, so old ids stop deduplicating there), there are no deletes, tombstones, stream
 * metadata, `$`-system events, links or scavenging.
 */

/** An event record as the log holds it. */
export interface LogRecord {
  /** Byte offset of the record: its commit and prepare position. */
  readonly position: bigint;
  readonly streamName: string;
  readonly eventNumber: bigint;
  /** Lower-case UUID. */
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  /** .NET ticks (100 ns) since the Unix epoch, as the server's `created` metadata. */
  readonly created: bigint;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export type Expected =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export type AppendOutcome =
  | {
      readonly kind: 'written' | 'idempotent';
      readonly currentRevision: bigint;
      /** Position of the batch's last event. */
      readonly position: bigint;
    }
  /** `current` is -1 when the stream does not exist. */
  | { readonly kind: 'wrong_expected_version'; readonly current: bigint };

/** Where the first event lands: a real log starts with epoch and system records. */
const FIRST_EVENT_POSITION = 1024n;
/** Fixed part of a prepare record (header, ids, flags, timestamps). */
const RECORD_OVERHEAD = 96n;

export class EventLog {
  readonly records: LogRecord[] = [];
  readonly #streams = new Map<string, LogRecord[]>();
  readonly #byPosition = new Set<bigint>();
  /** The server's committed-event cache: event id → where it was written. */
  readonly #committed = new Map<string, { stream: string; eventNumber: bigint }>();
  readonly #listeners = new Set<() => void>();
  #end = FIRST_EVENT_POSITION;

  /** Position the next record will be written at. */
  get end(): bigint {
    return this.#end;
  }

  /** Whether a read may start at `position`: the log's start, a record, or the end. */
  isBoundary(position: bigint): boolean {
    return position === 0n || position === this.#end || this.#byPosition.has(position);
  }

  /** Index in `records` of the first record at or after `position`. */
  indexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const record = this.records[mid];
      if (record !== undefined && record.position < position) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  stream(name: string): readonly LogRecord[] {
    return this.#streams.get(name) ?? [];
  }

  /** Calls `listener` after every write; returns the unsubscribe function. */
  onWrite(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  append(streamName: string, expected: Expected, events: readonly ProposedEvent[]): AppendOutcome {
    const stream = this.#streams.get(streamName) ?? [];
    const decision = this.#checkCommit(streamName, stream, expected, events);
    if (decision) return decision;
    const created = BigInt(Date.now()) * 10_000n;
    let last: LogRecord | undefined;
    for (const event of events) {
      const record: LogRecord = {
        position: this.#end,
        streamName,
        eventNumber: BigInt(stream.length),
        id: event.id,
        type: event.type,
        contentType: event.contentType,
        created,
        data: event.data,
        metadata: event.metadata,
      };
      this.#end +=
        RECORD_OVERHEAD +
        BigInt(
          Buffer.byteLength(streamName) +
            Buffer.byteLength(event.type) +
            event.data.length +
            event.metadata.length,
        );
      stream.push(record);
      this.records.push(record);
      this.#byPosition.add(record.position);
      this.#committed.set(event.id, { stream: streamName, eventNumber: record.eventNumber });
      last = record;
    }
    this.#streams.set(streamName, stream);
    for (const listener of [...this.#listeners]) listener();
    return last
      ? { kind: 'written', currentRevision: last.eventNumber, position: last.position }
      : { kind: 'written', currentRevision: BigInt(stream.length - 1), position: this.#end };
  }

  /** `IndexWriter.CheckCommit`: undefined means "write it". */
  #checkCommit(
    streamName: string,
    stream: readonly LogRecord[],
    expected: Expected,
    events: readonly ProposedEvent[],
  ): AppendOutcome | undefined {
    const current = BigInt(stream.length - 1);
    const wrong: AppendOutcome = { kind: 'wrong_expected_version', current };
    if (expected.kind === 'stream_exists' && current < 0n) return wrong;

    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      let lastNumber: bigint | undefined;
      for (const [index, event] of events.entries()) {
        const seen = this.#committed.get(event.id);
        if (seen?.stream !== streamName) return index === 0 ? undefined : wrong;
        lastNumber = seen.eventNumber;
      }
      return lastNumber === undefined ? undefined : this.#idempotent(stream, lastNumber);
    }

    const expectedNumber = expected.kind === 'no_stream' ? -1n : expected.revision;
    if (expectedNumber < current) {
      let eventNumber = expectedNumber;
      for (const event of events) {
        eventNumber += 1n;
        // Unknown ids at the first revision are a plain conflict; further on, a batch that
        // is only partly stored ("corrupted idempotency") gets the same answer.
        if (stream[Number(eventNumber)]?.id !== event.id) return wrong;
      }
      return this.#idempotent(stream, eventNumber);
    }
    if (expectedNumber > current) return wrong;
    return undefined;
  }

  #idempotent(stream: readonly LogRecord[], lastNumber: bigint): AppendOutcome {
    const record = stream[Number(lastNumber)];
    return {
      kind: 'idempotent',
      currentRevision: lastNumber,
      position: record?.position ?? -1n,
    };
  }
}
