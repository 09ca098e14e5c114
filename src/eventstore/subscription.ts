import type { RecordedEvent, Subscription } from './port.ts';

/**
 * Wakes waiting subscribers when an append commits. Carries a version counter so a
 * notification that lands between a subscriber's read and its wait is never lost.
 */
export class Notifier {
  #version = 0;
  #waiters = new Set<() => void>();

  get version(): number {
    return this.#version;
  }

  notify(): void {
    this.#version++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next notification after `seenVersion`, or after `timeoutMs`. */
  wait(seenVersion: number, timeoutMs: number): Promise<void> {
    if (this.#version !== seenVersion) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }
}

/** Reads up to `max` events with position strictly greater than `after`, in position order. */
export type ReadAfter = (after: number, max: number) => Promise<RecordedEvent[]>;

export interface CatchUpOptions {
  readonly fromPosition?: number;
  readonly batchSize?: number;
  /** Longest wait between reads when no notification arrives (other writers, other processes). */
  readonly pollMs?: number;
}

/**
 * The catch-up subscription every SQL and in-memory adapter shares: read after the
 * checkpoint until caught up, then wait for a notification or the poll interval.
 */
export class CatchUpSubscription implements Subscription {
  #checkpoint: number;
  #buffer: RecordedEvent[] = [];
  #closed = false;
  readonly #batchSize: number;
  readonly #pollMs: number;
  #wakeClosed: (() => void) | undefined;
  /** The notifier version before the last read, when that read returned a partial batch. */
  #caughtUpAt: number | undefined;
  readonly #closedSignal: Promise<void>;

  constructor(
    private readonly readAfter: ReadAfter,
    private readonly notifier: Notifier,
    options: CatchUpOptions = {},
  ) {
    this.#checkpoint = options.fromPosition ?? 0;
    this.#batchSize = options.batchSize ?? 500;
    this.#pollMs = options.pollMs ?? 50;
    this.#closedSignal = new Promise((resolve) => (this.#wakeClosed = resolve));
  }

  async nextBatch(max = this.#batchSize): Promise<RecordedEvent[]> {
    while (!this.#closed) {
      if (this.#buffer.length > 0) return this.#buffer.splice(0, max);
      if (this.#caughtUpAt !== undefined) {
        // The last read came back short: it saw everything there was. Read again only once
        // something was appended since (or the poll interval passed, for other writers).
        const seen = this.#caughtUpAt;
        this.#caughtUpAt = undefined;
        await Promise.race([this.notifier.wait(seen, this.#pollMs), this.#closedSignal]);
        continue;
      }
      const seen = this.notifier.version;
      const events = await this.readAfter(this.#checkpoint, this.#batchSize);
      const last = events.at(-1);
      if (last) {
        this.#checkpoint = last.position;
        this.#buffer = events;
        if (events.length < this.#batchSize) this.#caughtUpAt = seen;
        continue;
      }
      await Promise.race([this.notifier.wait(seen, this.#pollMs), this.#closedSignal]);
    }
    return [];
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#buffer = [];
    this.#wakeClosed?.();
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return iterateEvents(this);
  }
}

/**
 * The async iteration every subscription offers: events one by one from `nextBatch`; leaving
 * the loop early closes the subscription.
 */
export async function* iterateEvents(
  subscription: Pick<Subscription, 'nextBatch' | 'close'>,
): AsyncGenerator<RecordedEvent> {
  try {
    for (;;) {
      const batch = await subscription.nextBatch();
      if (batch.length === 0) return;
      yield* batch;
    }
  } finally {
    await subscription.close();
  }
}
