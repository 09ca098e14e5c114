import { expect } from 'chai';
import { Registry } from 'prom-client';
import { instrumentCache } from '../../src/cache/metrics.ts';
import type { Cache } from '../../src/cache/port.ts';
import { ASSETS_KIND, CALENDAR_KIND, MarketReads } from '../../src/market/cached-reads.ts';
import { createDefaultMarket, SimulatedClock, type MarketData } from '../../src/market/index.ts';
import {
  OPTION_CHAIN_KIND,
  OptionsMarket,
  SharedOptionChains,
} from '../../src/market/options/index.ts';
import type { CacheContractTarget } from './contract.ts';

/** Monday 2025-03-03, 10:00 New York. */
const START = new Date('2025-03-03T15:00:00.000Z');

/** One process's view: its own simulated feed (same seed, same clock), options and cache. */
function replica(cache: Cache, clock: SimulatedClock) {
  const registry = new Registry();
  const { cache: instrumented } = instrumentCache(cache, registry);
  const feed = createDefaultMarket({ seed: 42, clock, haltProbability: 0 });
  const calls = { assets: 0, sessions: 0 };
  // Counts what reaches the source: a cache hit does not.
  const counted = new Proxy(feed, {
    get(target, property, receiver) {
      if (property === 'assets') {
        return () => {
          calls.assets += 1;
          return target.assets();
        };
      }
      if (property === 'calendar') {
        const calendar = target.calendar;
        return new Proxy(calendar, {
          get(c, p) {
            if (p === 'sessions') {
              return (from: string, to: string) => {
                calls.sessions += 1;
                return c.sessions(from, to);
              };
            }
            return Reflect.get(c, p) as unknown;
          },
        });
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  }) as MarketData;
  const options = new OptionsMarket(feed, { seed: 42 });
  return {
    calls,
    options,
    reads: new MarketReads(counted, instrumented),
    chains: new SharedOptionChains(options, { cache: instrumented }),
    /** Key reads of `kind` by result, as `/metrics` shows them. */
    async requests(kind: string): Promise<{ hit: number; miss: number }> {
      const values =
        (await registry.getMetricsAsJSON()).find((m) => m.name === 'cache_requests_total')
          ?.values ?? [];
      const of = (result: string): number =>
        values
          .filter((v) => v.labels.kind === kind && v.labels.result === result)
          .reduce((n, v) => n + v.value, 0);
      return { hit: of('hit'), miss: of('miss') };
    },
  };
}

/**
 * The cached kinds of market data (issue 12) on one adapter: option chains, the asset list
 * and the calendar, each read by two "replicas" sharing the cache.
 */
export function cachedKindsContract(target: CacheContractTarget): void {
  let cache: Cache;
  let dispose: () => Promise<void>;
  let clock: SimulatedClock;

  beforeEach(async () => {
    ({ cache, dispose } = await target.open());
    clock = new SimulatedClock({ start: START, speed: 0 });
  });
  afterEach(() => dispose());

  it('kinds: the asset list is loaded once and served from the cache to the next reader', async () => {
    const a = replica(cache, clock);
    const b = replica(cache, clock);
    const first = await a.reads.assets();
    const second = await b.reads.assets();
    expect(second).to.deep.equal(first);
    expect(first.length).to.be.greaterThan(50);
    expect(a.calls.assets + b.calls.assets).to.equal(1);
    expect(await b.requests(ASSETS_KIND.name)).to.deep.equal({ hit: 1, miss: 0 });
    expect(await a.requests(ASSETS_KIND.name)).to.deep.equal({ hit: 0, miss: 1 });
  });

  it('kinds: calendar sessions come back from the cache with their instants and early closes', async () => {
    const a = replica(cache, clock);
    const b = replica(cache, clock);
    // Thanksgiving week 2025: a holiday and an early close.
    const first = await a.reads.sessions('2025-11-24', '2025-11-28');
    const second = await b.reads.sessions('2025-11-24', '2025-11-28');
    expect(a.calls.sessions + b.calls.sessions).to.equal(1);
    expect(second).to.deep.equal(first);
    expect(second.map((s) => s.date)).to.deep.equal([
      '2025-11-24',
      '2025-11-25',
      '2025-11-26',
      '2025-11-28',
    ]);
    const friday = second.at(-1);
    expect(friday?.earlyClose).to.equal(true);
    expect(friday?.close).to.be.instanceOf(Date);
    expect(friday?.close.toISOString()).to.equal('2025-11-28T18:00:00.000Z');
    // Another range is another entry.
    await b.reads.sessions('2025-12-01', '2025-12-05');
    expect(b.calls.sessions).to.equal(1);
    expect(await b.requests(CALENDAR_KIND.name)).to.deep.equal({ hit: 1, miss: 1 });
  });

  it('kinds: an option chain priced by one replica is served to another for the same underlying quote, decimals exact', async () => {
    const a = replica(cache, clock);
    const b = replica(cache, clock);
    const priced = await a.chains.chain('AAPL');
    const shared = await b.chains.chain('AAPL');
    if (priced === undefined || shared === undefined) throw new Error('AAPL has options');
    expect(await b.requests(OPTION_CHAIN_KIND.name)).to.deep.equal({ hit: 1, miss: 0 });
    expect(shared).to.deep.equal(priced);
    expect(shared.contracts.length).to.be.greaterThan(1500);
    const sample = shared.contracts[0];
    expect(sample?.quote.bid).to.be.a('string');
    expect(sample?.contract.strike).to.equal(priced.contracts[0]?.contract.strike);
    // The replica adopted it: its contracts price from the shared chain.
    const symbol = sample?.contract.symbol ?? '';
    expect(b.options.contract(symbol)).to.deep.equal(sample);
    // Filters apply to the shared chain like to a local one.
    const calls = await b.chains.chain('AAPL', { right: 'call', expiration: '2025-03-07' });
    expect(calls?.contracts.length).to.be.greaterThan(0);
    expect(
      calls?.contracts.every(
        (c) => c.contract.right === 'call' && c.contract.expiration === '2025-03-07',
      ),
    ).to.equal(true);
  });

  it('kinds: a move of the underlying is a new chain (the old entry is never served for it)', async () => {
    const a = replica(cache, clock);
    const b = replica(cache, clock);
    const before = await a.chains.chain('MSFT');
    clock.advance(5_000);
    const moved = a.options.inner.latestQuote('MSFT');
    const after = await b.chains.chain('MSFT');
    expect(after?.underlyingQuote).to.deep.equal(moved);
    expect(after?.underlyingQuote.seq).to.be.greaterThan(before?.underlyingQuote.seq ?? Infinity);
    expect(await b.requests(OPTION_CHAIN_KIND.name)).to.deep.equal({ hit: 0, miss: 1 });
    // And the first replica now finds what the second priced.
    expect(await a.chains.chain('MSFT')).to.deep.equal(after);
    expect(await a.requests(OPTION_CHAIN_KIND.name)).to.deep.equal({ hit: 1, miss: 1 });
  });

  it('kinds: concurrent cold reads of one key load it once (single flight)', async () => {
    const a = replica(cache, clock);
    const lists = await Promise.all([1, 2, 3, 4, 5].map(() => a.reads.assets()));
    expect(a.calls.assets).to.equal(1);
    for (const list of lists) expect(list).to.equal(lists[0]);
  });

  it('kinds: reads still answer from the source once the cache is closed', async () => {
    const a = replica(cache, clock);
    await dispose();
    dispose = () => Promise.resolve();
    expect((await a.reads.assets()).length).to.be.greaterThan(50);
    expect((await a.chains.chain('SPY'))?.underlying).to.equal('SPY');
  });
}
