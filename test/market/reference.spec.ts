import { expect } from 'chai';
import { nyseCalendar } from '../../src/market/calendar.ts';
import { SimulatedClock, SimulatedMarket } from '../../src/market/index.ts';
import type { CorporateAction, CorporateActionCalendar } from '../../src/market/reference.ts';
import {
  simulatedReferenceData,
  StaticCorporateActions,
} from '../../src/market/simulated/reference/index.ts';
import { isValidQuotePrice } from '../../src/market/ticks.ts';

/** Wednesday 2026-11-18 11:00 New York. */
const NOW = new Date('2026-11-18T16:00:00.000Z');

function simulated(seed: string | number = 'reference-spec', now = NOW) {
  const clock = new SimulatedClock({ start: now, speed: 0 });
  const market = new SimulatedMarket({ clock, seed, haltProbability: 0 });
  return { market, clock, reference: simulatedReferenceData(market) };
}

/** What every corporate-action calendar must do, whatever produces it. */
function corporateActionContract(name: string, make: () => CorporateActionCalendar): void {
  describe(`corporate-action calendar contract: ${name}`, () => {
    it('answers actions in the range, by date then symbol, filtered by symbol and date field', () => {
      const calendar = make();
      const all = calendar.actions({ from: '2026-01-01', to: '2026-12-31' });
      expect(all.length).to.be.greaterThan(0);
      for (const a of all)
        expect(a.exDate >= '2026-01-01' && a.exDate <= '2026-12-31').to.equal(true);
      const keys = all.map((a) => `${a.exDate}|${a.symbol}`);
      expect(keys).to.deep.equal([...keys].sort());
      const one = all[0]?.symbol ?? '';
      expect(
        calendar
          .actions({ from: '2026-01-01', to: '2026-12-31', symbol: one })
          .every((a) => a.symbol === one),
      ).to.equal(true);
      const byPay = calendar.actions({ from: '2026-03-01', to: '2026-03-31', by: 'pay' });
      for (const a of byPay) {
        expect(a.kind).to.equal('cash_dividend');
        if (a.kind === 'cash_dividend') {
          expect(a.payDate >= '2026-03-01' && a.payDate <= '2026-03-31').to.equal(true);
        }
      }
      expect(
        calendar.actions({ from: '2026-01-01', to: '2026-12-31', symbol: 'NOPE' }),
      ).to.deep.equal([]);
    });

    it('dates every action on session days, pays dividends after they go ex, ids once', () => {
      const all = make().actions({ from: '2025-01-01', to: '2026-12-31' });
      expect(new Set(all.map((a) => a.id)).size).to.equal(all.length);
      for (const a of all) {
        expect(nyseCalendar.isSessionDay(a.exDate), a.id).to.equal(true);
        expect(a.declaredDate < a.exDate, a.id).to.equal(true);
        if (a.kind === 'cash_dividend') {
          expect(a.payDate >= a.exDate, a.id).to.equal(true);
          expect(Number(a.amountPerShare)).to.be.greaterThan(0);
        } else {
          expect(a.newShares).to.not.equal(a.oldShares);
        }
      }
    });
  });
}

const FIXED: CorporateAction[] = [
  {
    kind: 'cash_dividend',
    id: 'div-KO-2026-03-13',
    symbol: 'KO',
    declaredDate: '2026-02-18',
    exDate: '2026-03-13',
    recordDate: '2026-03-13',
    payDate: '2026-03-31',
    amountPerShare: '0.51',
    frequency: 'quarterly',
    simulated: false,
  },
  {
    kind: 'split',
    id: 'split-AAPL-2026-06-08',
    symbol: 'AAPL',
    declaredDate: '2026-05-01',
    exDate: '2026-06-08',
    newShares: 4,
    oldShares: 1,
    simulated: false,
  },
];

corporateActionContract('simulated', () => simulated().market.corporateActions);
corporateActionContract('static', () => new StaticCorporateActions(FIXED));

