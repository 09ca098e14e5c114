/**
 * Every error path of the trading API answers problem+json with a stable `code` (and the
 * offending field), and bad input writes nothing. On PGlite and PostgreSQL.
 */
import { expect } from 'chai';
import { SYSTEM_PRINCIPAL } from '../../src/commands/policy.ts';
import { freshPostgresDatabase, startApiServer, type ApiServer } from '../support/api.ts';
import {
  call,
  eventPosition,
  newUser,
  openAccount,
  problem,
  type Reply,
  type TestUser,
} from '../support/api-client.ts';

type Json = Record<string, unknown>;

interface Database {
  readonly url?: string;
  drop?(): Promise<void>;
}

function errorSuite(label: string, database: (ctx: Mocha.Context) => Promise<Database>) {
  describe(`trading API error paths (${label})`, function () {
    this.timeout(60_000);
    let server: ApiServer;
    let db: Database = {};
    let owner: TestUser;
    let accountId: string;
    let orders: string;

    before(async function () {
      db = await database(this);
      server = await startApiServer({
        ...(db.url === undefined ? {} : { databaseUrl: db.url }),
        env: { READ_WAIT_MS: '300' },
      });
      owner = await newUser(server, ['trader'], 'owner');
      accountId = (await openAccount(server, owner, '1000')).id;
      orders = `/accounts/${accountId}/orders`;
    });

    after(async () => {
      await server.close();
      await db.drop?.();
    });

    /**
     * Runs `act` and checks it wrote no trading event (no `account-*` stream moved). What it
     * may append is the audit trail's record of the refused or rejected attempt (`audit-*`).
     */
    async function writesNothing(act: () => Promise<Reply>): Promise<Reply> {
      const store = server.composition.parts.eventStore;
      const before = await store.headPosition();
      const reply = await act();
      const appended = await store.readAll({ fromPosition: before + 1, maxCount: 100 });
      expect(
        appended
          .filter((e) => e.streamId.startsWith('account-'))
          .map((e) => `${e.streamId} ${e.type}`),
        'trading events written',
      ).to.deep.equal([]);
      expect(reply.headers.get('x-event-position')).to.equal(null);
      return reply;
    }

    /** Places as the owner (or `token`; `null` sends no token), checking nothing is written. */
    const place = (body: unknown, token: string | null = owner.token): Promise<Reply> =>
      writesNothing(() =>
        call(server, 'POST', orders, { ...(token === null ? {} : { token }), body }),
      );

    const market = { symbol: 'AAPL', qty: '1', side: 'buy', type: 'market' };

    describe('authentication', () => {
      it('401 unauthenticated without a token', async () => {
        const reply = await call(server, 'GET', `/accounts/${accountId}`);
        problem(reply, 401, 'unauthenticated');
        expect(reply.headers.get('www-authenticate')).to.match(/^Bearer/);
        problem(await place(market, null), 401, 'unauthenticated');
      });

      it('401 invalid_token with a bad token', async () => {
        problem(await call(server, 'GET', '/accounts', { token: 'nope' }), 401, 'invalid_token');
      });
    });

    describe('order validation (nothing written)', () => {
      it('a type that does not exist', async () => {
        problem(await place({ ...market, type: 'iceberg' }), 422, 'validation_failed', 'type');
        problem(
          await place({ symbol: 'AAPL', qty: '1', side: 'buy' }),
          422,
          'validation_failed',
          'type',
        );
      });

      it('a limit order without limit_price, a stop without stop_price', async () => {
        const noLimit = await place({ ...market, type: 'limit' });
        problem(noLimit, 422, 'validation_failed', 'limit_price');
        expect(noLimit.body.errors).to.deep.equal([
          { field: 'limit_price', message: 'is required' },
        ]);
        problem(await place({ ...market, type: 'stop' }), 422, 'validation_failed', 'stop_price');
        const reply = await place({ ...market, type: 'stop_limit', stop_price: '10' });
        problem(reply, 422, 'validation_failed', 'limit_price');
      });

      it('a field that does not apply to the type', async () => {
        const reply = await place({ ...market, limit_price: '10' });
        problem(reply, 422, 'validation_failed', 'limit_price');
      });

      it('bad decimals: not a number, negative, zero, too many places, absurd', async () => {
        problem(await place({ ...market, qty: '1.2.3' }), 422, 'validation_failed', 'qty');
        problem(await place({ ...market, qty: 'ten' }), 422, 'validation_failed', 'qty');
        problem(await place({ ...market, qty: -1 }), 422, 'validation_failed', 'qty');
        problem(await place({ ...market, qty: 0 }), 422, 'validation_failed', 'qty');
        problem(await place({ ...market, qty: '0.0000000001' }), 422, 'validation_failed', 'qty');
        problem(await place({ ...market, qty: 1e300 }), 422, 'validation_failed', 'qty');
        problem(
          await place({ ...market, type: 'limit', limit_price: '1.1234567891' }),
          422,
          'validation_failed',
          'limit_price',
        );
        problem(
          await place({ ...market, type: 'limit', limit_price: true }),
          422,
          'validation_failed',
          'limit_price',
        );
      });

      it('a JSON number is read exactly as written, not through a double', async () => {
        // 0.1 + 2^-60 rounds to the double 0.1; read exactly it has 19 places (> 9 allowed).
        const raw = `{"symbol":"AAPL","qty":0.1000000000000000001,"side":"buy","type":"market"}`;
        problem(await place(raw), 422, 'validation_failed', 'qty');
      });

      it('a trailing stop needs exactly one trail', async () => {
        const base = { ...market, side: 'sell', type: 'trailing_stop' };
        problem(await place(base), 422, 'validation_failed', 'trail_price');
        const both = await place({ ...base, trail_price: '1', trail_percent: '2' });
        problem(both, 422, 'validation_failed', 'trail_percent');
      });

      it('unknown and invalid symbols', async () => {
        problem(await place({ ...market, symbol: 'ZZZZ' }), 422, 'unknown_symbol', 'symbol');
        problem(await place({ ...market, symbol: '12$' }), 422, 'invalid_symbol', 'symbol');
      });

      it('notional orders are not supported yet', async () => {
        const { qty: _qty, ...noQty } = market;
        const reply = await place({ ...noQty, notional: '100' });
        problem(reply, 422, 'notional_not_supported', 'notional');
        problem(await place(noQty), 422, 'validation_failed', 'qty');
      });

      it('malformed JSON and a body that is not an object', async () => {
        problem(await place('{"symbol":'), 400, 'malformed_json');
        problem(await place('[1,2]'), 422, 'validation_failed');
      });

      it('an open account needs a name and whole-cent cash', async () => {
        const open = (body: unknown): Promise<Reply> =>
          writesNothing(() => call(server, 'POST', '/accounts', { token: owner.token, body }));
        problem(await open({ initial_cash: '10' }), 422, 'validation_failed', 'name');
        problem(
          await open({ name: 'x', initial_cash: '10.001' }),
          422,
          'validation_failed',
          'initial_cash',
        );
        problem(
          await open({ name: 'x', initial_cash: '-5' }),
          422,
          'validation_failed',
          'initial_cash',
        );
        problem(
          await open({ name: 'x', initial_cash: '5', extra: 1 }),
          422,
          'validation_failed',
          'extra',
        );
      });
    });

    describe('business rejections (recorded, answered 422 with the order id)', () => {
      it('insufficient buying power', async () => {
        const reply = await call(server, 'POST', orders, {
          token: owner.token,
          body: { ...market, qty: '1000', client_order_id: 'too-big' },
        });
        problem(reply, 422, 'insufficient_buying_power');
        const orderId = String(reply.body.order_id);
        expect(reply.body).to.include({
          client_order_id: 'too-big',
          reject_reason: 'insufficient_buying_power',
        });
        const written = eventPosition(reply);
        const order = await call(server, 'GET', `${orders}/${orderId}`, {
          token: owner.token,
          headers: { 'X-Min-Position': String(written) },
        });
        expect(order.status).to.equal(200);
        expect(order.body).to.include({
          status: 'rejected',
          reject_reason: 'insufficient_buying_power',
        });
        const retry = await writesNothing(() =>
          call(server, 'POST', orders, {
            token: owner.token,
            body: { ...market, qty: '1000', client_order_id: 'too-big' },
          }),
        );
        problem(retry, 422, 'insufficient_buying_power');
        expect(retry.body.order_id).to.equal(orderId);
      });

      it('a price off the tick grid names the price field', async () => {
        const reply = await call(server, 'POST', orders, {
          token: owner.token,
          body: { ...market, type: 'limit', limit_price: '1.001', time_in_force: 'gtc' },
        });
        problem(reply, 422, 'invalid_tick_size', 'limit_price');
      });

      it('withdrawing more than the cash', async () => {
        const reply = await writesNothing(() =>
          call(server, 'POST', `/accounts/${accountId}/withdrawals`, {
            token: owner.token,
            body: { amount: '1000000' },
          }),
        );
        problem(reply, 422, 'insufficient_funds');
      });
    });

    describe('unknown resources and tenancy', () => {
      it('an unknown order is 404 order_not_found for get, replace and cancel', async () => {
        const id = '00000000-0000-4000-8000-000000000000';
        problem(
          await call(server, 'GET', `${orders}/${id}`, { token: owner.token }),
          404,
          'order_not_found',
        );
        const cancel = await writesNothing(() =>
          call(server, 'DELETE', `${orders}/${id}`, { token: owner.token }),
        );
        problem(cancel, 404, 'order_not_found');
        const replace = await writesNothing(() =>
          call(server, 'PATCH', `${orders}/${id}`, { token: owner.token, body: { qty: '1' } }),
        );
        problem(replace, 404, 'order_not_found');
        problem(
          await call(server, 'GET', `${orders}/not%20an%20id`, { token: owner.token }),
          404,
          'order_not_found',
        );
      });

      it('an unknown account and another tenant’s account are both 404 account_not_found', async () => {
        const other = await newUser(server, ['trader'], 'other');
        for (const path of [
          `/accounts/${accountId}`,
          `/accounts/${accountId}/orders`,
          `/accounts/${accountId}/positions`,
          `/accounts/${accountId}/fills`,
          `/accounts/${accountId}/events`,
          `/accounts/${accountId}/portfolio/history`,
          '/accounts/00000000-0000-4000-8000-000000000000',
          '/accounts/..%2F..%2Fetc',
        ]) {
          problem(
            await call(server, 'GET', path, { token: other.token }),
            404,
            'account_not_found',
          );
        }
        problem(await place(market, other.token), 404, 'account_not_found');
      });

      it('a viewer trying to trade is 403 forbidden', async () => {
        const viewer = await newUser(server, ['trader'], 'viewer');
        const { id: own, position: opened } = await openAccount(server, viewer);
        const users = server.composition.parts.security.users;
        const ctx = { source: 'test' as const, correlationId: 'downgrade' };
        await users.grantRole(SYSTEM_PRINCIPAL, viewer.userId, 'viewer', ctx);
        await users.revokeRole(SYSTEM_PRINCIPAL, viewer.userId, 'trader', ctx);
        const reply = await writesNothing(() =>
          call(server, 'POST', `/accounts/${own}/orders`, { token: viewer.token, body: market }),
        );
        problem(reply, 403, 'forbidden');
        expect(
          (
            await call(server, 'GET', `/accounts/${own}`, {
              token: viewer.token,
              headers: { 'X-Min-Position': String(opened) },
            })
          ).status,
        ).to.equal(200);
        const open = await writesNothing(() =>
          call(server, 'POST', '/accounts', {
            token: viewer.token,
            body: { name: 'x', initial_cash: '1' },
          }),
        );
        problem(open, 403, 'forbidden');
      });
    });

    describe('lists, cursors and consistency headers', () => {
      it('a cursor that the list did not produce is 400 invalid_cursor', async () => {
        for (const path of [
          `${orders}?cursor=garbage`,
          `/accounts/${accountId}/fills?cursor=garbage`,
          '/accounts?cursor=garbage',
          `/accounts/${accountId}/events?cursor=garbage`,
        ]) {
          problem(
            await call(server, 'GET', path, { token: owner.token }),
            400,
            'invalid_cursor',
            'cursor',
          );
        }
      });

      it('bad query parameters are 422 naming the parameter', async () => {
        problem(
          await call(server, 'GET', `${orders}?status=bogus`, { token: owner.token }),
          422,
          'validation_failed',
          'status',
        );
        problem(
          await call(server, 'GET', `${orders}?limit=0`, { token: owner.token }),
          422,
          'validation_failed',
          'limit',
        );
        problem(
          await call(server, 'GET', `${orders}?after=yesterday`, { token: owner.token }),
          422,
          'validation_failed',
          'after',
        );
        problem(
          await call(server, 'GET', `${orders}?colour=red`, { token: owner.token }),
          422,
          'validation_failed',
          'colour',
        );
        problem(
          await call(server, 'GET', `/accounts/${accountId}/portfolio/history?timeframe=2Min`, {
            token: owner.token,
          }),
          422,
          'validation_failed',
          'timeframe',
        );
      });

      it('a replacement without changes is 422', async () => {
        const placed = await call(server, 'POST', orders, {
          token: owner.token,
          body: { ...market, type: 'limit', limit_price: '1', time_in_force: 'gtc' },
        });
        expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
        const reply = await writesNothing(() =>
          call(server, 'PATCH', `${orders}/${String(placed.body.id)}`, {
            token: owner.token,
            body: {},
          }),
        );
        problem(reply, 422, 'validation_failed');
      });

      it('X-Min-Position must be a position; one never reached is 503 projection_lag with Retry-After', async () => {
        const bad = await call(server, 'GET', `/accounts/${accountId}`, {
          token: owner.token,
          headers: { 'X-Min-Position': 'soon' },
        });
        problem(bad, 400, 'invalid_header', 'X-Min-Position');
        const started = Date.now();
        const lag = await call(server, 'GET', `/accounts/${accountId}`, {
          token: owner.token,
          headers: { 'X-Min-Position': '999999999999' },
        });
        problem(lag, 503, 'projection_lag');
        expect(lag.headers.get('retry-after')).to.match(/^\d+$/);
        expect(Date.now() - started).to.be.at.least(250);
      });
    });

    it('every problem carries the request id and the path', async () => {
      const reply = await call(server, 'GET', `${orders}/nope`, { token: owner.token });
      const body = reply.body as Json;
      expect(body.instance).to.equal(`/api/v1${orders}/nope`);
      expect(body.request_id).to.equal(reply.headers.get('x-request-id'));
    });
  });
}

errorSuite('PGlite', () => Promise.resolve({}));
errorSuite('PostgreSQL', (ctx) => freshPostgresDatabase(ctx));
