/**
 * NBBO quotes sampled from a day path. The mid at a tick follows the minute's path
 * open → first extreme → second extreme → close, so every quote's last trade lies inside
 * the minute bar of the same instant. Spreads scale with the instrument's tier and widen in
 * extended hours and around the open and close; they are never crossed or locked.
 */
import type { MarketPhase, Quote } from '../../domain/market.ts';
import { formatUnits, tickUnitsAt, toTickUnits } from '../ticks.ts';
import type { DayPath } from './price-model.ts';
import { Random } from './random.ts';
import type { SimulatedInstrument } from './universe.ts';

const MS_PER_MINUTE = 60_000;
const EXTENDED_SPREAD_FACTOR = 4;
const EDGE_SPREAD_FACTOR = 1.6;
const EDGE_MINUTES = 5;
/** Share of quotes showing a single round lot, so size-limited partial fills happen. */
const THIN_SIZE_PROBABILITY = 0.12;

/** Float mid price of a path at an instant inside the day. */
export function midAt(path: DayPath, instantMs: number): number {
  const offset = instantMs - path.session.preOpen.getTime();
  const minute = Math.min(path.minutes - 1, Math.max(0, Math.floor(offset / MS_PER_MINUTE)));
  const f = Math.min(1, Math.max(0, offset / MS_PER_MINUTE - minute));
  const o = path.open[minute] ?? 0;
  const c = path.close[minute] ?? 0;
  const first = path.lowFirst[minute] === 1 ? (path.low[minute] ?? 0) : (path.high[minute] ?? 0);
  const second = path.lowFirst[minute] === 1 ? (path.high[minute] ?? 0) : (path.low[minute] ?? 0);
  if (f < 1 / 3) return o + (first - o) * f * 3;
  if (f < 2 / 3) return first + (second - first) * (f * 3 - 1);
  return second + (c - second) * (f * 3 - 2);
}

/** The quote of feed tick `seq` (at `seq × tickMs`), given the day path that contains it. */
export function quoteAt(
  path: DayPath,
  instrument: SimulatedInstrument,
  seed: number,
  seq: number,
  tickMs: number,
  phase: MarketPhase,
): Quote {
  const t = seq * tickMs;
  const mid = midAt(path, t);
  const rng = Random.for(seed, instrument.symbol, 'quote', seq);
  let spreadBps = instrument.spreadBps * (0.75 + 0.5 * rng.next());
  if (phase !== 'regular') spreadBps *= EXTENDED_SPREAD_FACTOR;
  else {
    const toOpen = (t - path.session.open.getTime()) / MS_PER_MINUTE;
    const toClose = (path.session.close.getTime() - t) / MS_PER_MINUTE;
    if (toOpen < EDGE_MINUTES || toClose < EDGE_MINUTES) spreadBps *= EDGE_SPREAD_FACTOR;
  }
  const half = (mid * spreadBps) / 20_000;
  const bidUnits = toTickUnits(mid - half, 'floor');
  let askUnits = toTickUnits(mid + half, 'ceil');
  if (askUnits <= bidUnits) askUnits = bidUnits + tickUnitsAt(bidUnits);
  const lastUnits = Math.min(askUnits, Math.max(bidUnits, toTickUnits(mid, 'nearest')));
  const size = (): number => {
    if (rng.next() < THIN_SIZE_PROBABILITY) return 100;
    const lots = phase === 'regular' ? instrument.maxLots : Math.max(1, instrument.maxLots / 4);
    return 100 * (1 + rng.int(Math.max(1, Math.round(lots))));
  };
  return {
    symbol: instrument.symbol,
    bid: formatUnits(bidUnits),
    ask: formatUnits(askUnits),
    bidSize: size(),
    askSize: size(),
    last: formatUnits(lastUnits),
    time: new Date(t).toISOString(),
    seq,
    source: 'simulated',
  };
}
