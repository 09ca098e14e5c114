/**
 * Analysis and risk over HTTP on the composed server (embedded PGlite): indicators, the
 * scanner, reference data, portfolio risk, risk limits and the pre-trade risk of a preview.
 */
import { expect } from 'chai';
import { computeIndicators, parseIndicatorList, toOhlcv } from '../../src/analysis/indicators.ts';
import { PortfolioRiskSchema, RiskLimitsSchema } from '../../src/api/v1/risk-schemas.ts';
import { PreviewSchema } from '../../src/api/v1/schemas.ts';
import type { SimulatedMarket } from '../../src/market/index.ts';
import { startApiServer, type ApiServer } from '../support/api.ts';
import {
  call,
  conforms,
  newUser,
  openAccount,
  problem,
  type TestUser,
} from '../support/api-client.ts';
import { testMarket } from '../support/api-market.ts';

type Json = Record<string, unknown>;

describe('api: analysis and risk', function () {
  this.timeout(120_000);
  let server: ApiServer;
  let market: SimulatedMarket;
  let user: TestUser;
  let accountId: string;
  let lastWrite = 0;

  before(async () => {
    ({ market } = testMarket());
    server = await startApiServer({ market });
    user = await newUser(server);
    ({ id: accountId } = await openAccount(server, user, '100000'));
    for (const [symbol, qty] of [
      ['AAPL', '40'],
      ['JPM', '30'],
      ['XOM', '50'],
    ] as const) {
      const res = await call(server, 'POST', `/accounts/${accountId}/orders`, {
        token: user.token,
        body: { symbol, qty, side: 'buy', type: 'market', time_in_force: 'day' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      lastWrite = Number(res.headers.get('x-event-position'));
    }
  });
  after(async () => {
    await server.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    call(server, 'GET', path, { token: user.token, headers });

  describe('GET /market/indicators/{symbol}', () => {
    it('answers the library’s values over the daily bars, aligned and warm', async () => {
      const res = await get(
        '/market/indicators/aapl?indicators=rsi:14,macd:12:26:9,bbands&timeframe=1d&limit=30',
      );
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const body = res.body as { symbol: string; bars: { close: string }[]; indicators: Json[] };
      expect(body.symbol).to.equal('AAPL');
      expect(body.bars).to.have.length(30);
      expect(body.indicators.map((i) => i.key)).to.deep.equal([
        'rsi:14',
        'macd:12:26:9',
        'bbands:20:2',
      ]);
      const rsi = body.indicators[0]?.values as number[];
      expect(rsi).to.have.length(30);
      for (const v of rsi) expect(v).to.be.within(0, 100);
      // The same library over the raw daily bars (AAPL has no split in this window).
      const bars = await get('/market/bars/AAPL?timeframe=1Day&limit=1000');
      const items = (
        bars.body.items as {
          open: string;
          high: string;
          low: string;
          close: string;
          volume: number;
        }[]
      ).map(toOhlcv);
      const [ref] = computeIndicators(items, parseIndicatorList('rsi:14'));
      // Wilder smoothing forgets its start: a different first bar moves the value by < 1e-3.
      expect(rsi.at(-1)).to.be.closeTo(Number(ref?.values.at(-1)), 1e-3);
      expect((body.indicators[1]?.latest as Json).histogram).to.be.a('number');
    });

    it('refuses bad specs, timeframes and symbols with the field named', async () => {
      problem(
        await get('/market/indicators/AAPL?indicators=foo:3'),
        422,
        'validation_failed',
        'indicators',
      );
      problem(
        await get('/market/indicators/AAPL?indicators=rsi&timeframe=1h'),
        422,
        'validation_failed',
        'timeframe',
      );
      problem(
        await get('/market/indicators/AAPL?indicators=rsi&limit=0'),
        422,
        'validation_failed',
        'limit',
      );
      problem(await get('/market/indicators/ZZZZ?indicators=rsi'), 404, 'unknown_symbol', 'symbol');
    });
  });

  describe('GET /market/scan', () => {
    it('scans the whole universe, sorted, limited, each hit with its reasons', async () => {
      const res = await get('/market/scan?min_price=1&sort=change&limit=5');
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const body = res.body as {
        scanned: number;
        matched: number;
        hits: { change_percent: number; price: number; reasons: string[] }[];
      };
      expect(body.scanned).to.equal(market.assets().length);
      expect(body.hits).to.have.length(5);
      const changes = body.hits.map((h) => h.change_percent);
      expect(changes).to.deep.equal([...changes].sort((a, b) => b - a));
      for (const h of body.hits) {
        expect(h.price).to.be.at.least(1);
        expect(h.reasons[0]).to.match(/^price .* ≥ 1\.00$/);
      }
      const etfs = await get('/market/scan?sector=etf&limit=50');
      const hits = (etfs.body as { hits: { sector: string }[] }).hits;
      expect(hits.length).to.be.greaterThan(5);
      for (const h of hits) expect(h.sector).to.equal('ETF');
    });

    it('refuses bad criteria', async () => {
      problem(await get('/market/scan?rsi_above=101'), 422, 'validation_failed', 'rsi_above');
      problem(await get('/market/scan?sort=vibes'), 422, 'validation_failed', 'sort');
      problem(await get('/market/scan?above_sma=30'), 422, 'validation_failed', 'above_sma');
      problem(await get('/market/scan?nonsense=1'), 422, 'validation_failed');
    });
  });

  describe('reference data', () => {
    it('ratings, events, level 2 and news, all marked simulated', async () => {
      const ratings = await get('/market/ratings/MSFT');
      expect(ratings.status).to.equal(200);
      expect(ratings.body).to.deep.include({ symbol: 'MSFT', covered: true, simulated: true });
      expect((await get('/market/ratings/SPY')).body).to.deep.include({
        covered: false,
        ratings: null,
      });
      const events = await get('/market/events/KO');
      expect(events.status).to.equal(200);
      expect(
        (events.body.corporateActions as Json[]).some((a) => a.kind === 'cash_dividend'),
      ).to.equal(true);
      const book = await get('/market/level2/AAPL?levels=5');
      const quote = market.latestQuote('AAPL');
      expect((book.body.bids as Json[])[0]).to.deep.include({ price: quote?.bid });
      expect(book.body.asks).to.have.length(5);
      const news = await get('/market/news?days=10');
      expect(news.status).to.equal(200);
      expect(news.body.releases).to.not.be.empty;
      problem(await get('/market/level2/AAPL?levels=500'), 422, 'validation_failed', 'levels');
      problem(await get('/market/ratings/ZZZZ'), 404, 'unknown_symbol');
    });
  });

  describe('GET /accounts/{id}/risk', () => {
    it('reports VaR at 95/99 % over 1 and 10 days, volatility, beta, correlations, sectors', async () => {
      const res = await get(`/accounts/${accountId}/risk?lookback_days=120`, {
        'X-Min-Position': String(lastWrite),
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      conforms(PortfolioRiskSchema, res);
      const body = res.body as unknown as {
        var_historical: { confidence: number; horizon_days: number; value_at_risk: number }[];
        var_parametric: { value_at_risk: number }[];
        positions: { symbol: string }[];
        correlation: { symbols: string[]; matrix: number[][] };
        observations: number;
        beta: number;
        sectors: { sector: string }[];
      };
      expect(body.var_historical.map((f) => [f.confidence, f.horizon_days])).to.deep.equal([
        [0.95, 1],
        [0.99, 1],
        [0.95, 10],
        [0.99, 10],
      ]);
      const [h95, h99] = body.var_historical;
      expect(h95?.value_at_risk).to.be.greaterThan(0);
      expect(h99?.value_at_risk).to.be.at.least(h95?.value_at_risk ?? 0);
      expect(body.var_parametric[0]?.value_at_risk).to.be.greaterThan(0);
      expect(body.positions.map((p) => p.symbol).sort()).to.deep.equal(['AAPL', 'JPM', 'XOM']);
      expect(body.correlation.symbols).to.have.length(3);
      expect(body.observations).to.be.within(100, 120);
      expect(body.beta).to.be.within(-0.5, 1);
      expect(body.sectors.map((s) => s.sector)).to.include('Energy');
    });

    it('hides other users’ accounts and refuses bad input', async () => {
      const other = await newUser(server);
      problem(
        await call(server, 'GET', `/accounts/${accountId}/risk`, { token: other.token }),
        404,
        'account_not_found',
      );
      problem(
        await get(`/accounts/${accountId}/risk?lookback_days=5`),
        422,
        'validation_failed',
        'lookback_days',
      );
    });
  });

  describe('risk limits', () => {
    it('reads and sets limits, and the decider enforces them with their reason code', async () => {
      const initial = await get(`/accounts/${accountId}/risk-limits`);
      conforms(RiskLimitsSchema, initial);
      expect(initial.body).to.deep.include({
        max_order_notional: null,
        pattern_day_trader_rule: false,
      });
      const set = await call(server, 'PUT', `/accounts/${accountId}/risk-limits`, {
        token: user.token,
        body: { max_order_notional: 1000, max_daily_loss: '5000' },
      });
      expect(set.status, JSON.stringify(set.body)).to.equal(200);
      expect(set.body).to.deep.include({ max_order_notional: '1000', max_daily_loss: '5000' });
      const order = await call(server, 'POST', `/accounts/${accountId}/orders`, {
        token: user.token,
        body: { symbol: 'AAPL', qty: '20', side: 'buy', type: 'market', time_in_force: 'day' },
      });
      problem(order, 422, 'order_notional_limit_exceeded');
      const cleared = await call(server, 'PUT', `/accounts/${accountId}/risk-limits`, {
        token: user.token,
        body: { max_order_notional: null },
      });
      expect(cleared.body).to.deep.include({ max_order_notional: null, max_daily_loss: '5000' });
    });

    it('refuses limits out of range and unknown fields, writing nothing', async () => {
      const put = (body: unknown) =>
        call(server, 'PUT', `/accounts/${accountId}/risk-limits`, { token: user.token, body });
      problem(await put({ max_position_percent: '150' }), 422, 'invalid_value');
      problem(await put({ max_daily_loss: '-5' }), 422, 'validation_failed', 'max_daily_loss');
      problem(await put({ max_leverage: '2' }), 422, 'validation_failed');
      const reader = await newUser(server, ['viewer']);
      problem(
        await call(server, 'PUT', `/accounts/${accountId}/risk-limits`, {
          token: reader.token,
          body: {},
        }),
        404,
        'account_not_found',
      );
    });
  });

  describe('POST /accounts/{id}/orders/preview', () => {
    it('shows the position and portfolio after the order and the concentration finding', async () => {
      const res = await call(server, 'POST', `/accounts/${accountId}/orders/preview`, {
        token: user.token,
        body: {
          symbol: 'NVDA',
          qty: '200',
          side: 'buy',
          type: 'limit',
          limit_price: '100',
          time_in_force: 'gtc',
        },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      conforms(PreviewSchema, res);
      const risk = res.body.risk as {
        position: Json;
        portfolio: Json;
        margin: Json;
        assumed_price: string;
      };
      expect(risk.assumed_price).to.equal('100');
      expect(risk.position).to.deep.include({ symbol: 'NVDA', qty_before: '0', qty_after: '200' });
      expect(Number(risk.portfolio.gross_exposure_after)).to.be.greaterThan(
        Number(risk.portfolio.gross_exposure_before),
      );
      expect(risk.margin).to.deep.include({ account_type: 'cash' });
      const findings = res.body.findings as { code: string }[];
      // 200 × NVDA (~180) ≈ 36 % of a 100,000 account.
      expect(findings.map((f) => f.code)).to.include('concentration');
    });
  });
});
