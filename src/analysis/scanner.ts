/**
 * The market scanner: filters a universe of per-symbol snapshots (price, volume, change, gap,
 * RSI, moving averages, 52-week range, sector) by criteria, sorts and limits the hits, and
 * says for each hit why it matched. Snapshots are built from bars by `snapshotOf` with the
 * indicator library (`indicators.ts`); the filtering itself is plain comparisons. Pure.
 */
import { createIndicator, parseIndicatorSpec, type OhlcvBar } from './indicators.ts';

/** What the scanner knows about one symbol now. */
export interface ScanSnapshot {
  readonly symbol: string;
  readonly name: string;
  readonly sector: string;
  /** The latest price (mid of the quote, else last). */
  readonly price: number;
  readonly previousClose: number | null;
  /** Today's open; null before the open. */
  readonly open: number | null;
  /** Shares traded today so far. */
  readonly volume: number;
  /** Average daily volume of the last 20 sessions. */
  readonly averageVolume: number | null;
  /** Share of the regular session elapsed (0 … 1), for relative volume. */
  readonly sessionElapsed: number;
  readonly rsi14: number | null;
  readonly sma20: number | null;
  readonly sma50: number | null;
  readonly sma200: number | null;
  /** Sessions since SMA 50 last crossed SMA 200 (0 = today), and the direction. */
  readonly lastCross: { readonly kind: 'golden' | 'death'; readonly sessionsAgo: number } | null;
  readonly high52w: number | null;
  readonly low52w: number | null;
}

export type ScanSort =
  | 'change'
  | 'gap'
  | 'volume'
  | 'relative_volume'
  | 'rsi'
  | 'price'
  | 'symbol'
  | 'distance_to_high'
  | 'distance_to_low';

/** Every criterion is optional; a hit satisfies all that are given. Percentages are percent. */
export interface ScanCriteria {
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly minVolume?: number;
  readonly minRelativeVolume?: number;
  readonly minChangePercent?: number;
  readonly maxChangePercent?: number;
  readonly minGapPercent?: number;
  readonly maxGapPercent?: number;
  readonly rsiBelow?: number;
  readonly rsiAbove?: number;
  /** SMA 50 crossed SMA 200 upwards (golden) or downwards (death) within `crossWithinDays`. */
  readonly maCross?: 'golden' | 'death';
  readonly crossWithinDays?: number;
  readonly aboveSma?: 20 | 50 | 200;
  readonly belowSma?: 20 | 50 | 200;
  /** At most this many percent below the 52-week high. */
  readonly within52wHighPercent?: number;
  /** At most this many percent above the 52-week low. */
  readonly within52wLowPercent?: number;
  /** Sectors to keep (case-insensitive), e.g. "Information Technology", "ETF". */
  readonly sectors?: readonly string[];
  readonly sort?: ScanSort;
  readonly direction?: 'asc' | 'desc';
  readonly limit?: number;
}

/** One matching symbol with its figures and the reasons it matched. */
export interface ScanHit {
  readonly symbol: string;
  readonly name: string;
  readonly sector: string;
  readonly price: number;
  readonly changePercent: number | null;
  readonly gapPercent: number | null;
  readonly volume: number;
  readonly relativeVolume: number | null;
  readonly rsi14: number | null;
  readonly sma50: number | null;
  readonly sma200: number | null;
  readonly high52w: number | null;
  readonly low52w: number | null;
  readonly distanceToHighPercent: number | null;
  readonly distanceToLowPercent: number | null;
  readonly reasons: readonly string[];
}

