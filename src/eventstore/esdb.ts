/**
 * The event-store port over EventStoreDB / KurrentDB, through `@eventstore/db-client` (gRPC).
 *
 * Mapping decisions (DESIGN.md section 2; the contract suite runs against this adapter):
 *
 * - **Positions.** Every event appended through gRPC is its own log record, so its commit
 *   and prepare positions are equal: its byte offset in the transaction log. Our `position`
 *   is **twice that offset** (`2 × prepare`). Log offsets are not dense, and the server can
 *   only start a read at a record boundary; callers, though, resume with `position + 1`
 *   (an inclusive `readAll` start meaning "after this event"). Doubling keeps that exact:
 *   an even position `2p` is the record at offset `p`, an odd `2p + 1` means "after the
 *   record at `p`". `readAll` from `2p` reads the server from `p` inclusive; from `2p + 1`
 *   it reads from `p` and drops that record; `subscribeToAll` from either subscribes after
 *   `p` (server subscriptions start exclusively). Positions below 2 mean "the start".
 *   Positions must come from this adapter (or be 0): another even number is refused by the
 *   server as an invalid position. Offsets stay below 2^52 (4 PiB of log) so the doubled
 *   value is an exact JavaScript integer; larger ones are refused rather than rounded.
 * - **Expected revisions** map one to one: `any` → `ANY`, `no_stream` → `NO_STREAM`,
 *   `stream_exists` → `STREAM_EXISTS`, `n` → `BigInt(n)`. The server's wrong-expected-version
 *   answer becomes our `WrongExpectedVersion` with its current revision (`no_stream` when
 *   the stream is absent).
 * - **Idempotency.** The server deduplicates by event id, but not exactly as our port
 *   promises. With an exact revision (or `no_stream`) it compares the batch's ids with the
 *   events after the expected revision: a true retry is answered idempotently, a partly
 *   stored batch as a wrong expected version. With `any`/`stream_exists` it looks the ids up
 *   in a bounded in-memory cache of recent ids, and only when the batch's *first* id is
 *   known (so `[new, old]` is written again, and so is anything the cache has forgotten).
 *   The adapter therefore (1) for `any`/`stream_exists` appends of caller-chosen ids (ids
 *   it generates cannot repeat), reads the stream's newest `idempotencyWindow` events
 *   first and answers a full match idempotently and a partial one with
 *   `duplicate_event_id`, like the SQL adapters; (2) relies on the server for races
 *   between concurrent copies of a batch and for exact-revision retries, which cost no
 *   extra read (the hash chain pins every append to an exact revision); (3) turns a
 *   wrong-expected-version answer whose expectation actually holds into
 *   `duplicate_event_id`. What still differs from the SQL adapters' unique index: an
 *   exact-revision append reusing ids stored *at or before* the expected revision is
 *   written again, and so is an `any` append whose ids are older than the window and the
 *   server's cache.
 * - **Sizes.** `prepareEvents` enforces our names, types and the 1 MiB per-event limit
 *   before anything is sent. The server also caps a whole append (`MaxAppendSize`, 1 MiB by
 *   default): a larger batch is refused whole and reported as `too_many_events`; raise
 *   `EVENTSTORE_MAX_APPEND_SIZE` on the server for bigger batches.
 * - **Filters.** Subscriptions filter on the server (stream-name prefixes, or an exact
 *   event-type regex, and always excluding `$`-system events), and again here. The 6.x
 *   client cannot send a filtered *read*, so `readAll` pages through `$all` and filters
 *   here: fine for catch-up and admin scans, and the reason projections should subscribe.
 * - **Data and metadata** are stored as JSON (`content-type: application/json`); metadata
 *   goes in the event's custom metadata.
 * - **`streamPrefix`** (optional) is prepended to every stream name on the server and
 *   hidden from callers: several environments, or test runs, can share one server. Events
 *   outside the prefix, and `$`-system streams and events, are invisible through the port.
 */
import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type Filter,
  type JSONType,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  assertValidExpectedRevision,
  assertValidStreamName,
  EventStoreError,
  expectationHolds,
  matchesFilter,
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
} from './port.ts';
import { checkMaxCount, checkRevision, findIdempotentAppend, partialDuplicate } from './reading.ts';
import { iterateEvents } from './subscription.ts';

export interface EsdbEventStoreOptions {
  /** `esdb://…`, `esdb+discover://…` (or the `kurrentdb`/`kdb` spellings of either). */
  readonly connectionString: string;
  /** Prepended to every stream name on the server; see the module comment. */
  readonly streamPrefix?: string;
  /** How many of a stream's newest events the idempotency check reads. Default 100; 0 = off. */
  readonly idempotencyWindow?: number;
  /** Events per page when reading `$all`. Default 500. */
  readonly pageSize?: number;
}

