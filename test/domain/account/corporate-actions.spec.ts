import { expect } from 'chai';
import {
  avgEntryPrice,
  buyingPower,
  fold,
  openOrders,
  type AccountCommand,
  type AccountEvent,
} from '../../../src/domain/account/index.ts';
import { orderById } from '../../../src/domain/account/order-lookup.ts';
import { dividendsReceivable } from '../../../src/domain/account/corporate-actions.ts';
import { dayResult } from '../../../src/domain/account/valuation.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import type { MarketContext } from '../../../src/domain/market.ts';
import { given, market, opened, place, quote } from './spec-helper.ts';

const noFees = {
  accountType: 'margin' as const,
  fillModel: { regulatoryFees: { secFeeRate: '0', tafPerShare: '0', tafMaxPerTrade: '0' } },
};

/** Friday 2025-02-28 (the day before the ex-date's weekend) and Monday 2025-03-03, New York. */
const FRIDAY = '2025-02-28T15:00:00.000Z';
const EX_DATE = '2025-03-03';
const EX_PRE_OPEN = '2025-03-03T09:00:00.000Z';
const EX_MORNING = '2025-03-03T15:00:00.000Z';
const TUESDAY = '2025-03-04T15:00:00.000Z';

function at(now: string, bid: string, ask: string): MarketContext {
  return market({ now, quote: quote({ bid, ask, last: bid, time: now }) });
}

let n = 0;
const trade = (
  side: 'buy' | 'sell',
  qty: string,
  m: MarketContext,
  extra: Parameters<typeof place>[0] = {},
): ReturnType<typeof place> =>
  place(
    { side, qty, ...extra },
    { orderId: `o${++n}`, fillId: extra.type === undefined ? `f${n}` : null, market: m },
  );

const split = (newShares: number, oldShares: number, when = EX_PRE_OPEN): AccountCommand => ({
  type: 'ApplyStockSplit',
  data: { actionId: 'split-AAPL', symbol: 'AAPL', exDate: EX_DATE, newShares, oldShares, at: when },
});
const accrue = (when = EX_PRE_OPEN): AccountCommand => ({
  type: 'AccrueDividend',
  data: {
    actionId: 'div-AAPL',
    symbol: 'AAPL',
    exDate: EX_DATE,
    payDate: '2025-03-17',
    amountPerShare: '0.25',
    at: when,
  },
});
const pay = (when: string): AccountCommand => ({
  type: 'PayDividend',
  data: { actionId: 'div-AAPL', at: when },
});

/** Cash + Σ basis + fees − realized − dividends = deposits − withdrawals. */
function ledgerBalances(events: readonly AccountEvent[]): boolean {
  const s = fold(events);
  const basis = Object.values(s.positions).reduce((sum, p) => sum.plus(p.costBasis), new Dec(0));
  return new Dec(s.cash)
    .plus(basis)
    .plus(s.feesPaid)
    .minus(s.realizedPnl)
    .minus(s.dividends ?? '0')
    .eq(new Dec(s.totalDeposits).minus(s.totalWithdrawals));
}

