import { expect } from 'chai';
import fc from 'fast-check';
import { marketContext } from '../../src/commands/market-context.ts';
import { buyingPower, isOpen, openOrders } from '../../src/domain/account/index.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { dec, fmt } from '../../src/domain/money.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { ProjectionRunner } from '../../src/projections/runner.ts';
import { order } from '../commands/support.ts';
import { sharedPglite } from '../support/pglite.ts';
import { CONTEXT, tradingFixture, tradingTables, type TradingFixture } from './trading-support.ts';
import { allOrders, orderById } from '../../src/domain/account/order-lookup.ts';

const TRADING = ['accounts', 'orders', 'positions', 'fills', 'portfolio_history'];
const SYMBOLS = ['AAPL', 'KO', 'SPY'] as const;

type Op =
  | { kind: 'deposit'; amount: number }
  | { kind: 'withdraw'; amount: number }
  | { kind: 'market'; symbol: number; side: 'buy' | 'sell'; qty: number }
  | { kind: 'limit'; symbol: number; side: 'buy' | 'sell'; qty: number; offset: number }
  | { kind: 'bracket'; symbol: number; qty: number }
  | { kind: 'fill'; pick: number; size: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'replace'; pick: number; qty: number }
  | { kind: 'reset' }
  | { kind: 'advance'; minutes: number };

