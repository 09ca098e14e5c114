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
  syncing: Promise<number> | undefined;
}

export interface CoalescingRedisStoreOptions {
  readonly sendCommand: (args: string[]) => Promise<unknown>;
  /** Prefix of the counter keys. */
  readonly prefix: string;
}

/**
 * A rate-limit store counting in Redis with at most one call in flight per key: a hit that
 * finds no call under way sends it and waits for the shared count (so requests one after the
 * other are counted exactly, whichever replica they reach); hits that arrive while it is under
 * way are answered at once from the last shared count plus what this process added since, and
 * go together in the next call. Under load a busy key costs one Redis round trip per round
 * trip time instead of one per request; what another replica admitted in that time (about a
 * millisecond) is all a client can get past the limit. Failures reach the caller
 * (`FailoverStore` then counts locally); hits a background call could not send are sent with
 * the next one.
 */
export class CoalescingRedisStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  readonly #send: (args: string[]) => Promise<unknown>;
  readonly #counts = new Map<string, Count>();
  #windowMs = 60_000;
  #calls = 0;

  constructor(options: CoalescingRedisStoreOptions) {
    this.#send = options.sendCommand;
    this.prefix = options.prefix;
  }

  init(options: Options): void {
    this.#windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const count = this.#count(key);
    count.pending += 1;
    if (count.syncing === undefined) {
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
        count.resetAt = Date.now() + Number(reply[1]);
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
