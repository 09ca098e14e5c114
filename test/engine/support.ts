import type { Asset, MarketContext, Quote } from '../../src/domain/market.ts';
import type {
  Bar,
  BarsQuery,
  Cancel,
  Clock,
  MarketData,
  QuoteListener,
} from '../../src/market/port.ts';
import type { MarketCalendar } from '../../src/market/calendar.ts';
import {
  createDefaultMarket,
  SimulatedClock,
  type SimulatedMarket,
} from '../../src/market/index.ts';

/**
 * A market whose quotes a test (or benchmark) pushes by hand, on the simulated feed's clock,
 * calendar and assets: `push('AAPL', { ask: '99.50' })` sets the latest quote and delivers it
 * to subscribers synchronously, as the feed does.
 */
export class ScriptedMarket implements MarketData {
  readonly clock: Clock;
  readonly calendar: MarketCalendar;
  readonly #latest = new Map<string, Quote>();
  readonly #listeners = new Map<string, Set<QuoteListener>>();
  #seq = 0;

  constructor(readonly inner: SimulatedMarket) {
    this.clock = inner.clock;
    this.calendar = inner.calendar;
  }

  latestQuote(symbol: string): Quote | undefined {
    return this.#latest.get(symbol) ?? this.inner.latestQuote(symbol);
  }

  subscribeQuotes(symbols: readonly string[] | 'all', onQuote: QuoteListener): Cancel {
    const keys = symbols === 'all' ? ['*'] : symbols;
    for (const key of keys) {
      let set = this.#listeners.get(key);
      if (!set) this.#listeners.set(key, (set = new Set()));
      set.add(onQuote);
    }
    return () => {
      for (const key of keys) this.#listeners.get(key)?.delete(onQuote);
    };
  }

  /** Symbols with at least one subscriber. */
  subscribed(): string[] {
    return [...this.#listeners].filter(([, set]) => set.size > 0).map(([key]) => key);
  }

  bars(symbol: string, query: BarsQuery): Promise<Bar[]> {
    return this.inner.bars(symbol, query);
  }

  assets(): readonly Asset[] {
    return this.inner.assets();
  }

  dailyClose(symbol: string, date: string): string | undefined {
    return this.inner.dailyClose(symbol, date);
  }

  asset(symbol: string): Asset | undefined {
    return this.inner.asset(symbol);
  }

  context(symbol: string): MarketContext {
    const base = this.inner.context(symbol);
    const quote = this.#latest.get(symbol);
    return quote ? { ...base, quote } : base;
  }

  /** Publishes a quote; unspecified fields default around `last` (a one-cent spread, 1,000 shares). */
  push(symbol: string, prices: Partial<Omit<Quote, 'symbol' | 'seq' | 'time' | 'source'>>): Quote {
    const last = prices.last ?? prices.ask ?? prices.bid ?? '100';
    const quote: Quote = {
      symbol,
      bid: prices.bid ?? (Number(last) - 0.01).toFixed(2),
      ask: prices.ask ?? (Number(last) + 0.01).toFixed(2),
      bidSize: prices.bidSize ?? 1000,
      askSize: prices.askSize ?? 1000,
      last,
      time: this.clock.now().toISOString(),
      seq: ++this.#seq,
      source: 'test',
    };
    this.#latest.set(symbol, quote);
    for (const key of [symbol, '*']) {
      for (const listener of [...(this.#listeners.get(key) ?? [])]) listener(quote);
    }
    return quote;
  }

  close(): void {
    this.#listeners.clear();
    this.inner.close();
  }
}

/** A scripted market on a frozen simulated clock starting at `start`. */
export function scriptedMarket(start: Date): { market: ScriptedMarket; clock: SimulatedClock } {
  const clock = new SimulatedClock({ start, speed: 0 });
  const inner = createDefaultMarket({ seed: 7, clock, haltProbability: 0 });
  return { market: new ScriptedMarket(inner), clock };
}
