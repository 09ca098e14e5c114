import type { Cache, CacheKind } from './port.ts';
import { SingleFlight } from './single-flight.ts';

/**
 * Read-through caching of one kind of entry: a read is answered by the cache when it holds
 * the key, else by `load`, whose value is then written for the next reader (in this process
 * or, through Redis, in any other). Concurrent reads of one key share one load (single
 * flight). The cache is never needed: while it is down, or when a call to it fails, the read
 * goes to `load` and the write is skipped, so no read fails because of the cache.
 *
 * Keys must name the version of what they hold (an option chain's key carries its underlying
 * quote's version), or the kind's TTL must be what bounds staleness (the asset list).
 */
export class ReadThrough<T> {
  readonly #flight = new SingleFlight<T>();

  constructor(
    private readonly cache: Cache | undefined,
    readonly kind: CacheKind<T>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** The value of `key`, from the cache or from `load`. */
  read(key: string, load: () => T | Promise<T>): Promise<T> {
    return this.#flight.run(key, async () => {
      const cache = this.cache;
      if (cache === undefined || cache.state() !== 'up') return load();
      let found: T | undefined;
      try {
        [found] = await cache.getMany(this.kind, [key]);
      } catch (error) {
        this.onError(error);
        return load();
      }
      if (found !== undefined) return found;
      const value = await load();
      cache.setMany(this.kind, [[key, value]]).catch(this.onError);
      return value;
    });
  }
}
