import { createClient } from 'redis';
import {
  CacheUnavailable,
  type Cache,
  type CacheKind,
  type CacheState,
  type Unsubscribe,
} from './port.ts';

export interface RedisCacheOptions {
  readonly url: string;
  /** Prefix of every key and channel (default `opt:`): deployments sharing a server stay apart. */
  readonly keyPrefix?: string;
  /** How long a call may take before it fails as `CacheUnavailable` (default 250 ms). */
  readonly commandTimeoutMs?: number;
  /** How long `connect` waits for the server before going on without it (default 2000 ms). */
  readonly connectTimeoutMs?: number;
}

/** Raises each marker KEYS[i] to at least ARGV[i]: markers never go down. */
const RAISE = `for i, key in ipairs(KEYS) do
  local cur = tonumber(redis.call('GET', key))
  if cur == nil or cur < tonumber(ARGV[i]) then redis.call('SET', key, ARGV[i]) end
end
return 0`;

type Client = ReturnType<typeof createClient>;

/**
 * The Redis cache adapter (`redis`, node-redis), used when `REDIS_URL` is set: every process
 * sees the same entries, markers and channels. Calls fail fast while the server is away (no
 * offline queue) or slow (`commandTimeoutMs`), as `CacheUnavailable`; the clients reconnect on
 * their own with a jittered back-off from 50 ms doubling to 2 s, and subscriptions are
 * restored when they do.
 *
 * Markers are keys without a TTL. Run Redis with a `volatile-*` eviction policy (or
 * `noeviction`) so memory pressure evicts entries, which all have TTLs, and never markers.
 */
export class RedisCache implements Cache {
  readonly adapter = 'redis' as const;
  readonly #client: Client;
  readonly #subscriber: Client;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #listeners: ((state: CacheState) => void)[] = [];
  /** Subscribers by channel (prefixed); each channel is subscribed once, when connected. */
  readonly #channels = new Map<string, Set<(message: string) => void>>();
  readonly #subscribed = new Set<string>();
  #state: CacheState = 'down';

