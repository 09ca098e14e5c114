import { randomUUID } from 'node:crypto';
import {
  assertValidExpectedRevision,
  assertValidStreamName,
  EventStoreError,
  prepareEvents,
  WrongExpectedVersion,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventFilter,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type PreparedEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../port.ts';
import { checkMaxCount, checkRevision, partialDuplicate } from '../reading.ts';
import { CatchUpSubscription, Notifier } from '../subscription.ts';
import { migrate, quoteIdent } from './migrations.ts';
import type { SqlPool } from './pool.ts';

interface EventRow {
  position: string | number;
  stream_id: string;
  revision: string | number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date | string;
}

interface AppendRow {
  outcome: 'ok' | 'idempotent' | 'wrong_expected_version' | 'partial_duplicate';
  next_revision: string | number | null;
  last_position: string | number | null;
}

const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';
const UNIQUE_VIOLATION = '23505';

/** An append waiting for its turn to be written, alone or in a group commit. */
interface PendingAppend {
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  readonly prepared: readonly PreparedEvent[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Events one group commit may hold: well inside the 65,536 positions of one transaction. */
const MAX_GROUP_EVENTS = 10_000;

export interface SqlEventStoreOptions {
  readonly kind: 'postgres' | 'pglite';
  readonly pool: SqlPool;
  /**
   * Append calls in flight at once (default: half the pool's connections, so subscriptions,
   * reads and read-model writes on the same pool always find one; 1 on PGlite, which has one
   * session). Appends that arrive while all are busy wait and then go together, as one group
   * commit.
   */
  readonly maxConcurrentAppends?: number;
  /** Schema holding the event tables (tests isolate themselves with their own). */
  readonly schema?: string;
  /** Longest a subscriber waits before re-reading when no in-process append woke it. */
  readonly pollMs?: number;
}

/**
 * The event store over PostgreSQL SQL, shared by the `postgres` adapter (node-postgres) and
 * the embedded `pglite` adapter. The ordering design is documented in `migrations.ts`.
 */
export class SqlEventStore implements EventStore {
  readonly kind: 'postgres' | 'pglite';
  readonly #pool: SqlPool;
  readonly #s: string;
  readonly #notifier = new Notifier();
  readonly #pollMs: number;
  readonly #maxConcurrent: number;
  readonly #waiting: PendingAppend[] = [];
  #running = 0;
  #closed = false;

  private constructor(options: SqlEventStoreOptions) {
    this.kind = options.kind;
    this.#pool = options.pool;
    this.#s = quoteIdent(options.schema ?? 'eventstore');
    this.#pollMs = options.pollMs ?? 50;
    this.#maxConcurrent = Math.max(
      1,
      options.maxConcurrentAppends ??
        (options.kind === 'pglite' ? 1 : Math.floor((options.pool.size ?? 10) / 2)),
    );
  }

  /** Connects, applies pending migrations and returns a ready store. */
  static async open(options: SqlEventStoreOptions): Promise<SqlEventStore> {
    await migrate(options.pool, options.schema ?? 'eventstore');
    return new SqlEventStore(options);
  }

  async append(
    streamId: string,
    events: readonly EventData[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    this.#assertOpen();
    const expected = options.expectedRevision ?? 'any';
    assertValidExpectedRevision(expected);
    const prepared = prepareEvents(streamId, events, randomUUID);
    return new Promise<AppendResult>((resolve, reject) => {
      this.#waiting.push({ streamId, expected, prepared, resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * Group commit: while fewer than `maxConcurrentAppends` append calls are in flight, the next
   * call takes every append waiting (up to MAX_GROUP_EVENTS events) into one transaction. Under
   * light load each append goes alone, as soon as it arrives; under load the appends that would
   * have queued for a connection share one round trip and one commit instead.
   */
  #dispatch(): void {
    while (this.#running < this.#maxConcurrent && this.#waiting.length > 0) {
      let events = 0;
      let take = 0;
      for (const pending of this.#waiting) {
        if (take > 0 && events + pending.prepared.length > MAX_GROUP_EVENTS) break;
        events += pending.prepared.length;
        take++;
      }
      const group = this.#waiting.splice(0, take);
      this.#running++;
      void this.#write(group).finally(() => {
        this.#running--;
        this.#dispatch();
      });
    }
  }

  async #write(group: PendingAppend[]): Promise<void> {
    const [only] = group;
    if (only !== undefined && group.length === 1) {
      await this.#writeOne(only);
      return;
    }
    let rows: AppendRow[];
    // One lock order for every group (streams sorted; a stable sort keeps two appends to the
    // same stream in arrival order), so two groups never deadlock on each other's stream rows.
    const ordered = [...group].sort((a, b) =>
      a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0,
    );
    try {
      rows = await this.#callAppendBatch(ordered);
    } catch {
      // Whatever failed the group (typically a retried batch meeting its stored copy on the
      // unique event id) undid all of it: each append goes again alone, answering for itself.
      for (const pending of ordered) await this.#writeOne(pending);
      return;
    }
    if (rows.some((row) => row.outcome === 'ok')) this.#notifier.notify();
    ordered.forEach((pending, i) => {
      settleAppend(pending, rows[i]);
    });
  }

  async #writeOne(pending: PendingAppend): Promise<void> {
    const { streamId, expected, prepared } = pending;
    const params = [
      streamId,
      encodeExpected(expected),
      prepared.map((e) => e.id),
      prepared.map((e) => e.type),
      jsonArray(prepared.map((e) => e.dataJson)),
      jsonArray(prepared.map((e) => e.metadataJson)),
    ];
    let row: AppendRow | undefined;
    try {
      try {
        row = await this.#callAppend([...params, false]);
      } catch (error) {
        // A batch already stored (a retry, or a concurrent copy) hits the unique event id;
        // asked again with the check first, the function answers idempotently.
        if (!isUniqueViolation(error)) throw error;
        row = await this.#callAppend([...params, true]);
      }
    } catch (error) {
      pending.reject(error);
      return;
    }
    if (row?.outcome === 'ok') this.#notifier.notify();
    settleAppend(pending, row);
  }

  async #callAppendBatch(group: readonly PendingAppend[]): Promise<AppendRow[]> {
    const events = group.flatMap((p) => p.prepared);
    const result = await this.#pool.query<AppendRow>(
      `SELECT * FROM ${this.#s}.append_events_batch($1::text[], $2::bigint[], $3::int[], $4::uuid[], $5::text[], ${jsonElements(6)}, ${jsonElements(7)})`,
      [
        group.map((p) => p.streamId),
        group.map((p) => encodeExpected(p.expected)),
        group.map((p) => p.prepared.length),
        events.map((e) => e.id),
        events.map((e) => e.type),
        jsonArray(events.map((e) => e.dataJson)),
        jsonArray(events.map((e) => e.metadataJson)),
      ],
      this.kind === 'postgres' ? `append_events_batch:${this.#s}` : undefined,
    );
    if (result.rows.length !== group.length) {
      throw new Error(`append_events_batch answered ${result.rows.length} of ${group.length}`);
    }
    return result.rows;
  }

  async #callAppend(params: unknown[]): Promise<AppendRow | undefined> {
    const result = await this.#pool.query<AppendRow>(
      `SELECT * FROM ${this.#s}.append_events($1, $2, $3::uuid[], $4::text[], ${jsonElements(5)}, ${jsonElements(6)}, $7)`,
      params,
      // Prepared once per connection on a server. Not on PGlite: its one session outlives the
      // node-postgres clients that come and go, so a name would already exist.
      this.kind === 'postgres' ? `append_events:${this.#s}` : undefined,
    );
    return result.rows[0];
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    assertValidStreamName(streamId);
    const max = checkMaxCount(options.maxCount);
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    const from = options.fromRevision ?? (forwards ? 'start' : 'end');
    let bound: number;
    if (from === 'start') bound = 0;
    else if (from === 'end') bound = Number.MAX_SAFE_INTEGER;
    else bound = checkRevision(from);
    const result = await this.#pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.#s}.events WHERE stream_id = $1 AND revision ${forwards ? '>=' : '<='} $2
       ORDER BY revision ${forwards ? 'ASC' : 'DESC'} LIMIT $3`,
      [streamId, bound, Math.min(max, 1_000_000_000)],
    );
    return result.rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const max = checkMaxCount(options.maxCount);
    const from = options.fromPosition ?? 0;
    if (!Number.isSafeInteger(from) || from < 0) {
      throw new EventStoreError(
        'invalid_argument',
        `fromPosition must be a non-negative integer (got ${from})`,
      );
    }
    return this.#readAfter(from - 1, Math.min(max, 1_000_000_000), options.filter);
  }

  async #readAfter(after: number, max: number, filter?: EventFilter): Promise<RecordedEvent[]> {
    const params: unknown[] = [after, max];
    let where = '';
    if (filter?.streamPrefixes) {
      params.push(filter.streamPrefixes.map((p) => `${escapeLike(p)}%`));
      where += ` AND stream_id LIKE ANY ($${params.length}::text[])`;
    }
    if (filter?.eventTypes) {
      params.push(filter.eventTypes);
      where += ` AND type = ANY ($${params.length}::text[])`;
    }
    const result = await this.#pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.#s}.events
       WHERE position > $1 AND position < ${this.#s}.visible_horizon()${where}
       ORDER BY position LIMIT $2`,
      params,
    );
    return result.rows.map(toRecorded);
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    return new CatchUpSubscription(
      (after, max) =>
        this.#closed ? Promise.resolve([]) : this.#readAfter(after, max, options.filter),
      this.#notifier,
      { ...options, pollMs: this.#pollMs },
    );
  }

  async headPosition(): Promise<number> {
    const result = await this.#pool.query<{ head: string | number | null }>(
      `SELECT max(position) AS head FROM ${this.#s}.events WHERE position < ${this.#s}.visible_horizon()`,
    );
    return Number(result.rows[0]?.head ?? 0);
  }

  /**
   * Every stream's head as recorded by its appends: the last revision and that event's
   * `metadata.hash` (null when unchained). `ledger verify` compares it with the events, which
   * catches deleting a stream's last events (see docs/security.md).
   */
  async streamHeads(): Promise<{ streamId: string; revision: number; hash: string | null }[]> {
    this.#assertOpen();
    const result = await this.#pool.query<{
      stream_id: string;
      revision: string | number;
      head_hash: string | null;
    }>(`SELECT stream_id, revision, head_hash FROM ${this.#s}.streams ORDER BY stream_id`);
    return result.rows.map((r) => ({
      streamId: r.stream_id,
      revision: Number(r.revision),
      hash: r.head_hash,
    }));
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#pool.query('SELECT 1');
  }

  /** Subscriptions read again now (another process announced an append). */
  wake(): void {
    this.#notifier.notify();
  }

  /** Stops this store; the database (and its pool) is closed by whoever opened it. */
  close(): Promise<void> {
    this.#closed = true;
    this.#notifier.notify();
    return Promise.resolve();
  }

  #assertOpen(): void {
    if (this.#closed) throw new EventStoreError('closed', 'The event store is closed');
  }
}

