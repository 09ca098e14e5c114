import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { BacktestService } from '../../src/backtest/service.ts';
import { SqlBarStore } from '../../src/history/sql-store.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { call, connect, startVenue, trader, type Venue } from './harness.ts';

describe('mcp: run_backtest and backtest_result', function () {
  this.timeout(120_000);
  let venue: Venue;
  let client: Client;
  let other: Client;
  let backtests: BacktestService;

  before(async () => {
    venue = await startVenue();
    const bars = new SqlBarStore(await sharedPglite(), { schema: uniqueSchema('bt_bars') });
    await bars.migrate();
    backtests = new BacktestService({ store: venue.store, bars });
    const deps = { ...venue.deps, backtests };
    client = await connect({ ...venue, deps }, trader('agent-1'));
    other = await connect({ ...venue, deps }, trader('agent-2'));
  });
  after(async () => {
    await client.close();
    await other.close();
    await backtests.close();
    await venue.close();
  });

  it('runs a built-in strategy and answers its metrics, saying the data are simulated', async () => {
    const r = await call(client, 'run_backtest', {
      strategy: 'SMA_Crossover',
      symbols: 'aapl',
      from: '2022-01-03',
      to: '2023-12-29',
      params: '{"fast": 10, "slow": 30}',
      data: 'generated',
      monte_carlo: { paths: 100 },
      wait_seconds: '60',
    });
    expect(r.isError, r.text).to.equal(false);
    expect(r.data).to.deep.include({
      status: 'completed',
      strategy: 'sma_crossover',
      simulated_data: true,
    });
    expect(r.data.metrics).to.include.keys('total_return', 'sharpe', 'max_drawdown', 'trades');
    expect(r.data.monte_carlo).to.have.property('final_equity');
    expect(r.text).to.match(/is COMPLETED: total return .* Sharpe .* SIMULATED/);
    const id = String(r.data.backtest_id);
    const read = await call(client, 'backtest_result', {
      backtest_id: id,
      include_trades: true,
      include_equity_curve: 'true',
    });
    expect(read.data.status).to.equal('completed');
    expect((read.data.equity_curve as unknown[]).length).to.be.within(100, 201);
    expect(read.data.trades).to.be.an('array');
    // Another agent cannot read it.
    const hidden = await call(other, 'backtest_result', { backtest_id: id });
    expect(hidden.isError).to.equal(true);
    expect(hidden.text).to.contain('backtest_not_found');
  });

  it('refuses bad arguments naming the argument and the fix', async () => {
    const unknown = await call(client, 'run_backtest', {
      strategy: 'moon',
      symbols: 'AAPL',
      from: '2022-01-03',
      to: '2022-06-30',
    });
    expect(unknown.isError).to.equal(true);
    expect(unknown.text).to.match(/strategy must be one of buy_and_hold, sma_crossover/);
    const badDate = await call(client, 'run_backtest', {
      strategy: 'buy_and_hold',
      symbols: 'AAPL',
      from: '2022-13-03',
      to: '2022-06-30',
    });
    expect(badDate.text).to.match(/from must be a date/);
    const badParam = await call(client, 'run_backtest', {
      strategy: 'sma_crossover',
      symbols: 'AAPL',
      from: '2022-01-03',
      to: '2022-06-30',
      params: { fast: 'x' },
      data: 'generated',
    });
    expect(badParam.isError).to.equal(true);
    expect(badParam.text).to.match(/parameter fast must be a number/);
    const noData = await call(client, 'run_backtest', {
      strategy: 'buy_and_hold',
      symbols: 'ZZZZ',
      from: '2022-01-03',
      to: '2022-06-30',
      data: 'stored',
    });
    expect(noData.text).to.match(/no_data.*ZZZZ/);
  });
});
