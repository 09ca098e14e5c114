import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

/**
 * Adds ARGV[1] to the counter KEYS[1] and gives it the window ARGV[2] (ms) when it has none;
 * answers the count and the ms left in the window.
 */
const ADD = `local n = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {n, ttl}`;

interface Count {
  /** The shared count as Redis last answered it. */
  shared: number;
  /** Hits counted here and not sent yet. */
  pending: number;
  /** Hits on their way to Redis. */
  sending: number;
  resetAt: number;
  /** When Redis last answered for the key (ms since epoch; 0: never). */
  syncedAt: number;
  syncing: Promise<number> | undefined;
}

/** How recent a shared count must be to admit a hit on it without asking Redis. */
const FRESH_MS = 1000;

export interface CoalescingRedisStoreOptions {
  readonly sendCommand: (args: string[]) => Promise<unknown>;
  /** Prefix of the counter keys. */
  readonly prefix: string;
}

/**
 * A rate-limit store counting in Redis with at most one call in flight per key. A hit that
 * finds no call under way sends one; it waits for the shared count when the key is at half its
 * limit or more, or when its last shared count is older than a second (so near the limit,
 * requests one after the other are counted exactly, whichever replica they reach), and is
 * answered at once from that recent count plus this process's hits otherwise. Hits that
 * arrive while a call is under way are answered from the last shared count plus what this
 * process added since, and go together in the next call. So a request far from its limit
 * waits for no round trip, and a busy key costs one call per round-trip time instead of one
 * per request; what other replicas admitted during one round trip is all a client can get past
 * the limit. Failures reach a caller that waited (`FailoverStore` then counts locally); hits a
 * call could not send are sent with the next one.
 */
export class CoalescingRedisStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  readonly #send: (args: string[]) => Promise<unknown>;
  readonly #counts = new Map<string, Count>();
  #windowMs = 60_000;
  /** The limiter's limit when it is one number for every client (else every sender waits). */
  #limit: number | undefined;
  #calls = 0;

  constructor(options: CoalescingRedisStoreOptions) {
    this.#send = options.sendCommand;
    this.prefix = options.prefix;
  }

  init(options: Options): void {
    this.#windowMs = options.windowMs;
    const limit = (options as { limit?: unknown }).limit;
    this.#limit = typeof limit === 'number' ? limit : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const count = this.#count(key);
    count.pending += 1;
    if (count.syncing === undefined) {
      const estimate = count.shared + count.pending;
      if (
        this.#limit !== undefined &&
        estimate * 2 < this.#limit &&
        count.syncedAt > Date.now() - FRESH_MS
      ) {
        // Far from the limit on a recent count: admit now, count in the background.
        this.#background(key, count);
        return { totalHits: estimate, resetTime: new Date(count.resetAt) };
      }
      // This hit sends: it waits for the shared count it is part of.
      const total = await this.#sync(key, count, true);
      return { totalHits: total, resetTime: new Date(count.resetAt) };
    }
    return {
      totalHits: count.shared + count.sending + count.pending,
      resetTime: new Date(count.resetAt),
    };
  }

  decrement(key: string): void {
    const count = this.#count(key);
    count.pending -= 1;
    if (count.syncing === undefined) this.#background(key, count);
  }

  async resetKey(key: string): Promise<void> {
    this.#counts.delete(key);
    await this.#send(['DEL', this.#key(key)]);
  }

  #key(key: string): string {
    return `${this.prefix}${key}`;
  }

  #count(key: string): Count {
    const now = Date.now();
    if (++this.#calls % 1000 === 0) this.#sweep(now);
    let count = this.#counts.get(key);
    if (count === undefined || (count.resetAt <= now && count.syncing === undefined)) {
      count = {
        shared: 0,
        pending: 0,
        sending: 0,
        syncedAt: 0,
        resetAt: now + this.#windowMs,
        syncing: undefined,
      };
      this.#counts.set(key, count);
    }
    return count;
  }

  /** Sends what is pending; answers the shared count after it. */
  #sync(key: string, count: Count, own: boolean): Promise<number> {
    const n = count.pending;
    count.pending = 0;
    count.sending = n;
    const syncing = (async () => {
      try {
        const reply = (await this.#send([
          'EVAL',
          ADD,
          '1',
          this.#key(key),
          String(n),
          String(this.#windowMs),
        ])) as [number | string, number | string];
        const total = Number(reply[0]);
        count.shared = total;
        count.syncedAt = Date.now();
        count.resetAt = count.syncedAt + Number(reply[1]);
        return total;
      } catch (error) {
        // The caller's own hit is counted by the fallback; the others go with the next call.
        count.pending += own ? n - 1 : n;
        throw error;
      } finally {
        count.sending = 0;
        count.syncing = undefined;
        if (count.pending !== 0) this.#background(key, count);
      }
    })();
    count.syncing = syncing;
    return syncing;
  }

  #background(key: string, count: Count): void {
    if (count.resetAt <= Date.now()) return;
    this.#sync(key, count, false).catch(() => {
      // Kept pending: the next hit of the key sends it (or the window ends).
    });
  }

  #sweep(now: number): void {
    for (const [key, count] of this.#counts) {
      if (count.resetAt <= now && count.syncing === undefined) this.#counts.delete(key);
    }
  }
}
