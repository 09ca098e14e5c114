/**
 * Quotes as an async iterable, for consumers that prefer `for await` to callbacks.
 */
import type { Quote } from '../domain/market.ts';
import type { MarketData } from './port.ts';

/** Options of {@link quoteStream}. */
export interface QuoteStreamOptions {
  /** Ends the iteration (and unsubscribes) when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Most quotes kept while the consumer is slower than the feed; beyond it the oldest are
   * dropped (a quote is superseded by the next one). Default 10,000.
   */
  readonly highWaterMark?: number;
  /** Told how many quotes were dropped so far, each time one is. */
  readonly onDrop?: (dropped: number) => void;
}

/**
 * Subscribes to `symbols` (or `'all'`) and yields quotes in arrival order until the signal
 * aborts or the consumer stops iterating; either way the subscription is cancelled.
 */
export async function* quoteStream(
  market: MarketData,
  symbols: readonly string[] | 'all',
  options: QuoteStreamOptions = {},
): AsyncGenerator<Quote, void, undefined> {
  const { signal, highWaterMark = 10_000, onDrop } = options;
  if (signal?.aborted) return;
  const buffer: Quote[] = [];
  let dropped = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const unsubscribe = market.subscribeQuotes(symbols, (quote) => {
    buffer.push(quote);
    if (buffer.length > highWaterMark) {
      buffer.shift();
      dropped += 1;
      onDrop?.(dropped);
    }
    notify();
  });
  signal?.addEventListener('abort', notify, { once: true });
  try {
    for (;;) {
      const next = buffer.shift();
      if (next) {
        yield next;
        continue;
      }
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener('abort', notify);
    unsubscribe();
  }
}
