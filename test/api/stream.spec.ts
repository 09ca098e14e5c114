import { expect } from 'chai';
import { equity } from '../../src/domain/instrument.ts';
import type { OrderRequest } from '../../src/domain/account/index.ts';
import { orderBody } from '../../src/api/v1/serialize.ts';
import { SqlTradingQueries } from '../../src/projections/trading-queries.ts';
import { call } from '../auth/harness.ts';
import {
  eventually,
  SseClient,
  startLiveHarness,
  TEST_CONTEXT,
  type LiveHarness,
  type LiveHarnessOptions,
  type SseEvent,
} from './stream-harness.ts';

const buy = (qty = '10', symbol = 'AAPL'): OrderRequest => ({
  instrument: equity(symbol),
  side: 'buy',
  type: 'market',
  timeInForce: 'day',
  qty,
});

const limitBuy = (limitPrice: string): OrderRequest => ({
  instrument: equity('AAPL'),
  side: 'buy',
  type: 'limit',
  timeInForce: 'gtc',
  qty: '5',
  limitPrice,
});

const names = (events: readonly SseEvent[]): string[] => events.map((e) => e.event);
const positions = (events: readonly SseEvent[]): number[] =>
  events.map((e) => Number(e.data.event_position));

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`api: GET /api/v1/stream (Server-Sent Events) on ${backend}`, () => {
    /** A harness on this suite's backend (PostgreSQL suites skip without a server, except in CI). */
    const start = (ctx: Mocha.Context, options: LiveHarnessOptions = {}): Promise<LiveHarness> =>
      startLiveHarness({ ...options, ...(backend === 'postgres' ? { postgres: ctx } : {}) });

    let h: LiveHarness;
    const clients: SseClient[] = [];
    before(async function () {
      // The first suite to touch the shared PGlite pays for starting it.
      this.timeout(120_000);
      h = await start(this, { stream: { maxStreamsPerUser: 2 } });
    });
    afterEach(() => {
      for (const c of clients.splice(0)) c.close();
    });
    after(async () => {
      await h.close();
    });

    async function open(token: string, headers: Record<string, string> = {}, query = '') {
      const client = await SseClient.open(`${h.url}/stream${query}`, token, headers);
      clients.push(client);
      return client;
    }

    async function ready(client: SseClient): Promise<number> {
      const [first] = await client.take(1);
      expect(first?.event).to.equal('ready');
      return Number(first?.data.event_position);
    }

    async function openAccount(ownerId: string, cash = '100000'): Promise<string> {
      const { accountId } = await h.accounts.openAccount(
        { ownerId, name: 'Main', initialCash: cash },
        TEST_CONTEXT,
      );
      return accountId;
    }

    it('answers an event stream with the SSE headers and a ready event', async () => {
      const alice = await h.user();
      const client = await open(alice.access);
      expect(client.response.status).to.equal(200);
      expect(client.response.headers.get('content-type')).to.equal(
        'text/event-stream; charset=utf-8',
      );
      expect(client.response.headers.get('cache-control')).to.equal('no-cache, no-transform');
      expect(client.response.headers.get('x-accel-buffering')).to.equal('no');
      const position = await ready(client);
      // The head visible to every reader when the stream started (it only grows).
      expect(position).to.be.at.most(await h.store.headPosition());
    });

    it("pushes the caller's order, fill, position and account changes, never another tenant's", async () => {
      const alice = await h.user();
      const bob = await h.user();
      const aliceStream = await open(alice.access);
      const bobStream = await open(bob.access);
      await ready(aliceStream);
      await ready(bobStream);

      const mine = await openAccount(alice.userId);
      const theirs = await openAccount(bob.userId);
      await h.accounts.placeOrder(theirs, buy('3', 'MSFT'), {}, TEST_CONTEXT);
      const placed = await h.accounts.placeOrder(mine, buy('10'), {}, TEST_CONTEXT);
      const fill = placed.events.find((e) => e.type === 'OrderFilled');
      if (fill?.type !== 'OrderFilled') throw new Error('the market order did not fill');

      // AccountOpened, CashDeposited, OrderPlaced, OrderFilled (fill, order, position, account).
      const events = await aliceStream.take(7);
      expect(names(events)).to.deep.equal([
        'account',
        'account',
        'order',
        'fill',
        'order',
        'position',
        'account',
      ]);
      for (const e of events) expect(e.data.account_id).to.equal(mine);
      const [opened, deposit, newOrder, filled, orderFill, position, cash] = events;
      expect(opened?.data).to.include({ event: 'opened', name: 'Main', cash: '0' });
      expect(deposit?.data).to.include({ event: 'deposit', cash: '100000' });
      expect(newOrder?.data.event).to.equal('new');
      expect(newOrder?.data.order).to.include({
        id: placed.orderId,
        account_id: mine,
        symbol: 'AAPL',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
        qty: '10',
        filled_qty: '0',
        filled_avg_price: null,
      });
      expect(filled?.data).to.include({
        order_id: placed.orderId,
        symbol: 'AAPL',
        side: 'buy',
        qty: '10',
        price: fill.data.price,
        commission: fill.data.commission,
        order_status: 'filled',
      });
      expect(filled?.data.quote).to.include({ symbol: 'AAPL', ask: fill.data.quote?.ask });
      expect(orderFill?.data).to.include({ event: 'fill', qty: '10', position_qty: '10' });
      expect(orderFill?.data.order).to.include({
        status: 'filled',
        filled_qty: '10',
        filled_avg_price: fill.data.avgFillPrice,
      });
      expect(position?.data).to.include({
        symbol: 'AAPL',
        qty: '10',
        side: 'long',
        cost_basis: fill.data.position.costBasis,
      });
      expect(cash?.data).to.include({ event: 'fill', cash: placed.state.cash });
      // Messages of one event share its position; only the last carries the id.
      expect(positions(events.slice(3))).to.deep.equal([
        placed.position,
        placed.position,
        placed.position,
        placed.position,
      ]);
      expect(events.slice(3).map((e) => e.id)).to.deep.equal([
        undefined,
        undefined,
        undefined,
        String(placed.position),
      ]);
      expect(aliceStream.lastEventId).to.equal(String(placed.position));

      // Bob sees only his account: opened, deposit, and his MSFT order and fill.
      const bobs = await bobStream.take(7);
      for (const e of bobs) expect(e.data.account_id).to.equal(theirs);
      await new Promise((r) => setTimeout(r, 100));
      expect(aliceStream.events.every((e) => e.event === 'ready' || e.data.account_id === mine)).to
        .be.true;
      expect(bobStream.events.every((e) => e.event === 'ready' || e.data.account_id === theirs)).to
        .be.true;
    });

    it('carries the order resource exactly as the REST API answers it', async () => {
      const kim = await h.user();
      const stream = await open(kim.access);
      await ready(stream);
      const account = await openAccount(kim.userId);
      const resting = await h.accounts.placeOrder(account, limitBuy('1.00'), {}, TEST_CONTEXT);
      const filled = await h.accounts.placeOrder(account, buy('2'), {}, TEST_CONTEXT);
      const rejected = await h.accounts.placeOrder(account, buy('100000'), {}, TEST_CONTEXT);
      expect(rejected.rejection?.reason).to.equal('insufficient_buying_power');
      await stream.until((events) => events.some((e) => e.data.event === 'rejected'));
      await h.runner.catchUp();
      const queries = new SqlTradingQueries(h.readModels, h.market);
      const lastUpdate = (orderId: string) =>
        stream.events
          .filter((e) => e.event === 'order' && (e.data.order as { id: string }).id === orderId)
          .at(-1)?.data.order;
      for (const { orderId } of [resting, filled, rejected]) {
        const view = await queries.getOrder({ reader: 'admin' }, account, orderId);
        if (!view) throw new Error(`order ${orderId} is not in the read model`);
        expect(lastUpdate(orderId)).to.deep.equal(orderBody(view));
      }
    });

    it('passes over event types it does not know (written by a newer version)', async () => {
      const lee = await h.user();
      const stream = await open(lee.access);
      await ready(stream);
      const account = await openAccount(lee.userId);
      await stream.take(2); // opened, deposit
      await h.store.append(`account-${account}`, [
        { type: 'OptionExercisedV9', data: { contract: 'AAPL  250117C00150000' } },
      ]);
      const deposit = await h.store.append(`account-${account}`, [
        {
          type: 'CashDeposited',
          data: {
            amount: '5',
            cashAfter: '100005',
            reason: 'deposit',
            reference: null,
            at: '2025-03-03T15:00:00.000Z',
          },
        },
      ]);
      const [next] = await stream.take(1);
      expect(next?.id).to.equal(String(deposit.position));
      expect(next?.data).to.include({ event: 'deposit', account_id: account, cash: '100005' });
    });

    it('shows every account to an auditor', async () => {
      const auditor = await h.user('auditor');
      const carol = await h.user();
      const dave = await h.user();
      const stream = await open(auditor.access);
      await ready(stream);
      const a = await openAccount(carol.userId);
      const b = await openAccount(dave.userId);
      // Every account: these two, and (on PostgreSQL) possibly earlier ones that became visible
      // only after the stream started.
      const ours = (events: readonly SseEvent[]) =>
        events.filter((e) => e.data.account_id === a || e.data.account_id === b);
      await stream.until((events) => ours(events).length >= 4);
      expect(ours(stream.events).map((e) => e.data.account_id)).to.deep.equal([a, a, b, b]);
    });

    it('resumes after Last-Event-ID with exactly the missed events, live ones following', async () => {
      const erin = await h.user();
      const first = await open(erin.access);
      await ready(first);
      const account = await openAccount(erin.userId);
      await first.take(2); // opened, deposit
      const one = await h.accounts.placeOrder(account, limitBuy('1.00'), {}, TEST_CONTEXT);
      await first.take(1);
      const seen = first.lastEventId;
      expect(seen).to.equal(String(one.position));
      first.close();

      // While disconnected: a second resting order, then a cancel of the first.
      const two = await h.accounts.placeOrder(account, limitBuy('2.00'), {}, TEST_CONTEXT);
      const canceled = await h.accounts.cancelOrder(account, one.orderId, TEST_CONTEXT);

      const again = await open(erin.access, { 'Last-Event-ID': String(seen) });
      expect(await ready(again)).to.equal(Number(seen));
      const missed = await again.take(2);
      expect(missed.map((e) => [e.data.event, e.id])).to.deep.equal([
        ['new', String(two.position)],
        ['canceled', String(canceled.position)],
      ]);
      expect((missed[0]?.data.order as { id: string }).id).to.equal(two.orderId);
      expect(missed[1]?.data.order).to.include({ id: one.orderId, status: 'canceled' });

      // And then live.
      const cancelTwo = await h.accounts.cancelOrder(account, two.orderId, TEST_CONTEXT);
      const [live] = await again.take(1);
      expect(live?.id).to.equal(String(cancelTwo.position));
      await new Promise((r) => setTimeout(r, 100));
      expect(again.events).to.have.length(4); // ready + 2 missed + 1 live: nothing repeated
    });

    it('replays from the store when the resume point is older than the buffer', async function () {
      const small = await start(this, { live: { bufferSize: 2, catchUpBatch: 3 } });
      try {
        const frank = await small.user();
        const other = await small.user();
        // Start the hub, then write more than its buffer holds (interleaved with another tenant).
        const warm = await SseClient.open(`${small.url}/stream`, frank.access);
        clients.push(warm);
        await warm.take(1);
        const mine = await small.accounts.openAccount(
          { ownerId: frank.userId, name: 'F', initialCash: '1000' },
          TEST_CONTEXT,
        );
        const start = mine.position ?? 0;
        await warm.take(2); // opened, deposit
        const expected: number[] = [];
        for (let i = 0; i < 4; i++) {
          const theirs = await small.accounts.openAccount(
            { ownerId: other.userId, name: `O${i}`, initialCash: '1' },
            TEST_CONTEXT,
          );
          expect(theirs.position).to.be.a('number');
          const placed = await small.accounts.placeOrder(
            mine.accountId,
            limitBuy('1.00'),
            {},
            TEST_CONTEXT,
          );
          expected.push(placed.position ?? -1);
        }
        await warm.take(4);
        const resumed = await SseClient.open(`${small.url}/stream?after=${start}`, frank.access);
        clients.push(resumed);
        await resumed.take(1);
        const replayed = await resumed.take(4);
        expect(replayed.map((e) => Number(e.id))).to.deep.equal(expected);
        expect(replayed.every((e) => e.data.account_id === mine.accountId)).to.be.true;
        // The payload replayed from the store equals the one rendered live.
        expect(replayed.map((e) => e.data)).to.deep.equal(warm.events.slice(3).map((e) => e.data));
      } finally {
        await small.close();
      }
    });

    it('frees the cursor when the client disconnects, and caps streams per user', async () => {
      const gina = await h.user();
      const before = h.live.clients;
      const a = await open(gina.access);
      const b = await open(gina.access);
      await ready(a);
      await ready(b);
      expect(h.live.clients).to.equal(before + 2);
      const third = await call(`${h.url}/stream`, 'GET', undefined, gina.access);
      expect(third.status).to.equal(429);
      expect(third.body.code).to.equal('too_many_streams');
      expect(third.headers.get('retry-after')).to.match(/^\d+$/);

      a.close();
      await eventually(() => h.live.clients === before + 1);
      const c = await open(gina.access);
      expect(c.response.status).to.equal(200);
      await ready(c);
      b.close();
      c.close();
      await eventually(() => h.live.clients === before);
      // The last client gone, the hub stops following the store (idleMs 0 here).
      if (before === 0) await eventually(() => !h.live.following);
    });

    it('keeps the connection alive with heartbeat comments and ends streams at their time limit', async function () {
      const quick = await start(this, { stream: { heartbeatMs: 20, maxDurationMs: 300 } });
      try {
        const hank = await quick.user();
        const client = await SseClient.open(`${quick.url}/stream`, hank.access);
        clients.push(client);
        await client.take(1);
        await eventually(() => client.comments >= 2, 2000);
        await client.closedByServer(3000);
        await eventually(() => quick.live.clients === 0);
      } finally {
        await quick.close();
      }
    });

    it('refuses bad input with problem+json naming the field, and needs a token', async () => {
      const ivy = await h.user();
      const unauthenticated = await call(`${h.url}/stream`, 'GET');
      expect(unauthenticated.status).to.equal(401);
      expect(unauthenticated.body.code).to.equal('unauthenticated');

      const badHeader = await fetch(`${h.url}/stream`, {
        headers: { authorization: `Bearer ${ivy.access}`, 'last-event-id': 'abc' },
      });
      expect(badHeader.status).to.equal(400);
      expect(badHeader.headers.get('content-type')).to.match(/^application\/problem\+json/);
      const body = (await badHeader.json()) as { code: string; errors: { field: string }[] };
      expect(body.code).to.equal('invalid_last_event_id');
      expect(body.errors[0]?.field).to.equal('Last-Event-ID');

      const future = await call(`${h.url}/stream?after=999999999999`, 'GET', undefined, ivy.access);
      expect(future.status).to.equal(400);
      expect(future.body.code).to.equal('invalid_last_event_id');
      expect((future.body.errors as { field: string }[])[0]?.field).to.equal('after');

      const badQuery = await call(`${h.url}/stream?after=-1`, 'GET', undefined, ivy.access);
      expect(badQuery.status).to.equal(422);
      expect((badQuery.body.errors as { field: string }[])[0]?.field).to.equal('after');

      const unknown = await call(`${h.url}/stream?since=1`, 'GET', undefined, ivy.access);
      expect(unknown.status).to.equal(422);
      expect(unknown.body.code).to.equal('validation_failed');
    });

    it('serves API keys too: a trading key reads what it trades', async () => {
      const jack = await h.user();
      const key = await call(
        `${h.url}/me/api-keys`,
        'POST',
        { name: 'bot', scopes: ['trade'] },
        jack.access,
      );
      expect(key.status).to.equal(201);
      const stream = await open(String(key.body.key));
      expect(stream.response.status).to.equal(200);
      await ready(stream);
      const account = await openAccount(jack.userId);
      await stream.take(2); // opened, deposit
      const placed = await h.accounts.placeOrder(account, limitBuy('1.00'), {}, TEST_CONTEXT);
      const [update] = await stream.take(1);
      expect(update?.id).to.equal(String(placed.position));
    });
  });
}
