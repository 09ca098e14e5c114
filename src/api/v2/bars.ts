/**
 * Bars wider than the feed's: consecutive 1-minute bars merged into bars of `n` minutes, for
 * `/v2/stocks/…/bars?timeframe=5Min|15Min|1Hour…`.
 */
import { Dec } from '../../domain/decimal.ts';
import { fmt } from '../../domain/money.ts';
import type { Bar } from '../../market/port.ts';

/** Consecutive base bars merged into bars of `n` minutes (buckets aligned to the epoch). */
export function aggregate(bars: readonly Bar[], minutes: number): Bar[] {
  if (minutes === 1) return [...bars];
  const width = minutes * 60_000;
  const out: Bar[] = [];
  let bucket: { start: number; bars: Bar[] } | undefined;
  const flush = (): void => {
    if (!bucket) return;
    const parts = bucket.bars;
    const first = parts[0];
    const last = parts.at(-1);
    if (first === undefined || last === undefined) return;
    let high = new Dec(first.high);
    let low = new Dec(first.low);
    let volume = 0;
    let trades = 0;
    let weighted = new Dec(0);
    for (const b of parts) {
      if (new Dec(b.high).gt(high)) high = new Dec(b.high);
      if (new Dec(b.low).lt(low)) low = new Dec(b.low);
      volume += b.volume;
      trades += b.tradeCount;
      weighted = weighted.plus(new Dec(b.vwap).times(b.volume));
    }
    out.push({
      time: new Date(bucket.start).toISOString(),
      open: first.open,
      high: fmt(high),
      low: fmt(low),
      close: last.close,
      volume,
      tradeCount: trades,
      vwap: volume === 0 ? last.close : weighted.dividedBy(volume).toFixed(4),
    });
  };
  for (const bar of bars) {
    const start = Math.floor(Date.parse(bar.time) / width) * width;
    if (bucket?.start !== start) {
      flush();
      bucket = { start, bars: [] };
    }
    bucket.bars.push(bar);
  }
  flush();
  return out;
}
