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
  /** Column of each field, `-1` when the file has none (numbers: read once per row). */
  readonly #col: {
    readonly symbol: number;
    readonly time: number;
    readonly open: number;
    readonly high: number;
    readonly low: number;
    readonly close: number;
    readonly volume: number;
    readonly tradeCount: number;
    readonly vwap: number;
    readonly adjClose: number;
  };
  readonly #dates = new Map<string, number>();
  readonly #last = new Map<string, number>();
  /** The latest row's symbol and bar start (the `#last` entry of a run of one symbol). */
  #lastSymbol: string | undefined;
  #lastTime = 0;
  /** Date part (`YYYY-MM-DDT`) of the latest UTC instant read, and its UTC midnight. */
  #instantDay = '';
  #instantDayMs = 0;
  /** Why the latest `#price` call found no price. */
  #reason = '';
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
    this.#col = {
      symbol: index.symbol ?? -1,
      time: index.time ?? -1,
      open: index.open ?? -1,
      high: index.high ?? -1,
      low: index.low ?? -1,
      close: index.close ?? -1,
      volume: index.volume ?? -1,
      tradeCount: index.tradeCount ?? -1,
      vwap: index.vwap ?? -1,
      adjClose: index.adjClose ?? -1,
    };
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
    const col = this.#col;
    let symbol = this.#symbol;
    if (symbol === undefined) {
      // Validated once in the constructor when it comes from the options.
      symbol = normalizeCsvSymbol(col.symbol < 0 ? '' : (fields[col.symbol] ?? ''));
      if (!isValidEquitySymbol(symbol)) {
        return {
          line,
          reason: `symbol "${fields[col.symbol < 0 ? 0 : col.symbol] ?? ''}" is not a US stock ticker`,
        };
      }
    }
    const time = this.#time(fields);
    if (typeof time === 'string') return { line, reason: time };
    let open = this.#price(fields, col.open, 'open');
    if (open === undefined) return { line, reason: this.#reason };
    let high = this.#price(fields, col.high, 'high');
    if (high === undefined) return { line, reason: this.#reason };
    let low = this.#price(fields, col.low, 'low');
    if (low === undefined) return { line, reason: this.#reason };
    let close = this.#price(fields, col.close, 'close');
    if (close === undefined) return { line, reason: this.#reason };
    const o = Number(open);
    const h = Number(high);
    const l = Number(low);
    const c = Number(close);
    if (o <= 0 || h <= 0 || l <= 0 || c <= 0) return { line, reason: 'prices must be positive' };
    if (h < Math.max(o, c, l)) return { line, reason: `high ${high} is below open, low or close` };
    if (l > Math.min(o, c)) return { line, reason: `low ${low} is above open or close` };
    if (this.#adjust) {
      const raw = (fields[col.adjClose] ?? '').trim();
      if (!DECIMAL.test(raw) || Number(raw) <= 0) {
        return { line, reason: `Adj Close is not a positive decimal: "${raw}"` };
      }
      const factor = Number(raw) / c;
      open = adjusted(o, factor);
      high = adjusted(h, factor);
      low = adjusted(l, factor);
      close = adjusted(c, factor);
    }
    const volume = this.#count(fields, col.volume, 'volume', true);
    if (typeof volume === 'string') return { line, reason: volume };
    const trades = this.#count(fields, col.tradeCount, 'trade count', false);
    if (typeof trades === 'string') return { line, reason: trades };
    let vwap: string | null = null;
    if (col.vwap >= 0) {
      const raw = (fields[col.vwap] ?? '').trim();
      if (raw !== '') {
        if (!isDecimal(raw)) return { line, reason: `vwap is not a decimal number: "${raw}"` };
        vwap = raw;
      }
    }
    const previous = symbol === this.#lastSymbol ? this.#lastTime : this.#last.get(symbol);
    if (previous === time) {
      return { line, reason: `duplicate bar: ${symbol} at ${new Date(time).toISOString()} again` };
    }
    if (previous !== undefined && time < previous) this.#unsorted = true;
    if (symbol !== this.#lastSymbol) {
      if (this.#lastSymbol !== undefined) this.#last.set(this.#lastSymbol, this.#lastTime);
      this.#lastSymbol = symbol;
    }
    this.#lastTime = time;
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

  /** The decimal text of a price column (a leading `$` dropped), or `undefined` and `#reason`. */
  #price(fields: readonly string[], index: number, name: string): string | undefined {
    let raw = (fields[index] ?? '').trim();
    if (raw.charCodeAt(0) === 36) raw = raw.slice(1); // a leading "$"
    if (isDecimal(raw)) return raw;
    this.#reason =
      raw === '' || raw.toLowerCase() === 'null'
        ? `${name} is missing`
        : `${name} is not a decimal number: "${raw}"`;
    return undefined;
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
    if (UTC_INSTANT.test(raw)) return this.#barStart(this.#utcInstant(raw), raw, false);
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

  /**
   * `Date.parse` of a UTC instant (`UTC_INSTANT`), the date part cached: rows of one day
   * differ only in their time of day, read from the digits (`Date.parse` was the slow part).
   */
  #utcInstant(raw: string): number {
    const n = raw.length;
    // `…:SSZ` or `…:SS.mmmZ`; other fractions, and times out of range, go to `Date.parse`.
    if (n !== 20 && n !== 24) return Date.parse(raw);
    const hour = digits2(raw, 11);
    const minute = digits2(raw, 14);
    const second = digits2(raw, 17);
    if (hour > 23 || minute > 59 || second > 59) return Date.parse(raw);
    const ms = n === 24 ? digits2(raw, 20) * 10 + raw.charCodeAt(22) - 48 : 0;
    if (this.#instantDay === '' || !raw.startsWith(this.#instantDay)) {
      const parsed = Date.parse(raw);
      if (!Number.isFinite(parsed)) return parsed;
      this.#instantDay = raw.slice(0, 11);
      this.#instantDayMs = parsed - ((hour * 60 + minute) * 60 + second) * 1000 - ms;
      return parsed;
    }
    return this.#instantDayMs + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
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
    index: number,
    name: string,
    fractional: boolean,
  ): number | null | string {
    if (index < 0) return null;
    const raw = (fields[index] ?? '').trim();
    if (raw === '' || raw.toLowerCase() === 'null') return null;
    if (!(fractional ? isDecimal(raw) : isWhole(raw))) {
      return `${name} is not a ${fractional ? 'non-negative number' : 'whole number'}: "${raw}"`;
    }
    return Number(raw);
  }
}

/** `DECIMAL.test(s)` (digits, optionally a point and digits), without the regular-expression call. */
function isDecimal(s: string): boolean {
  const n = s.length;
  let i = 0;
  while (i < n && isDigit(s.charCodeAt(i))) i += 1;
  if (i === 0) return false;
  if (i === n) return true;
  if (s.charCodeAt(i) !== 46 || i + 1 === n) return false; // "."
  for (i += 1; i < n; i += 1) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** `/^\d+$/.test(s)`. */
function isWhole(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i += 1) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The two-digit number at `at` of a string already known to hold digits there. */
function digits2(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;
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
