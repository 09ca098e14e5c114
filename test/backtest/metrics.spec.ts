/**
 * Known answers: the published test values of Quantopian's `empyrical`
 * (empyrical/tests/test_stats.py, Apache-2.0), whose definitions these metrics follow:
 * daily returns, 252 periods a year, sample standard deviation, downside deviation over all
 * periods. `mixed_returns` is [NaN, 1, 10, −4, 2, 3, 2, 1, −10] %: the NaN counts as a period
 * for annualization but not in averages, as in empyrical.
 */
import { expect } from 'chai';
import {
  drawdowns,
  equityReturns,
  monthlyReturns,
  returnMetrics,
  tradeMetrics,
} from '../../src/backtest/metrics.ts';
import type { Trade } from '../../src/backtest/trades.ts';

const mixed = [Number.NaN, 1, 10, -4, 2, 3, 2, 1, -10].map((x) => x / 100);
const negative = [0, -6, -7, -1, -9, -2, -6, -8, -5].map((x) => x / 100);
const positive = [1, 2, 1, 1, 1, 1, 1, 1, 1].map((x) => x / 100);
const close = (actual: number | null, expected: number): void => {
  expect(actual).to.be.a('number');
  expect(actual).to.be.closeTo(expected, 1e-8);
};

describe('backtest: analytics (known answers from empyrical’s test suite)', () => {
  it('mixed returns: annual return, volatility, Sharpe, Sortino, Calmar, max drawdown', () => {
    const m = returnMetrics(mixed);
    close(m.annual_return, 1.9135925373194231);
    close(m.annual_volatility, 0.9136465399704637);
    close(m.sharpe, 1.7238613961706866);
    close(m.sortino, 2.605531251673693);
    close(m.calmar, 19.135925373194233);
    close(m.max_drawdown, -0.1);
    expect(m.total_return).to.be.closeTo(0.03893, 1e-5);
  });

  it('negative and positive returns: max drawdown, Sharpe and Sortino', () => {
    const n = returnMetrics(negative);
    close(n.max_drawdown, -0.36590730349873601);
    close(n.sharpe, -24.406808633910085);
    close(n.sortino, -13.532743075043401);
    const p = returnMetrics(positive);
    close(p.sharpe, 52.915026221291804);
    expect(p.sortino).to.equal(null); // no downside: empyrical answers inf
    expect(p.max_drawdown).to.equal(0);
  });

  it('a [10, −10, 10] % series has a −10 % drawdown; empty and single series have no ratios', () => {
    close(returnMetrics([0.1, -0.1, 0.1]).max_drawdown, -0.1);
    expect(returnMetrics([])).to.deep.include({
      sharpe: null,
      annual_return: null,
      total_return: 0,
    });
    expect(returnMetrics([0.01])).to.deep.include({ sharpe: null, annual_volatility: null });
  });

  it('a risk-free rate lowers Sharpe by its daily equivalent', () => {
    const rf = 0.05;
    const daily = (1 + rf) ** (1 / 252) - 1;
    const shifted = returnMetrics(mixed.map((r) => r - daily));
    // (NaN − daily is still NaN, so the shifted series has the same shape.)
    close(returnMetrics(mixed, { riskFreeRate: rf }).sharpe, shifted.sharpe ?? 0);
  });

  it('equity returns, drawdown duration in calendar days and monthly returns', () => {
    const equity = [110, 99, 105, 121, 100];
    expect(equityReturns(100, equity).map((r) => Math.round(r * 1e6) / 1e6)).to.deep.equal([
      0.1, -0.1, 0.060606, 0.152381, -0.173554,
    ]);
    // Peak 110 on day 10, regained on day 40 (30 days); the last fall is 5 days and open.
    const dd = drawdowns(100, equity, [10, 20, 30, 40, 45]);
    expect(dd.maxDurationDays).to.equal(30);
    expect(dd.series[1]).to.be.closeTo(-0.1, 1e-12);
    const jan31 = Date.UTC(2024, 0, 31) / 86_400_000;
    const months = monthlyReturns(100, [110, 121, 133.1], [jan31, jan31 + 1, jan31 + 30]);
    expect(months.map((m) => m.month)).to.deep.equal(['2024-01', '2024-02', '2024-03']);
    expect(months.map((m) => Math.round(m.return * 1e9) / 1e9)).to.deep.equal([0.1, 0.1, 0.1]);
  });

  it('trade statistics: win rate, profit factor, average win and loss', () => {
    const trade = (pnl: number): Trade => ({
      symbol: 'X',
      side: 'long',
      entryTime: 0,
      exitTime: 1,
      qty: 1,
      entryPrice: 1,
      exitPrice: 1,
      pnl,
      returnPct: 0,
      bars: 2,
      open: false,
    });
    const t = tradeMetrics([trade(300), trade(-100), trade(100), trade(-50)]);
    expect(t).to.deep.equal({
      trades: 4,
      win_rate: 0.5,
      profit_factor: 400 / 150,
      average_win: 200,
      average_loss: -75,
      average_bars_held: 2,
    });
    expect(tradeMetrics([])).to.deep.include({ win_rate: null, profit_factor: null });
  });
});
