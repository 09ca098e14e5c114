/**
 * The official Alpaca SDK 3.x (`@alpacahq/alpaca-trade-api@3`, unmodified, installed as
 * `alpaca3`) against `/v2` on a real port, pointed here only by `APCA_API_BASE_URL` and
 * `APCA_DATA_BASE_URL` — exactly how an existing 3.x bot is moved — including its
 * `trade_ws` stream client.
 */
import { expect } from 'chai';
import Alpaca from 'alpaca3';
import type { SimulatedMarket } from '../../src/market/index.ts';
import type { ApiServer } from '../support/api.ts';
import { eventually, testMarket } from '../support/api-market.ts';
import { alpacaTrader, startAlpacaServer, type AlpacaTrader } from './alpaca-harness.ts';

type Json = Record<string, unknown>;

/** What the 3.x client exposes that this test uses (it ships no usable types for ESM). */
interface Alpaca3 {
  getAccount(): Promise<Json>;
  getClock(): Promise<Json>;
  getCalendar(o: { start: string; end: string }): Promise<Json[]>;
  getAssets(o: Json): Promise<Json[]>;
  getAsset(s: string): Promise<Json>;
  createOrder(o: Json): Promise<Json>;
  getOrders(o: Json): Promise<Json[]>;
  getOrder(id: string): Promise<Json>;
  getOrderByClientId(id: string): Promise<Json>;
  replaceOrder(id: string, o: Json): Promise<Json>;
  cancelOrder(id: string): Promise<unknown>;
  getPositions(): Promise<Json[]>;
  getPosition(s: string): Promise<Json>;
  closePosition(s: string): Promise<Json>;
  getPortfolioHistory(o: Json): Promise<Json>;
  getAccountActivities(o: Json): Promise<Json[]>;
  getLatestTrade(s: string): Promise<Json>;
  getLatestQuote(s: string): Promise<Json>;
  getBarsV2(s: string, o: Json): AsyncIterable<Json>;
  trade_ws: {
    onConnect(fn: () => void): void;
    onOrderUpdate(fn: (u: Json) => void): void;
    onStateChange(fn: (s: string) => void): void;
    onError(fn: (e: string) => void): void;
    subscribe(streams: string[]): void;
    connect(): void;
    disconnect(): void;
    conn?: { on(event: 'message', fn: (data: Buffer) => void): void };
  };
}

/** A 3.x client built the way an unmodified bot builds it: from the environment. */
function fromEnvironment(server: ApiServer, key: { keyId: string; secret: string }): Alpaca3 {
  const saved = { ...process.env };
  process.env.APCA_API_BASE_URL = server.origin;
  process.env.APCA_DATA_BASE_URL = server.origin;
  process.env.APCA_API_KEY_ID = key.keyId;
  process.env.APCA_API_SECRET_KEY = key.secret;
  try {
    const Client = Alpaca as unknown as new (config?: Json) => Alpaca3;
    return new Client();
  } finally {
    for (const name of [
      'APCA_API_BASE_URL',
      'APCA_DATA_BASE_URL',
      'APCA_API_KEY_ID',
      'APCA_API_SECRET_KEY',
    ]) {
      if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = saved[name];
    }
  }
}

