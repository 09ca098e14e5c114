/**
 * The event-store port: the one interface every layer above `src/eventstore` uses.
 *
 * Semantics follow EventStoreDB so the same contract suite can run against every adapter:
 * revisions are 0-based per stream, global positions only increase, `readAll` starts
 * inclusively and `subscribeToAll` exclusively (a stored checkpoint is the last position a
 * consumer has handled).
 */

/** Metadata carried by every event (DESIGN.md section 3). Extra keys are allowed. */
export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Who caused the event: `user:{id}`, `apikey:{id}`, `engine`, `system`. */
  readonly actor?: string;
  /** Which interface the command came through. */
  readonly source?: 'rest' | 'mcp' | 'alpaca-v2' | 'engine' | 'cli' | 'system' | 'test';
  /** Simulation time (ISO-8601) beside the wall time the store records. */
  readonly simTime?: string;
  readonly [key: string]: unknown;
}

/** An event to append. `id` (a UUID) makes a retried append idempotent; generated when absent. */
export interface EventData<T extends string = string, D = unknown> {
  readonly id?: string;
  readonly type: T;
  readonly data: D;
  readonly metadata?: EventMetadata;
}

/** An event as stored. */
export interface RecordedEvent<T extends string = string, D = unknown> {
  readonly id: string;
  readonly streamId: string;
  readonly type: T;
  /** 0-based position of the event inside its stream. */
  readonly revision: number;
  /** Global position in `$all`; strictly increasing in commit order, not necessarily dense. */
  readonly position: number;
  readonly data: D;
  readonly metadata: EventMetadata;
  /** Wall-clock time the store recorded the event. */
  readonly recordedAt: Date;
}

/**
 * Optimistic-concurrency expectation for an append:
 * `any` (no check), `no_stream` (the stream must not exist), `stream_exists`, or the exact
 * revision of the stream's last event.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendOptions {
  readonly expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append: pass it as the next `expectedRevision`. */
  readonly nextRevision: number;
  /** Global position of the last event appended. */
  readonly position: number;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Defaults to the start (forwards) or the end (backwards). */
  readonly fromRevision?: number | 'start' | 'end';
  readonly direction?: Direction;
  readonly maxCount?: number;
}

