/**
 * The trading API through a real HTTP port, on embedded PGlite and on PostgreSQL: the whole
 * flow a new user walks, then every error path with its problem+json `code`.
 */
import { expect } from 'chai';
import type { z } from 'zod';
import {
  AccountSchema,
  CancelAllResult,
  CashMovementResult,
  EventPage,
  FillPage,
  OrderPage,
  OrderSchema,
  PortfolioHistorySchema,
  PositionList,
  PositionSchema,
  PreviewSchema,
} from '../../src/api/v1/schemas.ts';
import type { SimulatedClock, SimulatedMarket } from '../../src/market/index.ts';
import { freshPostgresDatabase, startApiServer, type ApiServer } from '../support/api.ts';
import {
  call,
  conforms,
  eventPosition as position,
  problem,
  type Reply,
  type TestUser,
} from '../support/api-client.ts';
import { eventually, testMarket } from '../support/api-market.ts';
import { dec, fmt } from '../../src/domain/money.ts';

/** A price as the API writes it: the exact decimal without trailing zeros ("371.80" → "371.8"). */
const exact = (price: string): string => fmt(dec(price));

type Json = Record<string, unknown>;

interface Database {
  readonly url?: string;
  drop?(): Promise<void>;
}

function tradingSuite(label: string, database: (ctx: Mocha.Context) => Promise<Database>) {
  describe(`trading API over HTTP (${label})`, function () {
    this.timeout(60_000);
    let server: ApiServer;
    let market: SimulatedMarket;
    let clock: SimulatedClock;
    let db: Database = {};

    before(async function () {
      db = await database(this);
      ({ market, clock } = testMarket());
      server = await startApiServer({
        ...(db.url === undefined ? {} : { databaseUrl: db.url }),
        market,
      });
    });

    after(async () => {
      await server.close();
      await db.drop?.();
    });

    describe('the whole flow of a new user', () => {
      let user: TestUser;
      let accountId: string;
      let lastWrite = 0;
      const read = (path: string): Promise<Reply> =>
        call(server, 'GET', path, {
          token: user.token,
          headers: { 'X-Min-Position': String(lastWrite) },
        });

      it('registers, logs in and opens an account', async () => {
        const email = `flow-${label}-${Date.now()}@example.com`;
        const registered = await call(server, 'POST', '/auth/register', {
          body: { email, password: 'correct horse battery staple' },
        });
        expect(registered.status).to.equal(201);
        const login = await call(server, 'POST', '/auth/login', {
          body: { email, password: 'correct horse battery staple' },
        });
        expect(login.status).to.equal(200);
        user = {
          userId: String(login.body.user_id),
          email,
          token: String(login.body.access_token),
        };

        const opened = await call(server, 'POST', '/accounts', {
          token: user.token,
          body: { name: 'Main', initial_cash: 100000 },
        });
        expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
        conforms(AccountSchema, opened);
        lastWrite = position(opened);
        accountId = String(opened.body.id);
        expect(opened.headers.get('location')).to.equal(`/api/v1/accounts/${accountId}`);
        expect(opened.body).to.include({
          name: 'Main',
          owner_id: user.userId,
          cash: '100000',
          buying_power: '100000',
          status: 'ACTIVE',
        });

        const account = await read(`/accounts/${accountId}`);
        expect(account.status).to.equal(200);
        conforms(AccountSchema, account);
        expect(account.body).to.include({ id: accountId, cash: '100000', equity: '100000' });
        const list = await read('/accounts');
        expect((list.body.items as Json[]).map((a) => a.id)).to.deep.equal([accountId]);
      });

      it('buys at the market: filled at the ask, a position appears', async () => {
        const quote = market.latestQuote('AAPL');
        if (!quote) throw new Error('no AAPL quote');
        const bought = await call(server, 'POST', `/accounts/${accountId}/orders`, {
          token: user.token,
          body: {
            symbol: 'aapl',
            qty: '10',
            side: 'buy',
            type: 'market',
            client_order_id: 'buy-1',
          },
        });
        expect(bought.status, JSON.stringify(bought.body)).to.equal(201);
        conforms(OrderSchema, bought);
        lastWrite = position(bought);
        expect(bought.body).to.include({
          symbol: 'AAPL',
          status: 'filled',
          filled_qty: '10',
          filled_avg_price: exact(quote.ask),
          client_order_id: 'buy-1',
        });

        const positions = await read(`/accounts/${accountId}/positions`);
        expect(positions.status).to.equal(200);
        conforms(PositionList, positions);
        const [pos] = positions.body.items as Json[];
        expect(pos).to.include({
          symbol: 'AAPL',
          qty: '10',
          avg_entry_price: exact(quote.ask),
          side: 'long',
        });
        const one = await read(`/accounts/${accountId}/positions/AAPL`);
        conforms(PositionSchema, one);
        expect(one.body.cost_basis).to.equal(fmt(dec(quote.ask).times(10)));
      });

      it('retrying the same client_order_id answers the original order, writing nothing', async () => {
        const retry = await call(server, 'POST', `/accounts/${accountId}/orders`, {
          token: user.token,
          body: {
            symbol: 'AAPL',
            qty: '10',
            side: 'buy',
            type: 'market',
            client_order_id: 'buy-1',
          },
        });
        expect(retry.status).to.equal(200);
        expect(retry.headers.get('x-event-position')).to.equal(null);
        expect(retry.body.client_order_id).to.equal('buy-1');
        const positions = await read(`/accounts/${accountId}/positions/AAPL`);
        expect(positions.body.qty).to.equal('10');
      });

      let sellId: string;
      it('places a limit sell above the bid: it rests, and the engine fills it when the market gets there', async () => {
        const bid = market.latestQuote('AAPL')?.bid ?? '0';
        const limit = (Number(bid) + 0.05).toFixed(2);
        const placed = await call(server, 'POST', `/accounts/${accountId}/orders`, {
          token: user.token,
          body: {
            symbol: 'AAPL',
            qty: 10,
            side: 'sell',
            type: 'limit',
            limit_price: Number(limit),
            time_in_force: 'gtc',
          },
        });
        expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
        lastWrite = position(placed);
        sellId = String(placed.body.id);
        expect(placed.body).to.include({ status: 'new', limit_price: exact(limit) });

        const open = await read(`/accounts/${accountId}/orders?status=open`);
        conforms(OrderPage, open);
        expect((open.body.items as Json[]).map((o) => o.id)).to.deep.equal([sellId]);

        // Move the simulated market until the bid reaches the limit, then let the engine work.
        for (let i = 0; i < 20_000; i += 1) {
          clock.advance(1000);
          if (Number(market.latestQuote('AAPL')?.bid ?? 0) >= Number(limit)) break;
        }
        expect(Number(market.latestQuote('AAPL')?.bid)).to.be.at.least(Number(limit));
        const filled = await eventually(async () => {
          const order = await call(server, 'GET', `/accounts/${accountId}/orders/${sellId}`, {
            token: user.token,
          });
          return order.body.status === 'filled' ? order : undefined;
        }, 'the engine to fill the limit sell');
        conforms(OrderSchema, filled);
        expect(Number(filled.body.filled_avg_price)).to.be.at.least(Number(limit));
        lastWrite = Number(filled.body.event_position);
      });

      it('shows the fills with the quote that priced each one', async () => {
        const fills = await read(`/accounts/${accountId}/fills?direction=asc`);
        expect(fills.status).to.equal(200);
        conforms(FillPage, fills);
        const items = fills.body.items as Json[];
        expect(items.map((f) => f.side)).to.deep.equal(['buy', 'sell']);
        const sell = items[1] as Json & { quote: Json };
        expect(sell).to.include({ order_id: sellId, qty: '10' });
        expect(sell.quote.symbol).to.equal('AAPL');
        expect(Number(sell.price)).to.be.at.most(Number(sell.quote.bid));
        expect(sell).to.have.property('commission');
        const positions = await read(`/accounts/${accountId}/positions`);
        expect(positions.body.items).to.deep.equal([]);
        const closed = await read(`/accounts/${accountId}/orders?status=closed`);
        expect((closed.body.items as Json[]).length).to.equal(2);
      });

      it('answers the portfolio history in Alpaca shape with exact decimals', async () => {
        const history = await read(`/accounts/${accountId}/portfolio/history?timeframe=1Min`);
        expect(history.status, JSON.stringify(history.body)).to.equal(200);
        conforms(PortfolioHistorySchema, history);
        const body = history.body as z.infer<typeof PortfolioHistorySchema>;
        expect(body.timestamp.length).to.be.greaterThan(0);
        expect(body.equity.length).to.equal(body.timestamp.length);
        expect(body.exact.equity.length).to.equal(body.timestamp.length);
        expect(body.exact.base_value).to.equal(body.exact.equity[0]);
        expect(body.base_value).to.equal(Number(body.exact.base_value));
        const withPeriod = await read(
          `/accounts/${accountId}/portfolio/history?period=1W&timeframe=1H`,
        );
        expect(withPeriod.status).to.equal(200);
      });

      it('pages the raw account stream by revision', async () => {
        const first = await read(`/accounts/${accountId}/events?limit=2`);
        expect(first.status).to.equal(200);
        conforms(EventPage, first);
        const items = first.body.items as Json[];
        expect(items.map((e) => e.type)).to.deep.equal(['AccountOpened', 'CashDeposited']);
        expect(items.map((e) => e.revision)).to.deep.equal([0, 1]);
        expect(first.body.next_cursor).to.equal('2');
        const rest = await read(`/accounts/${accountId}/events?limit=1000&cursor=2`);
        const types = (rest.body.items as Json[]).map((e) => e.type);
        expect(types).to.include.members(['OrderPlaced', 'OrderFilled']);
        expect(rest.body.next_cursor).to.equal(null);
        const last = await read(`/accounts/${accountId}/events?direction=backwards&limit=1`);
        expect((last.body.items as Json[])[0]?.type).to.equal('OrderFilled');
      });

      it('moves cash in and out, exactly', async () => {
        const deposit = await call(server, 'POST', `/accounts/${accountId}/deposits`, {
          token: user.token,
          body: { amount: 0.1 },
        });
        expect(deposit.status, JSON.stringify(deposit.body)).to.equal(201);
        conforms(CashMovementResult, deposit);
        position(deposit);
        const withdrawal = await call(server, 'POST', `/accounts/${accountId}/withdrawals`, {
          token: user.token,
          body: { amount: '0.20' },
        });
        expect(withdrawal.status).to.equal(201);
        lastWrite = position(withdrawal);
        const before = Number(deposit.body.cash);
        expect(withdrawal.body.cash).to.equal(String(Math.round((before - 0.2) * 100) / 100));
      });

      it('previews an order without writing anything', async () => {
        const before = await read(`/accounts/${accountId}/events?direction=backwards&limit=1`);
        const preview = await call(server, 'POST', `/accounts/${accountId}/orders/preview`, {
          token: user.token,
          body: { symbol: 'MSFT', qty: '3', side: 'buy', type: 'market' },
        });
        expect(preview.status, JSON.stringify(preview.body)).to.equal(200);
        conforms(PreviewSchema, preview);
        expect(preview.body.accepted).to.equal(true);
        expect(preview.headers.get('x-event-position')).to.equal(null);
        const events = (preview.body.events as Json[]).map((e) => e.type);
        expect(events).to.include('OrderPlaced');
        expect(Number(preview.body.buying_power_after)).to.be.lessThan(
          Number(preview.body.buying_power_before),
        );
        const after = await read(`/accounts/${accountId}/events?direction=backwards&limit=1`);
        expect((after.body.items as Json[])[0]?.revision).to.equal(
          (before.body.items as Json[])[0]?.revision,
        );
        const orders = await read(`/accounts/${accountId}/orders?status=all&symbols=MSFT`);
        expect(orders.body.items).to.deep.equal([]);
      });

      it('replaces and cancels a resting order, then cancels all', async () => {
        const placed = await call(server, 'POST', `/accounts/${accountId}/orders`, {
          token: user.token,
          body: {
            symbol: 'MSFT',
            qty: '1',
            side: 'buy',
            type: 'limit',
            limit_price: '1.00',
            time_in_force: 'gtc',
          },
        });
        expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
        const replaced = await call(
          server,
          'PATCH',
          `/accounts/${accountId}/orders/${String(placed.body.id)}`,
          {
            token: user.token,
            body: { qty: 2, limit_price: '1.50' },
          },
        );
        expect(replaced.status, JSON.stringify(replaced.body)).to.equal(200);
        conforms(OrderSchema, replaced);
        expect(replaced.body).to.include({
          replaces: placed.body.id,
          qty: '2',
          limit_price: '1.5',
        });
        lastWrite = position(replaced);
        const old = await read(`/accounts/${accountId}/orders/${String(placed.body.id)}`);
        expect(old.body.status).to.equal('replaced');

        const canceled = await call(
          server,
          'DELETE',
          `/accounts/${accountId}/orders/${String(replaced.body.id)}`,
          {
            token: user.token,
          },
        );
        expect(canceled.status).to.equal(200);
        expect(canceled.body.status).to.equal('canceled');
        position(canceled);
        const again = await call(
          server,
          'DELETE',
          `/accounts/${accountId}/orders/${String(replaced.body.id)}`,
          {
            token: user.token,
          },
        );
        problem(again, 422, 'order_not_cancelable');

        for (const price of ['1.01', '1.02']) {
          const r = await call(server, 'POST', `/accounts/${accountId}/orders`, {
            token: user.token,
            body: {
              symbol: 'MSFT',
              qty: '1',
              side: 'buy',
              type: 'limit',
              limit_price: price,
              time_in_force: 'gtc',
            },
          });
          expect(r.status).to.equal(201);
        }
        const all = await call(server, 'DELETE', `/accounts/${accountId}/orders`, {
          token: user.token,
        });
        expect(all.status).to.equal(200);
        conforms(CancelAllResult, all);
        expect((all.body.canceled as Json[]).map((o) => o.status)).to.deep.equal([
          'canceled',
          'canceled',
        ]);
        lastWrite = position(all);
        const open = await read(`/accounts/${accountId}/orders`);
        expect(open.body.items).to.deep.equal([]);
      });

      it('places a bracket order: the legs are nested and held until the entry fills', async () => {
        const placed = await call(server, 'POST', `/accounts/${accountId}/orders`, {
          token: user.token,
          body: {
            symbol: 'MSFT',
            qty: '2',
            side: 'buy',
            type: 'limit',
            limit_price: '10',
            time_in_force: 'gtc',
            order_class: 'bracket',
            take_profit: { limit_price: 12 },
            stop_loss: { stop_price: '9', limit_price: '8.5' },
          },
        });
        expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
        conforms(OrderSchema, placed);
        lastWrite = position(placed);
        const legs = placed.body.legs as Json[];
        expect(legs.map((l) => [l.leg_role, l.status, l.side])).to.deep.equal([
          ['take_profit', 'held', 'sell'],
          ['stop_loss', 'held', 'sell'],
        ]);
        expect(legs[0]?.limit_price).to.equal('12');
        const again = await read(`/accounts/${accountId}/orders/${String(placed.body.id)}`);
        expect((again.body.legs as Json[]).map((l) => l.id)).to.deep.equal(legs.map((l) => l.id));
        const canceled = await call(server, 'DELETE', `/accounts/${accountId}/orders`, {
          token: user.token,
        });
        expect((canceled.body.canceled as Json[]).length).to.be.at.least(1);
      });

      it('finds an order by its client_order_id', async () => {
        const found = await read(
          `/accounts/${accountId}/orders/by_client_order_id?client_order_id=buy-1`,
        );
        expect(found.status).to.equal(200);
        expect(found.body).to.include({ client_order_id: 'buy-1', side: 'buy' });
        const missing = await read(
          `/accounts/${accountId}/orders/by_client_order_id?client_order_id=nope`,
        );
        problem(missing, 404, 'order_not_found');
      });
    });
  });
}

tradingSuite('PGlite', () => Promise.resolve({}));
tradingSuite('PostgreSQL', (ctx) => freshPostgresDatabase(ctx));
