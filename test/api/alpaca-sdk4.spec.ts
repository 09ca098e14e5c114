/**
 * The official Alpaca SDK 4.x (`@alpacahq/alpaca-trade-api`, unmodified) against `/v2` on a
 * real port: pointed here through its `fetchApi` option (REST) and `stream({ url })`
 * (`trade_updates`), walking a whole bot flow, then every error path a bot meets.
 */
import { expect } from 'chai';
import { Alpaca } from '@alpacahq/alpaca-trade-api';
import type { SimulatedClock, SimulatedMarket } from '../../src/market/index.ts';
import type { ApiServer } from '../support/api.ts';
import { call, newUser, openAccount } from '../support/api-client.ts';
import { eventually, testMarket } from '../support/api-market.ts';
import {
  alpacaKey,
  alpacaTrader,
  startAlpacaServer,
  v2,
  type AlpacaTrader,
} from './alpaca-harness.ts';

const PAPER = 'https://paper-api.alpaca.markets';
const DATA = 'https://data.alpaca.markets';

type TradeUpdate = Parameters<
  Parameters<ReturnType<Alpaca['trading']['stream']>['onTradeUpdate']>[0]
>[0];

/** A 4.x client whose REST calls go to `server` (the one line a 4.x bot changes). */
function client(server: ApiServer, key: { keyId: string; secret: string }): Alpaca {
  return new Alpaca({
    keyId: key.keyId,
    secret: key.secret,
    paper: true,
    maxRetries: 0,
    fetchApi: (url: string | URL | Request, init?: RequestInit) =>
      fetch(
        (url instanceof Request ? url.url : url.toString())
          .replace(PAPER, server.origin)
          .replace(DATA, server.origin),
        init,
      ),
  } as ConstructorParameters<typeof Alpaca>[0]);
}

function streamUrl(server: ApiServer): string {
  return `${server.origin.replace(/^http/, 'ws')}/stream`;
}

/** The error a promise rejects with. */
async function failure(
  promise: Promise<unknown>,
): Promise<Error & { status?: number; code?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { status?: number; code?: unknown };
  }
  throw new Error('expected the call to fail');
}

