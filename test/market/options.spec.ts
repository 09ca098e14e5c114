import { expect } from 'chai';
import { Dec } from '../../src/domain/decimal.ts';
import { bsm, isValidOptionTick, parseOcc } from '../../src/domain/options/index.ts';
import type { Quote } from '../../src/domain/market.ts';
import { createDefaultMarket, SimulatedClock, type MarketData } from '../../src/market/index.ts';
import { OptionsMarket, optionsMarketOf, midOf } from '../../src/market/options/index.ts';

/** Monday 2025-03-03, 10:00 New York. */
const START = new Date('2025-03-03T15:00:00.000Z');

function setup(seed: string | number = 42, start = START) {
  const clock = new SimulatedClock({ start, speed: 0 });
  const inner = createDefaultMarket({ seed, clock, haltProbability: 0 });
  return { clock, inner, market: new OptionsMarket(inner, { seed }) };
}

describe('market: simulated option chains', () => {
  it('lists every expiration and strike of an underlying with quotes and greeks, all labelled simulated', () => {
    const { market } = setup();
    const chain = market.chain('AAPL');
    if (chain === undefined) throw new Error('AAPL has options');
    expect(chain.expirations[0]).to.equal('2025-03-07');
    // Good Friday 2025-04-18 is a holiday: that week's options expire on Thursday.
    expect(chain.expirations).to.include('2025-04-17').and.not.include('2025-04-18');
    expect(chain.contracts.length).to.be.greaterThan(1500);
    expect(chain.riskFreeRate).to.equal(0.04);
    expect(chain.dividendYield).to.equal(0.005);
    for (const c of chain.contracts) {
      const { bid, ask, last } = c.quote;
      expect(c.quote.source).to.equal('simulated');
      expect(parseOcc(c.quote.symbol)?.symbol).to.equal(c.quote.symbol);
      expect(new Dec(bid).lte(new Dec(ask)), `${c.quote.symbol} ${bid}/${ask}`).to.equal(true);
      expect(new Dec(ask).gt(0)).to.equal(true);
      for (const p of [bid, ask, last]) {
        if (new Dec(p).gt(0))
          expect(isValidOptionTick(new Dec(p)), `${c.quote.symbol} ${p}`).to.equal(true);
      }
      expect(Number.isInteger(c.quote.askSize) && c.quote.askSize > 0).to.equal(true);
      expect(c.theoreticalPrice)
        .to.be.at.least(Number(bid) - 1e-9)
        .and.at.most(Number(ask) + 1e-9);
      expect(c.openInterest).to.be.at.least(0);
    }
  });

  it('prices with Black–Scholes–Merton at the surface volatility and the configured rates', () => {
    const { market } = setup();
    const chain = market.chain('AAPL', { expiration: '2025-03-21', right: 'call' });
    const c = chain?.contracts[Math.floor(chain.contracts.length / 2)];
    if (chain === undefined || c === undefined) throw new Error('no contract');
    const expected = bsm({
      right: 'call',
      spot: midOf(chain.underlyingQuote),
      strike: Number(c.contract.strike),
      years: c.years,
      rate: 0.04,
      dividendYield: 0.005,
      volatility: c.impliedVolatility,
    });
    expect(c.theoreticalPrice).to.be.closeTo(expected.price, 1e-9);
    expect(c.greeks.delta).to.be.closeTo(expected.delta, 1e-12);
    expect(c.greeks.vega).to.be.closeTo(expected.vega, 1e-12);
  });

  it('has a put skew and a term structure, deterministic from MARKET_SEED', () => {
    const a = setup(42).market.chain('SPY', { expiration: '2025-04-17', right: 'put' });
    const b = setup(42).market.chain('SPY', { expiration: '2025-04-17', right: 'put' });
    const other = setup(7).market.chain('SPY', { expiration: '2025-04-17', right: 'put' });
    if (a === undefined || b === undefined || other === undefined)
      throw new Error('SPY has options');
    expect(a.contracts.map((c) => c.quote)).to.deep.equal(b.contracts.map((c) => c.quote));
    expect(other.contracts.map((c) => c.impliedVolatility)).to.not.deep.equal(
      a.contracts.map((c) => c.impliedVolatility),
    );
    const low = a.contracts[0];
    const high = a.contracts.at(-1);
    expect(low?.impliedVolatility).to.be.greaterThan(high?.impliedVolatility ?? 1);
    const near = setup(42).market.chain('SPY', { expiration: '2025-03-07' });
    const far = setup(42).market.chain('SPY', { expiration: '2027-01-15' });
    const atm = (chain: typeof near) =>
      chain?.contracts.reduce((best, c) =>
        Math.abs(Number(c.contract.strike) - midOf(chain.underlyingQuote)) <
        Math.abs(Number(best.contract.strike) - midOf(chain.underlyingQuote))
          ? c
          : best,
      ).impliedVolatility;
    expect(atm(near)).to.not.equal(atm(far));
  });

  it('caches a chain until the underlying moves', () => {
    const { market, clock } = setup();
    const first = market.chain('AAPL');
    expect(market.chain('AAPL')?.contracts).to.equal(first?.contracts);
    clock.advance(1000);
    const moved = market.chain('AAPL');
    expect(moved?.contracts).to.not.equal(first?.contracts);
    expect(moved?.underlyingQuote.seq).to.equal((first?.underlyingQuote.seq ?? 0) + 1);
  });

  it('quotes one contract exactly as its chain does; the context carries option and underlying quotes', () => {
    const { market } = setup();
    const listed = market.chain('AAPL')?.contracts[123];
    if (listed === undefined) throw new Error('no contract');
    const symbol = listed.contract.symbol;
    const fresh = setup().market;
    expect(fresh.latestQuote(symbol)).to.deep.equal(listed.quote);
    expect(fresh.latestQuote(symbol.replace(/ +/, ''))).to.deep.equal(listed.quote);
    const context = fresh.context(symbol);
    expect(context.quote).to.deep.equal(listed.quote);
    expect(context.underlyingQuote?.symbol).to.equal('AAPL');
    expect(context.asset).to.equal(undefined);
    expect(context.phase).to.equal('regular');
    expect(fresh.asset('AAPL')?.symbol).to.equal('AAPL');
    expect(fresh.latestQuote('AAPL')).to.deep.equal(setup().inner.latestQuote('AAPL'));
    expect(optionsMarketOf(fresh)).to.equal(fresh);
    expect(optionsMarketOf(setup().inner)).to.equal(undefined);
  });

  it('quotes nothing for expired, unlisted or off-grid contracts and for penny stocks', () => {
    const { market } = setup();
    expect(market.latestQuote('AAPL  250221C00350000')).to.equal(undefined);
    expect(market.latestQuote('AAPL  250310C00350000')).to.equal(undefined);
    expect(market.latestQuote('AAPL  250321C00350100')).to.equal(undefined);
    expect(market.latestQuote('AAPL  250321C09000000')).to.equal(undefined);
    expect(market.latestQuote('ZZZZ  250321C00050000')).to.equal(undefined);
    expect(market.chain('PNYX')).to.equal(undefined);
    expect(market.chain('NOPE')).to.equal(undefined);
    expect(market.expirations('PNYX')).to.deep.equal([]);
    expect(market.context('ZZZZ  250321C00050000').quote).to.equal(undefined);
    expect(() => market.subscribeQuotes(['AAPL  250221C00350000'], () => undefined)).to.throw(
      /unknown symbol/,
    );
  });

  it('streams option quotes as the underlying ticks', () => {
    const { market, clock } = setup();
    const symbol =
      market.chain('AAPL', { expiration: '2025-03-21' })?.contracts[40]?.contract.symbol ?? '';
    const seen: Quote[] = [];
    const cancel = market.subscribeQuotes([symbol, 'MSFT'], (q) => seen.push(q));
    clock.advance(3000);
    cancel();
    clock.advance(3000);
    const options = seen.filter((q) => q.symbol === symbol);
    expect(options).to.have.length(3);
    expect(seen.filter((q) => q.symbol === 'MSFT')).to.have.length(3);
    expect(options.map((q) => q.seq)).to.deep.equal(
      seen.filter((q) => q.symbol === 'MSFT').map((q) => q.seq),
    );
  });

  it('serves an option price history and bars priced from the underlying', async () => {
    const { market } = setup(42, new Date('2025-03-14T15:00:00.000Z'));
    const symbol = 'AAPL  250321C00350000';
    const history = await market.historicals(symbol, {
      timeframe: '1Day',
      start: new Date('2025-03-03T00:00:00Z'),
    });
    expect(history.length).to.be.within(8, 10);
    for (const point of history) {
      expect(point.mark).to.be.greaterThan(0);
      expect(point.delta).to.be.within(0, 1);
    }
    const bars = await market.bars(symbol, {
      timeframe: '1Day',
      start: new Date('2025-03-03T00:00:00Z'),
    });
    expect(bars).to.have.length(history.length);
    expect(Number(bars[0]?.high)).to.be.at.least(Number(bars[0]?.low));
    let failed: unknown;
    try {
      await market.historicals('nope', { timeframe: '1Day' });
    } catch (error) {
      failed = error;
    }
    expect(String(failed)).to.match(/unknown symbol/);
  });

  it('prices options from whatever feed it wraps: a replay of history labels its option quotes replay', () => {
    const { inner } = setup();
    const replay: MarketData = {
      clock: inner.clock,
      calendar: inner.calendar,
      latestQuote: (s) => {
        const q = inner.latestQuote(s);
        return q === undefined ? undefined : { ...q, source: 'replay' };
      },
      subscribeQuotes: (s, l) =>
        inner.subscribeQuotes(s, (q) => {
          l({ ...q, source: 'replay' });
        }),
      bars: (s, q) => inner.bars(s, q),
      assets: () => inner.assets(),
      asset: (s) => inner.asset(s),
      context: (s) => inner.context(s),
      close: () => {
        inner.close();
      },
    };
    const market = new OptionsMarket(replay, { seed: 42 });
    const chain = market.chain('AAPL');
    expect(chain?.contracts.every((c) => c.quote.source === 'replay')).to.equal(true);
    expect(chain?.contracts.map((c) => c.quote.bid)).to.deep.equal(
      setup()
        .market.chain('AAPL')
        ?.contracts.map((c) => c.quote.bid),
    );
  });
});