export interface ScanResult {
  readonly scanned: number;
  readonly matched: number;
  readonly hits: readonly ScanHit[];
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;
const num = (x: number): string => (Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(2));

/** The figures of a snapshot the criteria and the sort read. */
function figuresOf(s: ScanSnapshot): Omit<ScanHit, 'reasons'> {
  const change =
    s.previousClose === null || s.previousClose <= 0
      ? null
      : (100 * (s.price - s.previousClose)) / s.previousClose;
  const gap =
    s.open === null || s.previousClose === null || s.previousClose <= 0
      ? null
      : (100 * (s.open - s.previousClose)) / s.previousClose;
  const expected =
    s.averageVolume === null ? null : s.averageVolume * Math.max(0.05, s.sessionElapsed);
  const relativeVolume = expected === null || expected <= 0 ? null : s.volume / expected;
  return {
    symbol: s.symbol,
    name: s.name,
    sector: s.sector,
    price: s.price,
    changePercent: change,
    gapPercent: gap,
    volume: s.volume,
    relativeVolume,
    rsi14: s.rsi14,
    sma50: s.sma50,
    sma200: s.sma200,
    high52w: s.high52w,
    low52w: s.low52w,
    distanceToHighPercent:
      s.high52w === null || s.high52w <= 0 ? null : (100 * (s.high52w - s.price)) / s.high52w,
    distanceToLowPercent:
      s.low52w === null || s.low52w <= 0 ? null : (100 * (s.price - s.low52w)) / s.low52w,
  };
}

/** Why `s` passes every criterion given, or undefined when it fails one. */
function reasonsFor(
  s: ScanSnapshot,
  f: Omit<ScanHit, 'reasons'>,
  c: ScanCriteria,
): string[] | undefined {
  const reasons: string[] = [];
  const need = (ok: boolean, reason: string): boolean => {
    if (ok) reasons.push(reason);
    return ok;
  };
  const checks: (() => boolean)[] = [];
  if (c.minPrice !== undefined)
    checks.push(() =>
      need(f.price >= (c.minPrice ?? 0), `price ${num(f.price)} ≥ ${num(c.minPrice ?? 0)}`),
    );
  if (c.maxPrice !== undefined)
    checks.push(() =>
      need(f.price <= (c.maxPrice ?? 0), `price ${num(f.price)} ≤ ${num(c.maxPrice ?? 0)}`),
    );
  if (c.minVolume !== undefined)
    checks.push(() =>
      need(
        f.volume >= (c.minVolume ?? 0),
        `volume today ${f.volume.toFixed(0)} ≥ ${(c.minVolume ?? 0).toFixed(0)}`,
      ),
    );
  if (c.minRelativeVolume !== undefined) {
    checks.push(() =>
      need(
        f.relativeVolume !== null && f.relativeVolume >= (c.minRelativeVolume ?? 0),
        `relative volume ${f.relativeVolume?.toFixed(2) ?? 'n/a'}× ≥ ${(c.minRelativeVolume ?? 0).toFixed(2)}×`,
      ),
    );
  }
  if (c.minChangePercent !== undefined) {
    checks.push(() =>
      need(
        f.changePercent !== null && f.changePercent >= (c.minChangePercent ?? 0),
        `change ${f.changePercent === null ? 'n/a' : pct(f.changePercent)} ≥ ${pct(c.minChangePercent ?? 0)}`,
      ),
    );
  }
  if (c.maxChangePercent !== undefined) {
    checks.push(() =>
      need(
        f.changePercent !== null && f.changePercent <= (c.maxChangePercent ?? 0),
        `change ${f.changePercent === null ? 'n/a' : pct(f.changePercent)} ≤ ${pct(c.maxChangePercent ?? 0)}`,
      ),
    );
  }
  if (c.minGapPercent !== undefined) {
    checks.push(() =>
      need(
        f.gapPercent !== null && f.gapPercent >= (c.minGapPercent ?? 0),
        `gap at the open ${f.gapPercent === null ? 'n/a' : pct(f.gapPercent)} ≥ ${pct(c.minGapPercent ?? 0)}`,
      ),
    );
  }
  if (c.maxGapPercent !== undefined) {
    checks.push(() =>
      need(
        f.gapPercent !== null && f.gapPercent <= (c.maxGapPercent ?? 0),
        `gap at the open ${f.gapPercent === null ? 'n/a' : pct(f.gapPercent)} ≤ ${pct(c.maxGapPercent ?? 0)}`,
      ),
    );
  }
  if (c.rsiBelow !== undefined)
    checks.push(() =>
      need(
        s.rsi14 !== null && s.rsi14 < (c.rsiBelow ?? 0),
        `RSI(14) ${s.rsi14?.toFixed(1) ?? 'n/a'} < ${String(c.rsiBelow)}`,
      ),
    );
  if (c.rsiAbove !== undefined)
    checks.push(() =>
      need(
        s.rsi14 !== null && s.rsi14 > (c.rsiAbove ?? 0),
        `RSI(14) ${s.rsi14?.toFixed(1) ?? 'n/a'} > ${String(c.rsiAbove)}`,
      ),
    );
  if (c.maCross !== undefined) {
    const within = c.crossWithinDays ?? 10;
    checks.push(() =>
      need(
        s.lastCross !== null && s.lastCross.kind === c.maCross && s.lastCross.sessionsAgo <= within,
        `${c.maCross === 'golden' ? 'golden cross (SMA 50 above SMA 200)' : 'death cross (SMA 50 below SMA 200)'} ${s.lastCross?.sessionsAgo === 0 ? 'today' : `${String(s.lastCross?.sessionsAgo ?? '?')} sessions ago`}`,
      ),
    );
  }
  const sma = (period: 20 | 50 | 200): number | null =>
    period === 20 ? s.sma20 : period === 50 ? s.sma50 : s.sma200;
  if (c.aboveSma !== undefined) {
    const m = sma(c.aboveSma);
    checks.push(() =>
      need(
        m !== null && f.price > m,
        `price ${num(f.price)} above SMA ${String(c.aboveSma)} (${m === null ? 'n/a' : num(m)})`,
      ),
    );
  }
  if (c.belowSma !== undefined) {
    const m = sma(c.belowSma);
    checks.push(() =>
      need(
        m !== null && f.price < m,
        `price ${num(f.price)} below SMA ${String(c.belowSma)} (${m === null ? 'n/a' : num(m)})`,
      ),
    );
  }
  if (c.within52wHighPercent !== undefined) {
    checks.push(() =>
      need(
        f.distanceToHighPercent !== null &&
          f.distanceToHighPercent <= (c.within52wHighPercent ?? 0),
        `${f.distanceToHighPercent?.toFixed(2) ?? 'n/a'}% below the 52-week high ${s.high52w === null ? '' : num(s.high52w)}`,
      ),
    );
  }
  if (c.within52wLowPercent !== undefined) {
    checks.push(() =>
      need(
        f.distanceToLowPercent !== null && f.distanceToLowPercent <= (c.within52wLowPercent ?? 0),
        `${f.distanceToLowPercent?.toFixed(2) ?? 'n/a'}% above the 52-week low ${s.low52w === null ? '' : num(s.low52w)}`,
      ),
    );
  }
  if (c.sectors !== undefined && c.sectors.length > 0) {
    const wanted = c.sectors.map((x) => x.toLowerCase());
    checks.push(() => need(wanted.includes(s.sector.toLowerCase()), `sector ${s.sector}`));
  }
  for (const check of checks) if (!check()) return undefined;
  return reasons.length > 0 ? reasons : ['no criteria given: every listed symbol matches'];
}

const SORT_KEY: Readonly<
  Record<ScanSort, (h: Omit<ScanHit, 'reasons'>) => number | string | null>
> = {
  change: (h) => h.changePercent,
  gap: (h) => h.gapPercent,
  volume: (h) => h.volume,
  relative_volume: (h) => h.relativeVolume,
  rsi: (h) => h.rsi14,
  price: (h) => h.price,
  symbol: (h) => h.symbol,
  distance_to_high: (h) => h.distanceToHighPercent,
  distance_to_low: (h) => h.distanceToLowPercent,
};

/** Largest number of hits one scan returns. */
export const MAX_SCAN_LIMIT = 200;

/** Filters, sorts (nulls last) and limits. */
export function scan(snapshots: readonly ScanSnapshot[], criteria: ScanCriteria = {}): ScanResult {
  const hits: ScanHit[] = [];
  for (const s of snapshots) {
    const f = figuresOf(s);
    const reasons = reasonsFor(s, f, criteria);
    if (reasons !== undefined) hits.push({ ...f, reasons });
  }
  const sort = criteria.sort ?? 'change';
  const direction =
    criteria.direction ?? (sort === 'symbol' || sort.startsWith('distance') ? 'asc' : 'desc');
  const key = SORT_KEY[sort];
  hits.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === null || y === null)
      return x === y ? a.symbol.localeCompare(b.symbol) : x === null ? 1 : -1;
    const order =
      typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
    return (direction === 'asc' ? order : -order) || a.symbol.localeCompare(b.symbol);
  });
  const limit = Math.min(MAX_SCAN_LIMIT, Math.max(1, criteria.limit ?? 25));
  return { scanned: snapshots.length, matched: hits.length, hits: hits.slice(0, limit) };
}

