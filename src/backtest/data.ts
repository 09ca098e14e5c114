/**
 * Loads the bars a backtest needs: stored history (the time-series store), generated history
 * (the seeded simulated model) or a CSV read in memory (`--data`), with the warm-up bars the
 * strategy asks for before `from`, and the benchmark.
 */
import type { Readable } from 'node:stream';
import { UnknownSymbolError } from '../market/port.ts';
import { DEFAULT_UNIVERSE } from '../market/simulated/universe.ts';
import { generateSeries } from '../history/generate.ts';
import { readCsvBars, type CsvReadSummary } from '../history/csv-read.ts';
import { seriesFromRows, type BarRow, type BarSeries, type Timeframe } from '../history/bars.ts';
import type { BarStore } from '../history/store.ts';
import type { CsvReadOptions } from '../history/csv-layout.ts';
import type { BacktestRequest } from './request.ts';
import type { BacktestData } from './run.ts';
import { dayStart } from './run.ts';
import type { Params, StrategyDefinition } from './strategy.ts';

/** No bars for a symbol: the message says how to get some. */
export class MissingDataError extends Error {
  override readonly name = 'MissingDataError';
  readonly code = 'no_data';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const DAY = 86_400_000;
const listed = new Set(DEFAULT_UNIVERSE.map((i) => i.symbol));

/** First instant to load so `warmup` bars precede `from` (calendar slack for weekends and holidays). */
export function warmupStart(from: string, timeframe: Timeframe, warmup: number): number {
  const start = dayStart(from);
  if (warmup <= 0) return start;
  const days = timeframe === '1Day' ? Math.ceil(warmup * 1.5) + 10 : Math.ceil(warmup / 390) + 5;
  return start - days * DAY;
}

/** Reads a CSV of one or more symbols into series (`--data`: no import). */
export async function seriesFromCsv(
  input: Readable,
  options: CsvReadOptions,
): Promise<{ readonly series: BarSeries[]; readonly summary: CsvReadSummary }> {
  const rows = new Map<string, BarRow[]>();
  const summary = await readCsvBars(input, options, {
    onRows: (chunk) => {
      for (const r of chunk) {
        let list = rows.get(r.symbol);
        if (list === undefined) rows.set(r.symbol, (list = []));
        list.push(r);
      }
    },
  });
  const series = [...rows.keys()].sort().map((symbol) => {
    const list = rows.get(symbol) ?? [];
    // Later rows with the same start win, as an import would keep them.
    const byTime = new Map<number, BarRow>();
    for (const r of list) byTime.set(r.time, r);
    return seriesFromRows([...byTime.values()], false);
  });
  return { series, summary };
}

export interface LoadSources {
  readonly store?: BarStore;
  /** Series read from a CSV (`--data`): used instead of the store and the generator. */
  readonly csv?: readonly BarSeries[];
}

/** Loads the data of a request. Throws `MissingDataError` naming the symbol without bars. */
export async function loadBacktestData(
  request: BacktestRequest,
  definition: StrategyDefinition,
  params: Params,
  sources: LoadSources,
): Promise<BacktestData> {
  const warmup = definition.warmup?.(params) ?? 0;
  const start = warmupStart(request.from, request.timeframe, warmup);
  const end = dayStart(request.to) + DAY;
  if (sources.csv !== undefined) {
    const bySymbol = new Map(sources.csv.map((s) => [s.symbol, s]));
    const series = request.symbols.map((symbol) => {
      const s = bySymbol.get(symbol);
      if (s === undefined) {
        throw new MissingDataError(
          `the CSV has no bars for ${symbol}; it has ${[...bySymbol.keys()].join(', ') || 'none'}`,
          'symbols',
        );
      }
      if (s.timeframe !== request.timeframe) {
        throw new MissingDataError(
          `the CSV holds ${s.timeframe} bars, the request asks for ${request.timeframe}; pass --timeframe ${s.timeframe === '1Day' ? '1d' : '1m'}`,
          'timeframe',
        );
      }
      return s;
    });
    const benchSymbol =
      request.benchmark === null ? undefined : (request.benchmark ?? request.symbols[0]);
    return {
      series,
      ...(benchSymbol !== undefined && bySymbol.has(benchSymbol)
        ? { benchmark: bySymbol.get(benchSymbol) }
        : {}),
      source: 'csv',
    };
  }
  const loaded = await Promise.all(
    request.symbols.map((symbol) => loadOne(symbol, request, start, end, sources.store, 'symbols')),
  );
  const series = loaded.map((l) => l.series);
  const kinds = new Set(loaded.map((l) => l.kind));
  let benchmark: BarSeries | undefined;
  if (request.benchmark !== null) {
    // The default benchmark comes from the same kind of data as the symbols: real history is
    // never compared with a simulated SPY.
    const kind = kinds.has('stored') ? 'stored' : 'generated';
    const wanted =
      request.benchmark ??
      ((await hasData('SPY', request, sources.store, kind)) ? 'SPY' : request.symbols[0]);
    if (wanted !== undefined) {
      const inSet = series.find((s) => s.symbol === wanted);
      benchmark =
        inSet ??
        (await loadOne(wanted, request, dayStart(request.from), end, sources.store, 'benchmark'))
          .series;
    }
  }
  return {
    series,
    ...(benchmark === undefined ? {} : { benchmark }),
    source: kinds.size === 1 && kinds.has('generated') ? 'generated' : 'stored',
  };
}

async function hasData(
  symbol: string,
  request: BacktestRequest,
  store: BarStore | undefined,
  kind: 'stored' | 'generated',
): Promise<boolean> {
  if (kind === 'stored') {
    return (
      store !== undefined &&
      (await store.series({ symbol, timeframe: request.timeframe })).length > 0
    );
  }
  return listed.has(symbol);
}

async function loadOne(
  symbol: string,
  request: BacktestRequest,
  start: number,
  end: number,
  store: BarStore | undefined,
  field: string,
): Promise<{ series: BarSeries; kind: 'stored' | 'generated' }> {
  if (request.data !== 'generated' && store !== undefined) {
    const stored = await store.readSeries(symbol, request.timeframe, {
      start: new Date(start),
      end: new Date(end),
    });
    if (stored !== undefined) return { series: stored, kind: 'stored' };
  }
  if (request.data === 'stored') {
    throw new MissingDataError(
      `no stored ${request.timeframe} bars for ${symbol} between ${request.from} and ${request.to}; import a CSV with \`paper-trading data import\` or use data "generated"`,
      field,
    );
  }
  try {
    const [series] = generateSeries({
      symbols: [symbol],
      from: new Date(start),
      to: new Date(end),
      timeframe: request.timeframe,
      seed: request.seed,
    });
    if (series === undefined || series.length === 0) throw new UnknownSymbolError(symbol);
    return { series, kind: 'generated' };
  } catch (error) {
    if (!(error instanceof UnknownSymbolError)) throw error;
    throw new MissingDataError(
      `no stored bars for ${symbol}, and the simulated universe does not list it; import its history with \`paper-trading data import <file.csv> --symbol ${symbol}\` or pass --data`,
      field,
    );
  }
}