describe('corporate actions (decider)', () => {
  describe('stock splits', () => {
    it('multiplies the position and divides the average price, keeping the cost basis', () => {
      const history = given(opened('100000', noFees)).and(
        trade('buy', '10', at(FRIDAY, '99.99', '100')),
      );
      const outcome = history.when(split(2, 1));
      outcome.thenMatches([
        {
          type: 'StockSplitApplied',
          data: {
            symbol: 'AAPL',
            newShares: 2,
            oldShares: 1,
            position: { qtyBefore: '10', qty: '20', costBasis: '1000' },
            orders: [],
          },
        },
      ]);
      const position = outcome.state.positions['AAPL'];
      expect(position).to.deep.include({ qty: '20', costBasis: '1000', realizedPnl: '0' });
      expect(position && avgEntryPrice(position)).to.equal('50');
      expect(ledgerBalances([...history.events, ...outcome.events])).to.equal(true);
    });

    it('adjusts open orders: quantities ×, prices ÷ rounded so no order gets more aggressive', () => {
      const friday = at(FRIDAY, '99.99', '100');
      const history = given(opened('100000', noFees))
        .and(trade('buy', '30', friday))
        .and(trade('buy', '5', friday, { type: 'limit', limitPrice: '90.01', timeInForce: 'gtc' }))
        .and(
          trade('sell', '10', friday, { type: 'limit', limitPrice: '120.01', timeInForce: 'gtc' }),
        )
        .and(trade('sell', '10', friday, { type: 'stop', stopPrice: '80.02', timeInForce: 'gtc' }))
        .and(
          trade('sell', '10', friday, {
            type: 'trailing_stop',
            trailPrice: '3',
            timeInForce: 'gtc',
          }),
        );
      const before = fold(history.events);
      const outcome = history.when(split(3, 1));
      const [event] = outcome.events;
      expect(event?.type).to.equal('StockSplitApplied');
      const orders = event?.type === 'StockSplitApplied' ? event.data.orders : [];
      const byId = Object.fromEntries(orders.map((o) => [o.orderId, o]));
      const ids = openOrders(before).map((o) => o.id);
      // Buy limit 90.01 / 3 = 30.0033… → 30.00 (down); sell limit 120.01 / 3 = 40.0033… → 40.01 (up);
      // sell stop 80.02 / 3 = 26.6733… → 26.67 (down); trailing: mark 99.99 → 33.33, trail 1, stop 32.33.
      expect(ids.map((id) => byId[id]?.qty)).to.deep.equal(['15', '30', '30', '30']);
      expect(ids.map((id) => byId[id]?.limitPrice ?? byId[id]?.stopPrice)).to.deep.equal([
        '30',
        '40.01',
        '26.67',
        '32.33',
      ]);
      const trailing = byId[ids[3] ?? ''];
      expect(trailing).to.deep.include({ trailPrice: '1', hwm: '33.33' });
      // The buy limit reserves what it did: 15 × 30 = 450 vs 5 × 90.01 = 450.05 (rounded down).
      expect(buyingPower(outcome.state).minus(buyingPower(before)).toString()).to.equal('0.05');
      expect(orderById(outcome.state, ids[0] ?? '')).to.deep.include({
        qty: '15',
        limitPrice: '30',
      });
      expect(outcome.state.positions['AAPL']).to.deep.include({ qty: '90' });
    });

    it('applies once per action id', () => {
      given(opened('100000', noFees))
        .and(trade('buy', '10', at(FRIDAY, '99.99', '100')))
        .and(split(2, 1))
        .when(split(2, 1))
        .thenNothing();
    });

    it('multiplies only the shares held before the ex-date when the account traded first', () => {
      const outcome = given(opened('100000', noFees))
        .and(trade('buy', '10', at(FRIDAY, '99.99', '100')))
        // Ex-date morning, already at split-adjusted prices.
        .and(trade('buy', '10', at(EX_MORNING, '49.99', '50')))
        .and(
          trade('buy', '4', at(EX_MORNING, '49.99', '50'), {
            type: 'limit',
            limitPrice: '45',
            timeInForce: 'gtc',
          }),
        )
        .when(split(2, 1, '2025-03-03T16:00:00.000Z'));
      outcome.thenMatches([
        {
          type: 'StockSplitApplied',
          data: { position: { qtyBefore: '20', qty: '30', costBasis: '1500' }, orders: [] },
        },
      ]);
    });

    it('is refused before its ex-date and once the account has moved past it', () => {
      given(opened('100000', noFees))
        .and(trade('buy', '10', at(FRIDAY, '99.99', '100')))
        .when(split(2, 1, FRIDAY))
        .thenThrows('corporate_action_not_applicable');
      given(opened('100000', noFees))
        .and(trade('buy', '10', at(FRIDAY, '99.99', '100')))
        .and(trade('buy', '1', at(TUESDAY, '49.99', '50')))
        .when(split(2, 1, TUESDAY))
        .thenThrows('corporate_action_not_applicable');
      // Nothing happened in the account since: the holdings are known, a late split applies.
      given(opened('100000', noFees))
        .and(trade('buy', '10', at(FRIDAY, '99.99', '100')))
        .when(split(2, 1, TUESDAY))
        .thenTypes(['StockSplitApplied']);
    });

    it('does nothing to an account without the symbol, and validates the command', () => {
      given(opened('100000', noFees)).when(split(2, 1)).thenNothing();
      given(opened()).when(split(2, 2)).thenThrows('invalid_command');
      given(opened()).when(split(0, 1)).thenThrows('invalid_command');
      given(opened())
        .when({
          type: 'ApplyStockSplit',
          data: {
            actionId: 'x',
            symbol: 'aapl',
            exDate: EX_DATE,
            newShares: 2,
            oldShares: 1,
            at: EX_PRE_OPEN,
          },
        })
        .thenThrows('invalid_command');
      given(opened())
        .when({
          type: 'ApplyStockSplit',
          data: {
            actionId: 'x',
            symbol: 'AAPL',
            exDate: '3 March',
            newShares: 2,
            oldShares: 1,
            at: EX_PRE_OPEN,
          },
        })
        .thenThrows('invalid_command');
    });

    it('a reverse split divides the position (fractional shares are kept)', () => {
      given(opened('100000', noFees))
        .and(trade('buy', '25', at(FRIDAY, '0.99', '1')))
        .when(split(1, 10))
        .thenMatches([
          { type: 'StockSplitApplied', data: { position: { qty: '2.5', costBasis: '25' } } },
        ]);
    });

    it("keeps the day's P&L at zero across a split, on its ex-date and when applied late", () => {
      const marked = (now: string, price: string, previousClose: string): MarketContext => ({
        ...at(now, price, price),
        marks: { AAPL: { price, previousClose } },
      });
      const held = given(opened('100000', noFees)).and(
        trade('buy', '10', at(FRIDAY, '100', '100')),
      );
      // On the ex-date the previous close (Friday's) is unsplit: 10 × 100 then, 20 × 50 now.
      const onTime = held.when(split(2, 1));
      expect(dayResult(onTime.state, marked(EX_MORNING, '50', '100')).pnl.toString()).to.equal('0');
      // Applied on Tuesday, after a Monday with no events: Monday's close is already split.
      const late = held.when(split(2, 1, TUESDAY));
      expect(dayResult(late.state, marked(TUESDAY, '50', '50')).pnl.toString()).to.equal('0');
      // And a dividend going ex that Tuesday sees the split shares.
      given([...held.events, ...late.events])
        .when({
          type: 'AccrueDividend',
          data: {
            actionId: 'div-late',
            symbol: 'AAPL',
            exDate: '2025-03-04',
            payDate: '2025-03-20',
            amountPerShare: '0.1',
            at: TUESDAY,
          },
        })
        .thenMatches([{ type: 'DividendAccrued', data: { qty: '20', amount: '2' } }]);
    });
  });

  describe('cash dividends', () => {
    it('accrues for holders at the start of the ex-date and pays cash on the pay date', () => {
      const history = given(opened('100000', noFees))
        .and(trade('buy', '100', at(FRIDAY, '99.99', '100')))
        // Shares bought on the ex-date do not carry the dividend.
        .and(trade('buy', '50', at(EX_MORNING, '99.99', '100')));
      const accrued = history.when(accrue('2025-03-03T16:00:00.000Z'));
      accrued.thenMatches([
        { type: 'DividendAccrued', data: { qty: '100', amountPerShare: '0.25', amount: '25' } },
      ]);
      expect(dividendsReceivable(accrued.state).toString()).to.equal('25');
      expect(accrued.state.cash).to.equal(fold(history.events).cash);

      const then = history.and(accrue('2025-03-03T16:00:00.000Z'));
      then.when(pay('2025-03-14T15:00:00.000Z')).thenThrows('corporate_action_not_applicable');
      const paid = then.when(pay('2025-03-17T13:00:00.000Z'));
      paid.thenMatches([
        {
          type: 'DividendPaid',
          data: { amount: '25', cashAfter: String(100000 - 15000 + 25), payDate: '2025-03-17' },
        },
      ]);
      expect(paid.state.dividends).to.equal('25');
      expect(dividendsReceivable(paid.state).toString()).to.equal('0');
      expect(ledgerBalances([...then.events, ...paid.events])).to.equal(true);
      // Paid once.
      then.and(pay('2025-03-17T13:00:00.000Z')).when(pay('2025-03-18T13:00:00.000Z')).thenNothing();
      then.when(accrue()).thenNothing();
    });

    it('charges a short position the dividend', () => {
      const history = given(opened('100000', noFees))
        .and(trade('sell', '50', at(FRIDAY, '99.99', '100')))
        .and(accrue());
      history
        .when(pay('2025-03-17T13:00:00.000Z'))
        .thenMatches([{ type: 'DividendPaid', data: { qty: '-50', amount: '-12.5' } }]);
    });

    it('owes nothing to an account that did not hold the symbol, and validates the command', () => {
      given(opened('100000', noFees)).when(accrue()).thenNothing();
      given(opened('100000', noFees)).when(pay(TUESDAY)).thenNothing();
      const bad = (data: Partial<Extract<AccountCommand, { type: 'AccrueDividend' }>['data']>) =>
        given(opened()).when({
          type: 'AccrueDividend',
          data: {
            actionId: 'd',
            symbol: 'AAPL',
            exDate: EX_DATE,
            payDate: '2025-03-17',
            amountPerShare: '0.25',
            at: EX_PRE_OPEN,
            ...data,
          },
        });
      bad({ amountPerShare: '0' }).thenThrows('invalid_command');
      bad({ amountPerShare: 'a quarter' }).thenThrows('invalid_command');
      bad({ payDate: '2025-03-01' }).thenThrows('invalid_command');
      bad({ actionId: '' }).thenThrows('invalid_command');
    });
  });
});