describe('simulated reference data', () => {
  it('is a function of the seed: the same seed gives the same data, another seed other data', () => {
    const a = simulated('x').reference;
    const b = simulated('x').reference;
    const c = simulated('y').reference;
    const year = { from: '2026-01-01', to: '2026-12-31' };
    expect(a.corporateActions.actions(year)).to.deep.equal(b.corporateActions.actions(year));
    expect(a.ratings.ratings('MSFT', NOW)).to.deep.equal(b.ratings.ratings('MSFT', NOW));
    expect(a.ratings.ratings('MSFT', NOW)).to.not.deep.equal(c.ratings.ratings('MSFT', NOW));
    expect(a.news.headlines(new Date('2026-11-01'), NOW)).to.deep.equal(
      b.news.headlines(new Date('2026-11-01'), NOW),
    );
  });

  it('prices follow a simulated split: the close divides by the ratio on the ex-date', () => {
    const { market } = simulated('open-paper-trading', new Date('2026-12-01T16:00:00Z'));
    const splits = market.corporateActions
      .actions({ from: '2025-01-01', to: '2026-11-30' })
      .filter((a) => a.kind === 'split');
    expect(splits.length).to.be.greaterThan(0);
    for (const split of splits) {
      const before = nyseCalendar.sessionOnOrBefore(
        new Date(Date.parse(`${split.exDate}T12:00:00Z`) - 86_400_000),
      );
      const bars = market.barsSync(split.symbol, {
        timeframe: '1Day',
        start: new Date(before.preOpen.getTime() - 6 * 3_600_000),
        limit: 2,
      });
      const [prev, ex] = bars;
      const move = (Number(ex?.close) * split.newShares) / split.oldShares / Number(prev?.close);
      // The split-adjusted daily move is an ordinary day's move, not the ratio.
      expect(move, split.id).to.be.within(0.8, 1.25);
      // The ex-date's pre-market already trades split: its first minute bar is near the open.
      const first = market.barsSync(split.symbol, {
        timeframe: '1Min',
        start: nyseCalendar.session(split.exDate)?.preOpen ?? new Date(),
        limit: 1,
      })[0];
      expect(Number(first?.open) / Number(ex?.open), split.id).to.be.within(0.9, 1.1);
    }
  });

  it('level 2: the top of the ladder is the NBBO, levels step away on the tick grid', () => {
    const { market, reference } = simulated();
    for (const symbol of ['AAPL', 'SPY', 'SUBD', 'PNYX']) {
      const quote = market.latestQuote(symbol);
      const book = reference.depth.depth(symbol, 10);
      expect(book?.bids[0]).to.deep.include({ price: quote?.bid, size: quote?.bidSize });
      expect(book?.asks[0]).to.deep.include({ price: quote?.ask, size: quote?.askSize });
      expect(book?.sequence).to.equal(quote?.seq);
      expect(book?.bids).to.have.length(10);
      const bids = (book?.bids ?? []).map((l) => Number(l.price));
      const asks = (book?.asks ?? []).map((l) => Number(l.price));
      for (let i = 1; i < 10; i++) {
        expect(bids[i]).to.be.lessThan(bids[i - 1] ?? 0);
        expect(asks[i]).to.be.greaterThan(asks[i - 1] ?? 0);
      }
      for (const level of [...(book?.bids ?? []), ...(book?.asks ?? [])]) {
        expect(isValidQuotePrice(level.price), level.price).to.equal(true);
        expect(level.size % 100).to.equal(0);
        expect(level.orders).to.be.greaterThan(0);
      }
      expect(book?.simulated).to.equal(true);
    }
    expect(reference.depth.depth('NOPE', 5)).to.equal(undefined);
    expect(reference.depth.depth('AAPL', 500)?.asks.length).to.equal(50);
  });

  it('ratings: counts add up, targets are ordered, ETFs have no coverage', () => {
    const { reference } = simulated();
    for (const symbol of ['AAPL', 'JPM', 'COIN', 'KO']) {
      const r = reference.ratings.ratings(symbol, NOW);
      expect(r, symbol).to.not.equal(undefined);
      if (r === undefined) continue;
      expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).to.equal(r.analysts);
      expect(r.score).to.be.within(1, 5);
      expect(Number(r.priceTarget.low)).to.be.lessThan(Number(r.priceTarget.mean));
      expect(Number(r.priceTarget.mean)).to.be.lessThan(Number(r.priceTarget.high));
      expect(r.asOf <= '2026-11-18').to.equal(true);
      expect(r.recent).to.have.length(3);
    }
    expect(reference.ratings.ratings('SPY', NOW)).to.equal(undefined);
  });

  it('earnings: quarterly dates, actual figures only once reported', () => {
    const { reference } = simulated();
    const events = reference.earnings.earnings('MSFT', '2026-01-01', '2027-03-31', NOW);
    expect(events.length).to.be.within(4, 6);
    for (const e of events) {
      const reported = e.date < '2026-11-18';
      expect(e.epsActual !== null, `${e.date} ${e.time}`).to.equal(
        reported || (e.date === '2026-11-18' && e.time === 'before_open'),
      );
      expect(nyseCalendar.isSessionDay(e.date)).to.equal(true);
    }
    expect(reference.earnings.earnings('SPY', '2026-01-01', '2026-12-31', NOW)).to.deep.equal([]);
  });

  it('news: nothing from the future; releases carry actuals once out; headlines follow the market', () => {
    const { market, reference } = simulated();
    const releases = reference.news.calendar(
      new Date('2026-11-01T00:00:00Z'),
      new Date('2026-11-30T00:00:00Z'),
      NOW,
    );
    const names = new Set(releases.map((r) => r.name));
    for (const n of ['Nonfarm payrolls', 'CPI (year over year)', 'Initial jobless claims'])
      expect(names.has(n), n).to.equal(true);
    for (const r of releases) {
      expect(r.actual === null).to.equal(Date.parse(r.time) > NOW.getTime());
    }
    // The first Friday of November 2026 is the 6th: payrolls at 08:30 New York (13:30 UTC).
    expect(releases.find((r) => r.name === 'Nonfarm payrolls')?.time).to.equal(
      '2026-11-06T13:30:00.000Z',
    );
    const headlines = reference.news.headlines(new Date('2026-11-01T00:00:00Z'), NOW, {
      limit: 50,
    });
    expect(headlines.length).to.be.greaterThan(5);
    for (const h of headlines) expect(Date.parse(h.time)).to.be.at.most(NOW.getTime());
    const times = headlines.map((h) => h.time);
    expect(times).to.deep.equal([...times].sort().reverse());
    const close = headlines.find((h) => h.id === 'news-close-2026-11-17');
    const bars = market.barsSync('SPY', {
      timeframe: '1Day',
      start: new Date('2026-11-16T05:00:00Z'),
      limit: 2,
    });
    const up = Number(bars[1]?.close) >= Number(bars[0]?.close);
    expect(close?.headline.startsWith(up ? 'Stocks rise' : 'Stocks fall')).to.equal(true);
    const aapl = reference.news.headlines(new Date('2026-10-01T00:00:00Z'), NOW, {
      symbol: 'AAPL',
      limit: 5,
    });
    for (const h of aapl) expect(h.symbols).to.include('AAPL');
  });
});

describe('SimulatedMarket.dailyClose', () => {
  it('is the close of the daily bar, without building the day', () => {
    const { market } = simulated();
    for (const symbol of ['AAPL', 'SUBD', 'SPY']) {
      const bars = market.barsSync(symbol, {
        timeframe: '1Day',
        start: new Date('2026-10-01T00:00:00Z'),
        limit: 30,
      });
      for (const bar of bars) {
        const date = bar.time.slice(0, 10);
        expect(market.dailyClose(symbol, date), `${symbol} ${date}`).to.equal(bar.close);
      }
    }
    expect(market.dailyClose('AAPL', '2026-11-18')).to.equal(undefined);
    expect(market.dailyClose('AAPL', '2026-11-21')).to.equal(undefined);
  });
});