/** Connects and checks the server answers; the caller closes the store. */
export async function openEsdbEventStore(options: EsdbEventStoreOptions): Promise<EsdbEventStore> {
  const store = new EsdbEventStore(options);
  try {
    await store.ping();
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The client accepts only the `esdb` schemes; KurrentDB's are the same protocol. */
function clientConnectionString(connectionString: string): string {
  return connectionString.replace(/^(?:kurrentdb|kdb)(\+discover)?:\/\//i, 'esdb$1://');
}

/** Our position of an event at log offset `offset` (see the module comment). */
function toPosition(offset: bigint): number {
  const position = Number(offset * 2n);
  if (!Number.isSafeInteger(position)) {
    throw new EventStoreError(
      'invalid_argument',
      `Log position ${offset} is beyond what this adapter can express`,
    );
  }
  return position;
}

function checkPosition(position: number, name: string): number {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new EventStoreError(
      'invalid_argument',
      `${name} must be a non-negative integer (got ${position})`,
    );
  }
  return position;
}

/** Where an inclusive `readAll` starts: a server position, and a record to drop if met. */
function inclusiveStart(position: number): { from: Position | typeof START; skip?: bigint } {
  if (position < 2) return { from: START };
  const offset = BigInt(Math.floor(position / 2));
  const from = { commit: offset, prepare: offset };
  return position % 2 === 0 ? { from } : { from, skip: offset };
}

/** Where an exclusive subscription starts: after the record at this server position. */
function exclusiveStart(position: number): Position | typeof START {
  if (position < 2) return START;
  const offset = BigInt(Math.floor(position / 2));
  return { commit: offset, prepare: offset };
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** Reads a client stream to its end (see `readAll` for why never less). */
async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

const escapeRegex = (value: string): string => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const encoder = new TextEncoder();

export class EsdbEventStore implements EventStore {
  readonly kind = 'esdb' as const;
  readonly #client: EventStoreDBClient;
  readonly #prefix: string;
  readonly #window: number;
  readonly #pageSize: number;
  readonly #subscriptions = new Set<EsdbSubscription>();
  #closed = false;

  constructor(options: EsdbEventStoreOptions) {
    this.#client = EventStoreDBClient.connectionString(
      clientConnectionString(options.connectionString),
    );
    this.#prefix = options.streamPrefix ?? '';
    this.#window = options.idempotencyWindow ?? 100;
    this.#pageSize = options.pageSize ?? 500;
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
    const loose = expected === 'any' || expected === 'stream_exists';
    if (loose && this.#window > 0 && events.some((e) => e.id !== undefined)) {
      const tail = await this.readStream(streamId, {
        direction: 'backwards',
        maxCount: this.#window + prepared.length,
      });
      const replay = findIdempotentAppend(tail, prepared);
      if (replay) return replay;
    }
    try {
      const result = await this.#client.appendToStream(
        this.#prefix + streamId,
        prepared.map(toProposed),
        { expectedRevision: toEsdbExpected(expected) },
      );
      const nextRevision = Number(result.nextExpectedRevision);
      // Idempotent answers from older servers carry no position: look the event up.
      const position = result.position
        ? toPosition(result.position.prepare)
        : await this.#positionOf(streamId, nextRevision);
      return { nextRevision, position };
    } catch (error) {
      throw this.#translateAppendError(error, streamId, expected, prepared.length);
    }
  }

  #translateAppendError(
    error: unknown,
    streamId: string,
    expected: ExpectedRevision,
    batchSize: number,
  ): unknown {
    if (error instanceof WrongExpectedVersionError) {
      const actual =
        typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : 'no_stream';
      // The server answers a batch that is only partly stored ("corrupted idempotency") as a
      // wrong expected version, even when the expectation holds.
      if (expectationHolds(expected, actual === 'no_stream' ? -1 : actual)) {
        return partialDuplicate(1, batchSize);
      }
      return new WrongExpectedVersion(streamId, expected, actual);
    }
    if (error instanceof MaxAppendSizeExceededError) {
      return new EventStoreError(
        'too_many_events',
        `The append exceeds the server's maximum append size of ${error.maxAppendSize} bytes: split the batch or raise EVENTSTORE_MAX_APPEND_SIZE`,
      );
    }
    return error;
  }

  async #positionOf(streamId: string, revision: number): Promise<number> {
    const [event] = await this.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    if (!event) {
      throw new EventStoreError(
        'invalid_argument',
        `The server reported ${streamId}@${revision} as written but it cannot be read`,
      );
    }
    return event.position;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    assertValidStreamName(streamId);
    const maxCount = checkMaxCount(options.maxCount);
    const direction = options.direction ?? 'forwards';
    const from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    const fromRevision = from === 'start' ? 0n : from === 'end' ? END : BigInt(checkRevision(from));
    const out: RecordedEvent[] = [];
    try {
      const events = this.#client.readStream(this.#prefix + streamId, {
        fromRevision,
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        maxCount,
      });
      for (const resolved of await collect(events)) {
        const event = this.#toRecorded(resolved);
        if (event) out.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const max = checkMaxCount(options.maxCount);
    let { from, skip } = inclusiveStart(checkPosition(options.fromPosition ?? 0, 'fromPosition'));
    const out: RecordedEvent[] = [];
    for (;;) {
      const limit = Math.min(this.#pageSize, max - out.length + 1);
      // Pages are read to their end: leaving a client read stream early leaves its call
      // open, and the client's dispose() then waits for it forever.
      const page: AllStreamResolvedEvent[] = await collect(
        this.#client.readAll({ fromPosition: from, direction: FORWARDS, maxCount: limit }),
      );
      for (const resolved of page) {
        if (skip !== undefined && resolved.event?.position.prepare === skip) continue;
        const event = this.#toRecorded(resolved);
        if (event && matchesFilter(options.filter, event.streamId, event.type)) {
          out.push(event);
          if (out.length >= max) return out;
        }
      }
      const last: Position | undefined = page.findLast((r) => r.event?.position)?.event?.position;
      if (page.length < limit || !last) return out;
      // The next page starts at the last record read, which is then dropped.
      from = last;
      skip = last.prepare;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    const start = checkPosition(options.fromPosition ?? 0, 'fromPosition');
    const filter = this.#serverFilter(options.filter);
    const subscription = new EsdbSubscription({
      from: exclusiveStart(start),
      batchSize: options.batchSize ?? 500,
      open: (fromPosition) => this.#client.subscribeToAll({ fromPosition, filter }),
      convert: (resolved) => {
        const event = this.#toRecorded(resolved);
        return event && matchesFilter(options.filter, event.streamId, event.type)
          ? event
          : undefined;
      },
      onClose: (s) => this.#subscriptions.delete(s),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** The server-side half of a filter; `#toRecorded` and `matchesFilter` finish the job. */
  #serverFilter(filter: EventFilter | undefined): Filter {
    if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
      return streamNameFilter({ prefixes: filter.streamPrefixes.map((p) => this.#prefix + p) });
    }
    if (this.#prefix) return streamNameFilter({ prefixes: [this.#prefix] });
    if (filter?.eventTypes && filter.eventTypes.length > 0) {
      return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` });
    }
    return excludeSystemEvents();
  }

  async headPosition(): Promise<number> {
    this.#assertOpen();
    let from: Position | typeof END = END;
    for (;;) {
      const page: AllStreamResolvedEvent[] = await collect(
        this.#client.readAll({ fromPosition: from, direction: BACKWARDS, maxCount: 100 }),
      );
      for (const resolved of page) {
        const event = this.#toRecorded(resolved);
        if (event) return event.position;
      }
      const last: Position | undefined = page.findLast((r) => r.event?.position)?.event?.position;
      // Backwards reads start just before the given position.
      if (page.length < 100 || !last) return 0;
      from = last;
    }
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await collect(this.#client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.#client.dispose();
  }

  /** Our view of a server event; undefined for events outside the prefix or `$`-system ones. */
  #toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
    const event = resolved.event;
    if (!event?.streamId.startsWith(this.#prefix)) return undefined;
    const streamId = event.streamId.slice(this.#prefix.length);
    if (streamId.startsWith('$') || event.type.startsWith('$')) return undefined;
    if (!event.position) {
      throw new EventStoreError('invalid_argument', `Event ${event.id} came without a position`);
    }
    // Metadata that is not a JSON object (absent, or written by another tool) reads as {}.
    const raw: unknown = event.metadata;
    const metadata =
      raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Uint8Array)
        ? (raw as EventMetadata)
        : {};
    return {
      id: event.id,
      streamId,
      type: event.type,
      revision: Number(event.revision),
      position: toPosition(event.position.prepare),
      data: event.data,
      metadata,
      recordedAt: event.created,
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new EventStoreError('closed', 'The event store is closed');
  }
}

function toProposed(event: PreparedEvent): {
  id: string;
  type: string;
  contentType: 'application/json';
  data: JSONType;
  metadata: Uint8Array;
} {
  return {
    id: event.id,
    type: event.type,
    contentType: 'application/json',
    // The client serializes JSON data itself; any JSON value round-trips.
    data: event.data as JSONType,
    metadata: encoder.encode(event.metadataJson),
  };
}

interface EsdbSubscriptionOptions {
  readonly from: Position | typeof START;
  readonly batchSize: number;
  readonly open: (from: Position | typeof START) => AllStreamSubscription;
  readonly convert: (resolved: AllStreamResolvedEvent) => RecordedEvent | undefined;
  readonly onClose: (subscription: EsdbSubscription) => void;
}

/**
 * How long a part-filled batch waits for more events while catching up. It only matters for
 * servers that never say they caught up (before 23.10), where it delays live delivery too.
 */
const LINGER_MS = 10;
/** Consecutive failed resubscriptions before `nextBatch` gives the error to its caller. */
const MAX_RESUBSCRIBES = 8;

/**
 * A server catch-up subscription read in batches. The server stream is read only when the
 * buffer is empty, so a slow consumer holds the server back through gRPC flow control. When
 * the stream fails it resubscribes after the last event handed out (at least once, never a
 * gap), backing off, and gives up after `MAX_RESUBSCRIBES` failures in a row.
 */
class EsdbSubscription implements Subscription {
  readonly #options: EsdbSubscriptionOptions;
  #source: AllStreamSubscription;
  /** Server position of the last event handed out or skipped; later events only. */
  #after: bigint | undefined;
  #buffer: RecordedEvent[] = [];
  #closed = false;
  #failure: unknown;
  #failures = 0;
  /** Whether the server said the catch-up phase is over (servers from 23.10 say so). */
  #caughtUp = false;
  #wake: (() => void) | undefined;

  constructor(options: EsdbSubscriptionOptions) {
    this.#options = options;
    this.#after = options.from === START ? undefined : options.from.prepare;
    this.#source = this.#attach(options.from);
  }

  #attach(from: Position | typeof START): AllStreamSubscription {
    const source = this.#options.open(from);
    const wake = (): void => {
      const resolve = this.#wake;
      this.#wake = undefined;
      resolve?.();
    };
    this.#caughtUp = false;
    source.on('readable', wake);
    source.on('caughtUp', () => {
      if (source === this.#source) this.#caughtUp = true;
      wake();
    });
    source.on('error', (error: unknown) => {
      if (source === this.#source && !this.#closed) this.#failure = error;
      wake();
    });
    source.on('end', () => {
      if (source === this.#source && !this.#closed) {
        this.#failure ??= new Error('The server ended the subscription');
      }
      wake();
    });
    return source;
  }

  async nextBatch(max = this.#options.batchSize): Promise<RecordedEvent[]> {
    let lingered = false;
    while (!this.#closed) {
      this.#drain();
      const held = this.#buffer.length;
      // While catching up, batches fill to `max`; once live, whatever has arrived goes out.
      if (held >= max || (held > 0 && (this.#caughtUp || lingered || this.#failure))) {
        this.#failures = 0;
        return this.#buffer.splice(0, max);
      }
      if (held === 0 && this.#failure !== undefined) {
        await this.#resubscribe();
        continue;
      }
      lingered = await this.#waitForData(held > 0 ? LINGER_MS : undefined);
    }
    return [];
  }

  /** Resolves on new data, an error or close (false), or after `timeoutMs` (true). */
  #waitForData(timeoutMs: number | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#wake = undefined;
              resolve(true);
            }, timeoutMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
    });
  }

  /** Moves whatever the server stream holds now into the buffer. */
  #drain(): void {
    for (;;) {
      const resolved = this.#source.read() as AllStreamResolvedEvent | null;
      if (resolved === null) return;
      const position = resolved.event?.position.prepare;
      if (position === undefined) continue;
      if (this.#after !== undefined && position <= this.#after) continue;
      this.#after = position;
      const event = this.#options.convert(resolved);
      if (event) this.#buffer.push(event);
    }
  }

  async #resubscribe(): Promise<void> {
    const failure = this.#failure;
    this.#failure = undefined;
    this.#failures++;
    if (this.#failures > MAX_RESUBSCRIBES) {
      await this.close();
      throw failure instanceof Error ? failure : new Error(String(failure));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 50 * 2 ** this.#failures)));
    if (this.#closed) return;
    const old = this.#source;
    const after = this.#after;
    this.#source = this.#attach(after === undefined ? START : { commit: after, prepare: after });
    await old.unsubscribe().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = [];
    this.#options.onClose(this);
    const resolve = this.#wake;
    this.#wake = undefined;
    resolve?.();
    await this.#source.unsubscribe().catch(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return iterateEvents(this);
  }
}
