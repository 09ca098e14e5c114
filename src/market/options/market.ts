/**
 * `OptionsMarket`: a `MarketData` decorator that adds listed equity options to any feed — the
 * seeded simulator or a replay of stored history alike, since options are priced from whatever
 * the underlying's quotes are. For an OCC symbol, `latestQuote`, `context`, `subscribeQuotes`
 * and `bars` answer the option (priced from the underlying's quote at that moment); everything
 * else passes through. So the command layer, the engine and the read side trade and value
 * options with no option-specific wiring. Option quotes carry the underlying's `source`, time
 * and sequence: simulated when the underlying is.
 *
 * The chain API (`chain`, `contract`, `historicals`, `expirations`) serves the option routes
 * and tools.
 */
import type { Bar, BarsQuery, Cancel, MarketData, QuoteListener } from '../port.ts';
import { UnknownSymbolError } from '../port.ts';
import type { Asset, MarketContext, Quote } from '../../domain/market.ts';
import { emptyGreeks } from '../../domain/options/bsm.ts';
import { canonicalOcc, parseOcc, type OptionContract } from '../../domain/options/contract.ts';
import type { ExpiryListing } from '../../domain/options/listing.ts';
import { normalizeSeed } from '../simulated/random.ts';
import { newYorkDate } from '../time-zone.ts';
import {
  ChainBuilder,
  filteredChain,
  midOf,
  quoteVersion,
  type ChainFilter,
  type OptionChain,
} from './chain.ts';
import {
  DEFAULT_RISK_FREE_RATE,
  MIN_OPTIONABLE_PRICE,
  underlyingProfile,
  type PricingParameters,
} from './parameters.ts';
import { priceListed, type ListedContract, type PricedOption } from './pricing.ts';
import { atmVol } from './surface.ts';

export type { OptionChain, ChainFilter } from './chain.ts';
export type { PricedOption } from './pricing.ts';

/** Options of {@link OptionsMarket}. */
export interface OptionsMarketOptions {
  /** `MARKET_SEED`: seeds the volatility surfaces, sizes, volume and open interest. */
  readonly seed?: string | number;
  /** `RISK_FREE_RATE` (default 4 %). */
  readonly riskFreeRate?: number;
  /** `DIVIDEND_YIELDS` overrides per symbol. */
  readonly dividendYields?: Readonly<Record<string, number>>;
  readonly expiryListing?: ExpiryListing;
}

/** One point of an option's simulated price history. */
export interface OptionHistoryPoint {
  /** End of the underlying bar the option was valued at. */
  readonly time: string;
  readonly underlyingClose: number;
  /** Model value per share. */
  readonly mark: number;
  readonly impliedVolatility: number;
  readonly delta: number;
}

const MS_PER_MINUTE = 60_000;

/** The options-aware market. */
export class OptionsMarket implements MarketData {
  readonly clock: MarketData['clock'];
  readonly calendar: MarketData['calendar'];
  readonly parameters: PricingParameters;
  readonly #builder: ChainBuilder;
  readonly #options: OptionsMarketOptions;

