import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSeries } from '../../src/history/generate.ts';
import { seriesBetween, sliceSeries, seriesFromBars, lowerBound } from '../../src/history/bars.ts';
import { monteCarlo } from '../../src/backtest/monte-carlo.ts';
import { BacktestRequestSchema } from '../../src/backtest/request.ts';
import { runBacktest } from '../../src/backtest/run.ts';
import {
  BUILT_IN_STRATEGIES,
  builtInStrategy,
  loadStrategy,
} from '../../src/backtest/strategies/index.ts';
import { resolveParams, StrategyError } from '../../src/backtest/strategy.ts';
import { gridPoints, walkForward } from '../../src/backtest/walk-forward.ts';
import type { GridRunner } from '../../src/backtest/grid.ts';
import { newYorkWallTime } from '../../src/market/time-zone.ts';

const symbols = ['AAPL', 'MSFT', 'SPY', 'QQQ', 'XOM'];
const series = generateSeries({
  symbols,
  from: newYorkWallTime('2019-01-02', 0),
  to: newYorkWallTime('2023-01-03', 0),
  timeframe: '1Day',
  seed: 11,
});

const first = series[0];
if (first === undefined) throw new Error('no generated series');
const aapl = first;

function request(strategy: string, extra: Record<string, unknown> = {}) {
  return BacktestRequestSchema.parse({
    strategy,
    symbols,
    from: '2019-07-01',
    to: '2022-12-30',
    benchmark: 'SPY',
    ...extra,
  });
}

