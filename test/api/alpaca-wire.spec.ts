/**
 * `/v2` on the wire, below the SDKs: Alpaca's error format and statuses, the query styles the
 * SDKs send, no redirects, no empty JSON bodies, decimal strings, market data, bars paging,
 * and the `trade_updates` protocol frame by frame (authenticate, listen, errors).
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { aggregate } from '../../src/api/v2/bars.ts';
import type { Bar } from '../../src/market/port.ts';
import type { SimulatedClock, SimulatedMarket } from '../../src/market/index.ts';
import type { ApiServer } from '../support/api.ts';
import { call, newUser } from '../support/api-client.ts';
import { eventually, testMarket } from '../support/api-market.ts';
import {
  alpacaKey,
  alpacaTrader,
  startAlpacaServer,
  v2,
  type AlpacaTrader,
} from './alpaca-harness.ts';

type Json = Record<string, unknown>;

const asJson = (v: unknown): Json => v as Json;
const asList = (v: unknown): Json[] => v as Json[];

/** A raw `trade_updates` client: every frame it received, and a way to wait for one. */
async function socket(server: ApiServer): Promise<{
  ws: WebSocket;
  frames: Json[];
  send(frame: unknown): void;
  next(match: (f: Json) => boolean, what: string): Promise<Json>;
  closed: Promise<number>;
}> {
  const ws = new WebSocket(`${server.origin.replace(/^http/, 'ws')}/stream`);
  const frames: Json[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Json));
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code) => {
      resolve(code);
    }),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    next: (match, what) => eventually(() => Promise.resolve(frames.find(match)), what, 5000),
  };
}

