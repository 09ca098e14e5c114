import { createHash, randomUUID } from 'node:crypto';
import {
  WrongExpectedVersion,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type RecordedEvent,
} from './port.ts';

/** `prevHash` of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted, so a hash does not depend on an adapter's key order. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    // Written out rather than map/join: this runs for every event appended and verified.
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  return canonicalObject(value as Record<string, unknown>);
}

/** `canonicalJson` of an object, leaving out the keys `skip` names. */
function canonicalObject(record: Record<string, unknown>, skip?: ReadonlySet<string>): string {
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined || skip?.has(key) === true) continue;
    if (out.length > 1) out += ',';
    out += quotedKey(key) + canonicalJson(v);
  }
  return `${out}}`;
}

/**
 * `"key":` for an object key. Events use a few dozen key names over and over, so their quoted
 * form is kept (bounded: a store of arbitrary keys clears it rather than grow).
 */
const quotedKeys = new Map<string, string>();
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size >= 4096) quotedKeys.clear();
    quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Metadata the hash does not cover: the chain's own fields. */
const CHAIN_FIELDS: ReadonlySet<string> = new Set(['prevHash', 'hash']);

/**
 * What an event's hash covers: its place in the stream, identity, content and metadata —
 * `sha256(prevHash + "\n" + canonicalJson({ streamId, revision, id, type, data, metadata }))`,
 * with `metadata` less `prevHash` and `hash`.
 */
