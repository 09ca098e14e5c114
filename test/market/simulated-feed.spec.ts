import { expect } from 'chai';
import { Decimal } from 'decimal.js';
import type { Quote } from '../../src/domain/market.ts';
import { nyseCalendar } from '../../src/market/calendar.ts';
import { SimulatedClock } from '../../src/market/clock.ts';
import { UnknownSymbolError } from '../../src/market/port.ts';
import type { Bar } from '../../src/market/port.ts';
import { SimulatedMarket } from '../../src/market/simulated/feed.ts';
import type { SimulatedMarketOptions } from '../../src/market/simulated/feed.ts';
import { DEFAULT_UNIVERSE } from '../../src/market/simulated/universe.ts';
import { isValidQuotePrice } from '../../src/market/ticks.ts';

/** Tuesday 2026-11-24, 10:00 New York. */
const TUESDAY_10AM = new Date('2026-11-24T15:00:00Z');
const MINUTE = 60_000;

function market(
  start: Date = TUESDAY_10AM,
  options: Partial<SimulatedMarketOptions> = {},
): { clock: SimulatedClock; feed: SimulatedMarket } {
  const clock = new SimulatedClock({ start, speed: 0 });
  const feed = new SimulatedMarket({ seed: 7, clock, haltProbability: 0, ...options });
  return { clock, feed };
}

function collect(feed: SimulatedMarket, symbols: readonly string[] | 'all'): Quote[] {
  const quotes: Quote[] = [];
  feed.subscribeQuotes(symbols, (q) => quotes.push(q));
  return quotes;
}

const d = (s: string): Decimal => new Decimal(s);

function expectConsistentBar(bar: Bar): void {
  for (const price of [bar.open, bar.high, bar.low, bar.close]) {
    expect(isValidQuotePrice(price), `${price} in ${JSON.stringify(bar)}`).to.equal(true);
  }
  expect(d(bar.low).lte(d(bar.open)) && d(bar.low).lte(d(bar.close)), 'low').to.equal(true);
  expect(d(bar.high).gte(d(bar.open)) && d(bar.high).gte(d(bar.close)), 'high').to.equal(true);
  expect(d(bar.vwap).gte(d(bar.low)) && d(bar.vwap).lte(d(bar.high)), 'vwap').to.equal(true);
  expect(bar.volume).to.be.greaterThan(0);
  expect(bar.tradeCount).to.be.greaterThan(0);
  expect(Number.isInteger(bar.volume) && Number.isInteger(bar.tradeCount)).to.equal(true);
}

