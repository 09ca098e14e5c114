import { expect } from 'chai';
import {
  AccountService,
  engineFillId,
  orderVersion,
  StaleOrderVersion,
  type CallContext,
} from '../../src/commands/accounts.ts';
import { marketContext } from '../../src/commands/market-context.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { frozenMarket, order, sequentialIds } from './support.ts';
import { orderById } from '../../src/domain/account/order-lookup.ts';

const cli: CallContext = { actor: 'user:u1', source: 'cli', correlationId: 'corr-1' };

const adapters: [string, () => Promise<EventStore>][] = [
  ['memory', () => Promise.resolve(new MemoryEventStore())],
  [
    'pglite',
    async () =>
      openPgliteEventStore({ database: await sharedPglite(), schema: uniqueSchema('acctsvc') }),
  ],
];

for (const [name, open] of adapters) {
  describe(`AccountService (${name})`, () => {
    let store: EventStore;
    let service: AccountService;
    let market: ReturnType<typeof frozenMarket>['market'];

    beforeEach(async () => {
      store = await open();
      market = frozenMarket().market;
      service = new AccountService({ store, market, newId: sequentialIds() });
    });

    async function opened(cash = '100000'): Promise<string> {
      const { accountId } = await service.openAccount(
        { ownerId: 'u1', name: 'Main', initialCash: cash },
        cli,
      );
      return accountId;
    }

    it('opens an account, deposits and withdraws, stamping metadata and positions', async () => {
      const open1 = await service.openAccount(
        { ownerId: 'u1', name: 'Main', initialCash: '1000' },
        cli,
      );
      expect(open1.accountId).to.equal('id-1');
      expect(open1.state.cash).to.equal('1000');
      expect(open1.position).to.be.a('number');
      const dep = await service.deposit('id-1', { amount: '250.5' }, cli);
      expect(dep.state.cash).to.equal('1250.5');
      expect(dep.position).to.be.greaterThan(open1.position ?? 0);
      const wd = await service.withdraw('id-1', { amount: '50' }, cli);
      expect(wd.state.cash).to.equal('1200.5');
      const settings = await service.updateSettings('id-1', { accountType: 'margin' }, cli);
      expect(settings.state.settings.accountType).to.equal('margin');
      const events = await store.readStream('account-id-1');
      expect(events.map((e) => e.type)).to.deep.equal([
        'AccountOpened',
        'CashDeposited',
        'CashDeposited',
        'CashWithdrawn',
        'AccountSettingsUpdated',
      ]);
      expect(events[0]?.metadata).to.deep.include({
        actor: 'user:u1',
        source: 'cli',
        correlationId: 'corr-1',
        simTime: '2025-03-03T15:00:00.000Z',
      });
      expect(await service.listAccountIds()).to.deep.equal(['id-1']);
    });

    it('fills a market order at once in the regular session', async () => {
      const accountId = await opened();
      const placed = await service.placeOrder(accountId, order(), { clientOrderId: 'c-1' }, cli);
      expect(placed.duplicate).to.equal(false);
      expect(placed.order?.status).to.equal('filled');
      expect(placed.order?.clientOrderId).to.equal('c-1');
      expect(placed.events.map((e) => e.type)).to.deep.equal(['OrderPlaced', 'OrderFilled']);
      expect(placed.position).to.be.a('number');
      expect(placed.state.positions.AAPL?.qty).to.equal('10');
    });

    it('answers a duplicate client_order_id with the original order and writes nothing', async () => {
      const accountId = await opened();
      const first = await service.placeOrder(accountId, order(), { clientOrderId: 'c-1' }, cli);
      const before = await store.headPosition();
      const again = await service.placeOrder(
        accountId,
        order({ qty: '99' }),
        { clientOrderId: 'c-1' },
        cli,
      );
      expect(again.duplicate).to.equal(true);
      expect(again.orderId).to.equal(first.orderId);
      expect(again.order?.qty).to.equal('10');
      expect(again.position).to.equal(undefined);
      expect(await store.headPosition()).to.equal(before);
    });

    it('returns a business rejection as data, and a duplicate of it as the same rejection', async () => {
      const accountId = await opened('10');
      const placed = await service.placeOrder(accountId, order(), { clientOrderId: 'big' }, cli);
      expect(placed.order).to.equal(undefined);
      expect(placed.rejection?.reason).to.equal('insufficient_buying_power');
      const unknown = await service.placeOrder(accountId, order({ symbol: 'ZZZZ' }), {}, cli);
      expect(unknown.rejection?.reason).to.equal('unknown_symbol');
      const again = await service.placeOrder(accountId, order(), { clientOrderId: 'big' }, cli);
      expect(again.duplicate).to.equal(true);
      expect(again.rejection?.reason).to.equal('insufficient_buying_power');
    });

    it('generates leg ids for bracket, oco and oto classes', async () => {
      const accountId = await opened();
      const ask = Number(market.latestQuote('AAPL')?.ask);
      const bracket = await service.placeOrder(
        accountId,
        order({
          type: 'limit',
          limitPrice: (ask - 5).toFixed(2),
          orderClass: 'bracket',
          takeProfit: { limitPrice: (ask + 10).toFixed(2) },
          stopLoss: { stopPrice: (ask - 20).toFixed(2) },
        }),
        {},
        cli,
      );
      expect(bracket.order?.legIds).to.have.length(2);
      const oto = await service.placeOrder(
        accountId,
        order({
          type: 'limit',
          limitPrice: (ask - 5).toFixed(2),
          orderClass: 'oto',
          stopLoss: { stopPrice: (ask - 20).toFixed(2) },
        }),
        {},
        cli,
      );
      expect(oto.order?.legIds).to.have.length(1);
    });

    it('cancels, cancels all and replaces resting orders', async () => {
      const accountId = await opened();
      const bid = Number(market.latestQuote('AAPL')?.bid);
      const limit = (p: number) =>
        order({ type: 'limit', limitPrice: p.toFixed(2), timeInForce: 'gtc' });
      const a = await service.placeOrder(accountId, limit(bid - 10), {}, cli);
      expect(a.order?.status).to.equal('new');
      const canceled = await service.cancelOrder(accountId, a.orderId, cli);
      expect(canceled.order?.status).to.equal('canceled');
      const b = await service.placeOrder(accountId, limit(bid - 11), {}, cli);
      const replaced = await service.replaceOrder(
        accountId,
        b.orderId,
        { limitPrice: (bid - 12).toFixed(2) },
        cli,
      );
      expect(replaced.order?.id).to.equal(replaced.newOrderId);
      expect(replaced.order?.limitPrice).to.equal((bid - 12).toFixed(2));
      expect(orderById(replaced.state, b.orderId)?.status).to.equal('replaced');
      await service.placeOrder(accountId, limit(bid - 13), {}, cli);
      const all = await service.cancelAll(accountId, cli);
      expect(Object.values(all.state.orders).filter((o) => o.status === 'new')).to.have.length(0);
      expect(all.events.length).to.equal(2);
      try {
        await service.cancelOrder(accountId, a.orderId, cli);
        expect.fail('cancel of a canceled order');
      } catch (error) {
        expect(error).to.be.instanceOf(DomainError);
      }
    });

    it('engine commands fill with deterministic fill ids and refuse stale versions', async () => {
      const accountId = await opened();
      const quote = market.latestQuote('AAPL');
      if (!quote) throw new Error('no quote');
      const limitPrice = (Number(quote.ask) - 1).toFixed(2);
      const placed = await service.placeOrder(
        accountId,
        order({ type: 'limit', limitPrice }),
        {},
        cli,
      );
      const resting = placed.order;
      if (!resting) throw new Error('not placed');
      expect(resting.status).to.equal('new');
      const engine: CallContext = { actor: 'engine', source: 'engine' };
      const crossed = {
        ...marketContext(market, 'AAPL'),
        quote: { ...quote, ask: limitPrice, askSize: 1000 },
      };
      const version = orderVersion(resting);
      const filled = await service.fill(accountId, resting.id, crossed, engine, version);
      expect(filled.order?.status).to.equal('filled');
      const fillEvent = filled.events.find((e) => e.type === 'OrderFilled');
      expect(fillEvent?.data).to.deep.include({ fillId: engineFillId(resting) });
      // The same command again (a replay after a crash): refused before deciding.
      try {
        await service.fill(accountId, resting.id, crossed, engine, version);
        expect.fail('replayed fill');
      } catch (error) {
        expect(error).to.be.instanceOf(StaleOrderVersion);
      }
      try {
        await service.fill(accountId, 'missing', crossed, engine);
        expect.fail('unknown order');
      } catch (error) {
        expect(error).to.be.instanceOf(DomainError);
      }
    });

    it('triggers stops, moves trailing water marks and expires day orders', async () => {
      const accountId = await opened();
      await service.placeOrder(accountId, order({ qty: '100' }), {}, cli);
      const quote = market.latestQuote('AAPL');
      if (!quote) throw new Error('no quote');
      const last = Number(quote.last);
      const stop = await service.placeOrder(
        accountId,
        order({ side: 'sell', type: 'stop', stopPrice: (last - 5).toFixed(2), qty: '10' }),
        {},
        cli,
      );
      const engine: CallContext = { actor: 'engine', source: 'engine' };
      const fell = {
        ...marketContext(market, 'AAPL'),
        quote: {
          ...quote,
          last: (last - 6).toFixed(2),
          bid: (last - 6.01).toFixed(2),
          ask: (last - 5.99).toFixed(2),
        },
      };
      const triggered = await service.trigger(accountId, stop.orderId, fell, engine);
      expect(triggered.events.map((e) => e.type)).to.deep.equal(['OrderTriggered', 'OrderFilled']);
      const trailing = await service.placeOrder(
        accountId,
        order({ side: 'sell', type: 'trailing_stop', trailPrice: '5', qty: '10' }),
        {},
        cli,
      );
      const rose = {
        ...marketContext(market, 'AAPL'),
        quote: { ...quote, last: (last + 3).toFixed(2) },
      };
      const marked = await service.updateWaterMark(accountId, trailing.orderId, rose, engine);
      expect(marked.order?.hwm).to.equal((last + 3).toFixed(2));
      const afterClose = { ...marketContext(market, 'AAPL'), now: '2025-03-03T21:00:01.000Z' };
      const expired = await service.expire(accountId, trailing.orderId, afterClose, engine);
      expect(expired.order?.status).to.equal('expired');
    });
  });
}
