/**
 * CSV layouts people download, recognised by their header (case-insensitive; `<…>` brackets,
 * spaces and underscores ignored):
 *
 * - Yahoo Finance: `Date,Open,High,Low,Close,Adj Close,Volume`
 * - Alpaca / Polygon: `timestamp,open,high,low,close,volume[,trade_count,vwap]` or the short
 *   `t,o,h,l,c,v[,n,vw]`, with ISO-8601 or epoch (s, ms, ns) times
 * - Stooq: `Date,Open,High,Low,Close,Volume` or `<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,…` with
 *   `YYYYMMDD` dates (a `.US` suffix on the ticker is dropped)
 * - anything else with a time column and open/high/low/close (Nasdaq's `Close/Last`, `$` signs)
 *
 * A `symbol` (`ticker`) column names each row's symbol; otherwise `--symbol` or the file name.
 * Each data row becomes a `BarRow` or a `BadRow` naming its line and what is wrong with it.
 */
import { isValidEquitySymbol } from '../domain/instrument.ts';
import { newYorkDate, newYorkWallTime } from '../market/time-zone.ts';
import type { BarRow, Timeframe } from './bars.ts';

/** Which known layout a header matched. */
export type CsvLayout = 'yahoo' | 'alpaca' | 'polygon' | 'stooq' | 'generic';

/** A row that could not be read, with its 1-based line number in the file. */
export interface BadRow {
  readonly line: number;
  readonly reason: string;
}

/** A problem with the file as a whole (its header, or a missing symbol). */
export class CsvLayoutError extends Error {
  override readonly name = 'CsvLayoutError';
  readonly code = 'invalid_csv';
}

type Field =
  | 'time'
  | 'date'
  | 'clock'
  | 'open'
  | 'high'
  | 'low'
  | 'close'
  | 'adjClose'
  | 'volume'
  | 'vwap'
  | 'tradeCount'
  | 'symbol';

const ALIASES: Readonly<Record<string, Field>> = {
  timestamp: 'time',
  datetime: 'time',
  t: 'time',
  time: 'clock',
  date: 'date',
  day: 'date',
  open: 'open',
  o: 'open',
  high: 'high',
  h: 'high',
  low: 'low',
  l: 'low',
  close: 'close',
  c: 'close',
  'close/last': 'close',
  last: 'close',
  adjclose: 'adjClose',
  volume: 'volume',
  vol: 'volume',
  v: 'volume',
  vwap: 'vwap',
  vw: 'vwap',
  tradecount: 'tradeCount',
  trades: 'tradeCount',
  n: 'tradeCount',
  numberoftrades: 'tradeCount',
  symbol: 'symbol',
  ticker: 'symbol',
  sym: 'symbol',
};

