/**
 * Price history made comparable: split-adjusted (prices before a split divided by its ratio,
 * volumes multiplied, as data vendors publish "adjusted" bars) and aligned on common dates.
 * Pure; floats (analytics).
 */

/** A daily or intraday bar in floats, with its New York date (or bar time) as the key. */
export interface HistoryBar {
  readonly time: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** A split: from `exDate` on, `ratio` new shares for each old one. */
export interface SplitEvent {
  readonly exDate: string;
  readonly ratio: number;
}

/**
 * Bars with every bar before a split's ex-date divided by its ratio (volume multiplied), so a
 * 2-for-1 split reads as an ordinary day, not a 50 % crash. `time` must start with the New
 * York date (`YYYY-MM-DD…`).
 */
export function splitAdjusted<T extends HistoryBar>(
  bars: readonly T[],
  splits: readonly SplitEvent[],
): T[] {
  if (splits.length === 0) return [...bars];
  return bars.map((bar) => {
    const date = bar.time.slice(0, 10);
    let factor = 1;
    for (const s of splits) if (date < s.exDate) factor *= s.ratio;
    if (factor === 1) return bar;
    return {
      ...bar,
      open: bar.open / factor,
      high: bar.high / factor,
      low: bar.low / factor,
      close: bar.close / factor,
      volume: bar.volume * factor,
    };
  });
}

/** Closes by date for several series, on the dates every series has, oldest first. */
export function alignCloses(series: Readonly<Record<string, readonly HistoryBar[]>>): {
  dates: string[];
  closes: Record<string, number[]>;
} {
  const maps = Object.entries(series).map(
    ([key, bars]) => [key, new Map(bars.map((b) => [b.time.slice(0, 10), b.close]))] as const,
  );
  const [first] = maps;
  if (first === undefined) return { dates: [], closes: {} };
  const dates = [...first[1].keys()].filter((d) => maps.every(([, m]) => m.has(d))).sort();
  const closes: Record<string, number[]> = {};
  for (const [key, m] of maps) closes[key] = dates.map((d) => m.get(d) ?? Number.NaN);
  return { dates, closes };
}