describe('backtest: built-in strategies and validation tools', function () {
  this.timeout(120_000);

  for (const definition of BUILT_IN_STRATEGIES) {
    it(`${definition.name} trades through the decider and stays solvent`, async () => {
      const result = await runBacktest(request(definition.name), definition, {
        series,
        benchmark: series[2],
        source: 'generated',
      });
      expect(result.metrics.trades, definition.name).to.be.greaterThan(0);
      expect(result.orders.placed).to.be.greaterThan(0);
      expect(Number(result.final.cash)).to.be.at.least(0);
      expect(result.benchmark?.symbol).to.equal('SPY');
      for (const p of result.equity_curve) expect(p.equity).to.be.greaterThan(0);
    });
  }

  it('momentum rotation holds at most `top` symbols, the strongest first', async () => {
    const def = builtInStrategy('Momentum-Rotation');
    if (def === undefined) throw new Error('missing');
    const result = await runBacktest(
      request('momentum_rotation', { params: { top: 2, lookback: 60, rebalance: 10 } }),
      def,
      {
        series,
        source: 'generated',
      },
    );
    expect(result.final.positions.length).to.be.at.most(2);
    expect(result.strategy.params).to.deep.equal({ lookback: 60, top: 2, rebalance: 10 });
  });

  it('checks parameters against their specs', () => {
    const sma = builtInStrategy('sma_crossover');
    if (sma === undefined) throw new Error('missing');
    expect(resolveParams(sma, { fast: '10' })).to.deep.equal({ fast: 10, slow: 50 });
    expect(() => resolveParams(sma, { fast: 2.5 })).to.throw(StrategyError, /whole number/);
    expect(() => resolveParams(sma, { fast: 0 })).to.throw(StrategyError, /at least 1/);
    expect(() => resolveParams(sma, { slow: 5000 })).to.throw(StrategyError, /at most 1000/);
    expect(() => resolveParams(sma, { fast: '' })).to.throw(StrategyError, /must be a number/);
  });

  it('loads a user strategy file and refuses files that are not strategies', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strategy-'));
    try {
      writeFileSync(
        path.join(dir, 'mine.ts'),
        "export default { name: 'mine', params: { n: { default: 3, description: 'n' } }, create: () => { let done = false; return { onBar(ctx) { if (!done) { done = true; ctx.buy(ctx.symbols[0], 1); } } }; } };\n",
      );
      writeFileSync(path.join(dir, 'bad.ts'), 'export default 42;\n');
      const mine = await loadStrategy('mine.ts', dir);
      expect(mine).to.deep.include({ name: 'mine', description: '' });
      const result = await runBacktest(request('mine.ts', { symbols: ['AAPL'] }), mine, {
        series: [aapl],
        source: 'generated',
      });
      expect(result.orders.placed).to.equal(1);
      let error: unknown;
      try {
        await loadStrategy('bad.ts', dir);
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/does not export a strategy/);
      error = undefined;
      try {
        await loadStrategy('missing.ts', dir);
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Monte Carlo is seeded: the same seed gives the same percentiles, another seed others', () => {
    const returns = Array.from({ length: 500 }, (_, i) => Math.sin(i * 1.7) * 0.01 + 0.0003);
    const run = (seed: number, method: 'returns' | 'trades') =>
      monteCarlo({
        method,
        paths: 300,
        seed,
        initial: 100_000,
        returns,
        tradePnls: [500, -200, 300, -400, 800],
        tradesPerYear: 12,
      });
    expect(run(1, 'returns')).to.deep.equal(run(1, 'returns'));
    expect(run(1, 'returns').final_equity).not.to.deep.equal(run(2, 'returns').final_equity);
    const r = run(1, 'returns');
    expect(r.final_equity.p5).to.be.below(r.final_equity.p50);
    expect(r.final_equity.p50).to.be.below(r.final_equity.p95);
    expect(r.max_drawdown.p95).to.be.at.most(0);
    const t = run(3, 'trades');
    expect(t).to.deep.include({ method: 'trades', length: 5 });
    expect(t.probability_of_loss).to.be.within(0, 1);
    expect(
      monteCarlo({
        method: 'trades',
        paths: 10,
        seed: 1,
        initial: 10,
        returns: [],
        tradePnls: [],
        tradesPerYear: 0,
      }).final_equity.p50,
    ).to.equal(10);
  });

  it('walk-forward: grid points, windows, and errors naming the field', async () => {
    expect(gridPoints({ a: [1, 2], b: [3] })).to.deep.equal([
      { a: 1, b: 3 },
      { a: 2, b: 3 },
    ]);
    const sma = builtInStrategy('sma_crossover');
    if (sma === undefined) throw new Error('missing');
    const inline: GridRunner = {
      run: (tasks) =>
        Promise.all(
          tasks.map((t) =>
            runBacktest(
              t.request,
              sma,
              { series: [aapl], source: 'generated' },
              { recordEvents: false },
            ),
          ),
        ),
      close: () => Promise.resolve(),
    };
    const req = request('sma_crossover', {
      symbols: ['AAPL'],
      walk_forward: { windows: 3, grid: { fast: [10, 20], slow: [50] } },
    });
    const wf = await walkForward(req, sma, [aapl], inline);
    expect(wf.windows).to.have.length(3);
    expect(wf.combinations).to.equal(2);
    for (const w of wf.windows) {
      expect(w.train.to < w.test.from).to.equal(true);
      expect([10, 20]).to.include(w.params.fast);
    }
    expect(wf.out_of_sample.days).to.be.greaterThan(100);
    const bad = request('sma_crossover', {
      symbols: ['AAPL'],
      walk_forward: { grid: { nope: [1] } },
    });
    let error: unknown;
    try {
      await walkForward(bad, sma, [aapl], inline);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(StrategyError);
    expect((error as StrategyError).field).to.equal('walk_forward.grid.nope');
    const tooMany = request('sma_crossover', {
      symbols: ['AAPL'],
      from: '2022-12-01',
      walk_forward: { windows: 20, grid: { fast: [10] } },
    });
    error = undefined;
    try {
      await walkForward(tooMany, sma, [aapl], inline);
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/too few/);
  });

  it('series helpers slice by time without copying', () => {
    const s = series[0];
    if (s === undefined) throw new Error('missing');
    const from = s.time[10] ?? 0;
    const to = s.time[20] ?? 0;
    const part = seriesBetween(s, from, to);
    expect(part.length).to.equal(10);
    expect(part.close.buffer).to.equal(s.close.buffer);
    expect(sliceSeries(s, -5, 3).length).to.equal(3);
    expect(lowerBound(s, Number.POSITIVE_INFINITY)).to.equal(s.length);
    const fromBars = seriesFromBars(
      'X',
      '1Day',
      [
        {
          time: '2024-01-02T05:00:00.000Z',
          open: '1',
          high: '2',
          low: '0.5',
          close: '1.5',
          volume: 3,
          vwap: '1.2',
          tradeCount: 4,
        },
      ],
      false,
    );
    expect([...fromBars.close]).to.deep.equal([1.5]);
  });
});