/** How header names compare: case, `<>` brackets, spaces, dashes and underscores ignored. */
function normalizeHeader(name: string): string {
  return name
    .trim()
    .replace(/^\uFEFF/, '')
    .replace(/[<>]/g, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

/** The reading options of one file. */
export interface CsvReadOptions {
  /** Symbol of every row (overrides a symbol column). */
  readonly symbol?: string;
  /** Bar width; inferred from the first row when absent (dates → 1Day, times → 1Min). */
  readonly timeframe?: Timeframe;
  /** Scale open/high/low/close by `Adj Close / Close` (Yahoo), for split- and dividend-adjusted history. */
  readonly adjust?: boolean;
  /** A symbol taken from the file name when the file has no symbol column (`AAPL.csv`). */
  readonly fileSymbol?: string;
}

const DECIMAL = /^\d+(\.\d+)?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/;
const CLOCK = /^(\d{2}):?(\d{2}):?(\d{2})?$/;
/** A UTC ISO-8601 instant (Alpaca's and most APIs' timestamps): `Date.parse` reads it as is. */
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;

/** Normalises a ticker as files spell it: upper case, no `$`, no Stooq `.US` suffix. */
export function normalizeCsvSymbol(raw: string): string {
  return raw.trim().toUpperCase().replace(/^\$/, '').replace(/\.US$/, '');
}

/** Reads a CSV's rows once its header is known. Not thread-safe; one per file. */
export class CsvBarReader {
  readonly layout: CsvLayout;
  /** Header columns the reader does not use. */
  readonly ignored: readonly string[];
  #timeframe: Timeframe | undefined;
  readonly #index: Partial<Record<Field, number>>;
  readonly #width: number;
  readonly #symbol: string | undefined;
  readonly #adjust: boolean;
  readonly #dates = new Map<string, number>();
  readonly #last = new Map<string, number>();
  #unsorted = false;

  constructor(header: readonly string[], options: CsvReadOptions = {}) {
    const index: Partial<Record<Field, number>> = {};
    const ignored: string[] = [];
    header.forEach((raw, i) => {
      const field = ALIASES[normalizeHeader(raw)];
      if (field === undefined || index[field] !== undefined) {
        if (raw.trim() !== '') ignored.push(raw.trim());
        return;
      }
      index[field] = i;
    });
    // `Date` + `Time` (Stooq) is one instant; a lone `Time` column is the timestamp.
    if (index.time === undefined && index.date === undefined && index.clock !== undefined) {
      index.time = index.clock;
      delete index.clock;
    }
    const missing = (['open', 'high', 'low', 'close'] as const).filter(
      (f) => index[f] === undefined,
    );
    if (index.time === undefined && index.date === undefined) missing.unshift('date' as never);
    if (missing.length > 0) {
      throw new CsvLayoutError(
        `the header "${header.join(',')}" has no ${missing.join(', ')} column; expected a layout such as Date,Open,High,Low,Close,Volume (Yahoo, Stooq) or timestamp,open,high,low,close,volume (Alpaca, Polygon)`,
      );
    }
    if (options.adjust === true && index.adjClose === undefined) {
      throw new CsvLayoutError('adjusting needs an "Adj Close" column (Yahoo layout)');
    }
    const symbol = options.symbol ?? (index.symbol === undefined ? options.fileSymbol : undefined);
    if (symbol !== undefined && !isValidEquitySymbol(normalizeCsvSymbol(symbol))) {
      throw new CsvLayoutError(
        `"${symbol}" is not a US stock ticker such as AAPL or BRK.B; pass --symbol`,
      );
    }
    if (symbol === undefined && index.symbol === undefined) {
      throw new CsvLayoutError(
        'the file has no symbol column and its name is not a ticker; pass --symbol',
      );
    }
    this.#index = index;
    this.#width = header.length;
    this.#symbol = symbol === undefined ? undefined : normalizeCsvSymbol(symbol);
    this.#adjust = options.adjust === true;
    this.#timeframe = options.timeframe;
    this.ignored = ignored;
    this.layout = layoutOf(header.map(normalizeHeader), index);
  }

  /** The timeframe of the rows (known after the first good row unless given). */
  get timeframe(): Timeframe | undefined {
    return this.#timeframe;
  }

  /** True when some symbol's rows were not in time order (the store sorts them; later rows win). */
  get unsorted(): boolean {
    return this.#unsorted;
  }

  /** Reads one data row. */
  read(fields: readonly string[], line: number): BarRow | BadRow {
    if (fields.length !== this.#width) {
      return { line, reason: `expected ${this.#width} fields, got ${fields.length}` };
    }
    const i = this.#index;
    const symbol =
      this.#symbol ?? normalizeCsvSymbol(i.symbol === undefined ? '' : (fields[i.symbol] ?? ''));
    if (!isValidEquitySymbol(symbol)) {
      return { line, reason: `symbol "${fields[i.symbol ?? 0] ?? ''}" is not a US stock ticker` };
    }
    const time = this.#time(fields);
    if (typeof time === 'string') return { line, reason: time };
    const prices: string[] = [];
    for (const f of PRICE_FIELDS) {
      let raw = (fields[i[f] ?? -1] ?? '').trim();
      if (raw.charCodeAt(0) === 36) raw = raw.slice(1); // a leading "$"
      if (!DECIMAL.test(raw)) {
        return {
          line,
          reason:
            raw === '' || raw.toLowerCase() === 'null'
              ? `${f} is missing`
              : `${f} is not a decimal number: "${raw}"`,
        };
      }
      prices.push(raw);
    }
    let [open = '', high = '', low = '', close = ''] = prices;
    const o = Number(open);
    const h = Number(high);
    const l = Number(low);
    const c = Number(close);
    if (o <= 0 || h <= 0 || l <= 0 || c <= 0) return { line, reason: 'prices must be positive' };
    if (h < Math.max(o, c, l)) return { line, reason: `high ${high} is below open, low or close` };
    if (l > Math.min(o, c)) return { line, reason: `low ${low} is above open or close` };
    if (this.#adjust) {
      const raw = (fields[i.adjClose ?? -1] ?? '').trim();
      if (!DECIMAL.test(raw) || Number(raw) <= 0) {
        return { line, reason: `Adj Close is not a positive decimal: "${raw}"` };
      }
      const factor = Number(raw) / c;
      open = adjusted(o, factor);
      high = adjusted(h, factor);
      low = adjusted(l, factor);
      close = adjusted(c, factor);
    }
    const volume = this.#count(fields, i.volume, 'volume', true);
    if (typeof volume === 'string') return { line, reason: volume };
    const trades = this.#count(fields, i.tradeCount, 'trade count', false);
    if (typeof trades === 'string') return { line, reason: trades };
    let vwap: string | null = null;
    if (i.vwap !== undefined) {
      const raw = (fields[i.vwap] ?? '').trim();
      if (raw !== '') {
        if (!DECIMAL.test(raw)) return { line, reason: `vwap is not a decimal number: "${raw}"` };
        vwap = raw;
      }
    }
    const previous = this.#last.get(symbol);
    if (previous === time) {
      return { line, reason: `duplicate bar: ${symbol} at ${new Date(time).toISOString()} again` };
    }
    if (previous !== undefined && time < previous) this.#unsorted = true;
    this.#last.set(symbol, time);
    return {
      symbol,
      timeframe: this.#timeframe ?? '1Day',
      time,
      open,
      high,
      low,
      close,
      volume: volume ?? 0,
      vwap,
      tradeCount: trades,
    };
  }

  /** Epoch ms of the row's bar start, or the reason it has none. */
  #time(fields: readonly string[]): number | string {
    const i = this.#index;
    const rawDate = i.date === undefined ? undefined : (fields[i.date] ?? '').trim();
    const rawClock = i.clock === undefined ? undefined : (fields[i.clock] ?? '').trim();
    const raw = i.time === undefined ? (rawDate ?? '') : (fields[i.time] ?? '').trim();
    let ms: number;
    let dateOnly = false;
    // The common case first: one test instead of the layouts below it.
    if (UTC_INSTANT.test(raw)) return this.#barStart(Date.parse(raw), raw, false);
    const compact = COMPACT_DATE.exec(raw);
    const civil = DATE_ONLY.test(raw)
      ? raw
      : compact && i.time === undefined
        ? `${compact[1] ?? ''}-${compact[2] ?? ''}-${compact[3] ?? ''}`
        : undefined;
    if (civil !== undefined) {
      const clock = rawClock === undefined || rawClock === '' ? undefined : CLOCK.exec(rawClock);
      if (rawClock !== undefined && rawClock !== '' && !clock)
        return `time "${rawClock}" is not HH:MM:SS`;
      const [h, m, s] = clock
        ? [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)]
        : [0, 0, 0];
      const midnight = this.#midnight(civil);
      if (midnight === undefined) return `date "${raw}" is not a calendar date`;
      if (h === 0 && m === 0 && s === 0) {
        ms = midnight;
        dateOnly = true;
      } else {
        ms = newYorkWallTime(civil, h, m).getTime() + s * 1000;
      }
    } else if (/^\d{9,19}$/.test(raw)) {
      const n = Number(raw);
      ms = n >= 1e17 ? Math.floor(n / 1e6) : n >= 1e11 ? n : n * 1000;
    } else {
      const local = LOCAL_DATE_TIME.exec(raw);
      if (local && !HAS_OFFSET.test(raw)) {
        ms =
          newYorkWallTime(local[1] ?? '', Number(local[2]), Number(local[3])).getTime() +
          Number(local[4] ?? 0) * 1000;
      } else {
        ms = Date.parse(raw);
      }
    }
    return this.#barStart(ms, raw, dateOnly);
  }

  /** The bar start of a row stamped `ms` (from `raw`; `dateOnly` for a bare date). */
  #barStart(ms: number, raw: string, dateOnly: boolean): number | string {
    if (!Number.isFinite(ms)) {
      return raw === '' ? 'the date is missing' : `"${raw}" is not a date or timestamp`;
    }
    if (this.#timeframe === undefined) {
      this.#timeframe = dateOnly || this.#isNewYorkMidnight(ms) ? '1Day' : '1Min';
    }
    if (this.#timeframe === '1Day') {
      if (dateOnly) return ms;
      // A daily bar is its New York date; a UTC-midnight stamp names the UTC date.
      const date =
        ms % 86_400_000 === 0 ? new Date(ms).toISOString().slice(0, 10) : newYorkDate(ms);
      return this.#midnight(date) ?? `"${raw}" is not a date`;
    }
    if (ms % 60_000 !== 0) return `${new Date(ms).toISOString()} is not on a minute boundary`;
    return ms;
  }

  #isNewYorkMidnight(ms: number): boolean {
    return this.#midnight(newYorkDate(ms)) === ms;
  }

  /** New York midnight of a civil date, cached (the time-zone lookup is the slow part). */
  #midnight(date: string): number | undefined {
    let ms = this.#dates.get(date);
    if (ms === undefined) {
      const check = new Date(`${date}T12:00:00Z`);
      if (Number.isNaN(check.getTime()) || check.toISOString().slice(0, 10) !== date)
        return undefined;
      ms = newYorkWallTime(date, 0).getTime();
      if (this.#dates.size > 100_000) this.#dates.clear();
      this.#dates.set(date, ms);
    }
    return ms;
  }

  #count(
    fields: readonly string[],
    index: number | undefined,
    name: string,
    fractional: boolean,
  ): number | null | string {
    if (index === undefined) return null;
    const raw = (fields[index] ?? '').trim();
    if (raw === '' || raw.toLowerCase() === 'null') return null;
    if (!(fractional ? DECIMAL : /^\d+$/).test(raw)) {
      return `${name} is not a ${fractional ? 'non-negative number' : 'whole number'}: "${raw}"`;
    }
    return Number(raw);
  }
}

/** A price scaled by an adjustment factor, rounded to 6 decimals. */
function adjusted(price: number, factor: number): string {
  return String(Math.round(price * factor * 1e6) / 1e6);
}

function layoutOf(names: readonly string[], index: Partial<Record<Field, number>>): CsvLayout {
  if (index.adjClose !== undefined) return 'yahoo';
  if (names.includes('ticker') && names.includes('per')) return 'stooq';
  if (names.includes('t') && names.includes('o')) return 'polygon';
  if (names.includes('timestamp')) return 'alpaca';
  if (names.includes('date') && names.includes('open') && names.includes('volume')) return 'stooq';
  return 'generic';
}