describe('market/simulated feed', () => {
  describe('universe', () => {
    const { feed } = market();

    it('lists at least 60 well-known names plus sub-dollar ones, all labelled simulated', () => {
      const symbols = feed.assets().map((a) => a.symbol);
      expect(symbols.length).to.be.at.least(60);
      for (const s of ['AAPL', 'MSFT', 'NVDA', 'JPM', 'XOM', 'SPY', 'QQQ', 'IWM', 'GLD', 'TLT']) {
        expect(symbols).to.include(s);
      }
      expect(symbols).to.deep.equal([...symbols].sort());
      expect(feed.assets().every((a) => a.simulated)).to.equal(true);
      expect([...new Set(feed.assets().map((a) => a.class))]).to.deep.equal(['us_equity']);
      const penny = DEFAULT_UNIVERSE.filter((i) => i.referencePrice < 1);
      expect(penny.length).to.be.at.least(2);
    });

    it('finds an asset case-insensitively and knows what can be shorted', () => {
      expect(feed.asset(' aapl ')).to.deep.include({ symbol: 'AAPL', shortable: true });
      expect(feed.asset('SUBD')).to.deep.include({ shortable: false, fractionable: false });
      expect(feed.asset('NOPE')).to.equal(undefined);
      expect(feed.instrument('spy')?.tier).to.equal('etf');
    });
  });

  describe('determinism', () => {
    it('gives identical quotes and bars for the same seed, however the clock got there', () => {
      const a = market();
      const b = market();
      const fromA = collect(a.feed, ['AAPL', 'SUBD']);
      const fromB = collect(b.feed, ['AAPL', 'SUBD']);
      a.clock.advance(30_000);
      for (let i = 0; i < 30; i += 1) b.clock.advance(1_000);
      expect(fromA).to.have.length(60);
      expect(fromB).to.deep.equal(fromA);

      const query = { timeframe: '1Min', start: new Date('2026-11-23T09:00:00Z') } as const;
      expect(b.feed.barsSync('NVDA', query)).to.deep.equal(a.feed.barsSync('NVDA', query));
      const days = { timeframe: '1Day', start: new Date('2026-06-01T00:00:00Z') } as const;
      expect(b.feed.barsSync('TSLA', days)).to.deep.equal(a.feed.barsSync('TSLA', days));
      a.feed.close();
      b.feed.close();
    });

    it('computes any past quote on its own: reverse order gives the same quotes', () => {
      const a = market();
      const b = market();
      const instants = Array.from(
        { length: 20 },
        (_, i) => new Date(TUESDAY_10AM.getTime() - i * 97_000),
      );
      const forward = instants.map((t) => a.feed.quoteAt('MSFT', t));
      const backward = [...instants].reverse().map((t) => b.feed.quoteAt('MSFT', t));
      expect(backward.reverse()).to.deep.equal(forward);
    });

    it('gives different quotes and bars for a different seed', () => {
      const a = market(TUESDAY_10AM, { seed: 7 });
      const b = market(TUESDAY_10AM, { seed: 'another seed' });
      expect(a.feed.latestQuote('AAPL')).not.to.deep.equal(b.feed.latestQuote('AAPL'));
      const days = { timeframe: '1Day', start: new Date('2026-10-01T00:00:00Z') } as const;
      const closesA = a.feed.barsSync('AAPL', days).map((bar) => bar.close);
      const closesB = b.feed.barsSync('AAPL', days).map((bar) => bar.close);
      expect(closesA).to.have.length(closesB.length);
      expect(closesA).not.to.deep.equal(closesB);
    });

    it('closes each instrument at its reference price on the anchor date', () => {
      const { feed } = market(new Date('2026-01-05T15:00:00Z'));
      const [bar] = feed.barsSync('AAPL', {
        timeframe: '1Day',
        start: new Date('2026-01-02T00:00:00Z'),
        limit: 1,
      });
      expect(bar?.close).to.equal('270.00');
    });
  });

  describe('quotes', () => {
    /** Every symbol sampled every 7 minutes through pre, regular and post on 2026-11-23. */
    function sampleDay(): { quote: Quote; phase: string }[] {
      const { feed } = market(new Date('2026-11-24T12:00:00Z'));
      const session = nyseCalendar.session('2026-11-23');
      if (!session) throw new Error('expected a session');
      const out: { quote: Quote; phase: string }[] = [];
      for (let t = session.preOpen.getTime(); t < session.postClose.getTime(); t += 7 * MINUTE) {
        const at = new Date(t);
        for (const asset of feed.assets()) {
          const quote = feed.quoteAt(asset.symbol, at);
          if (quote) out.push({ quote, phase: nyseCalendar.phaseAt(at) });
        }
      }
      return out;
    }
    const samples = sampleDay();

    it('are never crossed or locked, and always positive', () => {
      expect(samples.length).to.be.greaterThan(5_000);
      for (const { quote } of samples) {
        expect(d(quote.bid).gt(0), JSON.stringify(quote)).to.equal(true);
        expect(d(quote.ask).gt(d(quote.bid)), JSON.stringify(quote)).to.equal(true);
      }
    });

    it('sit on the tick grid: 2 decimals at or above $1, 4 below', () => {
      let subDollar = 0;
      for (const { quote } of samples) {
        for (const price of [quote.bid, quote.ask, quote.last]) {
          expect(isValidQuotePrice(price), `${price} ${JSON.stringify(quote)}`).to.equal(true);
        }
        if (d(quote.bid).lt(1)) subDollar += 1;
      }
      expect(subDollar).to.be.greaterThan(0);
    });

    it('print the last trade inside the quote', () => {
      for (const { quote } of samples) {
        expect(d(quote.last).gte(d(quote.bid)) && d(quote.last).lte(d(quote.ask))).to.equal(true);
      }
    });

    it('show round-lot sizes, sometimes a single lot', () => {
      const sizes = samples.flatMap(({ quote }) => [quote.bidSize, quote.askSize]);
      expect(sizes.every((s) => s >= 100 && s % 100 === 0)).to.equal(true);
      const single = sizes.filter((s) => s === 100).length / sizes.length;
      expect(single).to.be.within(0.05, 0.4);
    });

    it('have spreads of a few bps for mega caps and ETFs, wider for penny names and outside regular hours', () => {
      const medianBps = (symbol: string, phase: string): number => {
        const bps = samples
          .filter((s) => s.quote.symbol === symbol && s.phase === phase)
          .map(({ quote }) => {
            const mid = d(quote.bid).plus(d(quote.ask)).div(2);
            return d(quote.ask).minus(d(quote.bid)).div(mid).times(10_000).toNumber();
          })
          .sort((x, y) => x - y);
        return bps[Math.floor(bps.length / 2)] ?? Number.NaN;
      };
      expect(medianBps('SPY', 'regular')).to.be.below(3);
      expect(medianBps('AAPL', 'regular')).to.be.below(5);
      expect(medianBps('SUBD', 'regular')).to.be.above(50);
      expect(medianBps('AAPL', 'pre')).to.be.above(medianBps('AAPL', 'regular'));
      expect(medianBps('AAPL', 'post')).to.be.above(medianBps('AAPL', 'regular'));
    });

    it('carry the feed tick as seq and the tick instant as time, and say they are simulated', () => {
      const { feed } = market();
      const quote = feed.latestQuote('AAPL');
      expect(quote?.seq).to.equal(TUESDAY_10AM.getTime() / 1_000);
      expect(quote?.time).to.equal(TUESDAY_10AM.toISOString());
      expect(quote?.source).to.equal('simulated');
      expect(feed.latestQuote('NOPE')).to.equal(undefined);
    });

    it('trade inside the minute bar of the same instant', () => {
      const { clock, feed } = market();
      const start = TUESDAY_10AM.getTime();
      clock.advance(3 * MINUTE);
      const lasts: Quote[] = [];
      for (let s = 0; s < 180; s += 1) {
        const q = feed.quoteAt('NVDA', new Date(start + s * 1_000));
        if (q) lasts.push(q);
      }
      expect(lasts).to.have.length(180);
      const bars = feed.barsSync('NVDA', { timeframe: '1Min', start: TUESDAY_10AM });
      expect(bars).to.have.length(3);
      for (const q of lasts) {
        const minute = new Date(Math.floor(Date.parse(q.time) / MINUTE) * MINUTE).toISOString();
        const bar = bars.find((b) => b.time === minute);
        expect(bar, minute).not.to.equal(undefined);
        if (!bar) continue;
        expect(d(q.last).gte(d(bar.low)) && d(q.last).lte(d(bar.high)), q.time).to.equal(true);
      }
    });

    it('answer every read within a tick with one quote, the same a fresh feed computes', () => {
      const { clock, feed } = market();
      const first = feed.latestQuote('AAPL');
      clock.advance(400);
      // Same tick (1 s ticks): the kept quote, also for an instant read back within it.
      expect(feed.latestQuote('AAPL')).to.equal(first);
      expect(feed.quoteAt('AAPL', new Date(TUESDAY_10AM.getTime() + 300))).to.equal(first);
      clock.advance(600);
      const next = feed.latestQuote('AAPL');
      expect(next).not.to.equal(first);
      expect(next?.seq).to.equal((first?.seq ?? 0) + 1);
      // Reading an earlier tick after a later one gives that tick's own quote, as computed by
      // a feed that never kept anything.
      const back = feed.quoteAt('AAPL', TUESDAY_10AM);
      const fresh = market(new Date(TUESDAY_10AM.getTime() + 1_000)).feed;
      expect(back).to.deep.equal(fresh.quoteAt('AAPL', TUESDAY_10AM));
      expect(feed.latestQuote('AAPL')).to.deep.equal(fresh.latestQuote('AAPL'));
    });

    it('refuse to look into the future of the clock', () => {
      const { feed } = market();
      expect(() => feed.quoteAt('AAPL', new Date(TUESDAY_10AM.getTime() + 1))).to.throw(RangeError);
    });
  });

  describe('quote production as the clock advances', () => {
    it('produces one quote per tick per subscribed symbol, with increasing seq', () => {
      const { clock, feed } = market();
      const quotes = collect(feed, ['aapl', 'MSFT']);
      clock.advance(10_000);
      expect(quotes).to.have.length(20);
      const aapl = quotes.filter((q) => q.symbol === 'AAPL').map((q) => q.seq);
      expect(aapl).to.deep.equal([...aapl].sort((x, y) => x - y));
      expect(new Set(aapl).size).to.equal(10);
      expect(quotes.at(-1)).to.deep.equal(feed.latestQuote('MSFT'));
    });

    it('honours the configured tick interval', () => {
      const { clock, feed } = market(TUESDAY_10AM, { tickMs: 250 });
      const quotes = collect(feed, ['SPY']);
      clock.advance(10_000);
      expect(quotes).to.have.length(40);
    });

    it('stops at the post-market close and resumes at the next pre-open, skipping the weekend', () => {
      // Friday 2026-11-20, 19:59:50 New York.
      const { clock, feed } = market(new Date('2026-11-21T00:59:50Z'));
      const quotes = collect(feed, ['AAPL']);
      clock.advanceTo(new Date('2026-11-23T09:00:05Z'));
      const times = quotes.map((q) => q.time);
      expect(times[0]).to.equal('2026-11-21T00:59:51.000Z');
      expect(times.filter((t) => t < '2026-11-23')).to.have.length(9);
      expect(times.filter((t) => t >= '2026-11-23')).to.deep.equal([
        '2026-11-23T09:00:00.000Z',
        '2026-11-23T09:00:01.000Z',
        '2026-11-23T09:00:02.000Z',
        '2026-11-23T09:00:03.000Z',
        '2026-11-23T09:00:04.000Z',
        '2026-11-23T09:00:05.000Z',
      ]);
      expect(quotes.every((q) => nyseCalendar.phaseAt(new Date(q.time)) !== 'closed')).to.equal(
        true,
      );
    });

    it('keeps the last quote of the session while closed', () => {
      const { feed } = market(new Date('2026-11-22T18:00:00Z'));
      const context = feed.context('AAPL');
      expect(context.phase).to.equal('closed');
      expect(context).not.to.have.property('sessionClose');
      expect(context.quote?.time).to.equal('2026-11-21T00:59:59.000Z');
    });

    it('delivers to every interested listener, isolates a failing one, and stops on unsubscribe', () => {
      const errors: unknown[] = [];
      const { clock, feed } = market(TUESDAY_10AM, {
        onListenerError: (error) => errors.push(error),
      });
      const all: Quote[] = [];
      const cancelAll = feed.subscribeQuotes('all', (q) => all.push(q));
      feed.subscribeQuotes(['AAPL'], () => {
        throw new Error('listener bug');
      });
      clock.advance(1_000);
      expect(all).to.have.length(feed.assets().length);
      expect(errors).to.have.length(1);
      cancelAll();
      feed.close();
      clock.advance(5_000);
      expect(all).to.have.length(feed.assets().length);
      expect(clock.pendingTimers).to.equal(0);
    });

    it('refuses to subscribe to an unknown symbol', () => {
      const { feed } = market();
      expect(() => feed.subscribeQuotes(['AAPL', 'NOPE'], () => undefined)).to.throw(
        UnknownSymbolError,
      );
    });
  });

  describe('bars', () => {
    it('give 960 consistent one-minute bars from 04:00 to 20:00 for a full day', () => {
      const { feed } = market();
      const bars = feed.barsSync('AAPL', {
        timeframe: '1Min',
        start: new Date('2026-11-23T09:00:00Z'),
        end: new Date('2026-11-24T01:00:00Z'),
      });
      expect(bars).to.have.length(960);
      expect(bars[0]?.time).to.equal('2026-11-23T09:00:00.000Z');
      expect(bars.at(-1)?.time).to.equal('2026-11-24T00:59:00.000Z');
      bars.forEach(expectConsistentBar);
      for (let i = 1; i < bars.length; i += 1) {
        expect(bars[i]?.open).to.equal(bars[i - 1]?.close);
      }
    });

    it('make daily bars that aggregate the regular session’s minutes', () => {
      const { feed } = market();
      const minutes = feed.barsSync('MSFT', {
        timeframe: '1Min',
        start: new Date('2026-11-23T14:30:00Z'),
        end: new Date('2026-11-23T21:00:00Z'),
      });
      expect(minutes).to.have.length(390);
      const [day] = feed.barsSync('MSFT', {
        timeframe: '1Day',
        start: new Date('2026-11-23T00:00:00Z'),
        limit: 1,
      });
      expect(day?.time).to.equal('2026-11-23T05:00:00.000Z');
      expect(day?.open).to.equal(minutes[0]?.open);
      expect(day?.close).to.equal(minutes.at(-1)?.close);
      expect(day?.volume).to.equal(minutes.reduce((sum, bar) => sum + bar.volume, 0));
      const highs = minutes.map((bar) => d(bar.high));
      const lows = minutes.map((bar) => d(bar.low));
      expect(day?.high).to.equal(Decimal.max(...highs).toFixed(2));
      expect(day?.low).to.equal(Decimal.min(...lows).toFixed(2));
    });

    it('have plausible daily volumes and stay near the reference prices', () => {
      const { feed } = market();
      for (const instrument of DEFAULT_UNIVERSE) {
        const bars = feed.barsSync(instrument.symbol, {
          timeframe: '1Day',
          start: new Date('2026-01-01T00:00:00Z'),
          end: new Date('2026-02-01T00:00:00Z'),
        });
        expect(bars.length, instrument.symbol).to.equal(
          nyseCalendar.sessions('2026-01-01', '2026-01-31').length,
        );
        bars.forEach(expectConsistentBar);
        const volumes = bars.map((bar) => bar.volume).sort((x, y) => x - y);
        const median = volumes[Math.floor(volumes.length / 2)] ?? 0;
        expect(median / instrument.averageDailyVolume, instrument.symbol).to.be.within(0.5, 2);
        for (const bar of bars) {
          const ratio = Number(bar.close) / instrument.referencePrice;
          expect(ratio, `${instrument.symbol} ${bar.time}`).to.be.within(0.3, 3);
        }
      }
    });

    it('skip holidays and follow early closes', () => {
      const { feed } = market(new Date('2026-11-30T15:00:00Z'));
      const days = feed.barsSync('SPY', {
        timeframe: '1Day',
        start: new Date('2026-11-23T00:00:00Z'),
        end: new Date('2026-11-28T00:00:00Z'),
      });
      expect(days.map((bar) => bar.time.slice(0, 10))).to.deep.equal([
        '2026-11-23',
        '2026-11-24',
        '2026-11-25',
        '2026-11-27',
      ]);
      const friday = feed.barsSync('SPY', {
        timeframe: '1Min',
        start: new Date('2026-11-27T00:00:00Z'),
        end: new Date('2026-11-28T00:00:00Z'),
        limit: 10_000,
      });
      expect(friday).to.have.length(13 * 60);
      expect(friday.at(-1)?.time).to.equal('2026-11-27T21:59:00.000Z');
    });

    it('return only completed bars, never the future, and respect the limit', () => {
      const { clock, feed } = market(new Date('2026-11-24T15:00:30Z'));
      const today = feed.barsSync('AAPL', { timeframe: '1Min' });
      expect(today).to.have.length(360);
      expect(today.at(-1)?.time).to.equal('2026-11-24T14:59:00.000Z');
      const future = feed.barsSync('AAPL', {
        timeframe: '1Min',
        start: new Date('2026-11-24T14:00:00Z'),
        end: new Date('2026-11-25T00:00:00Z'),
      });
      expect(future).to.have.length(60);
      const daily = feed.barsSync('AAPL', { timeframe: '1Day', start: new Date('2026-11-20') });
      expect(daily.map((bar) => bar.time.slice(0, 10))).to.deep.equal(['2026-11-20', '2026-11-23']);
      expect(feed.barsSync('AAPL', { timeframe: '1Min', limit: 5 })).to.have.length(5);
      clock.advance(7 * 3_600_000);
      expect(
        feed.barsSync('AAPL', { timeframe: '1Day', start: new Date('2026-11-20') }),
      ).to.have.length(3);
      const lastYear = feed.barsSync('AAPL', { timeframe: '1Day' });
      expect(lastYear.length).to.be.within(245, 255);
    });

    it('reject unknown symbols and bad queries', async () => {
      const { feed } = market();
      let error: unknown;
      await feed.bars('NOPE', { timeframe: '1Day' }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(UnknownSymbolError).with.property('code', 'unknown_symbol');
      expect(() => feed.barsSync('AAPL', { timeframe: '1Day', limit: 0 })).to.throw(RangeError);
      expect(() => feed.barsSync('AAPL', { timeframe: '1Day', start: new Date('x') })).to.throw(
        RangeError,
      );
      expect(() => feed.barsSync('AAPL', { timeframe: '5Min' as unknown as '1Min' })).to.throw(
        RangeError,
      );
      expect(await feed.bars('AAPL', { timeframe: '1Day', limit: 2 })).to.have.length(2);
    });

    it('reject bad options', () => {
      const clock = new SimulatedClock({ start: TUESDAY_10AM, speed: 0 });
      expect(() => new SimulatedMarket({ clock, tickMs: 5 })).to.throw(RangeError);
      expect(() => new SimulatedMarket({ clock, haltProbability: 2 })).to.throw(RangeError);
    });
  });

  describe('halts', () => {
    it('halts a symbol for some minutes, visible in context(), with quotes frozen meanwhile', () => {
      const { clock, feed } = market(TUESDAY_10AM, { haltProbability: 1 });
      const halt = feed.haltOn('AAPL', '2026-11-24');
      if (!halt) throw new Error('expected a halt with probability 1');
      const minutes = (halt.end.getTime() - halt.start.getTime()) / MINUTE;
      expect(minutes).to.be.within(5, 30);
      expect(nyseCalendar.phaseAt(halt.start)).to.equal('regular');

      clock.advanceTo(new Date(halt.start.getTime() - 2_000));
      expect(feed.context('AAPL').halted).to.equal(false);
      const quotes = collect(feed, ['AAPL']);
      clock.advanceTo(new Date(halt.start.getTime() + 60_000));
      const context = feed.context('AAPL');
      expect(context.halted).to.equal(true);
      expect(Date.parse(context.quote?.time ?? '')).to.be.below(halt.start.getTime());
      expect(quotes.every((q) => Date.parse(q.time) < halt.start.getTime())).to.equal(true);
      clock.advance(60_000);
      expect(feed.latestQuote('AAPL')).to.deep.equal(context.quote);

      clock.advanceTo(halt.end);
      expect(feed.context('AAPL').halted).to.equal(false);
      expect(feed.latestQuote('AAPL')?.time).to.equal(halt.end.toISOString());
      expect(quotes.at(-1)?.time).to.equal(halt.end.toISOString());

      clock.advance(MINUTE);
      const bars = feed.barsSync('AAPL', { timeframe: '1Min', start: halt.start });
      expect(bars[0]?.time).to.equal(halt.end.toISOString());
      feed.close();
    });

    it('never halts with probability 0 and rarely with the default', () => {
      const { feed } = market(TUESDAY_10AM, { haltProbability: 0 });
      expect(feed.haltOn('AAPL', '2026-11-24')).to.equal(undefined);
      const defaults = new SimulatedMarket({
        seed: 7,
        clock: new SimulatedClock({ start: TUESDAY_10AM, speed: 0 }),
      });
      const sessions = nyseCalendar.sessions('2026-01-01', '2026-10-31');
      let halted = 0;
      for (const asset of defaults.assets()) {
        for (const s of sessions) if (defaults.haltOn(asset.symbol, s.date)) halted += 1;
      }
      const share = halted / (sessions.length * defaults.assets().length);
      expect(share).to.be.within(0.004, 0.02);
      expect(defaults.haltOn('AAPL', '2026-11-26')).to.equal(undefined);
      expect(defaults.haltOn('NOPE', '2026-11-24')).to.equal(undefined);
    });
  });

  describe('context()', () => {
    it('carries now, phase, halt flag, session close, quote and asset', () => {
      const { feed } = market();
      const context = feed.context('aapl');
      expect(context).to.deep.include({
        now: '2026-11-24T15:00:00.000Z',
        phase: 'regular',
        halted: false,
        sessionClose: '2026-11-24T21:00:00.000Z',
      });
      expect(context.quote).to.deep.equal(feed.latestQuote('AAPL'));
      expect(context.asset?.symbol).to.equal('AAPL');
      // A command records this verbatim, so it must survive JSON unchanged.
      expect(JSON.parse(JSON.stringify(context))).to.deep.equal(context);
    });

    it('has no quote or asset for an unknown symbol', () => {
      const { feed } = market();
      const context = feed.context('NOPE');
      expect(context.halted).to.equal(false);
      expect(context).not.to.have.property('quote');
      expect(context).not.to.have.property('asset');
      expect(feed.isHalted('NOPE')).to.equal(false);
    });
  });
});
