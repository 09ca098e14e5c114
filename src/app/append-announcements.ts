/**
 * Append announcements through the cache's pub/sub (issue 12): a process that appends tells
 * the others at once, so their live subscriptions — the live-update hub behind SSE and
 * `trade_updates`, the engine, the projections — read the new events now instead of at their
 * next poll of the event store.
 *
 * Correctness never depends on a message: an announcement carries no event, only the newest
 * global position appended, and it only wakes a subscription, which then reads the store from
 * its own checkpoint as it always does. A lost message (Redis down, a reconnect) costs at most
 * one poll interval of latency, never an event; the poll is the fallback.
 */
import { randomBytes } from 'node:crypto';
import type { Cache } from '../cache/port.ts';
import type { EventStore } from '../eventstore/port.ts';

/** The channel appends are announced on. */
export const APPENDS_CHANNEL = 'appends';

/** What an announcement says: who appended, the newest position, when (ms since epoch). */
interface Announcement {
  /** The announcing process (a process ignores its own: its subscriptions woke already). */
  readonly o: string;
  /** The highest global position appended since the last announcement. */
  readonly p: number;
  /** When it was published. */
  readonly at: number;
  /** The streams appended to (account ids, for whoever wants to filter). */
  readonly s: readonly string[];
}

/** One process's announcer and listener. */
export class AppendAnnouncements {
  readonly #origin = randomBytes(6).toString('base64url');
  #pending: { position: number; streams: Set<string> } | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly cache: Cache,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * `store`, announcing every append it makes. The appends of one turn of the event loop go
   * as one message (the engine fills in bursts).
   */
  announcing(store: EventStore): EventStore {
    const append: EventStore['append'] = async (streamId, events, options) => {
      const result = await store.append(streamId, events, options);
      this.#announce(result.position, streamId);
      return result;
    };
    return new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'append') return append;
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function'
          ? (value as (...args: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  }

  /**
   * Calls `wake` for every announcement of another process, with the position it announced and
   * the seconds from its publication to its arrival here.
   */
  async listen(wake: (position: number, lagSeconds: number) => void): Promise<void> {
    this.#unsubscribe = await this.cache.subscribe(APPENDS_CHANNEL, (text) => {
      let message: Announcement;
      try {
        message = JSON.parse(text) as Announcement;
      } catch {
        return;
      }
      if (message.o === this.#origin) return;
      wake(message.p, Math.max(0, (Date.now() - message.at) / 1000));
    });
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #announce(position: number, streamId: string): void {
    if (this.#pending) {
      this.#pending.position = Math.max(this.#pending.position, position);
      this.#pending.streams.add(streamId);
      return;
    }
    this.#pending = { position, streams: new Set([streamId]) };
    setImmediate(() => {
      const pending = this.#pending;
      this.#pending = undefined;
      if (pending === undefined || this.cache.state() !== 'up') return;
      const message: Announcement = {
        o: this.#origin,
        p: pending.position,
        at: Date.now(),
        s: [...pending.streams].slice(0, 100),
      };
      this.cache.publish(APPENDS_CHANNEL, JSON.stringify(message)).catch(this.onError);
    });
  }
}