/** Selects events in `$all` by stream-name prefix and/or event type (both must match when given). */
export interface EventFilter {
  readonly streamPrefixes?: readonly string[];
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** First global position to read (inclusive). Defaults to the start. */
  readonly fromPosition?: number;
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export interface SubscribeOptions {
  /** Last position already handled (exclusive start); absent = from the very beginning. */
  readonly fromPosition?: number;
  readonly filter?: EventFilter;
  /** Maximum events handed out per batch. */
  readonly batchSize?: number;
}

/**
 * A catch-up subscription to `$all`: first every stored event after `fromPosition`, then live
 * events as they commit, at least once and in strictly increasing position order.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  /**
   * Waits until at least one event is available and returns up to `max` of them, in order.
   * Returns an empty array once the subscription is closed.
   */
  nextBatch(max?: number): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

export interface EventStore {
  /** Adapter name, for logs and metrics. */
  readonly kind: 'memory' | 'postgres' | 'pglite' | 'esdb';
  append(
    streamId: string,
    events: readonly EventData[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** Events of one stream; an absent stream reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /** Position of the newest event visible to subscribers (0 when the store is empty). */
  headPosition(): Promise<number>;
  /** Throws when the store cannot be reached (used by health checks). */
  ping(): Promise<void>;
  /**
   * A hint that another process may have appended (a pub/sub notification): live
   * subscriptions read again now instead of at their next poll. Only ever a hint — what a
   * subscription delivers never depends on it. Adapters that push (ESDB) need none.
   */
  wake?(): void;
  close(): Promise<void>;
}

/** Thrown when an append's expected revision does not match the stream. */
export class WrongExpectedVersion extends Error {
  override readonly name = 'WrongExpectedVersion';
  readonly code = 'wrong_expected_version';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or `no_stream`. */
    readonly actual: number | 'no_stream',
  ) {
    super(
      `Wrong expected version on ${streamId}: expected ${String(expected)}, actual ${String(actual)}`,
    );
  }
}

/** Thrown for appends or reads the store refuses (bad stream name, oversize event, …). */
export class EventStoreError extends Error {
  override readonly name = 'EventStoreError';
  constructor(
    readonly code:
      | 'invalid_stream_name'
      | 'invalid_event'
      | 'event_too_large'
      | 'too_many_events'
      | 'duplicate_event_id'
      | 'invalid_argument'
      | 'closed',
    message: string,
  ) {
    super(message);
  }
}

/** Largest serialized event (data + metadata) an adapter accepts: 1 MiB. */
export const MAX_EVENT_BYTES = 1024 * 1024;
/** Largest number of events in one atomic append. */
export const MAX_EVENTS_PER_APPEND = 10_000;

const STREAM_NAME = /^[A-Za-z][A-Za-z0-9_.:]*-[A-Za-z0-9_.:-]+$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Stream names are `{category}-{id}` (e.g. `account-42`), at most 200 characters, with no
 * `$` prefix: `$`-streams are reserved by EventStoreDB and the category drives filters.
 */
export function assertValidStreamName(streamId: string): void {
  if (streamId.length > 200 || !STREAM_NAME.test(streamId)) {
    throw new EventStoreError(
      'invalid_stream_name',
      `Invalid stream name "${streamId.slice(0, 60)}": expected "{category}-{id}" using letters, digits, "_", ".", ":" and "-" (at most 200 characters)`,
    );
  }
}

/** An event after validation: id assigned and its JSON serialized once. */
export interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly dataJson: string;
  readonly metadataJson: string;
}

/** An event after validation, with its id assigned: what `checkEvents` answers. */
export type CheckedEvent = Omit<PreparedEvent, 'dataJson' | 'metadataJson'>;

/** Validates a batch for append and serializes it once; every adapter calls this first. */
export function prepareEvents(
  streamId: string,
  events: readonly EventData[],
  newId: () => string,
): PreparedEvent[] {
  assertValidBatch(streamId, events);
  const seen = new Set<string>();
  return events.map((event, index) => {
    const id = checkedId(event, index, newId, seen);
    const metadata = event.metadata ?? {};
    const dataJson = JSON.stringify(event.data);
    const metadataJson = JSON.stringify(metadata);
    assertSerializedSize(event, index, dataJson, metadataJson);
    return { id, type: event.type, data: event.data, metadata, dataJson, metadataJson };
  });
}

/**
 * The checks of `prepareEvents` — names, ids, JSON-serializable data, the size limit — for an
 * adapter that keeps the caller's objects and needs no JSON (the memory store's `reference`
 * mode). Plain data is measured by an upper bound on its UTF-8 JSON size, with no string
 * built; only an event the bound cannot clear (over the limit, or holding anything but plain
 * objects, arrays, strings, finite numbers, booleans and null) is serialized to decide it,
 * so every event gets the same verdict as from `prepareEvents`.
 */
export function checkEvents(
  streamId: string,
  events: readonly EventData[],
  newId: () => string,
): CheckedEvent[] {
  assertValidBatch(streamId, events);
  const seen = new Set<string>();
  return events.map((event, index) => {
    const id = checkedId(event, index, newId, seen);
    const metadata = event.metadata ?? {};
    const bound = jsonBytesBound(event.data, 0);
    const metadataBound = bound < 0 ? -1 : jsonBytesBound(metadata, 0);
    if (metadataBound < 0 || bound + metadataBound > MAX_EVENT_BYTES) {
      assertSerializedSize(event, index, JSON.stringify(event.data), JSON.stringify(metadata));
    }
    return { id, type: event.type, data: event.data, metadata };
  });
}

function assertValidBatch(streamId: string, events: readonly EventData[]): void {
  assertValidStreamName(streamId);
  if (events.length === 0) {
    throw new EventStoreError('invalid_argument', 'An append needs at least one event');
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new EventStoreError(
      'too_many_events',
      `An append holds at most ${MAX_EVENTS_PER_APPEND} events (got ${events.length})`,
    );
  }
}

/** The event's type checked and its id (given or new) checked, lower-cased and unique. */
function checkedId(
  event: EventData,
  index: number,
  newId: () => string,
  seen: Set<string>,
): string {
  if (!EVENT_TYPE.test(event.type)) {
    throw new EventStoreError(
      'invalid_event',
      `Event ${index}: invalid type "${event.type.slice(0, 60)}"`,
    );
  }
  const id = event.id ?? newId();
  if (!UUID.test(id)) {
    throw new EventStoreError('invalid_event', `Event ${index}: id "${id}" is not a UUID`);
  }
  const lowerId = id.toLowerCase();
  if (seen.has(lowerId)) {
    throw new EventStoreError('duplicate_event_id', `Event id ${id} appears twice in one append`);
  }
  seen.add(lowerId);
  return lowerId;
}

function assertSerializedSize(
  event: EventData,
  index: number,
  dataJson: string,
  metadataJson: string,
): void {
  if ((dataJson as string | undefined) === undefined) {
    throw new EventStoreError('invalid_event', `Event ${index}: data is not JSON-serializable`);
  }
  const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
  if (bytes > MAX_EVENT_BYTES) {
    throw new EventStoreError(
      'event_too_large',
      `Event ${index} (${event.type}) is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}`,
    );
  }
}

/** Longest JSON text of a finite number (`-1.2345678901234567e-308`), with room to spare. */
const NUMBER_JSON_MAX = 25;
/** Deeper than this, `jsonBytesBound` gives up (a cycle, or data no event holds). */
const BOUND_DEPTH = 64;

/**
 * An upper bound on the UTF-8 bytes of `JSON.stringify(value)`, or −1 when the value is not
 * plain JSON data the bound can vouch for (`undefined`, functions, symbols, bigints, non-finite
 * numbers, class instances, `toJSON`, cycles): the caller then serializes. A string of n
 * UTF-16 units takes at most 6n + 2 bytes (a `\uXXXX` escape is 6; no unit needs more than 3
 * in UTF-8).
 */
function jsonBytesBound(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return Number.isFinite(value) ? NUMBER_JSON_MAX : -1;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      if (depth >= BOUND_DEPTH) return -1;
      const proto: unknown = Object.getPrototypeOf(value);
      if (Array.isArray(value)) {
        if (proto !== Array.prototype) return -1;
        let bytes = 2;
        for (const item of value as readonly unknown[]) {
          const b = jsonBytesBound(item, depth + 1);
          if (b < 0) return -1;
          bytes += b + 1;
        }
        return bytes;
      }
      if (proto !== Object.prototype && proto !== null) return -1;
      const record = value as Readonly<Record<string, unknown>>;
      let bytes = 2;
      for (const key in record) {
        if (!Object.hasOwn(record, key)) continue;
        const b = jsonBytesBound(record[key], depth + 1);
        if (b < 0) return -1;
        bytes += key.length * 6 + 4 + b;
      }
      return bytes;
    }
    default:
      return -1;
  }
}

export function assertValidExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new EventStoreError(
      'invalid_argument',
      `expectedRevision must be a non-negative integer, "any", "no_stream" or "stream_exists" (got ${expected})`,
    );
  }
}

/** Whether an event passes a filter. */
export function matchesFilter(
  filter: EventFilter | undefined,
  streamId: string,
  type: string,
): boolean {
  if (!filter) return true;
  if (filter.eventTypes && !filter.eventTypes.includes(type)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((p) => streamId.startsWith(p))) {
    return false;
  }
  return true;
}

/** Checks a revision against an expectation; `current` is -1 for an absent stream. */
export function expectationHolds(expected: ExpectedRevision, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === -1;
    case 'stream_exists':
      return current >= 0;
    default:
      return current === expected;
  }
}