describe('Alpaca SDK 4.x against /v2', function () {
  this.timeout(60_000);
  let server: ApiServer;
  let market: SimulatedMarket;
  let clock: SimulatedClock;
  let trader: AlpacaTrader;
  let alpaca: Alpaca;

  before(async () => {
    ({ market, clock } = testMarket());
    server = await startAlpacaServer(market);
    trader = await alpacaTrader(server);
    alpaca = client(server, trader.key);
  });

  after(async () => {
    await server.close();
  });

  describe('the whole bot flow', () => {
    let buyId = '';
    let sellId = '';
    let replacedId = '';

    it('validates the connection and reads the account', async () => {
      const check = await alpaca.trading.validateConnection();
      expect(check.ok).to.equal(true);
      const account = await alpaca.trading.account.getAccount();
      expect(account.id).to.equal(trader.accountId);
      expect(account.status).to.equal('ACTIVE');
      expect(account.cash).to.equal('100000');
      expect(account.buyingPower).to.equal('100000');
      expect((account as unknown as Record<string, unknown>).pattern_day_trader).to.equal(false);
      const config = await alpaca.trading.accountConfigurations.getAccountConfig();
      expect(config.fractionalTrading).to.equal(true);
    });

    it('reads the clock, the calendar and the assets', async () => {
      const clockNow = await alpaca.trading.clock.legacyClock();
      expect(clockNow.isOpen).to.equal(true);
      expect(clockNow.timestamp.getTime()).to.equal(clock.now().getTime());
      expect(clockNow.nextClose.getTime()).to.be.greaterThan(clockNow.timestamp.getTime());
      const days = await alpaca.trading.calendar.legacyCalendar({
        start: new Date('2025-11-24T00:00:00.000Z'),
        end: new Date('2025-11-28T00:00:00.000Z'),
      });
      expect(days.map((d) => d.open + '-' + d.close)).to.deep.equal([
        '09:30-16:00',
        '09:30-16:00',
        '09:30-16:00',
        '09:30-13:00',
      ]);
      expect(days[3]?.sessionClose).to.equal('1700');
      const assets = await alpaca.trading.assets.getV2Assets({ status: 'active' });
      expect(assets.map((a) => a.symbol)).to.include('AAPL');
      const aapl = await alpaca.trading.assets.getV2AssetsSymbolOrAssetId({
        symbolOrAssetId: 'AAPL',
      });
      expect(aapl.tradable).to.equal(true);
      expect(aapl._class).to.equal('us_equity');
      const byId = await alpaca.trading.assets.getV2AssetsSymbolOrAssetId({
        symbolOrAssetId: aapl.id,
      });
      expect(byId.symbol).to.equal('AAPL');
    });

    it('reads market data on the same origin', async () => {
      const price = await alpaca.marketData.getLatestPrice('AAPL');
      const quote = market.latestQuote('AAPL');
      expect(price).to.equal(Number(quote?.last));
      const latest = await alpaca.marketData.stocks.stockLatestQuoteSingle({ symbol: 'AAPL' });
      expect(latest.quote.ap).to.equal(Number(quote?.ask));
      expect(latest.quote.bp).to.equal(Number(quote?.bid));
    });

    it('buys at market with a client_order_id and waits for the fill over the stream', async () => {
      // A stream of one's own is connected by the caller; submitAndWait subscribes and waits for
      // the `listening` acknowledgement before it places the order.
      const stream = alpaca.trading.stream({ url: streamUrl(server) });
      stream.connect();
      try {
        const filled = await alpaca.trading.submitAndWait(
          { type: 'market', symbol: 'AAPL', side: 'buy', qty: 10, clientOrderId: 'bot-buy-1' },
          { stream, timeoutMs: 20_000 },
        );
        expect(filled.status).to.equal('filled');
        expect(filled.filledQty).to.equal('10');
        expect(filled.clientOrderId).to.equal('bot-buy-1');
        buyId = filled.id ?? '';
      } finally {
        stream.disconnect();
      }
    });

    it('reads the order back by client order id and by id', async () => {
      const byClient = await alpaca.trading.orders.getOrderByClientOrderId({
        clientOrderId: 'bot-buy-1',
      });
      expect(byClient.id).to.equal(buyId);
      expect(byClient.status).to.equal('filled');
      const byId = await alpaca.trading.orders.getOrderByOrderID({ orderId: buyId });
      expect(byId.clientOrderId).to.equal('bot-buy-1');
      expect(Number(byId.filledAvgPrice)).to.equal(Number(market.latestQuote('AAPL')?.ask));
    });

    it('lists the position', async () => {
      const positions = await alpaca.trading.positions.getAllOpenPositions();
      expect(positions).to.have.length(1);
      expect(positions[0]?.symbol).to.equal('AAPL');
      expect(positions[0]?.qty).to.equal('10');
      expect(positions[0]?.side).to.equal('long');
      const one = await alpaca.trading.positions.getOpenPosition({ symbolOrAssetId: 'AAPL' });
      expect(Number(one.avgEntryPrice)).to.equal(Number(market.latestQuote('AAPL')?.ask));
    });

    it('places a limit sell above the market, replaces it, cancels it', async () => {
      const bid = Number(market.latestQuote('AAPL')?.bid);
      const limit = await alpaca.trading.orders.limit({
        symbol: 'AAPL',
        side: 'sell',
        qty: 5,
        limitPrice: Math.round((bid + 50) * 100) / 100,
        timeInForce: 'gtc',
      });
      expect(limit.status).to.equal('new');
      sellId = limit.id ?? '';
      const replaced = await alpaca.trading.orders.patchOrderByOrderId({
        orderId: sellId,
        patchOrderRequest: { qty: 4, limitPrice: Math.round((bid + 60) * 100) / 100 } as never,
      });
      expect(replaced.id).not.to.equal(sellId);
      expect(replaced.replaces).to.equal(sellId);
      expect(replaced.qty).to.equal('4');
      replacedId = replaced.id ?? '';
      const old = await alpaca.trading.orders.getOrderByOrderID({ orderId: sellId });
      expect(old.status).to.equal('replaced');
      await alpaca.trading.orders.deleteOrderByOrderID({ orderId: replacedId });
      const canceled = await alpaca.trading.orders.getOrderByOrderID({ orderId: replacedId });
      expect(canceled.status).to.equal('canceled');
    });

    it('lists closed orders', async () => {
      const closed = await alpaca.trading.orders.getAllOrders({ status: 'closed', limit: 10 });
      expect(closed.map((o) => o.id)).to.include.members([buyId, sellId, replacedId]);
      const open = await alpaca.trading.orders.getAllOrders({});
      expect(open).to.deep.equal([]);
      const bySymbol = await alpaca.trading.orders.getAllOrders({
        status: 'all',
        symbols: 'AAPL,MSFT',
        side: 'buy',
      });
      expect(bySymbol.map((o) => o.id)).to.deep.equal([buyId]);
    });

    it('closes the position with a market order', async () => {
      const closing = await alpaca.trading.positions.deleteOpenPosition({
        symbolOrAssetId: 'AAPL',
      });
      expect(closing.side).to.equal('sell');
      expect(closing.qty).to.equal('10');
      expect(closing.status).to.equal('filled');
      expect(await alpaca.trading.positions.getAllOpenPositions()).to.deep.equal([]);
    });

    it('reads portfolio history and activities', async () => {
      clock.advance(120_000);
      const history = await alpaca.trading.portfolioHistory.getAccountPortfolioHistory({
        period: '1D',
        timeframe: '1Min',
      });
      expect(history.timestamp.length).to.be.greaterThan(0);
      expect(history.equity.length).to.equal(history.timestamp.length);
      expect(history.timeframe).to.equal('1Min');
      const activities = await alpaca.trading.accountActivities.getAccountActivities({
        activityTypes: ['FILL'],
      });
      expect(activities).to.have.length(2);
      const fills = activities as unknown as Record<string, unknown>[];
      expect(fills.map((a) => a.side)).to.deep.equal(['sell', 'buy']);
      expect(fills[1]?.order_id).to.equal(buyId);
      const collected = await alpaca.trading.collectActivities({
        activityTypes: ['FILL'],
        pageSize: 1,
      });
      expect(collected.map((a) => (a as unknown as Record<string, unknown>).id)).to.deep.equal(
        fills.map((a) => a.id),
      );
    });

    it('left its orders visible in /api/v1 with source alpaca-v2 in the audit log', async () => {
      const orders = await call(server, 'GET', `/accounts/${trader.accountId}/orders?status=all`, {
        token: trader.user.token,
      });
      const ids = (orders.body.items as { id: string }[]).map((o) => o.id);
      expect(ids).to.include.members([buyId, sellId, replacedId]);
      const events = await server.composition.parts.accountEvents.read(
        { userId: trader.user.userId, roles: ['trader'], via: 'access_token' },
        trader.accountId,
        { limit: 100 },
      );
      const placed = events.items.find(
        (e) => e.type === 'OrderPlaced' && (e.data as { order: { id: string } }).order.id === buyId,
      );
      expect(placed?.metadata.source).to.equal('alpaca-v2');
      expect(placed?.metadata.actor).to.match(/^apikey:/);
    });
  });

  describe('trade_updates', () => {
    it('streams new, fill, canceled and replaced updates with position_qty', async () => {
      const stream = alpaca.trading.stream({ url: streamUrl(server) });
      const updates: TradeUpdate[] = [];
      stream.onTradeUpdate((u) => updates.push(u));
      const listening = new Promise<void>((resolve) => {
        stream.on('subscription', () => {
          resolve();
        });
      });
      stream.onConnect(() => {
        stream.subscribeTradeUpdates();
      });
      stream.connect();
      await listening;
      try {
        const buy = await alpaca.trading.orders.market({ symbol: 'MSFT', side: 'buy', qty: 3 });
        const bid = Number(market.latestQuote('MSFT')?.bid);
        const rest = await alpaca.trading.orders.limit({
          symbol: 'MSFT',
          side: 'sell',
          qty: 1,
          limitPrice: Math.round((bid + 40) * 100) / 100,
          timeInForce: 'day',
        });
        await alpaca.trading.orders.patchOrderByOrderId({
          orderId: rest.id ?? '',
          patchOrderRequest: { qty: '2' },
        });
        await alpaca.trading.orders.deleteAllOrders();
        await eventually(
          async () => Promise.resolve(updates.length >= 6 ? true : undefined),
          'updates',
        );
        const seen = updates.map(
          (u) =>
            `${u.event}:${u.order.id === buy.id ? 'buy' : u.order.id === rest.id ? 'rest' : 'new'}`,
        );
        expect(seen).to.deep.equal([
          'new:buy',
          'fill:buy',
          'new:rest',
          'replaced:rest',
          'new:new',
          'canceled:new',
        ]);
        const fill = updates[1];
        expect(fill?.positionQty).to.equal('3');
        expect(fill?.qty).to.equal('3');
        expect(Number(fill?.price)).to.equal(Number(market.latestQuote('MSFT')?.ask));
        expect(fill?.timestamp).to.be.instanceOf(Date);
        expect(fill?.order.status).to.equal('filled');
      } finally {
        stream.disconnect();
      }
    });

    it('refuses a bad key with an authorization failure', async () => {
      const stream = new Alpaca({
        keyId: trader.key.keyId,
        secret: 'wrong',
        paper: true,
      }).trading.stream({
        url: streamUrl(server),
      });
      stream.connect();
      const result = await stream.whenAuthenticated();
      expect(result.authenticated).to.equal(false);
      stream.disconnect();
    });
  });

  describe('errors a bot meets', () => {
    it('insufficient buying power is a 403 PermissionError', async () => {
      const error = await failure(
        alpaca.trading.orders.market({ symbol: 'AAPL', side: 'buy', qty: 100000 }),
      );
      expect(error.name).to.equal('PermissionError');
      expect(error.status).to.equal(403);
      expect(error.code).to.equal(40310000);
    });

    it('an unknown symbol is a 422 ValidationError', async () => {
      const error = await failure(
        alpaca.trading.orders.market({ symbol: 'NOPE', side: 'buy', qty: 1 }),
      );
      expect(error.name).to.equal('ValidationError');
      expect(error.status).to.equal(422);
      expect(error.message).to.include('NOPE');
    });

    it('a bad qty is a 422 ValidationError naming qty', async () => {
      const error = await failure(
        alpaca.trading.orders.market({ symbol: 'AAPL', side: 'buy', qty: -1 }),
      );
      expect(error.name).to.equal('ValidationError');
      expect(error.message).to.include('qty');
    });

    it("another tenant's order is a 404 NotFoundError", async () => {
      const other = await alpacaTrader(server);
      const theirs = await client(server, other.key).trading.orders.market({
        symbol: 'AAPL',
        side: 'buy',
        qty: 1,
      });
      const error = await failure(
        alpaca.trading.orders.getOrderByOrderID({ orderId: theirs.id ?? '' }),
      );
      expect(error.name).to.equal('NotFoundError');
      expect(error.code).to.equal(40410000);
      const cancel = await failure(
        alpaca.trading.orders.deleteOrderByOrderID({ orderId: theirs.id ?? '' }),
      );
      expect(cancel.name).to.equal('NotFoundError');
    });

    it('a bad key is a 401 AuthError', async () => {
      const error = await failure(
        client(server, { keyId: trader.key.keyId, secret: 'x' }).trading.account.getAccount(),
      );
      expect(error.name).to.equal('AuthError');
      expect(error.status).to.equal(401);
    });

    it('an unknown order by client order id is a 404', async () => {
      const error = await failure(
        alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId: 'never' }),
      );
      expect(error.name).to.equal('NotFoundError');
    });
  });

  describe('keys and accounts', () => {
    it('a key without an account acts on the oldest account of its user; no account is a 403', async () => {
      const user = await newUser(server, ['trader'], 'unbound');
      const key = await alpacaKey(server, user);
      const none = await v2(server, 'GET', '/v2/account', key);
      expect(none.status).to.equal(403);
      expect((none.body as { code: number }).code).to.equal(40310000);
      const first = await openAccount(server, user, '5000', 'First');
      await openAccount(server, user, '7000', 'Second');
      const account = await client(server, key).trading.account.getAccount();
      expect(account.id).to.equal(first.id);
    });

    it("binding a key to another user's account is refused and writes nothing", async () => {
      const user = await newUser(server, ['trader'], 'binder');
      const res = await call(server, 'POST', '/me/api-keys', {
        token: user.token,
        body: { name: 'x', scopes: ['trade'], account_id: trader.accountId },
      });
      expect(res.status).to.equal(422);
      expect(res.body.code).to.equal('invalid_account');
      const me = await call(server, 'GET', '/me', { token: user.token });
      expect(me.body.api_keys).to.deep.equal([]);
    });
  });
});
