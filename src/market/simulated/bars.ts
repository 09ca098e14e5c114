/**
 * Bars built from day paths: one-minute bars for every traded minute from pre-open to
 * post-close, daily bars from the regular session. Halted minutes have no bar.
 */
import type { Bar } from '../port.ts';
import { newYorkWallTime } from '../time-zone.ts';
import { formatUnits, UNITS_PER_DOLLAR } from '../ticks.ts';
import type { DayPath } from './price-model.ts';

const MS_PER_MINUTE = 60_000;

function isHalted(path: DayPath, minute: number): boolean {
  return minute >= path.haltStart && minute < path.haltEnd;
}

/** VWAP with 4 decimals, kept inside the bar's range. */
function formatVwap(value: number, lowUnits: number, highUnits: number): string {
  const units = Math.min(highUnits, Math.max(lowUnits, Math.round(value * UNITS_PER_DOLLAR)));
  return (units / UNITS_PER_DOLLAR).toFixed(4);
}

/** The one-minute bar of minute `m` of a path, or `undefined` if the symbol was halted then. */
export function minuteBar(path: DayPath, m: number): Bar | undefined {
  if (m < 0 || m >= path.minutes || isHalted(path, m)) return undefined;
  const lowUnits = path.lowUnits[m] ?? 0;
  const highUnits = path.highUnits[m] ?? 0;
  const typical =
    ((path.open[m] ?? 0) + (path.high[m] ?? 0) + (path.low[m] ?? 0) + (path.close[m] ?? 0)) / 4;
  return {
    time: new Date(path.session.preOpen.getTime() + m * MS_PER_MINUTE).toISOString(),
    open: formatUnits(path.openUnits[m] ?? 0),
    high: formatUnits(highUnits),
    low: formatUnits(lowUnits),
    close: formatUnits(path.closeUnits[m] ?? 0),
    volume: path.volume[m] ?? 0,
    vwap: formatVwap(typical, lowUnits, highUnits),
    tradeCount: path.trades[m] ?? 0,
  };
}

/** The daily bar of a path: the regular session's traded minutes. */
export function dailyBar(path: DayPath): Bar {
  let openUnits = 0;
  let closeUnits = 0;
  let highUnits = 0;
  let lowUnits = Number.POSITIVE_INFINITY;
  let volume = 0;
  let notional = 0;
  let trades = 0;
  for (let m = path.regularStart; m < path.regularEnd; m += 1) {
    if (isHalted(path, m)) continue;
    if (volume === 0) openUnits = path.openUnits[m] ?? 0;
    closeUnits = path.closeUnits[m] ?? 0;
    highUnits = Math.max(highUnits, path.highUnits[m] ?? 0);
    lowUnits = Math.min(lowUnits, path.lowUnits[m] ?? 0);
    const v = path.volume[m] ?? 0;
    volume += v;
    notional +=
      (v *
        ((path.open[m] ?? 0) + (path.high[m] ?? 0) + (path.low[m] ?? 0) + (path.close[m] ?? 0))) /
      4;
    trades += path.trades[m] ?? 0;
  }
  return {
    time: newYorkWallTime(path.session.date, 0).toISOString(),
    open: formatUnits(openUnits),
    high: formatUnits(highUnits),
    low: formatUnits(lowUnits),
    close: formatUnits(closeUnits),
    volume,
    vwap: formatVwap(notional / volume, lowUnits, highUnits),
    tradeCount: trades,
  };
}