describe('/v2 on the wire', function () {
  this.timeout(60_000);
  let server: ApiServer;
  let market: SimulatedMarket;
  let clock: SimulatedClock;
  let trader: AlpacaTrader;

  /** The asset id `/v2/assets/{symbol}` answers. */
  const assetId = async (symbol: string): Promise<string> =>
    String(asJson((await v2(server, 'GET', `/v2/assets/${symbol}`, trader.key)).body).id);

  before(async () => {
    ({ market, clock } = testMarket(3));
    server = await startAlpacaServer(market);
    trader = await alpacaTrader(server);
  });

  after(async () => {
    await server.close();
  });

  describe('authentication', () => {
    it('answers 401 in Alpaca format without credentials, with half a pair, with a bad pair', async () => {
      for (const key of [
        undefined,
        { keyId: trader.key.keyId, secret: '', key: '' },
        { keyId: trader.key.keyId, secret: 'not-the-secret', key: '' },
        { keyId: 'PKTEST', secret: 'whatever', key: '' },
      ]) {
        const res = await v2(server, 'GET', '/v2/account', key);
        expect(res.status).to.equal(401);
        expect(res.type).to.equal('application/json');
        expect(asJson(res.body).code).to.equal(40110000);
        expect(asJson(res.body).message).to.be.a('string');
      }
    });

    it('accepts the key as a bearer token, and the old bearer keys as a pair', async () => {
      const bearer = await fetch(`${server.origin}/v2/account`, {
        headers: { authorization: `Bearer ${trader.key.key}` },
      });
      expect(bearer.status).to.equal(200);
      expect(trader.key.key).to.equal(`${trader.key.keyId}.${trader.key.secret}`);
    });

    it('a read-only key reads but cannot trade (403)', async () => {
      const readOnly = await alpacaKey(server, trader.user, {
        scopes: ['read'],
        accountId: trader.accountId,
      });
      expect((await v2(server, 'GET', '/v2/account', readOnly)).status).to.equal(200);
      const res = await v2(server, 'POST', '/v2/orders', readOnly, {
        symbol: 'AAPL',
        qty: '1',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      });
      expect(res.status).to.equal(403);
      expect(asJson(res.body).code).to.equal(40310000);
    });
  });

  describe('formats', () => {
    it('answers unknown paths with a JSON 404 and never redirects', async () => {
      const unknown = await v2(server, 'GET', '/v2/nothing-here', trader.key);
      expect(unknown.status).to.equal(404);
      expect(asJson(unknown.body).code).to.equal(40410000);
      const slash = await v2(server, 'GET', '/v2/account/', trader.key);
      expect(slash.status).to.equal(200);
    });

    it('answers malformed JSON with 400 40010001 and writes nothing', async () => {
      const res = await v2(server, 'POST', '/v2/orders', trader.key, '{"symbol":');
      expect(res.status).to.equal(400);
      expect(asJson(res.body).code).to.equal(40010001);
      const open = await v2(server, 'GET', '/v2/orders?status=all', trader.key);
      expect(asList(open.body)).to.have.length(0);
    });

    it('accepts numbers and strings for amounts and answers decimal strings', async () => {
      const res = await v2(
        server,
        'POST',
        '/v2/orders',
        trader.key,
        '{"symbol":"AAPL","qty":2,"side":"buy","type":"market","time_in_force":"day","limit_price":null}',
      );
      expect(res.status).to.equal(200);
      const order = asJson(res.body);
      expect(order.qty).to.equal('2');
      expect(order.filled_qty).to.equal('2');
      expect(order.asset_id).to.equal(await assetId('AAPL'));
      expect(order.notional).to.equal(null);
      expect(order.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const account = asJson((await v2(server, 'GET', '/v2/account', trader.key)).body);
      expect(account.cash).to.be.a('string');
      expect(account.equity).to.be.a('string');
    });

    it('refuses fields of the wrong type, unknown fields and unsupported Alpaca features, naming them', async () => {
      const base = { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day' };
      const cases: [Json, string][] = [
        [{ ...base, qty: 'ten' }, 'qty'],
        [{ ...base, qty: '1', color: 'red' }, 'color'],
        [{ qty: '1', type: 'limit', limit_price: '1', order_class: 'mleg', legs: [] }, 'legs'],
        [{ ...base, qty: '1', legs: [] }, 'symbol'],
        [{ ...base, qty: '1', position_intent: 'sell_to_open' }, 'position_intent'],
        [{ ...base, notional: '100' }, 'notional'],
        [{ ...base, qty: '1', type: 'limit' }, 'limit_price'],
      ];
      for (const [body, field] of cases) {
        const res = await v2(server, 'POST', '/v2/orders', trader.key, body);
        expect(res.status, field).to.equal(422);
        expect(asJson(res.body).code).to.equal(42210000);
        expect(String(asJson(res.body).message)).to.include(field);
      }
    });

    it('reads lists as CSV, repeated keys and symbols[]', async () => {
      for (const query of [
        'status=all&symbols=AAPL,MSFT',
        'status=all&symbols=AAPL&symbols=MSFT',
        'status=all&symbols[]=AAPL&symbols[]=MSFT',
        'status=all&asset_class=us_equity&asset_class=us_option',
      ]) {
        const res = await v2(server, 'GET', `/v2/orders?${query}`, trader.key);
        expect(res.status, query).to.equal(200);
        expect(asList(res.body).length, query).to.equal(1);
      }
      const none = await v2(server, 'GET', '/v2/orders?status=all&symbols=TSLA', trader.key);
      expect(asList(none.body)).to.deep.equal([]);
      const bad = await v2(server, 'GET', '/v2/orders?status=sometimes', trader.key);
      expect(bad.status).to.equal(422);
      expect(String(asJson(bad.body).message)).to.include('status');
      const unknown = await v2(server, 'GET', '/v2/orders?colour=red', trader.key);
      expect(unknown.status).to.equal(422);
    });

    it('cancels with 204 and no body, cancel-all with 207, and a second cancel is 422', async () => {
      const bid = Number(market.latestQuote('MSFT')?.bid);
      const place = (): Promise<{ status: number; body: unknown }> =>
        v2(server, 'POST', '/v2/orders', trader.key, {
          symbol: 'MSFT',
          qty: '1',
          side: 'buy',
          type: 'limit',
          limit_price: (Math.round((bid - 20) * 100) / 100).toFixed(2),
          time_in_force: 'gtc',
        });
      const first = asJson((await place()).body);
      const del = await v2(server, 'DELETE', `/v2/orders/${String(first.id)}`, trader.key);
      expect(del.status).to.equal(204);
      expect(del.text).to.equal('');
      const again = await v2(server, 'DELETE', `/v2/orders/${String(first.id)}`, trader.key);
      expect(again.status).to.equal(422);
      expect(asJson(again.body).reason).to.equal('order_not_cancelable');
      const second = asJson((await place()).body);
      const all = await v2(server, 'DELETE', '/v2/orders', trader.key);
      expect(all.status).to.equal(207);
      expect(asList(all.body).map((r) => [r.id, r.status])).to.deep.equal([[second.id, 200]]);
      const nothing = await v2(server, 'DELETE', '/v2/orders', trader.key);
      expect(nothing.status).to.equal(207);
      expect(nothing.body).to.deep.equal([]);
    });

    it('closes part of a position by qty or percentage, and refuses more than held', async () => {
      await v2(server, 'POST', '/v2/orders', trader.key, {
        symbol: 'MSFT',
        qty: '10',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      });
      const byQty = await v2(server, 'DELETE', '/v2/positions/MSFT?qty=3', trader.key);
      expect(asJson(byQty.body).qty).to.equal('3');
      const byPct = await v2(server, 'DELETE', '/v2/positions/MSFT?percentage=50', trader.key);
      expect(asJson(byPct.body).qty).to.equal('3.5');
      const tooMuch = await v2(server, 'DELETE', '/v2/positions/MSFT?qty=100', trader.key);
      expect(tooMuch.status).to.equal(403);
      const both = await v2(server, 'DELETE', '/v2/positions/MSFT?qty=1&percentage=5', trader.key);
      expect(both.status).to.equal(422);
      const missing = await v2(server, 'DELETE', '/v2/positions/TSLA', trader.key);
      expect(missing.status).to.equal(404);
      const byAssetId = await v2(
        server,
        'GET',
        `/v2/positions/${await assetId('MSFT')}`,
        trader.key,
      );
      expect(asJson(byAssetId.body).qty).to.equal('3.5');
      const all = await v2(server, 'DELETE', '/v2/positions?cancel_orders=true', trader.key);
      expect(all.status).to.equal(207);
      const closed = asList(all.body).map((r) => [r.symbol, r.status]);
      expect(closed).to.deep.include.members([
        ['AAPL', 200],
        ['MSFT', 200],
      ]);
      expect(asList((await v2(server, 'GET', '/v2/positions', trader.key)).body)).to.deep.equal([]);
    });

    it('changes the account configuration and refuses what it cannot change', async () => {
      const res = await v2(server, 'PATCH', '/v2/account/configurations', trader.key, {
        fractional_trading: false,
      });
      expect(res.status).to.equal(200);
      expect(asJson(res.body).fractional_trading).to.equal(false);
      const fractional = await v2(server, 'POST', '/v2/orders', trader.key, {
        symbol: 'AAPL',
        qty: '0.5',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      });
      expect(fractional.status).to.equal(422);
      expect(asJson(fractional.body).reason).to.equal('fractional_not_allowed');
      await v2(server, 'PATCH', '/v2/account/configurations', trader.key, {
        fractional_trading: true,
      });
      for (const body of [
        { pdt_check: 'both' },
        { no_shorting: false },
        { max_margin_multiplier: '4' },
      ]) {
        const refused = await v2(server, 'PATCH', '/v2/account/configurations', trader.key, body);
        expect(refused.status, JSON.stringify(body)).to.equal(422);
      }
    });

    it('pages activities by page_token and filters them by type and date', async () => {
      const page1 = asList(
        (await v2(server, 'GET', '/v2/account/activities?page_size=2', trader.key)).body,
      );
      expect(page1).to.have.length(2);
      const token = String(page1[1]?.id);
      const page2 = asList(
        (
          await v2(
            server,
            'GET',
            `/v2/account/activities?page_size=2&page_token=${encodeURIComponent(token)}`,
            trader.key,
          )
        ).body,
      );
      expect(page2.map((a) => a.id)).not.to.include.members(page1.map((a) => a.id));
      const fills = asList(
        (await v2(server, 'GET', '/v2/account/activities/FILL?page_size=100', trader.key)).body,
      );
      expect(fills.length).to.be.greaterThan(3);
      const dividends = await v2(server, 'GET', '/v2/account/activities/DIV', trader.key);
      expect(dividends.body).to.deep.equal([]);
      const unknownType = await v2(server, 'GET', '/v2/account/activities/NOPE', trader.key);
      expect(unknownType.status).to.equal(422);
      const day = String(fills[0]?.transaction_time).slice(0, 10);
      const onDay = asList(
        (await v2(server, 'GET', `/v2/account/activities?date=${day}`, trader.key)).body,
      );
      expect(onDay.length).to.equal(Math.min(fills.length, 100));
    });
  });

  describe('market data', () => {
    it('answers latest quotes, trades, bars and snapshots, single and multi', async () => {
      const quote = market.latestQuote('AAPL');
      const single = asJson(
        (await v2(server, 'GET', '/v2/stocks/AAPL/quotes/latest', trader.key)).body,
      );
      expect(asJson(single.quote).ap).to.equal(Number(quote?.ask));
      const multi = asJson(
        (await v2(server, 'GET', '/v2/stocks/quotes/latest?symbols=AAPL,MSFT,NOPE', trader.key))
          .body,
      );
      expect(Object.keys(asJson(multi.quotes))).to.deep.equal(['AAPL', 'MSFT']);
      const trades = asJson(
        (await v2(server, 'GET', '/v2/stocks/trades/latest?symbols=AAPL', trader.key)).body,
      );
      expect(asJson(asJson(trades.trades).AAPL).p).to.equal(Number(quote?.last));
      const snap = asJson((await v2(server, 'GET', '/v2/stocks/AAPL/snapshot', trader.key)).body);
      expect(snap).to.include.keys(
        'latestTrade',
        'latestQuote',
        'minuteBar',
        'dailyBar',
        'prevDailyBar',
      );
      const snaps = asJson(
        (await v2(server, 'GET', '/v2/stocks/snapshots?symbols=AAPL,MSFT', trader.key)).body,
      );
      expect(Object.keys(snaps)).to.deep.equal(['AAPL', 'MSFT']);
      const unknown = await v2(server, 'GET', '/v2/stocks/NOPE/quotes/latest', trader.key);
      expect(unknown.status).to.equal(404);
      const noSymbols = await v2(server, 'GET', '/v2/stocks/bars?timeframe=1Day', trader.key);
      expect(noSymbols.status).to.equal(422);
    });

    it('pages bars with next_page_token and aggregates minutes', async () => {
      clock.advance(30 * 60_000);
      const start = new Date(clock.now().getTime() - 30 * 60_000).toISOString();
      const seen: unknown[] = [];
      let token: string | null = null;
      for (let i = 0; i < 10; i += 1) {
        const query: string = `/v2/stocks/bars?symbols=AAPL,MSFT&timeframe=5Min&limit=4&start=${start}${token === null ? '' : `&page_token=${token}`}`;
        const page = asJson((await v2(server, 'GET', query, trader.key)).body);
        for (const bars of Object.values(asJson(page.bars))) seen.push(...(bars as unknown[]));
        token = page.next_page_token as string | null;
        if (token === null) break;
      }
      expect(token).to.equal(null);
      expect(seen.length).to.be.within(10, 14);
      const bad = await v2(server, 'GET', '/v2/stocks/AAPL/bars?timeframe=2Week', trader.key);
      expect(bad.status).to.equal(422);
      const badToken = await v2(
        server,
        'GET',
        '/v2/stocks/AAPL/bars?timeframe=1Min&page_token=xyz',
        trader.key,
      );
      expect(badToken.status).to.equal(400);
    });

    it('aggregates 1-minute bars into wider ones exactly', () => {
      const bar = (minute: number, o: string, h: string, l: string, c: string, v: number): Bar => ({
        time: new Date(Date.UTC(2025, 0, 2, 15, minute)).toISOString(),
        open: o,
        high: h,
        low: l,
        close: c,
        volume: v,
        vwap: c,
        tradeCount: 1,
      });
      const merged = aggregate(
        [
          bar(0, '10', '11', '9', '10.5', 100),
          bar(1, '10.5', '12', '10', '11', 300),
          bar(5, '11', '11', '11', '11', 0),
        ],
        5,
      );
      expect(merged).to.deep.equal([
        {
          time: '2025-01-02T15:00:00.000Z',
          open: '10',
          high: '12',
          low: '9',
          close: '11',
          volume: 400,
          tradeCount: 2,
          vwap: '10.8750',
        },
        {
          time: '2025-01-02T15:05:00.000Z',
          open: '11',
          high: '11',
          low: '11',
          close: '11',
          volume: 0,
          tradeCount: 1,
          vwap: '11',
        },
      ]);
    });

    it('answers the calendar for dates and ISO timestamps, and refuses bad ranges', async () => {
      const iso = asList(
        (
          await v2(
            server,
            'GET',
            '/v2/calendar?start=2025-07-01T00:00:00.000Z&end=2025-07-07T00:00:00.000Z',
            trader.key,
          )
        ).body,
      );
      expect(iso.map((d) => d.date)).to.deep.equal([
        '2025-07-01',
        '2025-07-02',
        '2025-07-03',
        '2025-07-07',
      ]);
      expect(iso[2]?.close).to.equal('13:00');
      expect(iso[2]?.settlement_date).to.equal('2025-07-07');
      const backwards = await v2(
        server,
        'GET',
        '/v2/calendar?start=2025-07-07&end=2025-07-01',
        trader.key,
      );
      expect(backwards.status).to.equal(422);
      const options = await v2(server, 'GET', '/v2/assets?asset_class=us_option', trader.key);
      expect(options.body).to.deep.equal([]);
      const missing = await v2(server, 'GET', '/v2/assets/NOPE', trader.key);
      expect(missing.status).to.equal(404);
    });
  });

  describe('trade_updates frames', () => {
    it('authenticates, acknowledges every listen, streams the account and only it', async () => {
      const other = await alpacaTrader(server);
      const s = await socket(server);
      s.send({ action: 'listen', data: { streams: ['trade_updates'] } });
      await s.next((f) => f.stream === 'error', 'the error before authentication');
      s.send({
        action: 'authenticate',
        data: { key_id: trader.key.keyId, secret_key: trader.key.secret },
      });
      const auth = await s.next((f) => f.stream === 'authorization', 'authorization');
      expect(auth.data).to.deep.equal({ action: 'authenticate', status: 'authorized' });
      s.send({ action: 'listen', data: { streams: ['trade_updates'] } });
      s.send({ action: 'listen', data: { streams: ['trade_updates'] } });
      await eventually(
        () =>
          Promise.resolve(
            s.frames.filter((f) => f.stream === 'listening').length === 2 ? true : undefined,
          ),
        'two acknowledgements',
      );
      await v2(server, 'POST', '/v2/orders', other.key, {
        symbol: 'AAPL',
        qty: '1',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      });
      const mine = asJson(
        (
          await v2(server, 'POST', '/v2/orders', trader.key, {
            symbol: 'AAPL',
            qty: '1',
            side: 'buy',
            type: 'market',
            time_in_force: 'day',
          })
        ).body,
      );
      const fill = await s.next(
        (f) => f.stream === 'trade_updates' && asJson(f.data).event === 'fill',
        'fill',
      );
      const data = asJson(fill.data);
      expect(asJson(data.order).id).to.equal(mine.id);
      expect(data.execution_id).to.be.a('string');
      expect(data.position_qty).to.equal('1');
      const orders = s.frames
        .filter((f) => f.stream === 'trade_updates')
        .map((f) => asJson(asJson(f.data).order).account_id);
      expect(new Set(orders)).to.deep.equal(new Set([trader.accountId]));
      const rejected = await v2(server, 'POST', '/v2/orders', trader.key, {
        symbol: 'AAPL',
        qty: '100000',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      });
      expect(rejected.status).to.equal(403);
      const update = await s.next((f) => asJson(f.data).event === 'rejected', 'rejected');
      expect(asJson(asJson(update.data).order).id).to.equal(asJson(rejected.body).order_id);
      s.send({ action: 'listen', data: { streams: [] } });
      await s.next(
        (f) => f.stream === 'listening' && (asJson(f.data).streams as unknown[]).length === 0,
        'unlisten',
      );
      s.ws.close();
    });

    it('answers bad frames with error frames and a bad key with unauthorized and a close', async () => {
      const s = await socket(server);
      s.send('not json');
      s.send({ nothing: true });
      s.send({ action: 'dance' });
      await eventually(
        () =>
          Promise.resolve(
            s.frames.filter((f) => f.stream === 'error').length === 3 ? true : undefined,
          ),
        'three errors',
      );
      for (const f of s.frames) {
        expect(f.action).to.equal('error');
        expect(asJson(f.data).error_message).to.be.a('string');
        expect(asJson(f.data).error).to.be.a('string');
      }
      s.send({ action: 'authenticate', data: { key_id: trader.key.keyId, secret_key: 'wrong' } });
      const auth = await s.next((f) => f.stream === 'authorization', 'authorization');
      expect(asJson(auth.data).status).to.equal('unauthorized');
      expect(await s.closed).to.equal(1008);
    });

    it('refuses upgrades of other paths', async () => {
      const ws = new WebSocket(`${server.origin.replace(/^http/, 'ws')}/elsewhere`);
      const failed = await new Promise<string>((resolve) => {
        ws.on('error', (e) => {
          resolve(e.message);
        });
        ws.on('open', () => {
          resolve('opened');
        });
      });
      expect(failed).to.include('404');
    });
  });

  describe('the audit log', () => {
    it('records the /v2 calls with source alpaca-v2', async () => {
      const auditor = await newUser(server, ['auditor'], 'auditor');
      const res = await eventually(async () => {
        const r = await call(server, 'GET', '/audit?source=alpaca-v2&limit=50', {
          token: auditor.token,
        });
        return (r.body.entries as unknown[] | undefined)?.length ? r : undefined;
      }, 'audit rows');
      const items = res.body.entries as Json[];
      expect(items.every((i) => i.source === 'alpaca-v2')).to.equal(true);
      expect(items.map((i) => i.outcome)).to.include('rejected');
    });
  });
});