  constructor(
    readonly inner: MarketData,
    options: OptionsMarketOptions = {},
  ) {
    this.#options = options;
    this.clock = inner.clock;
    this.calendar = inner.calendar;
    this.parameters = {
      riskFreeRate: options.riskFreeRate ?? DEFAULT_RISK_FREE_RATE,
      ...(options.dividendYields === undefined ? {} : { dividendYields: options.dividendYields }),
    };
    this.#builder = new ChainBuilder(
      normalizeSeed(options.seed ?? 'open-paper-trading'),
      inner.calendar,
      this.parameters,
      options.expiryListing,
    );
  }

  /** The same listing and pricing over another market (an api replica's shared quotes). */
  over(inner: MarketData): OptionsMarket {
    return new OptionsMarket(inner, this.#options);
  }

  // ─── the option API ───────────────────────────────────────────────────────────────────────

  /** True when the underlying is listed, not a penny stock and trades above $3. */
  isOptionable(underlying: string): boolean {
    const asset = this.inner.asset(underlying);
    if (asset === undefined) return false;
    if (underlyingProfile(asset.symbol).tier === 'penny') return false;
    const quote = this.inner.latestQuote(asset.symbol);
    return quote !== undefined && midOf(quote) >= MIN_OPTIONABLE_PRICE;
  }

  /** The expirations listed today for an optionable underlying (empty otherwise). */
  expirations(underlying: string): string[] {
    if (!this.isOptionable(underlying)) return [];
    const now = this.clock.now().getTime();
    return this.#builder
      .expirations(newYorkDate(now))
      .filter((e) => (this.#builder.closeOf(e) ?? 0) > now);
  }

  /** The chain of an underlying now, filtered; `undefined` when it has no options. */
  chain(underlying: string, filter: ChainFilter = {}): OptionChain | undefined {
    const symbol = underlying.trim().toUpperCase();
    if (!this.isOptionable(symbol)) return undefined;
    const quote = this.inner.latestQuote(symbol);
    if (quote === undefined) return undefined;
    return filteredChain(this.#builder.chain(symbol, quote), filter);
  }

  /**
   * Which chain of `underlying` is current: the underlying quote it is priced from, its key
   * (`{symbol}@{quote version}`: the shared cache's key, so it changes as the underlying
   * moves) and the chain itself when this process has it already; `undefined` when the
   * underlying has no options.
   */
  currentChain(
    underlying: string,
  ): { symbol: string; quote: Quote; key: string; built: OptionChain | undefined } | undefined {
    const symbol = underlying.trim().toUpperCase();
    if (!this.isOptionable(symbol)) return undefined;
    const quote = this.inner.latestQuote(symbol);
    if (quote === undefined) return undefined;
    return {
      symbol,
      quote,
      key: `${symbol}@${quoteVersion(quote)}`,
      built: this.#builder.peek(symbol, quote),
    };
  }

  /** The whole chain of `symbol` priced against `quote` (kept here as its current chain). */
  chainAt(symbol: string, quote: Quote): OptionChain {
    return this.#builder.chain(symbol, quote);
  }

  /** Keeps a chain built elsewhere (read from the shared cache), so contracts price from it. */
  adoptChain(chain: OptionChain): void {
    this.#builder.adopt(chain);
  }

  /**
   * One contract priced now (quote, model value, implied volatility, greeks), or `undefined`
   * when the symbol is not a quotable contract: not OCC, not optionable, expired, or a strike
   * off the grid or far from the market.
   */
  contract(symbol: string): PricedOption | undefined {
    const contract = this.#quotable(symbol);
    if (contract === undefined) return undefined;
    const quote = this.inner.latestQuote(contract.underlying);
    if (quote === undefined) return undefined;
    return this.#price(contract, quote);
  }

  /**
   * An option's simulated price history: the model value at the end of each underlying bar
   * (`1Min` or `1Day`) with the surface of that day, for a contract that had not expired yet.
   */
  async historicals(symbol: string, query: BarsQuery): Promise<OptionHistoryPoint[]> {
    const contract = this.#contractOf(symbol);
    if (contract === undefined) throw new UnknownSymbolError(symbol);
    const bars = await this.inner.bars(contract.underlying, query);
    const out: OptionHistoryPoint[] = [];
    const closeMs = this.#builder.closeOf(contract.expiration);
    if (closeMs === undefined) return out;
    const scratch = emptyGreeks();
    for (const bar of bars) {
      const end = this.#barEnd(bar, query.timeframe);
      if (end > closeMs) break;
      const quote = this.#barQuote(contract.underlying, bar, end);
      const listed = this.#listed(contract, closeMs);
      const priced = priceListed(
        listed,
        this.#builder.context(contract.underlying, quote),
        scratch,
      );
      out.push({
        time: new Date(end).toISOString(),
        underlyingClose: Number(bar.close),
        mark: Math.round(priced.theoreticalPrice * 10_000) / 10_000,
        impliedVolatility: priced.impliedVolatility,
        delta: priced.greeks.delta,
      });
    }
    return out;
  }

  /**
   * The constant-maturity at-the-money implied volatility of `underlying`'s simulated surface
   * on the New York date `date` (`days` calendar days out, default 30): the volatility every
   * contract at the forward is priced with that day. Deterministic from `MARKET_SEED`, so any
   * past day's level can be recomputed (IV rank and percentile use it).
   */
  atmVolatility(underlying: string, date: string, days = 30): number {
    return atmVol(this.#builder.surface(underlying.trim().toUpperCase(), date), days / 365);
  }

  // ─── MarketData ───────────────────────────────────────────────────────────────────────────

  latestQuote(symbol: string): Quote | undefined {
    if (!looksLikeOcc(symbol)) return this.inner.latestQuote(symbol);
    return this.contract(symbol)?.quote;
  }

  subscribeQuotes(symbols: readonly string[] | 'all', onQuote: QuoteListener): Cancel {
    if (symbols === 'all') return this.inner.subscribeQuotes('all', onQuote);
    const plain: string[] = [];
    const options = new Map<string, OptionContract[]>();
    for (const symbol of symbols) {
      if (!looksLikeOcc(symbol)) {
        plain.push(symbol);
        continue;
      }
      const contract = this.#quotable(symbol);
      if (contract === undefined) throw new UnknownSymbolError(symbol);
      const list = options.get(contract.underlying) ?? [];
      list.push(contract);
      options.set(contract.underlying, list);
    }
    const cancels: Cancel[] = [];
    if (plain.length > 0) cancels.push(this.inner.subscribeQuotes(plain, onQuote));
    if (options.size > 0) {
      cancels.push(
        this.inner.subscribeQuotes([...options.keys()], (quote) => {
          for (const contract of options.get(quote.symbol) ?? []) {
            const priced = this.#price(contract, quote);
            if (priced !== undefined) onQuote(priced.quote);
          }
        }),
      );
    }
    return () => {
      for (const cancel of cancels) cancel();
    };
  }

  bars(symbol: string, query: BarsQuery): Promise<Bar[]> {
    if (!looksLikeOcc(symbol)) return this.inner.bars(symbol, query);
    return this.#optionBars(symbol, query);
  }

  assets(): readonly Asset[] {
    return this.inner.assets();
  }

  asset(symbol: string): Asset | undefined {
    return this.inner.asset(symbol);
  }

  context(symbol: string): MarketContext {
    if (!looksLikeOcc(symbol)) return this.inner.context(symbol);
    const contract = this.#contractOf(symbol);
    if (contract === undefined) {
      const { asset: _asset, quote: _quote, ...rest } = this.inner.context(symbol);
      return rest;
    }
    const {
      asset: _asset,
      quote: underlyingQuote,
      ...base
    } = this.inner.context(contract.underlying);
    const priced = this.contract(symbol);
    return {
      ...base,
      ...(priced === undefined ? {} : { quote: priced.quote }),
      ...(underlyingQuote === undefined ? {} : { underlyingQuote }),
    };
  }

  close(): void {
    this.inner.close();
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────

  #contractOf(symbol: string): OptionContract | undefined {
    const canonical = canonicalOcc(symbol);
    return canonical === undefined ? undefined : parseOcc(canonical);
  }

  /** The contract when it can be quoted now (see {@link contract}). */
  #quotable(symbol: string): OptionContract | undefined {
    const contract = this.#contractOf(symbol);
    if (contract === undefined || !this.isOptionable(contract.underlying)) return undefined;
    const closeMs = this.#builder.closeOf(contract.expiration);
    const now = this.clock.now().getTime();
    if (closeMs === undefined || closeMs <= now) return undefined;
    if (!this.#builder.expirations(newYorkDate(now)).includes(contract.expiration))
      return undefined;
    const strike = Number(contract.strike);
    const quote = this.inner.latestQuote(contract.underlying);
    const spot = quote === undefined ? 0 : midOf(quote);
    // Strikes sit on half-dollar multiples, within a wide band around the market.
    if (Math.abs(strike * 2 - Math.round(strike * 2)) > 1e-9) return undefined;
    if (strike < spot * 0.05 || strike > spot * 5) return undefined;
    return contract;
  }

  #price(contract: OptionContract, quote: Quote): PricedOption | undefined {
    const cached = this.#builder.cached(contract.underlying, quote, contract.symbol);
    if (cached !== undefined) return cached;
    const closeMs = this.#builder.closeOf(contract.expiration);
    if (closeMs === undefined || closeMs <= Date.parse(quote.time)) return undefined;
    const listed = this.#listed(contract, closeMs);
    return priceListed(listed, this.#builder.context(contract.underlying, quote));
  }

  #listed(contract: OptionContract, closeMs: number): ListedContract {
    return this.#builder.listed(
      contract.underlying,
      contract.expiration,
      contract.right,
      Number(contract.strike),
      closeMs,
    );
  }

  #barEnd(bar: Bar, timeframe: BarsQuery['timeframe']): number {
    const start = Date.parse(bar.time);
    if (timeframe === '1Min') return start + MS_PER_MINUTE;
    return this.calendar.session(newYorkDate(start))?.close.getTime() ?? start;
  }

  /** A quote at a bar's close, for valuing an option then. */
  #barQuote(symbol: string, bar: Bar, endMs: number): Quote {
    return {
      symbol,
      bid: bar.close,
      ask: bar.close,
      bidSize: 0,
      askSize: 0,
      last: bar.close,
      time: new Date(endMs).toISOString(),
      seq: Math.floor(endMs / 1000),
      source: 'simulated',
    };
  }

  /** Bars of an option: the model value at the underlying bar's open, high, low and close. */
  async #optionBars(symbol: string, query: BarsQuery): Promise<Bar[]> {
    const contract = this.#contractOf(symbol);
    if (contract === undefined) throw new UnknownSymbolError(symbol);
    const bars = await this.inner.bars(contract.underlying, query);
    const closeMs = this.#builder.closeOf(contract.expiration);
    if (closeMs === undefined) return [];
    const listed = this.#listed(contract, closeMs);
    const out: Bar[] = [];
    for (const bar of bars) {
      const end = this.#barEnd(bar, query.timeframe);
      if (end > closeMs) break;
      const value = (price: string): number => {
        const q = { ...this.#barQuote(contract.underlying, bar, end), bid: price, ask: price };
        return priceListed(listed, this.#builder.context(contract.underlying, q)).theoreticalPrice;
      };
      const [a, b] = [value(bar.high), value(bar.low)];
      const open = value(bar.open);
      const close = value(bar.close);
      out.push({
        time: bar.time,
        open: toCents(open),
        high: toCents(Math.max(a, b, open, close)),
        low: toCents(Math.min(a, b, open, close)),
        close: toCents(close),
        volume: Math.round(bar.volume / 10_000),
        vwap: ((open + close) / 2).toFixed(4),
        tradeCount: Math.round(bar.tradeCount / 1000),
      });
    }
    return out;
  }
}

function toCents(price: number): string {
  return (Math.round(price * 100) / 100).toFixed(2);
}

/** Cheap pre-test: OCC symbols end in six digits, C or P, and eight digits. */
function looksLikeOcc(symbol: string): boolean {
  return symbol.length >= 16 && /\d{6}[CPcp]\d{8}\s*$/.test(symbol);
}

/** The options market behind a `MarketData`, when it is one. */
export function optionsMarketOf(market: MarketData): OptionsMarket | undefined {
  return market instanceof OptionsMarket ? market : undefined;
}
