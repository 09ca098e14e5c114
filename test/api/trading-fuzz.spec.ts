/**
 * fast-check fuzzing of the trading bodies: whatever a client sends to open an account, place,
 * preview or replace an order, the API answers 2xx or a 4xx problem+json — never a 5xx — and
 * invalid input writes nothing to the account stream (a well-formed order the venue rejects is
 * recorded once, as its `OrderRejected` event).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { allOrders } from '../../src/domain/account/order-lookup.ts';
import { startApiServer, type ApiServer } from '../support/api.ts';
import { call, newUser, openAccount, type TestUser } from '../support/api-client.ts';

const decimalish = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom('1', '0', '-1', '1e400', '0.000000001', 'NaN', '', ' 5 ', '1,5', '10.123456789'),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.boolean(),
);

const orderBody = fc.record(
  {
    symbol: fc.oneof(fc.constantFrom('AAPL', 'aapl', 'ZZZZZ', '', 'BRK.B', 'SPY'), fc.string()),
    qty: decimalish,
    notional: decimalish,
    side: fc.oneof(fc.constantFrom('buy', 'sell', 'BUY'), fc.string()),
    type: fc.oneof(
      fc.constantFrom('market', 'limit', 'stop', 'stop_limit', 'trailing_stop'),
      fc.string(),
    ),
    time_in_force: fc.oneof(fc.constantFrom('day', 'gtc', 'ioc', 'fok', 'opg', 'cls'), fc.string()),
    limit_price: decimalish,
    stop_price: decimalish,
    trail_price: decimalish,
    trail_percent: decimalish,
    extended_hours: fc.oneof(fc.boolean(), fc.string()),
    client_order_id: fc.oneof(fc.string({ maxLength: 140 }), fc.integer()),
    order_class: fc.oneof(fc.constantFrom('simple', 'bracket', 'oco', 'oto'), fc.string()),
    take_profit: fc.oneof(fc.record({ limit_price: decimalish }), fc.string()),
    stop_loss: fc.oneof(
      fc.record({ stop_price: decimalish, limit_price: decimalish }),
      fc.string(),
    ),
  },
  { requiredKeys: [] },
);

/** Well-formed orders, some of which the venue rejects (unknown symbol, buying power, ticks). */
const wellFormed = fc.record({
  symbol: fc.constantFrom('AAPL', 'MSFT', 'ZZZZZ', 'SPY'),
  qty: fc.constantFrom('1', '2', '1000000', '0.5'),
  side: fc.constantFrom('buy', 'sell'),
  type: fc.constant('limit'),
  time_in_force: fc.constantFrom('day', 'gtc'),
  limit_price: fc.constantFrom('1.00', '100.001', '5000', '0.5'),
});

const anyJson = fc.oneof(
  orderBody,
  wellFormed,
  fc.jsonValue(),
  fc.array(orderBody, { maxLength: 2 }),
);

function answered(status: number, type: string): boolean {
  if (status >= 500) return false;
  if (status >= 400) return type === 'application/problem+json';
  return status === 200 || status === 201 || status === 204;
}

describe('trading bodies under fuzzing', function () {
  this.timeout(180_000);
  let server: ApiServer;
  let trader: TestUser;
  let accountId: string;

  before(async () => {
    server = await startApiServer();
    trader = await newUser(server);
    accountId = (await openAccount(server, trader, '1000000')).id;
  });
  after(async () => {
    await server.close();
  });

  it('POST /accounts answers 201 or a 4xx problem, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record(
            { name: fc.oneof(fc.string(), fc.integer()), initial_cash: decimalish },
            {
              requiredKeys: [],
            },
          ),
          fc.jsonValue(),
        ),
        async (body) => {
          const res = await call(server, 'POST', '/accounts', { token: trader.token, body });
          expect(answered(res.status, res.type), `${res.status} ${JSON.stringify(res.body)}`).to.be
            .true;
        },
      ),
      { numRuns: 60 },
    );
  });

  it('order placement, preview and replace answer 2xx or a 4xx problem, and a refused body writes nothing', async () => {
    const events = async (): Promise<number> => {
      const { state } = await server.composition.parts.accounts.load(accountId);
      return allOrders(state).length + state.rejections.size;
    };
    await fc.assert(
      fc.asyncProperty(
        anyJson,
        fc.constantFrom('place', 'preview', 'replace'),
        async (body, op) => {
          const before = await events();
          const path =
            op === 'place'
              ? `/accounts/${accountId}/orders`
              : op === 'preview'
                ? `/accounts/${accountId}/orders/preview`
                : `/accounts/${accountId}/orders/00000000-0000-4000-8000-000000000000`;
          const res = await call(server, op === 'replace' ? 'PATCH' : 'POST', path, {
            token: trader.token,
            body,
          });
          expect(answered(res.status, res.type), `${op} ${res.status} ${JSON.stringify(res.body)}`)
            .to.be.true;
          const after = await events();
          if (op !== 'place' || (res.status >= 400 && res.body.order_id === undefined)) {
            // Invalid input (and every preview) writes nothing.
            expect(after).to.equal(before);
          } else if (res.status === 422) {
            // A well-formed order the venue rejects is recorded once, as its rejection.
            const { state } = await server.composition.parts.accounts.load(accountId);
            expect(state.rejections.has(String(res.body.order_id))).to.equal(true);
            expect(after).to.equal(before + 1);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a body that is not JSON is a 400 problem, not a crash', async () => {
    const res = await fetch(`${server.api}/accounts/${accountId}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${trader.token}` },
      body: '{"symbol": "AAPL", "qty": ',
    });
    expect(res.status).to.equal(400);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
  });
});
