import { expect } from 'chai';
import { allocateSeries } from '../../src/history/bars.ts';
import { generateSeries, splitAdjust } from '../../src/history/generate.ts';
import { SimulatedMarket } from '../../src/market/simulated/feed.ts';
import { SimulatedClock } from '../../src/market/clock.ts';
import { newYorkDate, newYorkWallTime } from '../../src/market/time-zone.ts';

describe('generated history for backtests: split-adjusted', () => {
  it('divides the prices before an ex-date by the ratio and multiplies the volume', () => {
    const days = ['2024-06-03', '2024-06-04', '2024-06-05', '2024-06-06'];
    const s = allocateSeries('XYZ', '1Day', days.length, true);
    const raw = [400, 404, 101, 102];
    days.forEach((d, i) => {
      s.time[i] = newYorkWallTime(d, 0).getTime();
      s.open[i] = s.high[i] = s.low[i] = s.close[i] = s.vwap[i] = raw[i] ?? 0;
      s.volume[i] = 1000;
    });
    splitAdjust(s, (date) => (date === '2024-06-05' ? 4 : 1));
    expect([...s.close]).to.deep.equal([100, 101, 101, 102]);
    expect([...s.vwap]).to.deep.equal([100, 101, 101, 102]);
    expect([...s.volume]).to.deep.equal([4000, 4000, 1000, 1000]);
  });

  it('a simulated split of the seeded model does not show as a crash in a backtest series', () => {
    const from = newYorkWallTime('2015-01-02', 0);
    const to = newYorkWallTime('2025-01-02', 0);
    const market = new SimulatedMarket({
      clock: new SimulatedClock({ start: to, speed: 0 }),
      seed: 42,
      haltProbability: 0,
    });
    // Find a symbol the seeded model splits in the range.
    const split = market.corporateActions
      .actions({ from: '2015-01-02', to: '2025-01-01' })
      .find((a) => a.kind === 'split');
    if (split === undefined) throw new Error('seed 42 has no split in ten years');
    const [series] = generateSeries({
      symbols: [split.symbol],
      from,
      to,
      timeframe: '1Day',
      seed: 42,
    });
    if (series === undefined) throw new Error('no series');
    let worst = 0;
    for (let i = 1; i < series.length; i++) {
      const change = (series.close[i] ?? 0) / (series.close[i - 1] ?? 1) - 1;
      if (newYorkDate(series.time[i] ?? 0) === split.exDate) {
        expect(change, `${split.symbol} on its ex-date`).to.be.greaterThan(-0.3);
      }
      worst = Math.min(worst, change);
    }
    expect(worst).to.be.greaterThan(-0.3);
  });
});
