import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.ts';
import { startServer } from '../../src/api/server.ts';
import { marketRoutes } from '../../src/api/v1/market-routes.ts';
import { createDefaultMarket } from '../../src/market/index.ts';
import { call, type Json } from '../auth/harness.ts';
import { startLiveHarness, type LiveHarness } from './stream-harness.ts';

const DECIMAL = /^-?\d+(\.\d+)?$/;

interface FieldError {
  field: string;
}

function fieldOf(res: Json): string | undefined {
  return (res.body.errors as FieldError[] | undefined)?.[0]?.field;
}

describe('api: /api/v1/market', () => {
  let h: LiveHarness;
  let token: string;
  before(async function () {
    // The first suite to touch the shared PGlite pays for starting it.
    this.timeout(120_000);
    h = await startLiveHarness();
    token = (await h.user()).access;
  });
  after(async () => {
    await h.close();
  });

  const get = (path: string): Promise<Json> =>
    call(`${h.url}/market${path}`, 'GET', undefined, token);

  /** Bodies of array answers (the calendar). */
  async function getArray(path: string): Promise<{ status: number; body: unknown[] }> {
    const res = await fetch(`${h.url}/market${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as unknown[] };
  }

  it('needs a token', async () => {
    const res = await call(`${h.url}/market/clock`, 'GET');
    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal('unauthenticated');
  });

  describe('GET /market/clock', () => {
    it("answers Alpaca's clock with the phase and the simulated flag", async () => {
      const res = await get('/clock');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        timestamp: '2025-03-03T15:00:00.000Z',
        is_open: true,
        next_open: '2025-03-04T14:30:00.000Z',
        next_close: '2025-03-03T21:00:00.000Z',
        phase: 'regular',
        simulated: true,
      });
    });

    it('says simulated: false on the wall clock', async () => {
      const market = createDefaultMarket({ clock: 'real' });
      const app = createApp({
        version: 'test',
        metrics: new Registry(),
        routes: [marketRoutes({ market, authenticated: [] })],
      });
      const server = await startServer(app, { port: 0, host: '127.0.0.1' });
      try {
        const res = await call(`${server.url}/api/v1/market/clock`, 'GET');
        expect(res.status).to.equal(200);
        expect(res.body.simulated).to.equal(false);
        expect(Date.parse(String(res.body.timestamp))).to.be.closeTo(Date.now(), 60_000);
      } finally {
        await server.close();
        market.close();
      }
    });
  });

  describe('GET /market/calendar', () => {
    it('lists sessions with holidays absent and early closes flagged', async () => {
      const res = await getArray('/calendar?start=2025-11-24&end=2025-11-30');
      expect(res.status).to.equal(200);
      expect(res.body.map((d) => (d as { date: string }).date)).to.deep.equal([
        '2025-11-24',
        '2025-11-25',
        '2025-11-26',
        '2025-11-28',
      ]);
      expect(res.body[0]).to.deep.equal({
        date: '2025-11-24',
        open: '09:30',
        close: '16:00',
        session_open: '04:00',
        session_close: '20:00',
        early_close: false,
        open_at: '2025-11-24T14:30:00.000Z',
        close_at: '2025-11-24T21:00:00.000Z',
      });
      expect(res.body[3]).to.deep.include({
        date: '2025-11-28',
        close: '13:00',
        session_close: '17:00',
        early_close: true,
        close_at: '2025-11-28T18:00:00.000Z',
      });
    });

    it('starts at the market date by default', async () => {
      const res = await getArray('/calendar');
      expect(res.status).to.equal(200);
      expect((res.body[0] as { date: string }).date).to.equal('2025-03-03');
      expect(res.body.length).to.be.within(55, 70);
    });

    it('refuses bad ranges naming the field', async () => {
      const backwards = await get('/calendar?start=2025-03-10&end=2025-03-01');
      expect(backwards.status).to.equal(422);
      expect(backwards.body.code).to.equal('validation_failed');
      expect(fieldOf(backwards)).to.equal('end');
      const notADate = await get('/calendar?start=2025-13-01');
      expect(notADate.status).to.equal(422);
      expect(fieldOf(notADate)).to.equal('start');
      const tooLong = await get('/calendar?start=2000-01-01&end=2025-01-01');
      expect(tooLong.status).to.equal(422);
      expect(fieldOf(tooLong)).to.equal('end');
      const unknown = await get('/calendar?from=2025-01-01');
      expect(unknown.status).to.equal(422);
    });
  });

  describe('GET /market/assets', () => {
    it('lists the assets as a page', async () => {
      const res = await get('/assets');
      expect(res.status).to.equal(200);
      const items = res.body.items as { symbol: string }[];
      expect(items.length).to.equal(h.market.assets().length);
      expect(items.map((a) => a.symbol)).to.include('AAPL');
      expect(res.body.next_cursor).to.equal(null);
      const aapl = items.find((a) => a.symbol === 'AAPL');
      expect(aapl).to.include({ class: 'us_equity', status: 'active', simulated: true });
      expect(aapl).to.have.keys([
        'symbol',
        'name',
        'exchange',
        'sector',
        'class',
        'status',
        'tradable',
        'shortable',
        'easy_to_borrow',
        'fractionable',
        'simulated',
      ]);
    });

    it('filters by status and class, and refuses unknown values', async () => {
      expect((await get('/assets?status=inactive')).body.items).to.deep.equal([]);
      expect((await get('/assets?asset_class=us_option')).body.items).to.deep.equal([]);
      expect(
        ((await get('/assets?status=active&asset_class=us_equity')).body.items as []).length,
      ).to.be.greaterThan(0);
      const bad = await get('/assets?asset_class=crypto');
      expect(bad.status).to.equal(422);
      expect(fieldOf(bad)).to.equal('asset_class');
    });

    it('answers one asset case-insensitively, 404 unknown_symbol otherwise', async () => {
      const res = await get('/assets/aapl');
      expect(res.status).to.equal(200);
      expect(res.body.symbol).to.equal('AAPL');
      const unknown = await get('/assets/ZZZZ');
      expect(unknown.status).to.equal(404);
      expect(unknown.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(unknown.body.code).to.equal('unknown_symbol');
      expect(fieldOf(unknown)).to.equal('symbol');
      const malformed = await get('/assets/A$B');
      expect(malformed.status).to.equal(422);
      expect(fieldOf(malformed)).to.equal('symbol');
    });
  });

  describe('GET /market/quotes/{symbol}', () => {
    it('answers the NBBO as exact decimal strings, flagged simulated', async () => {
      const res = await get('/quotes/AAPL');
      expect(res.status).to.equal(200);
      const quote = h.market.latestQuote('AAPL');
      expect(res.body).to.deep.equal({
        symbol: 'AAPL',
        bid: quote?.bid,
        ask: quote?.ask,
        bid_size: quote?.bidSize,
        ask_size: quote?.askSize,
        last: quote?.last,
        timestamp: quote?.time,
        seq: quote?.seq,
        source: 'simulated',
        simulated: true,
        phase: 'regular',
        halted: false,
      });
      for (const field of ['bid', 'ask', 'last']) expect(res.body[field]).to.match(DECIMAL);
      expect(Number(res.body.bid)).to.be.at.most(Number(res.body.ask));
      expect(res.headers.get('cache-control')).to.equal('no-store');
    });

    it('answers 404 unknown_symbol for a symbol the market does not list', async () => {
      const res = await get('/quotes/NOPE');
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('unknown_symbol');
    });
  });

  describe('GET /market/bars/{symbol}', () => {
    it('answers daily bars, earliest first, with decimal prices', async () => {
      const res = await get('/bars/AAPL?timeframe=1Day&start=2025-02-03&end=2025-03-01');
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ symbol: 'AAPL', timeframe: '1Day', simulated: true });
      const items = res.body.items as { timestamp: string; open: string; close: string }[];
      expect(items).to.have.length(19); // February 2025: 20 weekdays, Presidents' Day closed
      const times = items.map((b) => Date.parse(b.timestamp));
      expect([...times].sort((a, b) => a - b)).to.deep.equal(times);
      for (const bar of items) {
        expect(bar.open).to.match(DECIMAL);
        expect(bar.close).to.match(DECIMAL);
      }
      expect(res.body.next_cursor).to.equal(null);
    });

    it('pages with next_cursor without gaps or repeats', async () => {
      const all = await get('/bars/AAPL?timeframe=1Min&start=2025-03-03T14:30:00Z&limit=6');
      const first = await get('/bars/AAPL?timeframe=1Min&start=2025-03-03T14:30:00Z&limit=3');
      expect(first.status).to.equal(200);
      const cursor = String(first.body.next_cursor);
      expect(cursor).to.be.a('string').and.not.equal('null');
      const second = await get(`/bars/AAPL?timeframe=1Min&limit=3&cursor=${cursor}`);
      expect(second.status).to.equal(200);
      const paged = [...(first.body.items as unknown[]), ...(second.body.items as unknown[])];
      expect(paged).to.deep.equal(all.body.items);
      expect((all.body.items as { timestamp: string }[])[0]?.timestamp).to.equal(
        '2025-03-03T14:30:00.000Z',
      );
    });

    it('only answers completed bars (never after the market clock)', async () => {
      const res = await get('/bars/AAPL?timeframe=1Min&start=2025-03-03T14:55:00Z');
      const items = res.body.items as { timestamp: string }[];
      expect(items.map((b) => b.timestamp)).to.deep.equal([
        '2025-03-03T14:55:00.000Z',
        '2025-03-03T14:56:00.000Z',
        '2025-03-03T14:57:00.000Z',
        '2025-03-03T14:58:00.000Z',
        '2025-03-03T14:59:00.000Z',
      ]);
    });

    it('refuses bad parameters naming the field', async () => {
      const cases: [string, number, string, string | undefined][] = [
        ['/bars/AAPL?timeframe=5Min', 422, 'validation_failed', 'timeframe'],
        ['/bars/AAPL?limit=0', 422, 'validation_failed', 'limit'],
        ['/bars/AAPL?limit=10001', 422, 'validation_failed', 'limit'],
        ['/bars/AAPL?start=yesterday', 422, 'validation_failed', 'start'],
        [
          '/bars/AAPL?start=2025-03-02T00:00:00Z&end=2025-03-01T00:00:00Z',
          422,
          'validation_failed',
          'start',
        ],
        ['/bars/AAPL?timeframe=1Min&start=2020-01-01', 422, 'validation_failed', 'start'],
        ['/bars/AAPL?cursor=not-a-cursor', 400, 'invalid_cursor', 'cursor'],
        ['/bars/AAPL?page=2', 422, 'validation_failed', undefined],
        ['/bars/NOPE', 404, 'unknown_symbol', 'symbol'],
      ];
      for (const [path, status, code, field] of cases) {
        const res = await get(path);
        expect([path, res.status, res.body.code]).to.deep.equal([path, status, code]);
        if (field !== undefined) expect([path, fieldOf(res)]).to.deep.equal([path, field]);
      }
    });
  });
});
