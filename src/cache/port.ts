/**
 * The cache port: what the read paths (account snapshots, quotes, option chains, assets, the
 * calendar) may keep out of the database and the feed, whatever holds it — process memory
 * (`MemoryCache`, the default: an LRU, no server) or Redis (`RedisCache`, when `REDIS_URL` is
 * set, shared by every process). One contract suite (`test/cache/contract.ts`) runs against
 * both.
 *
 * The cache is never the source of truth. Every call may fail (Redis down or slow): callers
 * fall back to the source and carry on, so no request fails because of the cache. Values of
 * one kind share a TTL and a codec; the memory adapter keeps the value itself (values are
 * immutable by contract: never mutate what `get` returns), Redis keeps its encoded text.
 */

/** A kind of entry: its name (a key prefix and a metric label), TTL and serialization. */
export interface CacheKind<T> {
  readonly name: string;
  /** How long an entry lives after it was written. */
  readonly ttlMs: number;
  encode(value: T): string;
  decode(text: string): T;
}

/** A JSON kind: exact decimals stay exact because the domain keeps them as strings. */
export function jsonKind<T>(name: string, ttlMs: number): CacheKind<T> {
  return {
    name,
    ttlMs,
    encode: (value) => JSON.stringify(value),
    decode: (text) => JSON.parse(text) as T,
  };
}

/** Where a cache is: `up` answers, `down` fails fast (callers use the source meanwhile). */
export type CacheState = 'up' | 'down';

/** Cancels a pub/sub subscription. */
export type Unsubscribe = () => Promise<void>;

/** The port every cache adapter implements. Keys are plain strings, scoped by kind. */
export interface Cache {
  readonly adapter: 'memory' | 'redis';
  /** Values of `keys` (undefined where missing or expired), in order. */
  getMany<T>(kind: CacheKind<T>, keys: readonly string[]): Promise<(T | undefined)[]>;
  /** Writes entries (each lives `kind.ttlMs`). */
  setMany<T>(kind: CacheKind<T>, entries: readonly (readonly [string, T])[]): Promise<void>;
  delete(kind: CacheKind<unknown>, keys: readonly string[]): Promise<void>;
  /**
   * Markers: integers that never expire, for versions and epochs. A missing marker reads as
   * undefined. `raise` sets each to at least the value given (a marker never goes down);
   * `increment` adds one and answers the new value (a missing marker counts as 0).
   */
  markers(keys: readonly string[]): Promise<(number | undefined)[]>;
  raise(entries: readonly (readonly [string, number])[]): Promise<void>;
  increment(key: string): Promise<number>;
  /** Publishes a message to every subscriber of the channel, in every process sharing the cache. */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `onMessage` for every message published on `channel` from now on. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe>;
  /** Whether calls are answered now. */
  state(): CacheState;
  /**
   * Called with the new state whenever the cache goes down or comes back. After a `down`, a
   * cache may have lost invalidations: users check their epoch when it is `up` again.
   */
  onStateChange(listener: (state: CacheState) => void): void;
  close(): Promise<void>;
}

/** Thrown by a cache call that could not be answered (the server is down, slow or refused). */
export class CacheUnavailable extends Error {
  override readonly name = 'CacheUnavailable';
}
