/**
 * The analysis and risk tools as an agent uses them (SDK client, in-memory transport): scan
 * the market, read indicators, ratings, events, depth and news for a symbol, preview an order
 * with its risk findings, set a limit and be stopped by it, read the portfolio's VaR.
 */
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, connect, startVenue, trader, type Venue } from './harness.ts';

describe('MCP analysis and risk tools (an agent’s session)', function () {
  this.timeout(120_000);
  let venue: Venue;
  let agent: Client;
  let accountId: string;

  before(async () => {
    venue = await startVenue();
    const principal = trader('agent-1');
    accountId = await venue.openAccount(principal, '100000');
    agent = await connect(venue, principal, accountId);
    venue.market.push('AAPL', { bid: '270.00', ask: '270.02', last: '270.01' });
    venue.market.push('MSFT', { bid: '480.00', ask: '480.04', last: '480.02' });
  });
  after(async () => {
    await agent.close();
    await venue.close();
  });

  it('scans the market: hits with reasons, sorted, simulated', async () => {
    const res = await call(agent, 'scan_market', {
      min_price: '50',
      sector: 'Information Technology',
      sort: 'price',
      limit: 5,
    });
    expect(res.isError, res.text).to.equal(false);
    const hits = res.data.hits as {
      symbol: string;
      price: number;
      sector: string;
      reasons: string[];
    }[];
    expect(hits.length).to.be.within(1, 5);
    for (const h of hits) {
      expect(h.sector).to.equal('Information Technology');
      expect(h.reasons.join(' ')).to.match(/price .* ≥ 50\.00/);
    }
    const prices = hits.map((h) => h.price);
    expect(prices).to.deep.equal([...prices].sort((a, b) => b - a));
    expect(res.text).to.match(/of \d+ simulated symbols matched/);
    expect(res.text).to.match(/prices are simulated/);
    const bad = await call(agent, 'scan_market', { rsi_below: 'low' });
    expect(bad.isError).to.equal(true);
    expect(bad.text).to.match(/rsi_below/);
  });

  it('reads indicators, ratings, events, level 2 and news for a symbol', async () => {
    const ind = await call(agent, 'get_technical_indicators', {
      symbol: 'msft',
      indicators: ['rsi:14', 'macd', 'bbands:20:2'],
    });
    expect(ind.isError, ind.text).to.equal(false);
    const rows = ind.data.indicators as {
      key: string;
      latest: unknown;
      reading: string;
      points: unknown[];
    }[];
    expect(rows.map((r) => r.key)).to.deep.equal(['rsi:14', 'macd:12:26:9', 'bbands:20:2']);
    expect(rows[0]?.reading).to.match(/^rsi:14 \d+\.\d \((overbought|oversold|neutral)\)$/);
    expect(rows[0]?.points).to.have.length(30);
    expect(ind.text).to.match(/^MSFT daily bars \(simulated\)/);
    const badSpec = await call(agent, 'get_technical_indicators', {
      symbol: 'MSFT',
      indicators: 'rsi:0',
    });
    expect(badSpec.isError).to.equal(true);
    expect(badSpec.text).to.match(/indicators/);

    const ratings = await call(agent, 'stock_ratings', { symbol: 'MSFT' });
    expect(ratings.data).to.deep.include({ symbol: 'MSFT', covered: true, simulated: true });
    expect(ratings.text).to.match(/consensus (STRONG BUY|BUY|HOLD|SELL|STRONG SELL)/);
    expect((await call(agent, 'stock_ratings', { symbol: 'SPY' })).data.covered).to.equal(false);

    const events = await call(agent, 'stock_events', { symbol: 'MSFT' });
    expect(events.isError, events.text).to.equal(false);
    expect((events.data.dividends as unknown[]).length).to.be.greaterThan(0);
    expect(events.text).to.match(/next dividend|dividend\(s\) in range/);

    const book = await call(agent, 'stock_level2_data', { symbol: 'AAPL', levels: 5 });
    const bids = book.data.bids as { price: string }[];
    expect(bids).to.have.length(5);
    expect(bids[0]?.price).to.equal(venue.market.latestQuote('AAPL')?.bid);
    expect(book.text).to.match(/^AAPL depth \(simulated\): best bid 270\.00/);

    const news = await call(agent, 'economic_news', { days: 10 });
    expect(news.isError, news.text).to.equal(false);
    expect((news.data.releases as unknown[]).length).to.be.greaterThan(0);
    expect(news.text).to.match(/^Simulated news/);
    const unknown = await call(agent, 'stock_level2_data', { symbol: 'ZZZZ' });
    expect(unknown.isError).to.equal(true);
  });

  it('previews an order with its risk and findings, sets a limit, and is stopped by it', async () => {
    const preview = await call(agent, 'preview_order', {
      side: 'buy',
      symbol: 'AAPL',
      quantity: 120,
    });
    expect(preview.isError, preview.text).to.equal(false);
    const risk = preview.data.risk as {
      position_after: { percent_of_equity_after: string; quantity_after: string };
    };
    // 120 × 270.02 = 32,402 of ~100,000 equity.
    expect(risk.position_after.quantity_after).to.equal('120');
    expect(Number(risk.position_after.percent_of_equity_after)).to.be.within(32, 33);
    expect((preview.data.findings as { code: string }[]).map((f) => f.code)).to.include(
      'concentration',
    );
    expect(preview.text).to.match(/Findings: concentration/);

    const set = await call(agent, 'risk_limits', {
      max_position_percent: 25,
      max_daily_loss: '2000',
    });
    expect(set.isError, set.text).to.equal(false);
    expect(set.data.limits).to.deep.include({ max_position_percent: '25', max_daily_loss: '2000' });
    expect(set.text).to.match(/positions ≤ 25 % of equity, daily loss ≤ \$2000/);

    const stopped = await call(agent, 'buy_stock_market', {
      symbol: 'AAPL',
      quantity: 120,
      client_order_id: 'too-big',
    });
    expect(stopped.isError).to.equal(true);
    expect(stopped.data).to.deep.include({ status: 'rejected' });
    expect((stopped.data.rejection as { reason: string }).reason).to.equal(
      'position_percent_limit_exceeded',
    );
    const ok = await call(agent, 'buy_stock_market', {
      symbol: 'AAPL',
      quantity: 80,
      client_order_id: 'fits',
    });
    expect(ok.data.status, ok.text).to.equal('filled');
    const read = await call(agent, 'risk_limits', {});
    expect(read.data).to.deep.include({ changed: false });
    const bad = await call(agent, 'risk_limits', { max_position_percent: 150 });
    expect(bad.isError).to.equal(true);
    expect(bad.text).to.match(/maxPositionPercent is out of range/);
  });

  it("reads the portfolio's value at risk", async () => {
    await call(agent, 'buy_stock_market', {
      symbol: 'MSFT',
      quantity: 20,
      client_order_id: 'msft-1',
    });
    const risk = await call(agent, 'portfolio_risk', { lookback_days: 252 });
    expect(risk.isError, risk.text).to.equal(false);
    const rows = risk.data.var as {
      method: string;
      confidence: number;
      horizon_days: number;
      value_at_risk: number;
    }[];
    expect(rows).to.have.length(8);
    const h95 = rows.find(
      (r) => r.method === 'historical' && r.confidence === 0.95 && r.horizon_days === 1,
    );
    const h95x10 = rows.find(
      (r) => r.method === 'historical' && r.confidence === 0.95 && r.horizon_days === 10,
    );
    expect(h95?.value_at_risk).to.be.greaterThan(0);
    expect(h95x10?.value_at_risk).to.be.closeTo((h95?.value_at_risk ?? 0) * Math.sqrt(10), 0.05);
    expect((risk.data.positions as { symbol: string }[]).map((p) => p.symbol).sort()).to.deep.equal(
      ['AAPL', 'MSFT'],
    );
    expect(risk.text).to.match(/1-day 95 % historical VaR \$[\d,]+/);
  });
});