/**
 * The events' data (or metadata) as one JSON array text: their serialized JSON joined, with no
 * escaping. Sent as a `json[]` parameter, node-postgres would build an array literal that
 * escapes every quote of every event (two regular-expression passes per element, a measurable
 * share of an append's CPU); the statement takes the array apart again (`jsonElements`).
 */
function jsonArray(texts: readonly string[]): string {
  return `[${texts.join(',')}]`;
}

/**
 * SQL turning the JSON array parameter `$n` back into the `json[]` the append functions take,
 * element by element in order (`json` keeps each element's text as sent).
 */
function jsonElements(n: number): string {
  return `ARRAY(SELECT e FROM json_array_elements($${String(n)}::json) WITH ORDINALITY AS t(e, i) ORDER BY i)`;
}

/** Answers an append from its row of `append_events` / `append_events_batch`. */
function settleAppend(pending: PendingAppend, row: AppendRow | undefined): void {
  const { streamId, expected, prepared } = pending;
  if (!row) {
    pending.reject(new Error('append_events returned no row'));
    return;
  }
  switch (row.outcome) {
    case 'ok':
    case 'idempotent':
      pending.resolve({
        nextRevision: Number(row.next_revision),
        position: Number(row.last_position),
      });
      return;
    case 'partial_duplicate':
      pending.reject(partialDuplicate(Number(row.next_revision), prepared.length));
      return;
    case 'wrong_expected_version': {
      const actual = Number(row.next_revision);
      pending.reject(
        new WrongExpectedVersion(streamId, expected, actual < 0 ? 'no_stream' : actual),
      );
      return;
    }
  }
}

function encodeExpected(expected: ExpectedRevision): number {
  switch (expected) {
    case 'any':
      return -2;
    case 'no_stream':
      return -1;
    case 'stream_exists':
      return -3;
    default:
      return expected;
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    type: row.type,
    revision: Number(row.revision),
    position: Number(row.position),
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
  };
}

function escapeLike(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === UNIQUE_VIOLATION
  );
}
