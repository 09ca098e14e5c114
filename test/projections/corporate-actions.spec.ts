import { expect } from 'chai';
import { readModelProjections } from '../../src/projections/index.ts';
import { ProjectionRunner } from '../../src/projections/runner.ts';
import { tradingDateOf } from '../../src/domain/trading-day.ts';
import { addDays } from '../../src/market/time-zone.ts';
import { order } from '../commands/support.ts';
import { sharedPglite } from '../support/pglite.ts';
import { CONTEXT, tradingFixture, tradingTables, type TradingFixture } from './trading-support.ts';

/** Splits and dividends reach the read models, and a rebuild writes the same rows. */
describe('trading projections: corporate actions (PGlite)', function () {
  this.timeout(120_000);
  let fx: TradingFixture;
  let account: string;
  before(async () => {
    fx = await tradingFixture(await sharedPglite(), { ids: 'ca' });
    ({ accountId: account } = await fx.service.openAccount(
      { ownerId: 'alice', name: 'Main', initialCash: '100000' },
      CONTEXT,
    ));
    await fx.service.placeOrder(account, order({ symbol: 'KO', qty: '10' }), {}, CONTEXT);
    await fx.service.placeOrder(
      account,
      order({ symbol: 'KO', qty: '4', type: 'limit', limitPrice: '10.01', timeInForce: 'gtc' }),
      {},
      CONTEXT,
    );
  });
  after(async () => {
    await fx.dispose();
  });

  it('a split changes the position and the open order rows; a dividend the cash', async () => {
    // Effective at the next session's pre-open: what was held before it splits.
    const next = fx.market.calendar.sessionOnOrAfter(addDays(tradingDateOf(fx.service.now()), 1));
    fx.clock.advanceTo(next.preOpen);
    const today = next.date;
    const at = fx.service.now();
    const before = (await fx.service.load(account)).state;
    const basis = before.positions['KO']?.costBasis ?? '';
    await fx.service.corporateAction(
      account,
      {
        type: 'ApplyStockSplit',
        data: { actionId: 'split-KO', symbol: 'KO', exDate: today, newShares: 2, oldShares: 1, at },
      },
      CONTEXT,
    );
    await fx.service.corporateAction(
      account,
      {
        type: 'AccrueDividend',
        data: {
          actionId: 'div-KO',
          symbol: 'KO',
          exDate: today,
          payDate: today,
          amountPerShare: '0.25',
          at,
        },
      },
      CONTEXT,
    );
    await fx.service.corporateAction(
      account,
      { type: 'PayDividend', data: { actionId: 'div-KO', at } },
      CONTEXT,
    );
    await fx.catchUp();

    const access = { tenant: 'alice' };
    const [position] = await fx.queries.listPositions(access, account);
    expect(position).to.deep.include({ symbol: 'KO', qty: '20', costBasis: basis });
    const orders = await fx.queries.listOrders(access, account, { status: 'open' });
    expect(orders.items.map((o) => [o.qty, o.limitPrice])).to.deep.equal([['8', '5']]);
    const view = await fx.queries.getAccount(access, account);
    // 20 shares × 0.25 after the split.
    expect(Number(view?.cash) - Number(before.cash)).to.be.closeTo(5, 1e-9);

    const rows = await tradingTables(fx.db);
    const rebuilder = new ProjectionRunner(fx.store, fx.db, readModelProjections(), {
      batchSize: 1000,
    });
    for (const name of ['accounts', 'orders', 'positions', 'fills', 'portfolio_history']) {
      await rebuilder.rebuild(name);
    }
    expect(await tradingTables(fx.db)).to.deep.equal(rows);
    const balances = rows.account_balances as { event_type: string }[];
    expect(balances.map((b) => b.event_type)).to.include.members([
      'StockSplitApplied',
      'DividendPaid',
    ]);
  });
});