const symbol = fc.nat({ max: SYMBOLS.length - 1 });
const side = fc.constantFrom('buy' as const, 'sell' as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), amount: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ kind: fc.constant('withdraw' as const), amount: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({
    kind: fc.constant('market' as const),
    symbol,
    side,
    qty: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('limit' as const),
    symbol,
    side,
    qty: fc.integer({ min: 1, max: 300 }),
    offset: fc.integer({ min: -3, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('bracket' as const),
    symbol,
    qty: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({
    kind: fc.constant('fill' as const),
    pick: fc.nat(),
    size: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('replace' as const),
    pick: fc.nat(),
    qty: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({ kind: fc.constant('reset' as const) }),
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 90 }) }),
);

async function run(fx: TradingFixture, accountId: string, o: Op): Promise<void> {
  const { service, market } = fx;
  const ctx = CONTEXT;
  const openIds = async () =>
    openOrders((await service.load(accountId)).state)
      .filter((x) => x.status !== 'held')
      .map((x) => x.id)
      .sort();
  switch (o.kind) {
    case 'deposit':
      await service.deposit(accountId, { amount: String(o.amount) }, ctx);
      return;
    case 'withdraw':
      await service.withdraw(accountId, { amount: String(o.amount) }, ctx);
      return;
    case 'market': {
      const s = SYMBOLS[o.symbol] ?? 'AAPL';
      await service.placeOrder(
        accountId,
        order({ symbol: s, side: o.side, qty: String(o.qty) }),
        {},
        ctx,
      );
      return;
    }
    case 'limit': {
      const s = SYMBOLS[o.symbol] ?? 'AAPL';
      const quote = market.latestQuote(s);
      if (!quote) return;
      const touch = o.side === 'buy' ? quote.bid : quote.ask;
      const limitPrice = fmt(dec(touch).plus(o.offset));
      await service.placeOrder(
        accountId,
        order({
          symbol: s,
          side: o.side,
          qty: String(o.qty),
          type: 'limit',
          limitPrice,
          timeInForce: 'gtc',
        }),
        {},
        ctx,
      );
      return;
    }
    case 'bracket': {
      const s = SYMBOLS[o.symbol] ?? 'AAPL';
      const quote = market.latestQuote(s);
      if (!quote) return;
      await service.placeOrder(
        accountId,
        order({
          symbol: s,
          qty: String(o.qty),
          orderClass: 'bracket',
          timeInForce: 'gtc',
          takeProfit: { limitPrice: fmt(dec(quote.ask).plus(3)) },
          stopLoss: { stopPrice: fmt(dec(quote.bid).minus(3)) },
        }),
        {},
        ctx,
      );
      return;
    }
    case 'fill': {
      const ids = await openIds();
      const id = ids[o.pick % Math.max(1, ids.length)];
      if (id === undefined) return;
      const target = orderById((await service.load(accountId)).state, id);
      if (!target) return;
      const ctxMarket = marketContext(market, target.symbol);
      const quote = ctxMarket.quote;
      if (!quote) return;
      // A quote that crosses any limit or stop of the order, with a limited displayed size.
      const price =
        target.limitPrice ?? target.stopPrice ?? (target.side === 'buy' ? quote.ask : quote.bid);
      const crossed = {
        ...ctxMarket,
        quote: { ...quote, bid: price, ask: price, last: price, bidSize: o.size, askSize: o.size },
      };
      if (target.stopPrice !== null && !target.triggered) {
        await service.trigger(accountId, id, crossed, { actor: 'engine', source: 'engine' });
      } else {
        await service.fill(accountId, id, crossed, { actor: 'engine', source: 'engine' });
      }
      return;
    }
    case 'cancel': {
      const ids = await openIds();
      const id = ids[o.pick % Math.max(1, ids.length)];
      if (id !== undefined) await service.cancelOrder(accountId, id, ctx);
      return;
    }
    case 'replace': {
      const ids = await openIds();
      const id = ids[o.pick % Math.max(1, ids.length)];
      if (id !== undefined) await service.replaceOrder(accountId, id, { qty: String(o.qty) }, ctx);
      return;
    }
    case 'reset':
      await service.handler.handle(
        accountId,
        { type: 'ResetAccount', data: { initialCash: '50000', at: service.now() } },
        { actor: ctx.actor, source: ctx.source },
      );
      return;
    case 'advance':
      fx.clock.advance(o.minutes * 60_000);
      return;
  }
}

describe('trading read models: property (PGlite)', function () {
  this.timeout(300_000);
  let fx: TradingFixture;
  before(async () => {
    fx = await tradingFixture(await sharedPglite(), { ids: 'p' });
  });
  after(async () => {
    await fx.dispose();
  });

  it('for random command sequences, the views equal the write side and a rebuild equals the incremental rows', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 50 }),
        async (ops, incrementalBatch, rebuildBatch) => {
          runs += 1;
          const { accountId } = await fx.service.openAccount(
            {
              ownerId: `owner-${runs % 3}`,
              name: `Run ${runs}`,
              initialCash: '100000',
              settings: { accountType: runs % 2 ? 'margin' : 'cash' },
            },
            CONTEXT,
          );
          for (const o of ops) {
            try {
              await run(fx, accountId, o);
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
            }
          }
          const incremental = new ProjectionRunner(fx.store, fx.db, readModelProjections(), {
            batchSize: incrementalBatch,
          });
          await incremental.catchUp(TRADING);
          const tables = await tradingTables(fx.db);

          // The views say what the write side folds.
          const state = (await fx.service.load(accountId)).state;
          const access = { tenant: `owner-${runs % 3}` };
          const account = await fx.queries.getAccount(access, accountId);
          expect(account).to.deep.include({
            cash: state.cash,
            buyingPower: fmt(buyingPower(state)),
            realizedPl: state.realizedPnl,
            feesPaid: state.feesPaid,
            openOrders: openOrders(state).length,
          });
          const positions = await fx.queries.listPositions(access, accountId);
          expect(
            Object.fromEntries(positions.map((p) => [p.symbol, [p.qty, p.costBasis]])),
          ).to.deep.equal(
            Object.fromEntries(
              Object.values(state.positions).map((p) => [p.symbol, [p.qty, p.costBasis]]),
            ),
          );
          const orders = await fx.queries.listOrders(access, accountId, {
            status: 'all',
            nested: false,
            limit: 500,
          });
          const byId = new Map(orders.items.map((x) => [x.id, x]));
          for (const o of allOrders(state)) {
            expect(byId.get(o.id), o.id).to.deep.include({
              status: o.status,
              filledQty: o.filledQty,
              qty: o.qty,
              parentId: o.parentId,
              replacedBy: o.replacedBy,
            });
          }
          const open = await fx.queries.listOrders(access, accountId, {
            nested: false,
            limit: 500,
          });
          expect(open.items.map((x) => x.id).sort()).to.deep.equal(
            allOrders(state)
              .filter(isOpen)
              .map((x) => x.id)
              .sort(),
          );

          // Rebuild from 0 with other batch boundaries: row for row the same.
          const rebuilder = new ProjectionRunner(fx.store, fx.db, readModelProjections(), {
            batchSize: rebuildBatch,
          });
          for (const name of TRADING) await rebuilder.rebuild(name);
          expect(await tradingTables(fx.db)).to.deep.equal(tables);
        },
      ),
      { numRuns: 12, seed: 20250303, endOnFailure: true },
    );
    // The sequences did exercise what matters: fills, partial fills, replaces, legs, resets.
    const events = await fx.store.readAll({ fromPosition: 0, maxCount: 100_000 });
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'OrderFilled',
      'OrderCanceled',
      'OrderActivated',
      'OrderRejected',
      'OrderReplaced',
      'AccountReset',
    ]) {
      expect(types, type).to.include(type);
    }
    const partial = await fx.db
      .selectFrom('fills')
      .select('fill_id')
      .where('order_status', '=', 'partially_filled')
      .execute();
    expect(partial.length).to.be.greaterThan(0);
  });
});
