import { expect } from 'chai';
import {
  allOrders,
  avgEntryPrice,
  buyingPower,
  openOrders,
  type AccountState,
  type Order,
} from '../../src/domain/account/index.ts';
import { ProjectionRunner } from '../../src/projections/runner.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { averageFillPrice } from '../../src/projections/trading.ts';
import type { OrderView } from '../../src/projections/trading-views.ts';
import { tradingScenario, type Scenario } from './trading-scenario.ts';
import { TARGETS, tradingFixture, tradingTables, type TradingFixture } from './trading-support.ts';

const TRADING = ['accounts', 'orders', 'positions', 'fills', 'portfolio_history'];

/** The fields an order view copies from the domain order. */
function orderFields(o: Order): Partial<OrderView> {
  return {
    id: o.id,
    clientOrderId: o.clientOrderId,
    instrument: o.instrument,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    orderClass: o.orderClass,
    status: o.status,
    qty: o.qty,
    filledQty: o.filledQty,
    filledAvgPrice: averageFillPrice(o),
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    trailPrice: o.trailPrice,
    trailPercent: o.trailPercent,
    hwm: o.hwm,
    extendedHours: o.extendedHours,
    parentId: o.parentId,
    legRole: o.legRole,
    replaces: o.replaces,
    replacedBy: o.replacedBy,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    filledAt: o.filledAt,
    canceledAt: o.canceledAt,
    expiredAt: o.expiredAt,
    replacedAt: o.replacedAt,
  };
}

function pick(view: OrderView, fields: Partial<OrderView>): Partial<OrderView> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) out[key] = view[key as keyof OrderView];
  return out;
}