export function eventHash(
  prevHash: string,
  event: {
    readonly streamId: string;
    readonly revision: number;
    readonly id: string;
    readonly type: string;
    readonly data: unknown;
    readonly metadata: EventMetadata;
  },
): string {
  // The canonical JSON of that object, built directly (its keys in sorted order) instead of
  // copying the metadata and the event into a new object first.
  const data = event.data === undefined ? '' : `"data":${canonicalJson(event.data)},`;
  const body =
    `{${data}"id":${JSON.stringify(event.id.toLowerCase())},` +
    `"metadata":${canonicalObject(event.metadata, CHAIN_FIELDS)},` +
    `"revision":${JSON.stringify(event.revision)},"streamId":${JSON.stringify(event.streamId)},` +
    `"type":${JSON.stringify(event.type)}}`;
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

function lastHash(event: RecordedEvent | undefined): string {
  const hash = event?.metadata.hash;
  return typeof hash === 'string' ? hash : GENESIS_HASH;
}

/** Stores that already chain, so wrapping twice is harmless. */
const chainedStores = new WeakSet<EventStore>();

/**
 * Decorates an event store so every appended event carries `prevHash` and `hash` in its
 * metadata: a per-stream SHA-256 chain that `paper-trading ledger verify` recomputes. The chain
 * is computed from the stream's last stored event; an `any`/`stream_exists` append is pinned to
 * the revision that was read and retried on a conflict, so concurrent writers cannot fork it.
 */
export function withHashChain(
  store: EventStore,
  options: { maxAttempts?: number } = {},
): EventStore {
  if (chainedStores.has(store)) return store;
  const maxAttempts = options.maxAttempts ?? 20;
  // Stream tails this decorator wrote itself. An append that expects exactly that revision (the
  // command handler's case) needs no read; if the stream moved meanwhile, the store refuses the
  // expectation and nothing is written. Events never change, so an entry is never wrong.
  const tails = new Map<string, { revision: number; hash: string }>();
  const remember = (streamId: string, revision: number, hash: string): void => {
    tails.delete(streamId);
    tails.set(streamId, { revision, hash });
    if (tails.size > 50_000) {
      const oldest = tails.keys().next();
      if (!oldest.done) tails.delete(oldest.value);
    }
  };
  async function tail(
    streamId: string,
    expected: ExpectedRevision,
  ): Promise<{ current: number; prevHash: string }> {
    const known = tails.get(streamId);
    if (typeof expected === 'number' && known?.revision === expected) {
      return { current: known.revision, prevHash: known.hash };
    }
    if (expected === 'no_stream') return { current: -1, prevHash: GENESIS_HASH };
    const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return { current: last?.revision ?? -1, prevHash: lastHash(last) };
  }
  async function append(
    streamId: string,
    events: readonly EventData[],
    appendOptions?: AppendOptions,
  ): Promise<AppendResult> {
    const expected: ExpectedRevision = appendOptions?.expectedRevision ?? 'any';
    const withIds = events.map((e) => ({ ...e, id: e.id ?? randomUUID() }));
    for (let attempt = 1; ; attempt++) {
      const { current, prevHash: tailHash } = await tail(streamId, expected);
      let prevHash = tailHash;
      const chained = withIds.map((event, i) => {
        const metadata: EventMetadata = { ...event.metadata, prevHash };
        const hash = eventHash(prevHash, {
          streamId,
          revision: current + 1 + i,
          id: event.id,
          type: event.type,
          data: event.data,
          metadata,
        });
        prevHash = hash;
        return { ...event, metadata: { ...metadata, hash } };
      });
      // The caller's own expectation still applies; `any` and `stream_exists` are narrowed to
      // the revision the chain was computed from.
      const pinned =
        expected === 'any' || (expected === 'stream_exists' && current >= 0) ? current : expected;
      const effective: ExpectedRevision = pinned === -1 ? 'no_stream' : pinned;
      try {
        const result = await store.append(streamId, chained, { expectedRevision: effective });
        // Only a fresh write lands exactly here (an idempotent replay answers an older revision).
        if (result.nextRevision === current + chained.length) {
          remember(streamId, result.nextRevision, prevHash);
        }
        return result;
      } catch (error) {
        tails.delete(streamId);
        const retry =
          error instanceof WrongExpectedVersion &&
          (expected === 'any' || expected === 'stream_exists') &&
          attempt < maxAttempts;
        if (!retry) throw error;
      }
    }
  }
  const chained: EventStore & Partial<StreamHeadSource> = {
    get kind() {
      return store.kind;
    },
    append,
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    wake: () => {
      store.wake?.();
    },
    close: () => store.close(),
    // `ledger verify` compares stream heads where the adapter keeps them.
    ...(hasStreamHeads(store) ? { streamHeads: () => store.streamHeads() } : {}),
  };
  chainedStores.add(chained);
  return chained;
}

/** A stream's last revision and the `hash` of that event, as the store recorded it at append. */
export interface StreamHead {
  readonly streamId: string;
  readonly revision: number;
  /** `metadata.hash` of the stream's last event; null when that event is unchained. */
  readonly hash: string | null;
}

/**
 * A store that keeps every stream's head beside its events (the SQL adapters: the `streams`
 * row, written by the append itself). With it, `verifyHashChains` notices a stream whose last
 * events, or all of them, were deleted — which a per-stream chain alone cannot.
 */
export interface StreamHeadSource {
  streamHeads(): Promise<readonly StreamHead[]>;
}

export function hasStreamHeads<T extends object>(store: T): store is T & StreamHeadSource {
  return typeof (store as Partial<StreamHeadSource>).streamHeads === 'function';
}

/**
 * A digest of the first `events` events of `$all`, to keep outside the database
 * (`paper-trading ledger head`). Anyone who can write the database can rewrite the events, the
 * chains and the stream heads consistently; they cannot change an anchor stored elsewhere, so
 * `ledger verify --anchor` proves the ledger up to that point is still the one anchored.
 */
export interface LedgerAnchor {
  /** How many events of `$all` the digest covers, from the start. */
  readonly events: number;
  /** `d(i) = sha256(d(i-1) + "\n" + hash of event i)`, `d(0)` = 64 zeros; hex. */
  readonly digest: string;
  /** Informational: the global position of the last covered event, and the stream count. */
  readonly position?: number;
  readonly streams?: number;
  /** Optional: each stream's last covered revision and event hash, so a loss can be named. */
  readonly heads?: Readonly<Record<string, { readonly revision: number; readonly hash: string }>>;
}

/** One problem `verifyHashChains` found. */
export interface ChainProblem {
  /** The stream concerned; `$all` for an anchor digest that does not match. */
  readonly streamId: string;
  readonly revision?: number;
  readonly position?: number;
  readonly kind:
    | 'altered'
    | 'missing'
    | 'broken_link'
    | 'unchained_after_chained'
    | 'truncated'
    | 'head_mismatch'
    | 'head_missing'
    | 'anchor_mismatch';
  readonly detail: string;
}

export interface ChainReport {
  /** Events checked (those read from `$all`, plus any appended while verifying). */
  readonly events: number;
  readonly streams: number;
  /** Events written before the chain existed (no `hash`): not provable, reported separately. */
  readonly unchained: number;
  /** Whether stream heads were compared (`not_tracked`: the adapter keeps none). */
  readonly heads: 'checked' | 'not_tracked';
  /** Whether an anchor was given and compared. */
  readonly anchor: 'checked' | 'none';
  /** The anchor of everything read from `$all`: store it elsewhere to check against later. */
  readonly head: LedgerAnchor;
  readonly problems: readonly ChainProblem[];
}

export interface VerifyOptions {
  readonly batchSize?: number;
  /** Where stream heads come from; defaults to the store itself when it keeps them. */
  readonly heads?: StreamHeadSource;
  /** An anchor taken earlier (`ledger head`): the ledger must still begin with it. */
  readonly anchor?: LedgerAnchor;
  /** Put every stream's head into `head.heads` (an anchor that can name a lost stream). */
  readonly includeHeads?: boolean;
}

interface StreamState {
  revision: number;
  /** What the next event's `prevHash` must be. */
  link: string;
  /** `metadata.hash` of the last event as stored (null: unchained). */
  stored: string | null;
  /** The last event's hash recomputed from its content (also for unchained events). */
  content: string;
  chained: boolean;
  position: number;
}

/**
 * Reads every event from `$all` and recomputes each stream's chain: an event whose content or
 * metadata changed no longer matches its `hash` (`altered`); a deleted event leaves a revision
 * gap (`missing`) and breaks the next event's `prevHash` (`broken_link`). Where the store keeps
 * stream heads, a stream whose events end before its head (`truncated`, also when all of them
 * are gone), whose last event is not the one its head recorded (`head_mismatch`), or that has
 * no head (`head_missing`) is a problem too. With an `anchor`, the first `anchor.events` events
 * must hash to `anchor.digest` (and reach each anchored stream head).
 */
export async function verifyHashChains(
  store: EventStore,
  options: VerifyOptions = {},
): Promise<ChainReport> {
  const batchSize = options.batchSize ?? 1000;
  const { anchor } = options;
  const streams = new Map<string, StreamState>();
  const problems: ChainProblem[] = [];
  let events = 0;
  let unchained = 0;

  /** Checks one event against its stream's state and answers its recomputed hash. */
  function visit(e: RecordedEvent): string {
    events++;
    const seen = streams.get(e.streamId);
    const where = { streamId: e.streamId, revision: e.revision, position: e.position };
    const expectedRevision = (seen?.revision ?? -1) + 1;
    if (e.revision !== expectedRevision) {
      problems.push({
        ...where,
        kind: 'missing',
        detail: `expected revision ${expectedRevision}, found ${e.revision}`,
      });
    }
    const hash = e.metadata.hash;
    const chained = seen?.chained ?? false;
    if (typeof hash !== 'string') {
      unchained++;
      if (chained) {
        problems.push({ ...where, kind: 'unchained_after_chained', detail: 'no hash' });
      }
      const content = eventHash(GENESIS_HASH, e);
      streams.set(e.streamId, {
        revision: e.revision,
        link: GENESIS_HASH,
        stored: null,
        content,
        chained,
        position: e.position,
      });
      return content;
    }
    if (e.metadata.prevHash !== (seen?.link ?? GENESIS_HASH)) {
      problems.push({ ...where, kind: 'broken_link', detail: 'prevHash does not match' });
    }
    const content = eventHash(String(e.metadata.prevHash), e);
    if (content !== hash) {
      problems.push({ ...where, kind: 'altered', detail: 'content does not match its hash' });
    }
    streams.set(e.streamId, {
      revision: e.revision,
      link: hash,
      stored: hash,
      content,
      chained: true,
      position: e.position,
    });
    return content;
  }

  // `$all`, in order, folded into the running digest.
  let digest = GENESIS_HASH;
  let digestAtAnchor = anchor?.events === 0 ? digest : undefined;
  let lastPosition: number | undefined;
  const anchoredSeen = new Set<string>();
  for (let from = 0; ;) {
    const batch = await store.readAll({ fromPosition: from, maxCount: batchSize });
    for (const e of batch) {
      const content = visit(e);
      digest = createHash('sha256').update(digest).update('\n').update(content).digest('hex');
      lastPosition = e.position;
      if (anchor && events <= anchor.events) {
        if (events === anchor.events) digestAtAnchor = digest;
        const anchored = anchor.heads?.[e.streamId];
        if (anchored?.revision === e.revision) {
          anchoredSeen.add(e.streamId);
          if (anchored.hash !== content) {
            problems.push({
              streamId: e.streamId,
              revision: e.revision,
              position: e.position,
              kind: 'anchor_mismatch',
              detail: 'not the event the anchor recorded at this revision',
            });
          }
        }
      }
    }
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) break;
    from = last.position + 1;
  }
  const head: LedgerAnchor = {
    events,
    digest,
    ...(lastPosition === undefined ? {} : { position: lastPosition }),
    streams: streams.size,
    ...(options.includeHeads
      ? {
          heads: Object.fromEntries(
            [...streams].map(([id, st]) => [id, { revision: st.revision, hash: st.content }]),
          ),
        }
      : {}),
  };

  // Stream heads, read after the scan: a head beyond what the scan saw is either an append
  // that landed meanwhile (read it now and keep checking) or events that were deleted.
  const source = options.heads ?? (hasStreamHeads(store) ? store : undefined);
  if (source) {
    const recorded = await source.streamHeads();
    const withHead = new Set<string>();
    for (const h of recorded) {
      withHead.add(h.streamId);
      const before = streams.get(h.streamId)?.revision ?? -1;
      if (before < h.revision) {
        const rest = await store.readStream(h.streamId, {
          fromRevision: before + 1,
          maxCount: h.revision - before,
        });
        for (const e of rest) visit(e);
      }
      const st = streams.get(h.streamId);
      if (!st) {
        problems.push({
          streamId: h.streamId,
          revision: h.revision,
          kind: 'truncated',
          detail: `the stream has no events, but its head is at revision ${h.revision}: deleted`,
        });
      } else if (st.revision < h.revision) {
        problems.push({
          streamId: h.streamId,
          revision: h.revision,
          kind: 'truncated',
          detail: `events end at revision ${st.revision}, but the stream's head is at revision ${h.revision}: its last events were deleted`,
        });
      } else if (st.revision > h.revision) {
        problems.push({
          streamId: h.streamId,
          revision: st.revision,
          position: st.position,
          kind: 'head_mismatch',
          detail: `events go on to revision ${st.revision}, past the stream's head at revision ${h.revision}`,
        });
      } else if (st.stored !== h.hash) {
        problems.push({
          streamId: h.streamId,
          revision: st.revision,
          position: st.position,
          kind: 'head_mismatch',
          detail: 'the last event is not the one the stream head recorded',
        });
      }
    }
    for (const [streamId, st] of streams) {
      if (withHead.has(streamId)) continue;
      problems.push({
        streamId,
        revision: st.revision,
        position: st.position,
        kind: 'head_missing',
        detail: 'the stream has events but no head',
      });
    }
  }

  if (anchor) {
    if (digestAtAnchor === undefined) {
      problems.push({
        streamId: '$all',
        kind: 'anchor_mismatch',
        detail: `the anchor covers ${anchor.events} events, the ledger has only ${head.events}`,
      });
    } else if (digestAtAnchor !== anchor.digest) {
      problems.push({
        streamId: '$all',
        kind: 'anchor_mismatch',
        detail: `the first ${anchor.events} events do not hash to the anchored digest`,
      });
    }
    for (const [streamId, anchored] of Object.entries(anchor.heads ?? {})) {
      if (anchoredSeen.has(streamId)) continue;
      const st = streams.get(streamId);
      problems.push({
        streamId,
        revision: anchored.revision,
        kind: 'anchor_mismatch',
        detail: st
          ? `the anchor recorded revision ${anchored.revision}; it is not among the first ${anchor.events} events (the stream now ends at revision ${st.revision})`
          : `the anchor recorded revision ${anchored.revision}; the stream is gone`,
      });
    }
  }

  return {
    events,
    streams: streams.size,
    unchained,
    heads: source ? 'checked' : 'not_tracked',
    anchor: anchor ? 'checked' : 'none',
    head,
    problems,
  };
}