/** Daily-history figures of a symbol: SMAs, RSI with today's price, crosses, 52-week range. */
export interface DailyFigures {
  readonly previousClose: number | null;
  readonly averageVolume: number | null;
  readonly rsi14: number | null;
  readonly sma20: number | null;
  readonly sma50: number | null;
  readonly sma200: number | null;
  readonly lastCross: ScanSnapshot['lastCross'];
  readonly high52w: number | null;
  readonly low52w: number | null;
}

const SMA20 = parseIndicatorSpec('sma:20');
const SMA50 = parseIndicatorSpec('sma:50');
const SMA200 = parseIndicatorSpec('sma:200');
const RSI14 = parseIndicatorSpec('rsi:14');

/**
 * Figures from completed daily bars (oldest first, split-adjusted): moving averages, RSI and
 * the last SMA 50/200 cross as of the last close, the 52-week range (with `price`, today's,
 * when given) and the 20-session average volume.
 */
export function dailyFigures(bars: readonly OhlcvBar[], price?: number): DailyFigures {
  const sma20 = createIndicator(SMA20);
  const sma50 = createIndicator(SMA50);
  const sma200 = createIndicator(SMA200);
  const rsi = createIndicator(RSI14);
  let fast: number | null = null;
  let slow: number | null = null;
  let lastCross: ScanSnapshot['lastCross'] = null;
  const series = bars;
  let r: number | null = null;
  let m20: number | null = null;
  for (let i = 0; i < series.length; i++) {
    const bar = series[i];
    if (bar === undefined) continue;
    const f = sma50.update(bar);
    const s = sma200.update(bar);
    const v20 = sma20.update(bar);
    const rv = rsi.update(bar);
    r = typeof rv === 'number' ? rv : null;
    m20 = typeof v20 === 'number' ? v20 : null;
    const nf = typeof f === 'number' ? f : null;
    const ns = typeof s === 'number' ? s : null;
    if (fast !== null && slow !== null && nf !== null && ns !== null) {
      if (fast <= slow && nf > ns)
        lastCross = { kind: 'golden', sessionsAgo: series.length - 1 - i };
      if (fast >= slow && nf < ns)
        lastCross = { kind: 'death', sessionsAgo: series.length - 1 - i };
    }
    fast = nf;
    slow = ns;
  }
  const year = bars.slice(-252);
  const recent = bars.slice(-20).filter((b) => b.volume > 0);
  return {
    previousClose: bars.at(-1)?.close ?? null,
    averageVolume:
      recent.length === 0 ? null : recent.reduce((a, b) => a + b.volume, 0) / recent.length,
    rsi14: r,
    sma20: m20,
    sma50: fast,
    sma200: slow,
    lastCross,
    high52w: year.length === 0 ? null : Math.max(price ?? 0, ...year.map((b) => b.high)),
    low52w:
      year.length === 0
        ? null
        : Math.min(price ?? Number.POSITIVE_INFINITY, ...year.map((b) => b.low)),
  };
}
