/**
 * Option chains of the simulated (or replayed) market: which contracts are listed for an
 * underlying on a day, and all of them priced against one underlying quote. The listing is
 * the expirations listed that day (weeklies, monthlies, LEAPS, moved off exchange holidays)
 * and, per expiration, the strike grid around the spot (rounded to the increment, so it only
 * shifts when the underlying moves a whole increment). A chain is cached per underlying for
 * the quote it was priced from, so it is rebuilt when the underlying moves and not before.
 */
import { emptyGreeks } from '../../domain/options/bsm.ts';
import { optionContract, type OptionRight } from '../../domain/options/contract.ts';
import {
  DEFAULT_EXPIRY_LISTING,
  listedExpirations,
  strikeGrid,
  strikeIncrement,
  type ExpiryListing,
} from '../../domain/options/listing.ts';
import type { Quote } from '../../domain/market.ts';
import type { MarketCalendar } from '../calendar.ts';
import { hashString } from '../simulated/random.ts';
import { dayNumber, newYorkDate } from '../time-zone.ts';
import { atmVol, volSurface, type VolSurface } from './surface.ts';
import { dividendYieldOf, underlyingProfile, type PricingParameters } from './parameters.ts';
import {
  priceListed,
  type ListedContract,
  type PricedOption,
  type PricingContext,
} from './pricing.ts';

const MS_PER_YEAR = 365 * 86_400_000;

/** One listed expiration with its contracts (calls and puts, by ascending strike). */
export interface ListedExpiration {
  readonly expiration: string;
  readonly closeMs: number;
  readonly contracts: readonly ListedContract[];
}

/** What is listed for an underlying on one day around one spot. */
export interface Listing {
  readonly underlying: string;
  readonly date: string;
  readonly increment: number;
  readonly expirations: readonly ListedExpiration[];
}

/** A chain: every listed contract priced against the underlying's quote. */
export interface OptionChain {
  readonly underlying: string;
  readonly underlyingQuote: Quote;
  /** The instant the chain is valued at (the underlying quote's time). */
  readonly asOf: string;
  readonly riskFreeRate: number;
  readonly dividendYield: number;
  readonly expirations: readonly string[];
  readonly contracts: readonly PricedOption[];
}

/** Which contracts of a chain to return. */
export interface ChainFilter {
  readonly expiration?: string;
  readonly strikeMin?: number;
  readonly strikeMax?: number;
  readonly right?: OptionRight;
}

/** Mid of a quote (its last trade when one side is empty). */
export function midOf(quote: Quote): number {
  const bid = Number(quote.bid);
  const ask = Number(quote.ask);
  return bid > 0 && ask > 0 ? (bid + ask) / 2 : Number(quote.last);
}

/**
 * The version of an underlying quote a chain is priced from: a chain is valid for exactly one
 * (a new sequence, time or touch is a new chain).
 */
export function quoteVersion(quote: Quote): string {
  return `${String(quote.seq)}|${quote.time}|${quote.bid}|${quote.ask}`;
}

/** Builds, prices and caches chains. */
export class ChainBuilder {
  readonly #listings = new Map<string, Listing>();
  readonly #chains = new Map<
    string,
    { readonly key: string; readonly chain: OptionChain; bySymbol?: Map<string, PricedOption> }
  >();
  readonly #surfaces = new Map<string, VolSurface>();

  constructor(
    private readonly seed: number,
    private readonly calendar: MarketCalendar,
    private readonly parameters: PricingParameters,
    private readonly expiryListing: ExpiryListing = DEFAULT_EXPIRY_LISTING,
  ) {}

