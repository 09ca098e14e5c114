/**
 * The time-series store port: where imported or generated bars live and how the bars route,
 * the replay feed and backtests read them. One adapter, `SqlBarStore`, on the SQL database of
 * the venue (PostgreSQL or embedded PGlite); tests run it on both.
 */
import type { Bar, BarRow, BarSeries, SeriesSource, Timeframe } from './bars.ts';

/** One stored series, as the catalog knows it. */
export interface SeriesInfo {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly source: SeriesSource;
  readonly first: Date;
  readonly last: Date;
  readonly count: number;
  readonly updatedAt: Date;
}

/** What a committed write changed. */
export interface WriteSummary {
  /** Rows that were not stored before. */
  readonly inserted: number;
  /** Rows that replaced a stored bar with the same symbol, timeframe and start. */
  readonly replaced: number;
  /** The series the write touched, after it. */
  readonly series: readonly SeriesInfo[];
}

/**
 * An all-or-nothing write: rows go to a staging area as they come (a file larger than memory
 * never has to be held), and only `commit` makes them visible, replacing stored bars with the
 * same key. `abort` (or a failed commit) leaves the store exactly as it was.
 */
export interface BarWriter {
  write(rows: readonly BarRow[]): Promise<void>;
  /**
   * `distinct: true` promises that no two written rows share a key (a file read in time order
   * per symbol), which spares the merge a sort.
   */
  commit(source: SeriesSource, options?: { readonly distinct?: boolean }): Promise<WriteSummary>;
  abort(): Promise<void>;
}

/** A range of a series; `end` exclusive. */
export interface BarRange {
  readonly start?: Date;
  readonly end?: Date;
}

export interface BarStore {
  /** Creates or upgrades the tables (idempotent). */
  migrate(): Promise<void>;
  /** Starts an atomic write. */
  writer(): Promise<BarWriter>;
  /** The stored series, by symbol then timeframe. */
  series(filter?: {
    readonly symbol?: string;
    readonly timeframe?: Timeframe;
  }): Promise<SeriesInfo[]>;
  /** Bars of one series in `range`, earliest first, at most `limit` (REST pages). */
  bars(
    symbol: string,
    timeframe: Timeframe,
    range: BarRange & { readonly limit: number },
  ): Promise<Bar[]>;
  /** A whole range of one series as numbers (backtests); `undefined` when nothing is stored. */
  readSeries(
    symbol: string,
    timeframe: Timeframe,
    range?: BarRange,
  ): Promise<BarSeries | undefined>;
  /**
   * Bars of every stored symbol (or of `symbols`) with a start in `range`, in time order then
   * symbol order, at most `limit` (the replay feed's window scan).
   */
  window(
    timeframe: Timeframe,
    range: Required<BarRange> & { readonly limit: number; readonly symbols?: readonly string[] },
  ): Promise<(Bar & { readonly symbol: string })[]>;
}
