import { expect } from 'chai';
import { fold, type AccountEvent, type SettingsPatch } from '../../../src/domain/account/index.ts';
import { dayResult } from '../../../src/domain/account/valuation.ts';
import type { MarketContext } from '../../../src/domain/market.ts';
import { tradingDateOf, weekdaysBefore } from '../../../src/domain/trading-day.ts';
import { given, market, opened, place, quote } from './spec-helper.ts';

/** No regulatory fees, so every figure below is plain arithmetic. */
const noFees = (patch: SettingsPatch = {}): SettingsPatch => ({
  ...patch,
  fillModel: { regulatoryFees: { secFeeRate: '0', tafPerShare: '0', tafMaxPerTrade: '0' } },
});

/** Monday 2025-03-03 at `hhmm` New York time (EST, UTC−5). */
const monday = (hh: number, mm = 0): string =>
  new Date(Date.UTC(2025, 2, 3, hh + 5, mm)).toISOString();
/** A session instant `days` calendar days after Monday 2025-03-03 10:00 New York. */
const dayAt = (days: number): string => new Date(Date.UTC(2025, 2, 3 + days, 15)).toISOString();

/** A market at `now` quoting `symbol` at bid/ask, with optional marks. */
function at(
  now: string,
  bid: string,
  ask: string,
  extra: Partial<MarketContext> = {},
  symbol = 'AAPL',
): MarketContext {
  return market({ now, quote: quote({ symbol, bid, ask, last: bid, time: now }), ...extra });
}

let n = 0;
const buy = (qty: string, m: MarketContext, symbol = 'AAPL'): ReturnType<typeof place> =>
  place(
    { qty, instrument: { kind: 'equity', symbol } },
    { orderId: `b${++n}`, fillId: `fb${n}`, market: m },
  );
const sell = (qty: string, m: MarketContext, symbol = 'AAPL'): ReturnType<typeof place> =>
  place(
    { qty, side: 'sell', instrument: { kind: 'equity', symbol } },
    { orderId: `s${++n}`, fillId: `fs${n}`, market: m },
  );