for (const [target, openDatabase] of TARGETS) {
  describe(`trading read models on ${target}`, function () {
    this.timeout(60_000);
    let fx: TradingFixture;
    let s: Scenario;
    let alice: AccountState;

    before(async function () {
      fx = await tradingFixture(await openDatabase(this), { batchSize: 7 });
      s = await tradingScenario(fx.service, fx.market, fx.clock);
      await fx.catchUp();
      alice = (await fx.service.load(s.alice)).state;
    });
    after(async () => {
      await fx.dispose();
    });

    it('accounts: cash, buying power and ledger totals are what the write side folds', async () => {
      const view = await fx.queries.getAccount({ tenant: 'alice' }, s.alice);
      expect(view).to.deep.include({
        id: s.alice,
        ownerId: 'alice',
        name: 'Alice main',
        status: 'active',
        currency: 'USD',
        accountType: 'margin',
        cash: alice.cash,
        buyingPower: buyingPower(alice).toFixed(),
        realizedPl: alice.realizedPnl,
        feesPaid: alice.feesPaid,
        totalDeposits: '105000.5',
        totalWithdrawals: '500',
        openOrders: openOrders(alice).length,
        createdAt: alice.openedAt,
        updatedAt: alice.updatedAt,
      });
      expect(view?.settings).to.deep.equal(alice.settings);
    });

    it('positions: every open position at average cost, flat ones absent, shorts negative', async () => {
      const views = await fx.queries.listPositions({ tenant: 'alice' }, s.alice);
      const expected = Object.values(alice.positions).sort((a, b) =>
        a.symbol.localeCompare(b.symbol),
      );
      expect(views.map((v) => v.symbol)).to.deep.equal(expected.map((p) => p.symbol));
      for (const p of expected) {
        const v = views.find((x) => x.symbol === p.symbol);
        expect(v).to.deep.include({
          qty: p.qty,
          costBasis: p.costBasis,
          avgEntryPrice: avgEntryPrice(p),
          realizedPl: p.realizedPnl,
          side: p.qty.startsWith('-') ? 'short' : 'long',
        });
      }
      expect(views.find((v) => v.symbol === 'JPM')).to.deep.include({ qty: '-7', side: 'short' });
      expect(await fx.queries.getPosition({ tenant: 'alice' }, s.alice, 'NVDA')).to.equal(
        undefined,
      );
    });

    it('orders: every order of the write side with the same fields, and rejections', async () => {
      for (const o of allOrders(alice)) {
        const view = await fx.queries.getOrder({ tenant: 'alice' }, s.alice, o.id);
        expect(view, o.id).to.not.equal(undefined);
        if (view === undefined) continue;
        expect(pick(view, orderFields(o)), o.id).to.deep.equal(orderFields(o));
      }
      const rejected = await fx.queries.getOrder({ tenant: 'alice' }, s.alice, s.rejectedId);
      expect(rejected).to.deep.include({
        status: 'rejected',
        rejectReason: alice.rejections.get(s.rejectedId)?.reason,
        clientOrderId: 'too-big',
        symbol: 'AAPL',
        qty: '1000000',
      });
      expect(rejected?.failedAt).to.be.a('string');
      const refused = [...alice.rejections.values()].find((r) => r.orderId !== s.rejectedId);
      const refusedView = await fx.queries.getOrder(
        { tenant: 'alice' },
        s.alice,
        refused?.orderId ?? '',
      );
      expect(refusedView).to.deep.include({ status: 'rejected', replaces: s.replacementId });
    });

    it('orders: partial fills, links of replaced orders and bracket legs', async () => {
      const q = fx.queries;
      const partial = await q.getOrderByClientOrderId(
        { tenant: 'alice' },
        s.alice,
        'msft-ladder-1',
      );
      expect(partial).to.deep.include({ id: s.partialId, status: 'filled', filledQty: '300' });
      const replaced = await q.getOrder({ tenant: 'alice' }, s.alice, s.replacedId);
      expect(replaced).to.deep.include({ status: 'replaced', replacedBy: s.replacementId });
      const replacement = await q.getOrder({ tenant: 'alice' }, s.alice, s.replacementId);
      expect(replacement).to.deep.include({ status: 'new', replaces: s.replacedId, qty: '3' });
      const bracket = await q.getOrder({ tenant: 'alice' }, s.alice, s.bracketId);
      expect(bracket?.status).to.equal('filled');
      // The parent lists the replacement leg (the replaced one now hangs off nothing).
      expect(bracket?.legs.map((l) => l.id))
        .to.include(s.newLegId)
        .and.not.include(s.replacedLegId);
      expect(bracket?.legs.map((l) => l.legRole).sort()).to.deep.equal([
        'stop_loss',
        'take_profit',
      ]);
      const newLeg = await q.getOrder({ tenant: 'alice' }, s.alice, s.newLegId);
      expect(newLeg).to.deep.include({ parentId: s.bracketId, replaces: s.replacedLegId });
    });

    it('fills: one per OrderFilled with the quote and model that priced it', async () => {
      const events = await fx.store.readStream(`account-${s.alice}`);
      const filled = events.filter((e) => e.type === 'OrderFilled');
      const page = await fx.queries.listFills({ tenant: 'alice' }, s.alice, {
        limit: 500,
        direction: 'asc',
      });
      expect(page.items.map((f) => f.position)).to.deep.equal(filled.map((e) => e.position));
      const partialFills = page.items.filter((f) => f.orderId === s.partialId);
      expect(partialFills.map((f) => [f.qty, f.orderStatus, f.leavesQty])).to.deep.equal([
        ['100', 'partially_filled', '200'],
        ['200', 'filled', '0'],
      ]);
      for (const [i, f] of page.items.entries()) {
        const d = filled[i]?.data as Record<string, unknown>;
        expect(f).to.deep.include({
          id: d.fillId,
          price: d.price,
          commission: d.commission,
          cashDelta: d.cashDelta,
          quote: d.quote,
          model: d.model,
          positionAfter: d.position,
        });
      }
    });

    it('a reset wipes orders, fills and positions and starts the account over', async () => {
      const bob = (await fx.service.load(s.bob)).state;
      const view = await fx.queries.getAccount({ tenant: 'bob' }, s.bob);
      expect(view).to.deep.include({ cash: bob.cash, totalDeposits: '25000', ownerId: 'bob' });
      const orders = await fx.queries.listOrders({ tenant: 'bob' }, s.bob, { status: 'all' });
      expect(orders.items.map((o) => o.symbol)).to.deep.equal(['MSFT']);
      const positions = await fx.queries.listPositions({ tenant: 'bob' }, s.bob);
      expect(positions.map((p) => [p.symbol, p.qty])).to.deep.equal([['MSFT', '2']]);
      const fills = await fx.queries.listFills({ tenant: 'bob' }, s.bob);
      expect(fills.items).to.have.length(1);
    });

    it('rebuilding every trading projection from 0 gives exactly the incremental rows', async () => {
      const incremental = await tradingTables(fx.db);
      expect(incremental.orders?.length).to.be.greaterThan(10);
      for (const name of TRADING) await fx.runner.rebuild(name);
      expect(await tradingTables(fx.db)).to.deep.equal(incremental);
      // And with other batch boundaries: one event per batch.
      const single = new ProjectionRunner(fx.store, fx.db, readModelProjections(), {
        batchSize: 1,
      });
      for (const name of TRADING) await single.rebuild(name);
      expect(await tradingTables(fx.db)).to.deep.equal(incremental);
      // A re-delivered batch changes nothing.
      await fx.runner.catchUp();
      expect(await tradingTables(fx.db)).to.deep.equal(incremental);
    });
  });
}
