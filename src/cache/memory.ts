import { LRUCache } from 'lru-cache';
import type { Cache, CacheKind, CacheState, Unsubscribe } from './port.ts';

export interface MemoryCacheOptions {
  /** Entries kept at most, all kinds together (default 50,000); the least recently used go. */
  readonly maxEntries?: number;
  /** Markers kept at most (default 100,000); see `markers`. */
  readonly maxMarkers?: number;
  /** Called when an entry is evicted to make room (not when it expires or is deleted). */
  readonly onEvict?: (kind: string) => void;
}

interface Slot {
  readonly kind: string;
  readonly value: unknown;
}

/**
 * The in-process cache adapter (the default, no server): an LRU of entries with per-kind TTLs,
 * markers in a bounded map, and pub/sub between the subscribers of this process. It never goes
 * down. Values are kept as they are given, not encoded: they are immutable by contract.
 */
export class MemoryCache implements Cache {
  readonly adapter = 'memory' as const;
  readonly #entries: LRUCache<string, Slot>;
  readonly #markers = new Map<string, number>();
  readonly #maxMarkers: number;
  /**
   * The highest marker ever dropped to bound memory: a missing marker reads as this floor, so
   * dropping a version can only make entries look older (a miss), never newer.
   */
  #floor: number | undefined;
  readonly #channels = new Map<string, Set<(message: string) => void>>();

  constructor(options: MemoryCacheOptions = {}) {
    const onEvict = options.onEvict;
    this.#entries = new LRUCache<string, Slot>({
      max: options.maxEntries ?? 50_000,
      ttlAutopurge: false,
      allowStale: false,
      ...(onEvict
        ? {
            dispose: (slot: Slot, _key: string, reason: LRUCache.DisposeReason) => {
              if (reason === 'evict') onEvict(slot.kind);
            },
          }
        : {}),
    });
    this.#maxMarkers = options.maxMarkers ?? 100_000;
  }

  getMany<T>(kind: CacheKind<T>, keys: readonly string[]): Promise<(T | undefined)[]> {
    return Promise.resolve(
      keys.map((key) => this.#entries.get(`${kind.name}:${key}`)?.value as T | undefined),
    );
  }

  setMany<T>(kind: CacheKind<T>, entries: readonly (readonly [string, T])[]): Promise<void> {
    for (const [key, value] of entries) {
      this.#entries.set(`${kind.name}:${key}`, { kind: kind.name, value }, { ttl: kind.ttlMs });
    }
    return Promise.resolve();
  }

  delete(kind: CacheKind<unknown>, keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#entries.delete(`${kind.name}:${key}`);
    return Promise.resolve();
  }

  markers(keys: readonly string[]): Promise<(number | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.#markers.get(key) ?? this.#floor));
  }

  raise(entries: readonly (readonly [string, number])[]): Promise<void> {
    for (const [key, value] of entries) {
      const current = this.#markers.get(key) ?? this.#floor;
      if (current === undefined || current < value) this.#setMarker(key, value);
    }
    return Promise.resolve();
  }

  increment(key: string): Promise<number> {
    const next = (this.#markers.get(key) ?? this.#floor ?? 0) + 1;
    this.#setMarker(key, next);
    return Promise.resolve(next);
  }

  publish(channel: string, message: string): Promise<void> {
    const listeners = this.#channels.get(channel);
    if (listeners) {
      // Delivered asynchronously, as from a server: a publisher never runs its subscribers.
      queueMicrotask(() => {
        for (const listener of listeners) listener(message);
      });
    }
    return Promise.resolve();
  }

  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe> {
    let listeners = this.#channels.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
    }
    const own = (message: string): void => {
      onMessage(message);
    };
    listeners.add(own);
    return Promise.resolve(() => {
      listeners.delete(own);
      return Promise.resolve();
    });
  }

  state(): CacheState {
    return 'up';
  }

  onStateChange(): void {
    // Process memory never goes down.
  }

  close(): Promise<void> {
    this.#entries.clear();
    this.#channels.clear();
    return Promise.resolve();
  }

  #setMarker(key: string, value: number): void {
    this.#markers.delete(key);
    this.#markers.set(key, value);
    if (this.#markers.size > this.#maxMarkers) {
      const oldest = this.#markers.entries().next();
      if (!oldest.done) {
        const [oldKey, oldValue] = oldest.value;
        this.#markers.delete(oldKey);
        this.#floor = Math.max(this.#floor ?? oldValue, oldValue);
      }
    }
  }
}
