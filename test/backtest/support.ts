import { allocateSeries, type BarSeries } from '../../src/history/bars.ts';
import { newYorkWallTime } from '../../src/market/time-zone.ts';
import { BacktestRequestSchema, type BacktestRequestInput } from '../../src/backtest/request.ts';
import type { Strategy, StrategyContext, StrategyDefinition } from '../../src/backtest/strategy.ts';

/** A daily series from rows `[date, open, high, low, close, volume?]`. */
export function dailySeries(
  symbol: string,
  rows: readonly (readonly [string, number, number, number, number, number?])[],
): BarSeries {
  const s = allocateSeries(symbol, '1Day', rows.length, false);
  rows.forEach(([date, o, h, l, c, v], i) => {
    s.time[i] = newYorkWallTime(date, 0).getTime();
    s.open[i] = o;
    s.high[i] = h;
    s.low[i] = l;
    s.close[i] = c;
    s.volume[i] = v ?? 1_000_000;
  });
  return s;
}

/** Weekdays from `from`, `n` of them (holidays are not skipped: a backtest trades the bars it has). */
export function weekdays(from: string, n: number): string[] {
  const out: string[] = [];
  let t = Date.parse(`${from}T12:00:00Z`);
  while (out.length < n) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
    t += 86_400_000;
  }
  return out;
}

/** A strategy made of plain callbacks, for tests. */
export function scripted(
  onBar: (ctx: StrategyContext, bar: number) => void,
  extra: Partial<Strategy> = {},
): StrategyDefinition {
  return {
    name: 'scripted',
    description: 'test',
    params: {},
    create: () => {
      let n = 0;
      return {
        ...extra,
        onBar: (ctx) => {
          onBar(ctx, n++);
        },
      };
    },
  };
}

export function request(
  input: Partial<BacktestRequestInput> & Pick<BacktestRequestInput, 'from' | 'to'>,
) {
  return BacktestRequestSchema.parse({ strategy: 'scripted', symbols: ['AAA'], ...input });
}
