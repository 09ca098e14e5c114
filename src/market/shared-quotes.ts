/**
 * Latest quotes shared through the cache port (issue 12): the engine role publishes every quote
 * of its feed (`publishQuotes`: latest-value keys plus one pub/sub message per tick), and API
 * replicas read them (`SharedQuoteMarket`), so every process prices orders and values
 * positions with the one feed the engine follows. Without them each process would run its own
 * simulated feed and clock.
 */
import { jsonKind, type Cache, type CacheKind } from '../cache/port.ts';
import type { Cancel, MarketContext, MarketData, Quote, QuoteListener } from './port.ts';

/** Latest quote per symbol. A quote older than this is not served (the feed is away). */
export const QUOTE_KIND: CacheKind<Quote> = jsonKind<Quote>('quote', 5_000);

/** The channel quotes are published on; a message is `{ at, quotes }` (`at`: ms since epoch). */
export const QUOTES_CHANNEL = 'quotes';

interface QuoteMessage {
  readonly at: number;
  readonly quotes: readonly Quote[];
}

export interface QuoteReadCounter {
  /** A quote read was answered by the shared quotes (hit) or by the local feed (miss). */
  read(hit: boolean): void;
  /** A quote message arrived `seconds` after it was published. */
  lag(seconds: number): void;
}

/**
 * Publishes every quote the market produces: the quotes of one tick go as one batch of
 * latest-value writes and one message. Failures are reported and skipped (the next tick
 * overwrites). Returns the function that stops publishing.
 */
export function publishQuotes(
  market: MarketData,
  cache: Cache,
  onError: (error: unknown) => void = () => undefined,
): Cancel {
  let pending = new Map<string, Quote>();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const quotes = [...pending.values()];
    pending = new Map();
    if (quotes.length === 0 || cache.state() !== 'up') return;
    const message: QuoteMessage = { at: Date.now(), quotes };
    Promise.all([
      cache.setMany(
        QUOTE_KIND,
        quotes.map((q) => [q.symbol, q] as const),
      ),
      cache.publish(QUOTES_CHANNEL, JSON.stringify(message)),
    ]).catch(onError);
  };
  return market.subscribeQuotes('all', (quote) => {
    pending.set(quote.symbol, quote);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

interface Mirrored {
  readonly quote: Quote;
  /** When it arrived here (ms since epoch). */
  readonly at: number;
}

/**
 * A market whose quotes come from the shared cache: a local mirror fed by the quote channel
 * (and filled from the latest-value keys at start), the rest — clock, calendar, bars, assets —
 * from `source`. A symbol without a fresh shared quote (Redis away, or the engine not
 * publishing) is answered by `source`, so reads never fail because of the cache.
 */
export class SharedQuoteMarket implements MarketData {
  readonly #mirror = new Map<string, Mirrored>();
  readonly #listeners = new Set<{ symbols: Set<string> | 'all'; onQuote: QuoteListener }>();
  #unsubscribe: (() => Promise<void>) | undefined;

  private constructor(
    private readonly source: MarketData,
    private readonly cache: Cache,
    private readonly counter: QuoteReadCounter | undefined,
    private readonly maxAgeMs: number,
  ) {}

  get clock(): MarketData['clock'] {
    return this.source.clock;
  }

  get calendar(): MarketData['calendar'] {
    return this.source.calendar;
  }

  /** Subscribes to the quote channel and loads the latest quotes of every listed asset. */
  static async open(
    source: MarketData,
    cache: Cache,
    options: { readonly counter?: QuoteReadCounter; readonly maxAgeMs?: number } = {},
  ): Promise<SharedQuoteMarket> {
    const market = new SharedQuoteMarket(
      source,
      cache,
      options.counter,
      options.maxAgeMs ?? QUOTE_KIND.ttlMs,
    );
    market.#unsubscribe = await cache.subscribe(QUOTES_CHANNEL, (text) => {
      market.#receive(text);
    });
    try {
      const symbols = source.assets().map((a) => a.symbol);
      const quotes = await cache.getMany(QUOTE_KIND, symbols);
      const now = Date.now();
      for (const quote of quotes) {
        if (quote !== undefined && !market.#mirror.has(quote.symbol)) {
          market.#mirror.set(quote.symbol, { quote, at: now });
        }
      }
    } catch {
      // Redis is away: the mirror fills from the channel once it is back.
    }
    return market;
  }

  latestQuote(symbol: string): Quote | undefined {
    const shared = this.#fresh(symbol.toUpperCase()) ?? this.#fresh(symbol);
    this.counter?.read(shared !== undefined);
    return shared ?? this.source.latestQuote(symbol);
  }

  subscribeQuotes(symbols: readonly string[] | 'all', onQuote: QuoteListener): Cancel {
    const listener = { symbols: symbols === 'all' ? 'all' : new Set(symbols), onQuote } as const;
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  bars(...args: Parameters<MarketData['bars']>): ReturnType<MarketData['bars']> {
    return this.source.bars(...args);
  }

  assets(): ReturnType<MarketData['assets']> {
    return this.source.assets();
  }

  asset(symbol: string): ReturnType<MarketData['asset']> {
    return this.source.asset(symbol);
  }

  context(symbol: string): MarketContext {
    const context = this.source.context(symbol);
    const shared = this.#fresh(context.asset?.symbol ?? symbol.toUpperCase());
    this.counter?.read(shared !== undefined);
    return shared === undefined ? context : { ...context, quote: shared };
  }

  close(): void {
    void this.#unsubscribe?.();
    this.#listeners.clear();
    this.source.close();
  }

  #fresh(symbol: string): Quote | undefined {
    const mirrored = this.#mirror.get(symbol);
    if (mirrored === undefined) return undefined;
    if (Date.now() - mirrored.at > this.maxAgeMs || this.cache.state() !== 'up') return undefined;
    return mirrored.quote;
  }

  #receive(text: string): void {
    let message: QuoteMessage;
    try {
      message = JSON.parse(text) as QuoteMessage;
    } catch {
      return;
    }
    const now = Date.now();
    this.counter?.lag((now - message.at) / 1000);
    for (const quote of message.quotes) {
      this.#mirror.set(quote.symbol, { quote, at: now });
      for (const listener of this.#listeners) {
        if (listener.symbols === 'all' || listener.symbols.has(quote.symbol)) {
          listener.onQuote(quote);
        }
      }
    }
  }
}
