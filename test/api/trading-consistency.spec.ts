/**
 * Read-your-writes and pagination through HTTP: a client that sends back the
 * `X-Event-Position` of its write as `X-Min-Position` sees that write, under concurrent load;
 * a projection that cannot catch up in `READ_WAIT_MS` is a 503 `projection_lag`; lists page
 * with opaque cursors and never repeat or skip an item.
 */
import { expect } from 'chai';
import { startApiServer, type ApiServer } from '../support/api.ts';
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

const READ_WAIT_MS = 3000;

/** Follows `next_cursor` from `path` to the end; answers every page's ids. */
async function pages(
  server: ApiServer,
  token: string,
  path: string,
  key = 'id',
): Promise<unknown[][]> {
  const out: unknown[][] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i += 1) {
    const sep = path.includes('?') ? '&' : '?';
    const reply: Reply = await call(
      server,
      'GET',
      cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`,
      { token },
    );
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
    out.push((reply.body.items as Json[]).map((item) => item[key]));
    cursor = reply.body.next_cursor as string | null;
    if (cursor === null) return out;
  }
  throw new Error('too many pages');
}

describe('trading API consistency and pagination (PGlite)', function () {
  this.timeout(120_000);
  let server: ApiServer;

  before(async () => {
    server = await startApiServer({ env: { READ_WAIT_MS: String(READ_WAIT_MS) } });
  });

  after(async () => {
    await server.close();
  });

  describe('read-your-writes', () => {
    it('50 concurrent clients each read their own write at once', async () => {
      const users = await Promise.all(
        Array.from({ length: 10 }, (_, i) => newUser(server, ['trader'], `ryw${i}`)),
      );
      const accounts = await Promise.all(users.map((u) => openAccount(server, u, '1000000')));
      const symbols = ['AAPL', 'MSFT', 'SPY', 'NVDA', 'AMZN'];
      const results = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const user = users[i % users.length] as TestUser;
          const account = accounts[i % accounts.length]?.id ?? '';
          const symbol = symbols[i % symbols.length] ?? 'AAPL';
          const placed = await call(server, 'POST', `/accounts/${account}/orders`, {
            token: user.token,
            body: { symbol, qty: '1', side: 'buy', type: 'market', client_order_id: `ryw-${i}` },
          });
          expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
          const written = eventPosition(placed);
          const headers = { 'X-Min-Position': String(written) };
          const [order, position, fills] = await Promise.all([
            call(server, 'GET', `/accounts/${account}/orders/${String(placed.body.id)}`, {
              token: user.token,
              headers,
            }),
            call(server, 'GET', `/accounts/${account}/positions/${symbol}`, {
              token: user.token,
              headers,
            }),
            call(server, 'GET', `/accounts/${account}/fills?order_id=${String(placed.body.id)}`, {
              token: user.token,
              headers,
            }),
          ]);
          return { placed, order, position, fills };
        }),
      );
      for (const { placed, order, position, fills } of results) {
        expect(order.status, JSON.stringify(order.body)).to.equal(200);
        expect(order.body).to.include({ id: placed.body.id, status: 'filled', filled_qty: '1' });
        expect(Number(order.body.event_position)).to.be.at.most(eventPosition(placed));
        expect(position.status, JSON.stringify(position.body)).to.equal(200);
        expect(Number(position.body.qty)).to.be.at.least(1);
        expect((fills.body.items as Json[]).map((f) => f.order_id)).to.deep.equal([placed.body.id]);
      }
    });

    it('answers 503 projection_lag with Retry-After when the read models cannot catch up in READ_WAIT_MS', async () => {
      const user = await newUser(server, ['trader'], 'lag');
      const account = await openAccount(server, user);
      // The account is projected before the projections stop (only the deposit lags).
      const opened = await call(server, 'GET', `/accounts/${account.id}`, {
        token: user.token,
        headers: { 'X-Min-Position': String(account.position) },
      });
      expect(opened.status).to.equal(200);
      const projections = server.composition.parts.projections;
      await projections.stop();
      try {
        const deposit = await call(server, 'POST', `/accounts/${account.id}/deposits`, {
          token: user.token,
          body: { amount: '5' },
        });
        expect(deposit.status).to.equal(201);
        const written = eventPosition(deposit);
        const started = Date.now();
        const lagging = await call(server, 'GET', `/accounts/${account.id}`, {
          token: user.token,
          headers: { 'X-Min-Position': String(written) },
        });
        problem(lagging, 503, 'projection_lag');
        expect(Number(lagging.headers.get('retry-after'))).to.be.at.least(1);
        expect(Date.now() - started).to.be.within(READ_WAIT_MS - 100, READ_WAIT_MS + 2000);

        // Without the header the read answers at once, from whatever the read models hold.
        const stale = await call(server, 'GET', `/accounts/${account.id}`, { token: user.token });
        expect(stale.status).to.equal(200);
        expect(stale.body.cash).to.equal('100000');

        const waiting = call(server, 'GET', `/accounts/${account.id}`, {
          token: user.token,
          headers: { 'X-Min-Position': String(written) },
        });
        await projections.start();
        const fresh = await waiting;
        expect(fresh.status, JSON.stringify(fresh.body)).to.equal(200);
        expect(fresh.body.cash).to.equal('100005');
      } finally {
        await projections.start();
      }
    });
  });

  describe('pagination', () => {
    let user: TestUser;
    let account: string;
    const placedIds: string[] = [];

    before(async () => {
      user = await newUser(server, ['trader'], 'pages');
      account = (await openAccount(server, user)).id;
      for (let i = 0; i < 7; i += 1) {
        const placed = await call(server, 'POST', `/accounts/${account}/orders`, {
          token: user.token,
          body: {
            symbol: i % 2 === 0 ? 'AAPL' : 'MSFT',
            qty: '1',
            side: 'buy',
            type: 'limit',
            limit_price: `1.0${i}`,
            time_in_force: 'gtc',
          },
        });
        expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
        placedIds.push(String(placed.body.id));
      }
      for (let i = 0; i < 3; i += 1) {
        const bought = await call(server, 'POST', `/accounts/${account}/orders`, {
          token: user.token,
          body: { symbol: 'SPY', qty: '1', side: 'buy', type: 'market' },
        });
        expect(bought.status).to.equal(201);
      }
      const last = await call(server, 'POST', `/accounts/${account}/deposits`, {
        token: user.token,
        body: { amount: '1' },
      });
      await server.composition.parts.projections.waitForPosition(eventPosition(last), 10_000);
    });

    it('orders: pages of `limit`, newest first, then oldest first, each order once', async () => {
      const desc = await pages(server, user.token, `/accounts/${account}/orders?limit=3`);
      expect(desc.map((p) => p.length)).to.deep.equal([3, 3, 1]);
      expect(desc.flat()).to.deep.equal([...placedIds].reverse());
      const asc = await pages(
        server,
        user.token,
        `/accounts/${account}/orders?limit=3&direction=asc`,
      );
      expect(asc.flat()).to.deep.equal(placedIds);
      const all = await pages(server, user.token, `/accounts/${account}/orders?status=all&limit=4`);
      expect(all.flat()).to.have.length(10);
      expect(new Set(all.flat()).size).to.equal(10);
    });

    it('orders: filtered by symbols and creation time', async () => {
      const aapl = await pages(
        server,
        user.token,
        `/accounts/${account}/orders?symbols=aapl&limit=2`,
      );
      expect(aapl.flat()).to.deep.equal(placedIds.filter((_, i) => i % 2 === 0).reverse());
      const third = await call(server, 'GET', `/accounts/${account}/orders/${placedIds[2] ?? ''}`, {
        token: user.token,
      });
      const until = String(third.body.created_at);
      const early = await pages(
        server,
        user.token,
        `/accounts/${account}/orders?until=${encodeURIComponent(until)}&direction=asc`,
      );
      // Both bounds are exclusive, as in Alpaca.
      expect(early.flat()).to.deep.equal(placedIds.slice(0, 2));
      const late = await pages(
        server,
        user.token,
        `/accounts/${account}/orders?after=${encodeURIComponent(until)}&direction=asc`,
      );
      expect(late.flat()).to.deep.equal(placedIds.slice(3));
    });

    it('fills, accounts and events page the same way', async () => {
      const fills = await pages(server, user.token, `/accounts/${account}/fills?limit=2`);
      expect(fills.map((p) => p.length)).to.deep.equal([2, 1]);
      expect(new Set(fills.flat()).size).to.equal(3);

      let opened = 0;
      for (let i = 0; i < 2; i += 1) {
        opened = (await openAccount(server, user, '10', `extra ${i}`)).position;
      }
      const accounts = await call(server, 'GET', '/accounts?limit=500', {
        token: user.token,
        headers: { 'X-Min-Position': String(opened) },
      });
      const every = (accounts.body.items as Json[]).map((a) => a.id);
      const paged = await pages(server, user.token, '/accounts?limit=2');
      expect(paged.flat()).to.have.members(every);
      expect(paged.flat()).to.include(account);

      const events = await pages(
        server,
        user.token,
        `/accounts/${account}/events?limit=4`,
        'revision',
      );
      const revisions = events.flat();
      expect(revisions).to.deep.equal(revisions.map((_, i) => i));
      expect(events.slice(0, -1).every((p) => p.length === 4)).to.equal(true);
    });
  });
});
