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
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What an event's hash covers: its place in the stream, identity, content and metadata. */
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
  const { prevHash: _p, hash: _h, ...metadata } = event.metadata;
  const body = canonicalJson({
    streamId: event.streamId,
    revision: event.revision,
    id: event.id.toLowerCase(),
    type: event.type,
    data: event.data,
    metadata,
  });
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
  const chained: EventStore = {
    get kind() {
      return store.kind;
    },
    append,
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  chainedStores.add(chained);
  return chained;
}

/** One problem `verifyHashChains` found. */
export interface ChainProblem {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly kind: 'altered' | 'missing' | 'broken_link' | 'unchained_after_chained';
  readonly detail: string;
}

export interface ChainReport {
  readonly events: number;
  readonly streams: number;
  /** Events written before the chain existed (no `hash`): not provable, reported separately. */
  readonly unchained: number;
  readonly problems: readonly ChainProblem[];
}

/**
 * Reads every event from `$all` and recomputes each stream's chain: an event whose content or
 * metadata changed no longer matches its `hash` (`altered`); a deleted event leaves a revision
 * gap (`missing`) and breaks the next event's `prevHash` (`broken_link`).
 */
export async function verifyHashChains(
  store: EventStore,
  options: { batchSize?: number } = {},
): Promise<ChainReport> {
  const batchSize = options.batchSize ?? 1000;
  const streams = new Map<string, { revision: number; hash: string; chained: boolean }>();
  const problems: ChainProblem[] = [];
  let events = 0;
  let unchained = 0;
  let from = 0;
  for (;;) {
    const batch = await store.readAll({ fromPosition: from, maxCount: batchSize });
    for (const e of batch) {
      events++;
      const seen = streams.get(e.streamId) ?? { revision: -1, hash: GENESIS_HASH, chained: false };
      const where = { streamId: e.streamId, revision: e.revision, position: e.position };
      if (e.revision !== seen.revision + 1) {
        problems.push({
          ...where,
          kind: 'missing',
          detail: `expected revision ${seen.revision + 1}, found ${e.revision}`,
        });
      }
      const hash = e.metadata.hash;
      if (typeof hash !== 'string') {
        unchained++;
        if (seen.chained) {
          problems.push({ ...where, kind: 'unchained_after_chained', detail: 'no hash' });
        }
        streams.set(e.streamId, {
          revision: e.revision,
          hash: GENESIS_HASH,
          chained: seen.chained,
        });
        continue;
      }
      if (e.metadata.prevHash !== seen.hash) {
        problems.push({ ...where, kind: 'broken_link', detail: 'prevHash does not match' });
      }
      const expected = eventHash(String(e.metadata.prevHash), e);
      if (expected !== hash) {
        problems.push({ ...where, kind: 'altered', detail: 'content does not match its hash' });
      }
      streams.set(e.streamId, { revision: e.revision, hash, chained: true });
    }
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) break;
    from = last.position + 1;
  }
  return { events, streams: streams.size, unchained, problems };
}