  private constructor(options: RedisCacheOptions) {
    this.#prefix = options.keyPrefix ?? 'opt:';
    this.#timeoutMs = options.commandTimeoutMs ?? 250;
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 2000,
        reconnectStrategy: (retries) => Math.min(2 ** retries * 50, 2000) + Math.random() * 100,
      },
    });
    this.#subscriber = this.#client.duplicate();
    for (const client of [this.#client, this.#subscriber]) {
      // Errors surface as failed calls and state changes; an 'error' listener keeps them from
      // crashing the process.
      client.on('error', () => {
        this.#update();
      });
      client.on('ready', () => {
        this.#update();
        if (client === this.#subscriber) this.#subscribeAll();
      });
      client.on('end', () => {
        this.#update();
      });
      client.on('reconnecting', () => {
        this.#update();
      });
    }
  }

  /**
   * Connects both clients, waiting at most `connectTimeoutMs`: an unreachable server does not
   * stop start-up (the cache is `down` and callers use the source until it answers).
   */
  static async connect(options: RedisCacheOptions): Promise<RedisCache> {
    const cache = new RedisCache(options);
    const connected = Promise.all([cache.#client.connect(), cache.#subscriber.connect()]).then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, options.connectTimeoutMs ?? 2000);
    });
    await Promise.race([connected, gaveUp]);
    clearTimeout(timer);
    cache.#update();
    return cache;
  }

  async getMany<T>(kind: CacheKind<T>, keys: readonly string[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    const texts = await this.#call<(string | null)[]>([
      'MGET',
      ...keys.map((k) => this.#key(kind, k)),
    ]);
    return texts.map((text) => (text === null ? undefined : kind.decode(text)));
  }

  async setMany<T>(kind: CacheKind<T>, entries: readonly (readonly [string, T])[]): Promise<void> {
    if (entries.length === 0) return;
    const ttl = String(Math.max(1, Math.round(kind.ttlMs)));
    if (entries.length === 1) {
      const [key, value] = entries[0] ?? [];
      await this.#call(['SET', this.#key(kind, key ?? ''), kind.encode(value as T), 'PX', ttl]);
      return;
    }
    const multi = this.#client.multi();
    for (const [key, value] of entries) {
      multi.addCommand(['SET', this.#key(kind, key), kind.encode(value), 'PX', ttl]);
    }
    await this.#timed(multi.exec());
  }

  async delete(kind: CacheKind<unknown>, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#call(['DEL', ...keys.map((k) => this.#key(kind, k))]);
  }

  async markers(keys: readonly string[]): Promise<(number | undefined)[]> {
    if (keys.length === 0) return [];
    const texts = await this.#call<(string | null)[]>([
      'MGET',
      ...keys.map((k) => this.#marker(k)),
    ]);
    return texts.map((text) => (text === null ? undefined : Number(text)));
  }

  async raise(entries: readonly (readonly [string, number])[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#call([
      'EVAL',
      RAISE,
      String(entries.length),
      ...entries.map(([k]) => this.#marker(k)),
      ...entries.map(([, v]) => String(v)),
    ]);
  }

  async increment(key: string): Promise<number> {
    return Number(await this.#call<number | string>(['INCR', this.#marker(key)]));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#call(['PUBLISH', `${this.#prefix}${channel}`, message]);
  }

  /**
   * Subscribes at once when connected, else as soon as the subscriber connects (node-redis
   * restores subscriptions after a reconnect). Messages published while disconnected are lost.
   */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe> {
    const name = `${this.#prefix}${channel}`;
    let listeners = this.#channels.get(name);
    if (!listeners) {
      listeners = new Set();
      this.#channels.set(name, listeners);
    }
    const own = (message: string): void => {
      onMessage(message);
    };
    listeners.add(own);
    this.#subscribeAll();
    return Promise.resolve(() => {
      listeners.delete(own);
      return Promise.resolve();
    });
  }

  #subscribeAll(): void {
    if (!this.#subscriber.isReady) return;
    for (const [name, listeners] of this.#channels) {
      if (this.#subscribed.has(name)) continue;
      this.#subscribed.add(name);
      this.#subscriber
        .subscribe(name, (message: string) => {
          for (const listener of listeners) listener(message);
        })
        .catch(() => {
          // Retried on the next connection.
          this.#subscribed.delete(name);
        });
    }
  }

  state(): CacheState {
    return this.#state;
  }

  onStateChange(listener: (state: CacheState) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    for (const client of [this.#client, this.#subscriber]) await closeRedisClient(client);
    this.#update();
  }

  #key(kind: CacheKind<unknown>, key: string): string {
    return `${this.#prefix}${kind.name}:${key}`;
  }

  #marker(key: string): string {
    return `${this.#prefix}marker:${key}`;
  }

  #update(): void {
    const next: CacheState = this.#client.isReady && this.#subscriber.isReady ? 'up' : 'down';
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of this.#listeners) listener(next);
  }

  #call<T>(args: string[]): Promise<T> {
    if (!this.#client.isReady) {
      return Promise.reject(new CacheUnavailable('Redis is not connected'));
    }
    return this.#timed(this.#client.sendCommand<T>(args));
  }

  /** Fails a call that takes longer than the command timeout (the reply is then ignored). */
  #timed<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new CacheUnavailable(`Redis did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    });
    return Promise.race([call, timeout]).then(
      (value) => {
        clearTimeout(timer);
        return value;
      },
      (error: unknown) => {
        clearTimeout(timer);
        throw error instanceof CacheUnavailable
          ? error
          : new CacheUnavailable('Redis call failed', { cause: error });
      },
    );
  }
}

/**
 * Closes a node-redis client: QUIT waits for pending replies, which a hung server never
 * sends, so it gets a second before the socket is destroyed.
 */
export async function closeRedisClient(client: {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  close(): Promise<unknown>;
  destroy(): void;
}): Promise<void> {
  if (client.isReady) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.close().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
  }
  if (client.isOpen) client.destroy();
}