describe('account risk limits (decider)', () => {
  describe('max position as % of equity', () => {
    const limits = noFees({ limits: { maxPositionPercent: '25' } });

    it('rejects an order whose position would exceed the share of equity, at the order price', () => {
      // 300 × 100.01 = 30,003 of 100,000 equity = 30 % > 25 %.
      given(opened('100000', limits))
        .when(buy('300', at(monday(10), '100', '100.01')))
        .thenRejects('position_percent_limit_exceeded');
      // 200 × 100.01 = 20 %.
      given(opened('100000', limits))
        .when(buy('200', at(monday(10), '100', '100.01')))
        .thenTypes(['OrderPlaced', 'OrderFilled']);
    });

    it('counts the position already held, valued at its mark, against equity at marks', () => {
      const history = given(opened('100000', limits)).and(
        buy('200', at(monday(10), '100', '100.01')),
      );
      // At a mark of 120 the 200 held are 24,000 of equity 79,998 + 24,000 = 103,998 (23 %);
      // 20 more at 120.01 make 26,400 = 25.4 %.
      const marked = at(monday(11), '120', '120.01', { marks: { AAPL: { price: '120' } } });
      history.when(buy('20', marked)).thenRejects('position_percent_limit_exceeded');
      history.when(buy('10', marked)).thenTypes(['OrderPlaced', 'OrderFilled']);
    });

    it('always lets an order reduce the position', () => {
      given(opened('100000', noFees()))
        .and(buy('400', at(monday(10), '100', '100.01')))
        .and({ type: 'UpdateSettings', data: { settings: limits, at: monday(10, 5) } })
        .when(sell('100', at(monday(11), '100', '100.01')))
        .thenTypes(['OrderPlaced', 'OrderFilled']);
    });
  });

  describe('max net exposure', () => {
    it('limits |long − short| after the order, at marks, and lets orders that reduce it through', () => {
      const history = given(opened('100000', noFees({ limits: { maxNetExposure: '60000' } }))).and(
        buy('500', at(monday(10), '100', '100')),
      );
      // At cost: 50,000 + 100 × 100.01 = 60,001 > 60,000.
      history
        .when(buy('100', at(monday(11), '100', '100.01')))
        .thenRejects('net_exposure_limit_exceeded');
      // Marked at 90: 45,000 + 10,001 = 55,001.
      history
        .when(buy('100', at(monday(11), '90', '100.01', { marks: { AAPL: { price: '90' } } })))
        .thenTypes(['OrderPlaced', 'OrderFilled']);
      history
        .when(sell('100', at(monday(11), '100', '100.01')))
        .thenTypes(['OrderPlaced', 'OrderFilled']);
    });
  });

  describe('max daily loss', () => {
    const limits = noFees({ limits: { maxDailyLoss: '1000' } });

    it("rejects opening orders once the day's realized loss reaches the limit", () => {
      const history = given(opened('100000', limits))
        .and(buy('200', at(monday(10), '100', '100')))
        .and(sell('100', at(monday(11), '90', '90.01')));
      // Realized −1,000 today (100 × (90 − 100)); the other 100 are at cost without marks.
      history.when(buy('1', at(monday(12), '90', '90.01'))).thenRejects('daily_loss_limit_reached');
      // Closing what is left is still allowed.
      history
        .when(sell('100', at(monday(12), '90', '90.01')))
        .thenTypes(['OrderPlaced', 'OrderFilled']);
    });

    it('counts unrealized losses at the marks against the previous close, not deposits', () => {
      const yesterday = '2025-02-28T15:00:00.000Z';
      const history = given(opened('100000', limits))
        .and(buy('100', at(yesterday, '100', '100')))
        .and({ type: 'Deposit', data: { amount: '5000', at: monday(9) } });
      const down = (price: string): MarketContext =>
        at(monday(10), price, price, { marks: { AAPL: { price, previousClose: '100' } } });
      // 100 × (91 − 100) = −900: within the limit, whatever was deposited today.
      history.when(buy('1', down('91'))).thenTypes(['OrderPlaced', 'OrderFilled']);
      // 100 × (89.99 − 100) = −1,001.
      history.when(buy('1', down('89.99'))).thenRejects('daily_loss_limit_reached');
      const state = fold(history.events);
      expect(dayResult(state, down('89.99')).pnl.toNumber()).to.equal(-1001);
      expect(dayResult(state, down('89.99')).startEquity.toNumber()).to.equal(100000);
    });

    it('stays reached for the rest of the trading day once an order was refused, and not the next day', () => {
      const marks = (price: string, when: string): MarketContext =>
        at(when, price, price, { marks: { AAPL: { price, previousClose: '100' } } });
      const history = given(opened('100000', limits))
        .and(buy('100', at('2025-02-28T15:00:00.000Z', '100', '100')))
        .and(buy('1', marks('80', monday(10))));
      expect(history.events.at(-1)).to.deep.include({ type: 'OrderRejected' });
      // The price recovers, but the day's limit was reached.
      history.when(buy('1', marks('100', monday(15)))).thenRejects('daily_loss_limit_reached');
      // Tuesday starts afresh (previous close now 100 again).
      history.when(buy('1', marks('100', dayAt(1)))).thenTypes(['OrderPlaced', 'OrderFilled']);
    });
  });

  describe('pattern-day-trader rule', () => {
    const pdt = (patch: SettingsPatch = {}): SettingsPatch =>
      noFees({ accountType: 'margin', limits: { patternDayTraderRule: true }, ...patch });
    /** `count` round trips (buy then sell the same day) on AAPL, `days` days after Monday. */
    function roundTrips(events: AccountEvent[], count: number, days = 0): AccountEvent[] {
      let h = given(events);
      for (let i = 0; i < count; i++) {
        const when = new Date(Date.parse(dayAt(days)) + i * 60_000).toISOString();
        h = h.and(buy('10', at(when, '100', '100'))).and(sell('10', at(when, '100', '100')));
      }
      return [...h.events];
    }

    it('rejects the 4th day trade in five sessions of a margin account under $25,000', () => {
      const history = roundTrips(opened('20000', pdt()), 3);
      expect(fold(history).dayTrades).to.have.length(3);
      const opening = given(history).and(buy('10', at(monday(14), '100', '100')));
      opening.when(sell('10', at(monday(15), '100', '100'))).thenRejects('pattern_day_trader');
      // Opening orders and holding overnight are fine; selling tomorrow is no day trade.
      opening
        .when(sell('10', at(dayAt(1), '100', '100')))
        .thenTypes(['OrderPlaced', 'OrderFilled']);
    });

    it('does not apply with $25,000 or more, to cash accounts, or when disabled', () => {
      for (const settings of [
        { cash: '30000', patch: pdt() },
        { cash: '20000', patch: pdt({ accountType: 'cash' }) },
        { cash: '20000', patch: pdt({ limits: { patternDayTraderRule: false } }) },
      ]) {
        const history = given(roundTrips(opened(settings.cash, settings.patch), 3)).and(
          buy('10', at(monday(14), '100', '100')),
        );
        history
          .when(sell('10', at(monday(15), '100', '100')))
          .thenTypes(['OrderPlaced', 'OrderFilled']);
      }
    });

    it('forgets day trades older than five sessions', () => {
      // Three day trades on Monday 2025-02-24; on Monday 2025-03-03 the window starts Tuesday 25th.
      const history = given(roundTrips(opened('20000', pdt()), 3, -7)).and(
        buy('10', at(monday(14), '100', '100')),
      );
      history
        .when(sell('10', at(monday(15), '100', '100')))
        .thenTypes(['OrderPlaced', 'OrderFilled']);
      // With a holiday in the window the command layer widens it.
      history
        .when(
          sell('10', {
            ...at(monday(15), '100', '100'),
            dayTradeWindowStart: '2025-02-24',
          }),
        )
        .thenRejects('pattern_day_trader');
    });
  });

  it('rejects limit settings out of range', () => {
    for (const limits of [
      { maxPositionPercent: '0' },
      { maxPositionPercent: '101' },
      { maxNetExposure: '-1' },
      { maxDailyLoss: 'lots' },
    ]) {
      given(opened())
        .when({ type: 'UpdateSettings', data: { settings: { limits }, at: monday(9) } })
        .thenThrows('invalid_value');
    }
  });

  it('dates instants on the New York trading day across daylight-saving changes', () => {
    expect(tradingDateOf('2025-03-03T04:59:59.000Z')).to.equal('2025-03-02');
    expect(tradingDateOf('2025-03-03T05:00:00.000Z')).to.equal('2025-03-03');
    // EDT from 2025-03-09 07:00 UTC: midnight New York is 04:00 UTC.
    expect(tradingDateOf('2025-03-10T03:59:59.000Z')).to.equal('2025-03-09');
    expect(tradingDateOf('2025-03-10T04:00:00.000Z')).to.equal('2025-03-10');
    // Post-market ends 20:00 New York = 00:00 UTC in summer, still the same trading day.
    expect(tradingDateOf('2025-07-01T23:59:00.000Z')).to.equal('2025-07-01');
    // EST again from 2025-11-02 06:00 UTC.
    expect(tradingDateOf('2025-11-03T04:30:00.000Z')).to.equal('2025-11-02');
    expect(weekdaysBefore('2025-03-03', 4)).to.equal('2025-02-25');
  });
});
