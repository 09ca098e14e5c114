import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Cache, CacheKind } from './port.ts';

/** Cache calls take microseconds in memory and about a millisecond over a healthy network. */
const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25];

/** A metric already on `registry` under `name`, or a new one from `create`. */
function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** What the cache's users report beside the calls the decorator sees. */
export interface CacheMetrics {
  /** A read answered from a local mirror of the cache (hit) or from the source (miss). */
  read(kind: string, hit: boolean): void;
  /** An entry was evicted to make room. */
  evicted(kind: string): void;
  /** A pub/sub message arrived `seconds` after it was published. */
  pubsubLag(channel: string, seconds: number): void;
  /** A read found an entry it could not use (stale by version or epoch): a miss after all. */
  stale(kind: string): void;
}

/**
 * Decorates a cache so `/metrics` shows, per kind: `cache_requests_total{kind,result}` (hit or
 * miss per key read), `cache_hit_ratio{kind}`, `cache_evictions_total{kind}`,
 * `cache_operation_duration_seconds{kind,operation}` and `cache_errors_total{operation}`; and
 * for the cache as a whole `cache_up` (1 while it answers: Redis connected), `cache_adapter`
 * and `cache_pubsub_lag_seconds{channel}`.
 */
export function instrumentCache(
  cache: Cache,
  registry: Registry,
): { cache: Cache; metrics: CacheMetrics } {
  const requests = reuse(
    registry,
    'cache_requests_total',
    () =>
      new Counter({
        name: 'cache_requests_total',
        help: 'Cache key reads by kind and result (hit, miss; stale: found but out of date, also counted as a hit)',
        labelNames: ['kind', 'result'],
        registers: [registry],
      }),
  );
  const counts = new Map<string, { hits: number; misses: number }>();
  const count = (kind: string, hit: boolean, n = 1): void => {
    let c = counts.get(kind);
    if (!c) {
      c = { hits: 0, misses: 0 };
      counts.set(kind, c);
    }
    if (hit) c.hits += n;
    else c.misses += n;
    requests.inc({ kind, result: hit ? 'hit' : 'miss' }, n);
  };
  reuse(
    registry,
    'cache_hit_ratio',
    () =>
      new Gauge({
        name: 'cache_hit_ratio',
        help: 'Share of cache key reads that were hits, by kind, since the process started',
        labelNames: ['kind'],
        registers: [registry],
        collect() {
          for (const [kind, c] of counts) {
            const all = c.hits + c.misses;
            this.set({ kind }, all === 0 ? 0 : c.hits / all);
          }
        },
      }),
  );
  const evictions = reuse(
    registry,
    'cache_evictions_total',
    () =>
      new Counter({
        name: 'cache_evictions_total',
        help: 'Cache entries evicted to make room, by kind',
        labelNames: ['kind'],
        registers: [registry],
      }),
  );
  const duration = reuse(
    registry,
    'cache_operation_duration_seconds',
    () =>
      new Histogram({
        name: 'cache_operation_duration_seconds',
        help: 'Cache call latency in seconds by kind and operation',
        labelNames: ['kind', 'operation'],
        buckets: BUCKETS,
        registers: [registry],
      }),
  );
  const errors = reuse(
    registry,
    'cache_errors_total',
    () =>
      new Counter({
        name: 'cache_errors_total',
        help: 'Cache calls that failed (the caller used the source), by operation',
        labelNames: ['operation'],
        registers: [registry],
      }),
  );
  reuse(
    registry,
    'cache_up',
    () =>
      new Gauge({
        name: 'cache_up',
        help: '1 while the cache answers (for Redis: connected), else 0',
        labelNames: ['adapter'],
        registers: [registry],
        collect() {
          this.set({ adapter: cache.adapter }, cache.state() === 'up' ? 1 : 0);
        },
      }),
  );
  const lag = reuse(
    registry,
    'cache_pubsub_lag_seconds',
    () =>
      new Histogram({
        name: 'cache_pubsub_lag_seconds',
        help: 'Time from publishing a cache pub/sub message to its delivery here, by channel',
        labelNames: ['channel'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers: [registry],
      }),
  );

  const timed = async <T>(kind: string, operation: string, call: () => Promise<T>): Promise<T> => {
    const end = duration.startTimer({ kind, operation });
    try {
      return await call();
    } catch (error) {
      errors.inc({ operation });
      throw error;
    } finally {
      end();
    }
  };

  const instrumented: Cache = {
    get adapter() {
      return cache.adapter;
    },
    async getMany<T>(kind: CacheKind<T>, keys: readonly string[]) {
      const values = await timed(kind.name, 'get', () => cache.getMany(kind, keys));
      const hits = values.filter((v) => v !== undefined).length;
      if (hits > 0) count(kind.name, true, hits);
      if (values.length > hits) count(kind.name, false, values.length - hits);
      return values;
    },
    setMany: (kind, entries) => timed(kind.name, 'set', () => cache.setMany(kind, entries)),
    delete: (kind, keys) => timed(kind.name, 'delete', () => cache.delete(kind, keys)),
    markers: (keys) => timed('marker', 'get', () => cache.markers(keys)),
    raise: (entries) => timed('marker', 'raise', () => cache.raise(entries)),
    increment: (key) => timed('marker', 'increment', () => cache.increment(key)),
    publish: (channel, message) =>
      timed('pubsub', 'publish', () => cache.publish(channel, message)),
    subscribe: (channel, onMessage) => cache.subscribe(channel, onMessage),
    state: () => cache.state(),
    onStateChange: (listener) => {
      cache.onStateChange(listener);
    },
    close: () => cache.close(),
  };
  return {
    cache: instrumented,
    metrics: {
      read: (kind, hit) => {
        count(kind, hit);
      },
      evicted: (kind) => {
        evictions.inc({ kind });
      },
      pubsubLag: (channel, seconds) => {
        lag.observe({ channel }, Math.max(0, seconds));
      },
      stale: (kind) => {
        // The read was counted as a hit; it was not one after all.
        const c = counts.get(kind);
        if (c && c.hits > 0) {
          c.hits -= 1;
          c.misses += 1;
        }
        requests.inc({ kind, result: 'stale' });
      },
    },
  };
}
