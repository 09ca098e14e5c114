import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AppendOptions, AppendResult, EventData, EventStore } from '../eventstore/port.ts';
import type { Principal } from './policy.ts';

/** Resolves a bearer credential to a principal (`UserService.authenticate`). */
export type Authenticate = (bearer: string) => Promise<Principal | undefined>;

export interface PrincipalCacheOptions {
  readonly authenticate: Authenticate;
  /**
   * Longest a principal is reused without asking the user stream again (default 2000 ms): how
   * long a change made by another process (a revoked key or role, a password change) may take
   * to apply here when no invalidation message reaches this process.
   */
  readonly ttlMs?: number;
  /** Credentials kept at most (default 10,000). */
  readonly maxEntries?: number;
  /** Wall clock in ms (tests move it). */
  readonly now?: () => number;
}

interface Entry {
  readonly principal: Principal;
  /** When the load that produced it started (the principal is at least this fresh). */
  readonly loadedAt: number;
  readonly expiresAt: number;
}

/** A load in flight, shared by the requests that need the same credential meanwhile. */
interface Flight {
  readonly generation: number;
  readonly result: Promise<Principal | undefined>;
}

/**
 * Caches the principal of a bearer credential (access token or API key) for a short time, so
 * an authenticated request costs neither a JWT verification nor a read of the user stream.
 * Only successes are kept, under the SHA-256 of the credential (never the credential), until
 * the TTL or the token's own expiry, whichever comes first.
 *
 * A credential in use never makes a request wait for the user stream: once an entry is past
 * half its TTL, the next request is answered from it and starts a reload in the background
 * (refresh-ahead), so an active client finds a fresh entry when the old one expires. What a
 * request is answered with was still loaded at most the TTL before. Concurrent requests that
 * miss share one load (single flight), as long as no user changed since it started.
 *
 * A change to a user — anything appended to `user-{id}` — drops that user's entries:
 * `forgetUser` is called at once for appends made in this process (`watchUserStreams`), and by
 * the composition for invalidations published by other processes. A load that was already
 * running when the user changed is not kept, and no request that arrives after the change
 * joins it.
 */
export class PrincipalCache {
  readonly #authenticate: Authenticate;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries: LRUCache<string, Entry>;
  readonly #flights = new Map<string, Flight>();
  /** Cached credential keys by user, to drop them when the user changes. */
  readonly #byUser = new Map<string, Set<string>>();
  /** Bumped on every change of a user: a load that saw an older generation is not kept. */
  readonly #generations = new Map<string, number>();
  #generation = 0;
  /** The generation of the last `forgetAll`. */
  #everyone = 0;

  constructor(options: PrincipalCacheOptions) {
    this.#authenticate = options.authenticate;
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#now = options.now ?? Date.now;
    this.#entries = new LRUCache<string, Entry>({
      max: options.maxEntries ?? 10_000,
      dispose: (entry, key) => {
        const keys = this.#byUser.get(entry.principal.userId);
        keys?.delete(key);
        if (keys?.size === 0) this.#byUser.delete(entry.principal.userId);
      },
    });
  }

  /** `authenticate`, answered from the cache while the entry is fresh. */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    const key = hash('sha256', bearer, 'base64url');
    const now = this.#now();
    const cached = this.#entries.get(key);
    if (cached !== undefined && cached.expiresAt > now) {
      if (now - cached.loadedAt >= this.#ttlMs / 2 && !this.#flights.has(key)) {
        // Refresh ahead; a failure only means the entry expires as it would have.
        this.#load(key, bearer).catch(() => undefined);
      }
      return cached.principal;
    }
    const flight = this.#flights.get(key);
    // With a TTL of 0 (the cache off) every request loads for itself.
    if (flight !== undefined && flight.generation === this.#generation && this.#ttlMs > 0) {
      return flight.result;
    }
    return this.#load(key, bearer);
  }

  #load(key: string, bearer: string): Promise<Principal | undefined> {
    const generation = this.#generation;
    const startedAt = this.#now();
    const result = this.#authenticate(bearer).then((principal) => {
      this.#keep(key, bearer, principal, generation, startedAt);
      return principal;
    });
    const flight: Flight = { generation, result };
    this.#flights.set(key, flight);
    const done = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    result.then(done, done);
    return result;
  }

  #keep(
    key: string,
    bearer: string,
    principal: Principal | undefined,
    generation: number,
    startedAt: number,
  ): void {
    if (principal === undefined) {
      // The credential is no longer valid (a refresh found it revoked): stop serving it.
      this.#entries.delete(key);
      return;
    }
    const user = principal.userId;
    const changedSince =
      this.#everyone > generation || (this.#generations.get(user) ?? 0) > generation;
    if (changedSince) return;
    const expiresAt = Math.min(startedAt + this.#ttlMs, tokenExpiry(bearer) ?? Infinity);
    if (expiresAt <= this.#now()) return;
    this.#entries.set(key, { principal, loadedAt: startedAt, expiresAt });
    let keys = this.#byUser.get(user);
    if (!keys) {
      keys = new Set();
      this.#byUser.set(user, keys);
    }
    keys.add(key);
  }

  /** Drops every cached credential of a user (the user stream changed). */
  forgetUser(userId: string): void {
    this.#generation += 1;
    this.#generations.set(userId, this.#generation);
    if (this.#generations.size > 10_000) {
      // Older generations only protect loads started before them; loads are short.
      const oldest = this.#generations.keys().next();
      if (!oldest.done) this.#generations.delete(oldest.value);
    }
    for (const key of [...(this.#byUser.get(userId) ?? [])]) this.#entries.delete(key);
    this.#byUser.delete(userId);
  }

  /** Drops everything (invalidations may have been missed). */
  forgetAll(): void {
    this.#generation += 1;
    this.#everyone = this.#generation;
    this.#entries.clear();
    this.#byUser.clear();
  }

  /** Credentials cached now. */
  get size(): number {
    return this.#entries.size;
  }
}

/** The `exp` of a JWT, in ms; undefined for anything else (an API key). */
function tokenExpiry(bearer: string): number | undefined {
  const parts = bearer.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    const exp = (payload as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The event store seen by the user service, telling `onUserChanged` about every append to a
 * `user-{id}` stream once it is stored.
 */
export function watchUserStreams(
  store: EventStore,
  onUserChanged: (userId: string) => void,
): EventStore {
  return {
    get kind() {
      return store.kind;
    },
    async append(
      streamId: string,
      events: readonly EventData[],
      options?: AppendOptions,
    ): Promise<AppendResult> {
      try {
        return await store.append(streamId, events, options);
      } finally {
        // Also after a failure: the append may have landed before the error reached us.
        if (streamId.startsWith('user-')) onUserChanged(streamId.slice('user-'.length));
      }
    },
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    wake: () => {
      store.wake?.();
    },
    close: () => store.close(),
  };
}
