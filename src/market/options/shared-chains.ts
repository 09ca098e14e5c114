/**
 * Option chains through the cache port (issue 12). Pricing a chain is the costly read of the
 * options market (every listed contract through Black–Scholes–Merton), so the chain one process
 * priced is kept where every process finds it: under `{underlying}@{quote version}`, so an
 * entry is only ever read for the very underlying quote it was priced from and a move of the
 * underlying is a new key (nothing to invalidate). Each process still keeps its current chain
 * per underlying in memory (the options market's own chain cache), so only the first read
 * after a move reaches the shared cache, and only one process prices it per quote.
 */
import { ReadThrough } from '../../cache/read-through.ts';
import type { Cache, CacheKind } from '../../cache/port.ts';
import type { Quote } from '../../domain/market.ts';
import { parseOcc } from '../../domain/options/contract.ts';
import { filteredChain, type ChainFilter, type OptionChain } from './chain.ts';
import type { PricedOption } from './pricing.ts';
import type { OptionsMarket } from './market.ts';

/** A number as JSON carries it: the rare non-finite one (NaN, ±Infinity) as its name. */
const num = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const unnum = (x: number | string): number => (typeof x === 'string' ? Number(x) : x);

/** One contract of an encoded chain: what is not shared by every contract of the chain. */
type Row = [
  symbol: string,
  bid: string,
  ask: string,
  bidSize: number,
  askSize: number,
  last: string,
  theoretical: number | string,
  impliedVolatility: number | string,
  price: number | string,
  delta: number | string,
  gamma: number | string,
  theta: number | string,
  thetaPerDay: number | string,
  vega: number | string,
  rho: number | string,
  volume: number,
  openInterest: number,
  underlyingPrice: number | string,
  years: number | string,
];

interface Encoded {
  readonly u: string;
  readonly q: Quote;
  readonly a: string;
  readonly r: number | string;
  readonly d: number | string;
  readonly e: readonly string[];
  readonly c: readonly Row[];
}

/**
 * A chain, compactly: one row per contract with only what differs between contracts (the OCC
 * symbol, the quote's prices and sizes, model value, implied volatility, greeks, volume, open
 * interest); the contract's terms are parsed back from its symbol and the quote's time,
 * sequence and source are the underlying quote's. Prices stay the decimal strings they are,
 * model values and greeks the doubles they are (JSON round-trips a finite double exactly).
 * About a third of plain JSON, and decoded faster than the chain is priced. Entries outlive a
 * tick by far: 30 s.
 */
export const OPTION_CHAIN_KIND: CacheKind<OptionChain> = {
  name: 'option-chain',
  ttlMs: 30_000,
  encode(chain) {
    const rows = chain.contracts.map((c): Row => {
      const g = c.greeks;
      return [
        c.contract.symbol,
        c.quote.bid,
        c.quote.ask,
        c.quote.bidSize,
        c.quote.askSize,
        c.quote.last,
        num(c.theoreticalPrice),
        num(c.impliedVolatility),
        num(g.price),
        num(g.delta),
        num(g.gamma),
        num(g.theta),
        num(g.thetaPerDay),
        num(g.vega),
        num(g.rho),
        c.volume,
        c.openInterest,
        num(c.underlyingPrice),
        num(c.years),
      ];
    });
    const encoded: Encoded = {
      u: chain.underlying,
      q: chain.underlyingQuote,
      a: chain.asOf,
      r: num(chain.riskFreeRate),
      d: num(chain.dividendYield),
      e: chain.expirations,
      c: rows,
    };
    return JSON.stringify(encoded);
  },
  decode(text) {
    const e = JSON.parse(text) as Encoded;
    const { time, seq, source } = e.q;
    const contracts = e.c.map((row): PricedOption => {
      const parsed = parseOcc(row[0]);
      if (parsed === undefined) throw new Error(`not an OCC symbol in a cached chain: ${row[0]}`);
      return {
        contract: { ...parsed, underlying: e.u },
        quote: {
          symbol: row[0],
          bid: row[1],
          ask: row[2],
          bidSize: row[3],
          askSize: row[4],
          last: row[5],
          time,
          seq,
          source,
        },
        theoreticalPrice: unnum(row[6]),
        impliedVolatility: unnum(row[7]),
        greeks: {
          price: unnum(row[8]),
          delta: unnum(row[9]),
          gamma: unnum(row[10]),
          theta: unnum(row[11]),
          thetaPerDay: unnum(row[12]),
          vega: unnum(row[13]),
          rho: unnum(row[14]),
        },
        volume: row[15],
        openInterest: row[16],
        underlyingPrice: unnum(row[17]),
        years: unnum(row[18]),
      };
    });
    return {
      underlying: e.u,
      underlyingQuote: e.q,
      asOf: e.a,
      riskFreeRate: unnum(e.r),
      dividendYield: unnum(e.d),
      expirations: e.e,
      contracts,
    };
  },
};

export interface SharedOptionChainsOptions {
  /** The shared cache; undefined prices every chain here (no cache). */
  readonly cache?: Cache;
  readonly onError?: (error: unknown) => void;
  /** A read answered by this process's own current chain (counted as a cache hit). */
  readonly onLocalHit?: () => void;
}

/** Chains for the option routes and tools. */
export class SharedOptionChains {
  readonly #reads: ReadThrough<OptionChain>;

  constructor(
    readonly market: OptionsMarket,
    private readonly options: SharedOptionChainsOptions = {},
  ) {
    this.#reads = new ReadThrough(options.cache, OPTION_CHAIN_KIND, options.onError);
  }

  /** The chain of an underlying now, filtered; `undefined` when it has no options. */
  async chain(underlying: string, filter: ChainFilter = {}): Promise<OptionChain | undefined> {
    const current = this.market.currentChain(underlying);
    if (current === undefined) return undefined;
    let chain = current.built;
    if (chain === undefined) {
      chain = await this.#reads.read(current.key, () =>
        this.market.chainAt(current.symbol, current.quote),
      );
      this.market.adoptChain(chain);
    } else {
      this.options.onLocalHit?.();
    }
    return filteredChain(chain, filter);
  }
}