  /** The day's surface of an underlying (cached). */
  surface(underlying: string, date: string): VolSurface {
    const key = `${underlying}|${date}`;
    let surface = this.#surfaces.get(key);
    if (surface === undefined) {
      surface = volSurface(this.seed, underlyingProfile(underlying), date);
      if (this.#surfaces.size > 2000) this.#surfaces.clear();
      this.#surfaces.set(key, surface);
    }
    return surface;
  }

  readonly #expirations = new Map<string, readonly string[]>();

  /** The expirations listed on `date` (cached). */
  expirations(date: string): readonly string[] {
    let listed = this.#expirations.get(date);
    if (listed === undefined) {
      listed = listedExpirations(date, (d) => this.calendar.isSessionDay(d), this.expiryListing);
      if (this.#expirations.size > 1000) this.#expirations.clear();
      this.#expirations.set(date, listed);
    }
    return listed;
  }

  /** Epoch ms of an expiration's close (early closes included). */
  closeOf(expiration: string): number | undefined {
    return this.calendar.session(expiration)?.close.getTime();
  }

  /** What is listed for `underlying` at `spot` on the New York date of `nowMs`. */
  listing(underlying: string, spot: number, nowMs: number): Listing {
    const date = newYorkDate(nowMs);
    const profile = underlyingProfile(underlying);
    const increment = strikeIncrement(profile.referencePrice ?? spot, profile.tier === 'etf');
    const center = Math.max(increment, Math.round(spot / increment) * increment);
    const key = `${underlying}|${date}|${center}`;
    const known = this.#listings.get(key);
    if (known !== undefined) return known;
    const surface = this.surface(underlying, date);
    const expirations: ListedExpiration[] = [];
    for (const expiration of this.expirations(date)) {
      const closeMs = this.closeOf(expiration);
      if (closeMs === undefined || closeMs <= nowMs - 86_400_000) continue;
      const years = Math.max(0, (closeMs - nowMs) / MS_PER_YEAR);
      const strikes = strikeGrid({
        spot: center,
        increment,
        volatility: atmVol(surface, years),
        years,
        // Index ETFs list dollar strikes near the money and fives further out.
        ...(profile.tier === 'etf' && increment === 1 ? { coarse: 5 } : {}),
      });
      const contracts: ListedContract[] = [];
      for (const strike of strikes) {
        for (const right of ['call', 'put'] as const) {
          contracts.push(this.listed(underlying, expiration, right, strike, closeMs));
        }
      }
      expirations.push({ expiration, closeMs, contracts });
    }
    const listing: Listing = { underlying, date, increment, expirations };
    if (this.#listings.size > 1000) this.#listings.clear();
    this.#listings.set(key, listing);
    return listing;
  }

  /** A contract ready to price. */
  listed(
    underlying: string,
    expiration: string,
    right: OptionRight,
    strike: number,
    closeMs: number,
  ): ListedContract {
    const contract = optionContract({
      root: underlying,
      expiration,
      right,
      strike: String(strike),
    });
    return {
      contract,
      isCall: right === 'call',
      strike,
      closeMs,
      hash: hashString(contract.symbol),
    };
  }

  /** The context every contract of `underlying` is priced in for one quote of it. */
  context(underlying: string, quote: Quote): PricingContext {
    const nowMs = Date.parse(quote.time);
    const date = newYorkDate(nowMs);
    const session = this.calendar.session(date);
    let elapsed = 1;
    if (session !== undefined) {
      const open = session.open.getTime();
      const close = session.close.getTime();
      elapsed = nowMs <= open ? 0 : nowMs >= close ? 1 : (nowMs - open) / (close - open);
    }
    return {
      underlying: quote,
      spot: midOf(quote),
      nowMs,
      rate: this.parameters.riskFreeRate,
      dividendYield: dividendYieldOf(this.parameters, underlying),
      surface: this.surface(underlying, date),
      tier: underlyingProfile(underlying).tier,
      day: dayNumber(date),
      sessionElapsed: elapsed,
    };
  }

  /** The whole chain of `underlying` priced against `quote` (cached per quote). */
  chain(underlying: string, quote: Quote): OptionChain {
    const key = quoteVersion(quote);
    const cached = this.#chains.get(underlying);
    if (cached?.key === key) return cached.chain;
    const ctx = this.context(underlying, quote);
    const listing = this.listing(underlying, ctx.spot, ctx.nowMs);
    const scratch = emptyGreeks();
    const contracts: PricedOption[] = [];
    for (const expiration of listing.expirations) {
      if (expiration.closeMs <= ctx.nowMs) continue;
      for (const listed of expiration.contracts) contracts.push(priceListed(listed, ctx, scratch));
    }
    const chain: OptionChain = {
      underlying,
      underlyingQuote: quote,
      asOf: quote.time,
      riskFreeRate: ctx.rate,
      dividendYield: ctx.dividendYield,
      expirations: listing.expirations
        .filter((e) => e.closeMs > ctx.nowMs)
        .map((e) => e.expiration),
      contracts,
    };
    this.adopt(chain);
    return chain;
  }

  /** The chain of `underlying` for `quote` when it is the one kept here. */
  peek(underlying: string, quote: Quote): OptionChain | undefined {
    const cached = this.#chains.get(underlying);
    return cached?.key === quoteVersion(quote) ? cached.chain : undefined;
  }

  /**
   * Keeps `chain` as its underlying's chain for the quote it was priced from (a chain built
   * here, or by another process and read from the shared cache).
   */
  adopt(chain: OptionChain): void {
    const key = quoteVersion(chain.underlyingQuote);
    if (this.#chains.get(chain.underlying)?.key === key) return;
    if (this.#chains.size > 500) this.#chains.clear();
    this.#chains.set(chain.underlying, { key, chain });
  }

  /** The chain entry for a contract when the cached chain for `quote` lists it. */
  cached(underlying: string, quote: Quote, symbol: string): PricedOption | undefined {
    const cached = this.#chains.get(underlying);
    if (cached?.key !== quoteVersion(quote)) return undefined;
    cached.bySymbol ??= new Map(cached.chain.contracts.map((c) => [c.contract.symbol, c]));
    return cached.bySymbol.get(symbol);
  }
}

/** A chain with only the contracts `filter` selects (the chain itself when it selects all). */
export function filteredChain(chain: OptionChain, filter: ChainFilter): OptionChain {
  return filter.expiration === undefined &&
    filter.right === undefined &&
    filter.strikeMin === undefined &&
    filter.strikeMax === undefined
    ? chain
    : { ...chain, contracts: filterChain(chain, filter) };
}

/** Filters a chain's contracts. */
export function filterChain(chain: OptionChain, filter: ChainFilter): PricedOption[] {
  return chain.contracts.filter((c) => {
    if (filter.expiration !== undefined && c.contract.expiration !== filter.expiration)
      return false;
    if (filter.right !== undefined && c.contract.right !== filter.right) return false;
    const strike = Number(c.contract.strike);
    if (filter.strikeMin !== undefined && strike < filter.strikeMin) return false;
    if (filter.strikeMax !== undefined && strike > filter.strikeMax) return false;
    return true;
  });
}
