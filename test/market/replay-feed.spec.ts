import { expect } from 'chai';
import { SqlBarStore, type BarRow } from '../../src/history/index.ts';
import { ReplayMarket } from '../../src/market/replay/feed.ts';
import type { Quote } from '../../src/domain/market.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

const OPEN = Date.parse('2024-03-04T14:30:00Z'); // 09:30 New York

function minute(symbol: string, i: number, o: string, h: string, l: string, c: string): BarRow {
  return {
    symbol,
    timeframe: '1Min',
    time: OPEN + i * 60_000,
    open: o,
    high: h,
    low: l,
    close: c,
    volume: 500,
    vwap: null,
    tradeCount: null,
  };
}

describe('market: the replay feed (MARKET_FEED=replay)', function () {
  this.timeout(60_000);
  let store: SqlBarStore;
  let schema: string;

  before(async () => {
    const db = await sharedPglite();
    schema = uniqueSchema('replay');
    store = new SqlBarStore(db, { schema });
    await store.migrate();
    const w = await store.writer();
    await w.write([
      minute('AAA', 0, '10.00', '10.50', '9.80', '10.20'),
      minute('AAA', 1, '10.20', '10.40', '10.10', '10.10'),
      minute('BBB', 0, '50.00', '50.00', '49.00', '49.50'),
    ]);
    await w.commit('import');
  });
  after(async () => {
    await (await sharedPglite()).pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  });

  it('plays stored minute bars as quotes along the intrabar path, on a clock from REPLAY_FROM', async () => {
    const market = await ReplayMarket.open({ source: store, from: new Date(OPEN), speed: 0 });
    try {
      expect(market.timeframe).to.equal('1Min');
      expect(market.assets().map((a) => [a.symbol, a.simulated])).to.deep.equal([
        ['AAA', false],
        ['BBB', false],
      ]);
      // An up bar: open 10.00 at :00, low 9.80 at :15, high 10.50 at :30, close 10.20 at :59.
      const at = (ms: number): Quote | undefined => {
        market.clock.advanceTo(new Date(OPEN + ms));
        return market.latestQuote('AAA');
      };
      expect(at(0)).to.deep.include({
        bid: '10.00',
        ask: '10.00',
        last: '10.00',
        source: 'replay',
        symbol: 'AAA',
      });
      expect(at(15_000)?.last).to.equal('9.80');
      expect(at(31_000)?.last).to.equal('10.50');
      expect(at(59_500)?.last).to.equal('10.20');
      expect(at(60_000)?.last).to.equal('10.20');
      expect(at(75_000)?.last).to.equal('10.40'); // second bar closes down: high first
      const ctx = market.context('AAA');
      expect(ctx).to.deep.include({ phase: 'regular', halted: false });
      expect(ctx.asset?.symbol).to.equal('AAA');
      expect(market.latestQuote('ZZZ')).to.equal(undefined);
      // Only completed bars are history.
      const bars = await market.bars('AAA', {
        timeframe: '1Min',
        start: new Date(OPEN),
        limit: 10,
      });
      expect(bars.map((b) => b.close)).to.deep.equal(['10.20']);
    } finally {
      market.close();
    }
  });

  it('sends quotes to subscribers as the clock advances', async () => {
    const market = await ReplayMarket.open({ source: store, from: new Date(OPEN), speed: 0 });
    const seen: string[] = [];
    const stop = market.subscribeQuotes(['BBB'], (q) => seen.push(`${q.symbol}:${q.last}`));
    market.clock.advance(40_000);
    stop();
    market.close();
    // A down bar visits its high (50.00, a new quote at :15) before its low.
    expect(seen).to.deep.equal(['BBB:50.00', 'BBB:50.00', 'BBB:49.00']);
  });

  it('refuses to start without stored history', async () => {
    const empty = new SqlBarStore(await sharedPglite(), { schema: uniqueSchema('replay_empty') });
    await empty.migrate();
    let error: unknown;
    try {
      await ReplayMarket.open({ source: empty, from: new Date(OPEN), speed: 1 });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/needs stored history/);
  });
});
