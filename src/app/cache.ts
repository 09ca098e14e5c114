/**
 * Which cache a process uses, and for what (DESIGN.md section 1, issue 12): Redis when
 * `REDIS_URL` is set, shared by every process, else process memory.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MemoryCache } from '../cache/memory.ts';
import { instrumentCache, type CacheMetrics } from '../cache/metrics.ts';
import type { Cache } from '../cache/port.ts';
import { RedisCache } from '../cache/redis.ts';
import type { Config } from '../config.ts';
import type { Role } from './compose.ts';

export interface OpenedCache {
  /** The process's cache (always there: memory when there is no Redis). */
  readonly shared: Cache;
  /**
   * Where account snapshots may be cached: only where the projections that invalidate them
   * reach it — Redis, or memory in a process that runs both the API and the projections (an
   * `api` replica without Redis would never hear of a change, so it reads the database).
   */
  readonly snapshots: Cache | undefined;
  /** Logs a cache failure once per outage (the read went to the source). */
  readonly onError: (error: unknown) => void;
  readonly metrics: CacheMetrics;
  close(): Promise<void>;
}

export async function openCache(
  config: Pick<Config, 'redisUrl'>,
  options: {
    readonly role: Role;
    readonly logger: Logger;
    readonly registry: Registry;
    readonly keyPrefix?: string;
  },
): Promise<OpenedCache> {
  const { logger, role } = options;
  let failing = false;
  const onError = (error: unknown): void => {
    if (failing) return;
    failing = true;
    logger.warn({ err: error }, 'cache unavailable; reading from the source until it answers');
  };
  if (config.redisUrl === undefined) {
    let evicted: (kind: string) => void = () => undefined;
    const memory = new MemoryCache({
      onEvict: (kind) => {
        evicted(kind);
      },
    });
    const { cache, metrics } = instrumentCache(memory, options.registry);
    evicted = (kind) => {
      metrics.evicted(kind);
    };
    return {
      shared: cache,
      snapshots: role === 'all' ? cache : undefined,
      onError,
      metrics,
      close: () => cache.close(),
    };
  }
  const redis = await RedisCache.connect({
    url: config.redisUrl,
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
  });
  const { cache, metrics } = instrumentCache(redis, options.registry);
  cache.onStateChange((state) => {
    if (state === 'up') {
      failing = false;
      logger.info('cache answers again');
    }
  });
  if (cache.state() === 'down')
    logger.warn('cache (Redis) not reachable at start; using the sources');
  return { shared: cache, snapshots: cache, onError, metrics, close: () => cache.close() };
}
