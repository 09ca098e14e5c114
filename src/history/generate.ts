/**
 * `data generate`: history synthesized from the seeded simulated model (the same price model
 * as the simulated feed: the same seed gives the same bars on every machine), written to the
 * store as `generated` series (raw prices, as the feed quoted them), or kept in memory for a
 * backtest (split-adjusted).
 */
import { SimulatedClock } from '../market/clock.ts';
import { UnknownSymbolError } from '../market/port.ts';
import { SimulatedMarket } from '../market/simulated/feed.ts';
import { newYorkDate } from '../market/time-zone.ts';
import {
  allocateSeries,
  truncateSeries,
  type BarRow,
  type BarSeries,
  type Timeframe,
} from './bars.ts';
import type { BarStore, WriteSummary } from './store.ts';

const PAGE = 10_000;

export interface GenerateOptions {
  readonly symbols: readonly string[];
  /** Inclusive start. */
  readonly from: Date;
  /** Exclusive end. */
  readonly to: Date;
  readonly timeframe: Timeframe;
  /** `MARKET_SEED`. */
  readonly seed: string | number;
}

/** The simulated market the generator reads, with its clock at `to` (nothing later exists). */
function marketFor(options: GenerateOptions): SimulatedMarket {
  return new SimulatedMarket({
    clock: new SimulatedClock({ start: options.to, speed: 0 }),
    seed: options.seed,
    // History has no halts worth replaying: a halted minute would just be a missing bar.
    haltProbability: 0,
  });
}

/** Bars of one symbol, page by page. Throws `UnknownSymbolError` outside the universe. */
function* pages(
  market: SimulatedMarket,
  symbol: string,
  options: GenerateOptions,
): Generator<BarRow[]> {
  let start = options.from;
  for (;;) {
    const bars = market.barsSync(symbol, {
      timeframe: options.timeframe,
      start,
      end: options.to,
      limit: PAGE,
    });
    if (bars.length > 0) {
      yield bars.map((b) => ({
        symbol,
        timeframe: options.timeframe,
        time: Date.parse(b.time),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
        vwap: b.vwap,
        tradeCount: b.tradeCount,
      }));
    }
    const last = bars.at(-1);
    if (bars.length < PAGE || last === undefined) return;
    start = new Date(Date.parse(last.time) + 1);
  }
}

/** Checks the symbols before anything is written. */
function assertListed(market: SimulatedMarket, symbols: readonly string[]): void {
  for (const s of symbols) if (market.asset(s) === undefined) throw new UnknownSymbolError(s);
}

/** Writes generated history for every symbol in one all-or-nothing write. */
export async function generateIntoStore(
  store: BarStore,
  options: GenerateOptions,
  onProgress?: (symbol: string, rows: number) => void,
): Promise<WriteSummary & { readonly rows: number }> {
  const market = marketFor(options);
  assertListed(market, options.symbols);
  const writer = await store.writer();
  let rows = 0;
  try {
    for (const symbol of options.symbols) {
      for (const page of pages(market, symbol, options)) {
        await writer.write(page);
        rows += page.length;
        onProgress?.(symbol, rows);
      }
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if (rows === 0) {
    await writer.abort();
    return { inserted: 0, replaced: 0, series: [], rows };
  }
  return { ...(await writer.commit('generated')), rows };
}

/** Generated history of each symbol as in-memory series (a backtest without the store). */
export function generateSeries(options: GenerateOptions): BarSeries[] {
  const market = marketFor(options);
  assertListed(market, options.symbols);
  return options.symbols.map((symbol) => {
    const chunks: BarRow[][] = [...pages(market, symbol, options)];
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const series = allocateSeries(symbol, options.timeframe, total, true);
    let i = 0;
    for (const chunk of chunks) {
      for (const r of chunk) {
        series.time[i] = r.time;
        series.open[i] = Number(r.open);
        series.high[i] = Number(r.high);
        series.low[i] = Number(r.low);
        series.close[i] = Number(r.close);
        series.volume[i] = r.volume;
        series.vwap[i] = r.vwap === null ? Number.NaN : Number(r.vwap);
        series.tradeCount[i] = r.tradeCount ?? Number.NaN;
        i += 1;
      }
    }
    const out = truncateSeries(series, i);
    splitAdjust(out, (date) => market.corporateActions.splitRatioOn(symbol, date));
    return out;
  });
}

/**
 * Back-adjusts a series for splits in place, as data vendors publish "adjusted" bars: every
 * bar before a split's ex-date has its prices divided by the ratio and its volume multiplied.
 * The simulated model's raw prices follow its splits (live accounts get the split applied to
 * their positions); a backtest holds no corporate actions, so without this a 4-for-1 split
 * would read as a 75 % crash.
 */
export function splitAdjust(series: BarSeries, ratioOn: (newYorkDate: string) => number): void {
  let factor = 1;
  let nextDate: string | undefined;
  for (let i = series.length - 1; i >= 0; i--) {
    const date = newYorkDate(series.time[i] ?? 0);
    if (nextDate !== undefined && date !== nextDate) factor *= ratioOn(nextDate);
    nextDate = date;
    if (factor === 1) continue;
    series.open[i] = (series.open[i] ?? 0) / factor;
    series.high[i] = (series.high[i] ?? 0) / factor;
    series.low[i] = (series.low[i] ?? 0) / factor;
    series.close[i] = (series.close[i] ?? 0) / factor;
    series.vwap[i] = (series.vwap[i] ?? Number.NaN) / factor;
    series.volume[i] = (series.volume[i] ?? 0) * factor;
  }
}