/** The HTTP status and Alpaca body of a rejected axios call. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; data: Json }> {
  try {
    await promise;
  } catch (error) {
    const response = (error as { response?: { status: number; data: Json } }).response;
    if (response) return response;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('Alpaca SDK 3.x against /v2 (APCA_API_BASE_URL)', function () {
  this.timeout(60_000);
  let server: ApiServer;
  let market: SimulatedMarket;
  let trader: AlpacaTrader;
  let alpaca: Alpaca3;

  before(async () => {
    ({ market } = testMarket(11));
    server = await startAlpacaServer(market);
    trader = await alpacaTrader(server);
    alpaca = fromEnvironment(server, trader.key);
  });

  after(async () => {
    await server.close();
  });

  it('walks the whole bot flow, with fills over trade_ws', async () => {
    const account = await alpaca.getAccount();
    expect(account.id).to.equal(trader.accountId);
    expect(account.buying_power).to.equal('100000');
    const clock = await alpaca.getClock();
    expect(clock.is_open).to.equal(true);
    const days = await alpaca.getCalendar({ start: '2025-12-22', end: '2025-12-26' });
    expect(days.map((d) => d.date)).to.deep.equal([
      '2025-12-22',
      '2025-12-23',
      '2025-12-24',
      '2025-12-26',
    ]);
    expect(days[2]?.close).to.equal('13:00');
    expect((await alpaca.getAssets({ status: 'active' })).length).to.be.greaterThan(5);
    expect((await alpaca.getAsset('MSFT')).symbol).to.equal('MSFT');
    const trade = await alpaca.getLatestTrade('AAPL');
    expect(trade.Price).to.equal(Number(market.latestQuote('AAPL')?.last));

    // The stream, as 3.x bots open it: connect, then subscribe when connected.
    const updates: Json[] = [];
    const states: string[] = [];
    alpaca.trade_ws.onStateChange((s) => states.push(s));
    alpaca.trade_ws.onOrderUpdate((u) => updates.push(u));
    // 3.x has no callback for the `listening` acknowledgement: watch its socket for it.
    const listening = new Promise<void>((resolve) => {
      alpaca.trade_ws.onConnect(() => {
        alpaca.trade_ws.conn?.on('message', (data: Buffer) => {
          if (data.toString().includes('"listening"')) resolve();
        });
        alpaca.trade_ws.subscribe(['trade_updates']);
      });
    });
    alpaca.trade_ws.connect();
    await listening;

    try {
      const buy = await alpaca.createOrder({
        symbol: 'AAPL',
        qty: 7,
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
        client_order_id: 'v3-buy',
      });
      expect(buy.status).to.equal('filled');
      expect(buy.filled_qty).to.equal('7');
      expect((await alpaca.getOrderByClientId('v3-buy')).id).to.equal(buy.id);
      expect((await alpaca.getOrder(String(buy.id))).status).to.equal('filled');
      const fill = await eventually(
        () => Promise.resolve(updates.find((u) => u.event === 'fill')),
        'the fill over trade_ws',
      );
      expect(fill.position_qty).to.equal('7');
      expect((fill.order as Json).id).to.equal(buy.id);

      const positions = await alpaca.getPositions();
      expect(positions.map((p) => [p.symbol, p.qty])).to.deep.equal([['AAPL', '7']]);
      expect((await alpaca.getPosition('AAPL')).side).to.equal('long');

      const bid = Number(market.latestQuote('AAPL')?.bid);
      const limit = await alpaca.createOrder({
        symbol: 'AAPL',
        qty: 3,
        side: 'sell',
        type: 'limit',
        limit_price: Math.round((bid + 30) * 100) / 100,
        time_in_force: 'gtc',
      });
      expect(limit.status).to.equal('new');
      const replaced = await alpaca.replaceOrder(String(limit.id), { qty: 2 });
      expect(replaced.replaces).to.equal(limit.id);
      await alpaca.cancelOrder(String(replaced.id));
      const closed = await alpaca.getOrders({ status: 'closed', symbols: ['AAPL', 'MSFT'] });
      expect(closed.map((o) => o.id)).to.include.members([buy.id, limit.id, replaced.id]);

      const closing = await alpaca.closePosition('AAPL');
      expect(closing.side).to.equal('sell');
      expect(closing.status).to.equal('filled');
      expect(await alpaca.getPositions()).to.deep.equal([]);

      const history = await alpaca.getPortfolioHistory({ period: '1D', timeframe: '1Min' });
      expect((history.equity as unknown[]).length).to.equal(
        (history.timestamp as unknown[]).length,
      );
      const activities = await alpaca.getAccountActivities({ activityTypes: ['FILL'] });
      expect(activities.map((a) => a.side)).to.deep.equal(['sell', 'buy']);

      await eventually(
        () =>
          Promise.resolve(
            updates.filter((u) => u.event === 'canceled').length > 0 ? true : undefined,
          ),
        'the cancel over trade_ws',
      );
      expect(updates.map((u) => u.event)).to.include.members(['new', 'fill', 'replaced']);
      expect(states).to.include('connected');
    } finally {
      alpaca.trade_ws.disconnect();
    }
  });

  it('answers the errors a 3.x bot branches on', async () => {
    const broke = await failure(
      alpaca.createOrder({
        symbol: 'AAPL',
        qty: 1_000_000,
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      }),
    );
    expect(broke.status).to.equal(403);
    expect(broke.data.code).to.equal(40310000);
    const unknown = await failure(
      alpaca.createOrder({
        symbol: 'ZZZZ',
        qty: 1,
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      }),
    );
    expect(unknown.status).to.equal(422);
    expect(String(unknown.data.message)).to.include('ZZZZ');
    const badQty = await failure(
      alpaca.createOrder({ symbol: 'AAPL', qty: 0, side: 'buy', type: 'market' }),
    );
    expect(badQty.status).to.equal(422);
    expect(String(badQty.data.message)).to.include('qty');
    const other = await alpacaTrader(server);
    const theirs = await fromEnvironment(server, other.key).createOrder({
      symbol: 'AAPL',
      qty: 1,
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
    });
    const hidden = await failure(alpaca.getOrder(String(theirs.id)));
    expect(hidden.status).to.equal(404);
    expect(hidden.data.code).to.equal(40410000);
    const dup = await failure(
      alpaca.createOrder({
        symbol: 'AAPL',
        qty: 1,
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
        client_order_id: 'v3-buy',
      }),
    );
    expect(dup.status).to.equal(422);
    expect(dup.data.message).to.equal('client_order_id must be unique');
  });
});
