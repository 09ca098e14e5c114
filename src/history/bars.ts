/**
 * Historical bars as the history store, the importer and backtests hold them. Two shapes:
 *
 * - `BarRow`: one bar as written to the store, prices as the exact decimal strings the source
 *   gave (they are prices of record: the store keeps them as `numeric`).
 * - `BarSeries`: one symbol's bars in columns of plain numbers (analytics and the backtest hot
 *   loop read them; a float64 holds every price of up to 15 significant digits exactly, and
 *   `String(x)` gives the decimal back).
 */
import type { Bar, Timeframe } from '../market/port.ts';

export type { Bar, Timeframe } from '../market/port.ts';

/** The timeframes the store keeps. */
export const TIMEFRAMES: readonly Timeframe[] = ['1Min', '1Day'];

/** Where stored bars came from: a CSV import or `data generate` (simulated). */
export type SeriesSource = 'import' | 'generated';

/** One bar as written to the store. */
export interface BarRow {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** Bar start, epoch milliseconds (a daily bar starts at New York midnight). */
  readonly time: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: number;
  /** Volume-weighted average price, when the source has it. */
  readonly vwap: string | null;
  readonly tradeCount: number | null;
}

/** One symbol's bars, earliest first, in columns. */
export interface BarSeries {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly length: number;
  /** Bar start, epoch milliseconds, strictly increasing. */
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  /** `NaN` where unknown. */
  readonly vwap: Float64Array;
  /** `NaN` where unknown. */
  readonly tradeCount: Float64Array;
  /** True when the prices are simulated (generated), not real history. */
  readonly simulated: boolean;
}

/** A series whose columns are filled in by the caller (`length` bars). */
export function allocateSeries(
  symbol: string,
  timeframe: Timeframe,
  length: number,
  simulated: boolean,
): BarSeries {
  const column = (): Float64Array => new Float64Array(length);
  return {
    symbol,
    timeframe,
    length,
    time: column(),
    open: column(),
    high: column(),
    low: column(),
    close: column(),
    volume: column(),
    vwap: column().fill(Number.NaN),
    tradeCount: column().fill(Number.NaN),
    simulated,
  };
}

/** The first `length` bars of a series (views, no copy). */
export function truncateSeries(series: BarSeries, length: number): BarSeries {
  const n = Math.min(length, series.length);
  return {
    ...series,
    length: n,
    time: series.time.subarray(0, n),
    open: series.open.subarray(0, n),
    high: series.high.subarray(0, n),
    low: series.low.subarray(0, n),
    close: series.close.subarray(0, n),
    volume: series.volume.subarray(0, n),
    vwap: series.vwap.subarray(0, n),
    tradeCount: series.tradeCount.subarray(0, n),
  };
}

/** Bars `from` (inclusive) to `to` (exclusive) by index, as views. */
export function sliceSeries(series: BarSeries, from: number, to: number): BarSeries {
  const a = Math.max(0, Math.min(from, series.length));
  const b = Math.max(a, Math.min(to, series.length));
  return {
    ...series,
    length: b - a,
    time: series.time.subarray(a, b),
    open: series.open.subarray(a, b),
    high: series.high.subarray(a, b),
    low: series.low.subarray(a, b),
    close: series.close.subarray(a, b),
    volume: series.volume.subarray(a, b),
    vwap: series.vwap.subarray(a, b),
    tradeCount: series.tradeCount.subarray(a, b),
  };
}

/** Index of the first bar at or after `timeMs` (binary search; `length` when none). */
export function lowerBound(series: BarSeries, timeMs: number): number {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((series.time[mid] ?? 0) < timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bars of a series inside `[fromMs, toMs)`. */
export function seriesBetween(series: BarSeries, fromMs: number, toMs: number): BarSeries {
  return sliceSeries(series, lowerBound(series, fromMs), lowerBound(series, toMs));
}

/** Market-port bars (decimal strings) as a series. */
export function seriesFromBars(
  symbol: string,
  timeframe: Timeframe,
  bars: readonly Bar[],
  simulated: boolean,
): BarSeries {
  const s = allocateSeries(symbol, timeframe, bars.length, simulated);
  bars.forEach((b, i) => {
    s.time[i] = Date.parse(b.time);
    s.open[i] = Number(b.open);
    s.high[i] = Number(b.high);
    s.low[i] = Number(b.low);
    s.close[i] = Number(b.close);
    s.volume[i] = b.volume;
    s.vwap[i] = Number(b.vwap);
    s.tradeCount[i] = b.tradeCount;
  });
  return s;
}

/** Rows (one symbol and timeframe, any order, no duplicate times) as a series. */
export function seriesFromRows(rows: readonly BarRow[], simulated: boolean): BarSeries {
  const first = rows[0];
  const sorted = [...rows].sort((a, b) => a.time - b.time);
  const s = allocateSeries(first?.symbol ?? '', first?.timeframe ?? '1Day', rows.length, simulated);
  sorted.forEach((r, i) => {
    s.time[i] = r.time;
    s.open[i] = Number(r.open);
    s.high[i] = Number(r.high);
    s.low[i] = Number(r.low);
    s.close[i] = Number(r.close);
    s.volume[i] = r.volume;
    s.vwap[i] = r.vwap === null ? Number.NaN : Number(r.vwap);
    s.tradeCount[i] = r.tradeCount ?? Number.NaN;
  });
  return s;
}

/** A market-port bar from row fields (the REST shape of stored history). */
export function barOf(row: {
  readonly time: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: number;
  readonly vwap: string | null;
  readonly tradeCount: number | null;
}): Bar {
  return {
    time: new Date(row.time).toISOString(),
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    volume: row.volume,
    vwap: row.vwap ?? row.close,
    tradeCount: row.tradeCount ?? 0,
  };
}
