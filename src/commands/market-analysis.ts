/**
 * Market analysis for every interface (REST, MCP, backtests): technical indicators over
 * split-adjusted bars, the full-universe scanner and the reference data (ratings, events,
 * depth, news), read from the market and reference-data ports. No account is involved, so no
 * authorization beyond being signed in; the analytics themselves live in `src/analysis`.
 */
import { splitAdjusted, type HistoryBar, type SplitEvent } from '../analysis/history.ts';
import {
  computeIndicators,
  type IndicatorSeriesResult,
  type IndicatorSpec,
} from '../analysis/indicators.ts';
import {
  dailyFigures,
  scan,
  type DailyFigures,
  type ScanCriteria,
  type ScanResult,
  type ScanSort,
  type ScanSnapshot,
} from '../analysis/scanner.ts';
import { dailyBars, previousSession, recentSessionDates } from '../market/history.ts';
import type { Bar, MarketData, Timeframe } from '../market/port.ts';
import { UnknownSymbolError } from '../market/port.ts';
import type {
  AnalystRatings,
  CorporateAction,
  DepthOfBook,
  EarningsEvent,
  EconomicRelease,
  Headline,
  ReferenceData,
} from '../market/reference.ts';
import { addDays, newYorkDate, newYorkWallTime } from '../market/time-zone.ts';

/**
 * Scanner criteria as both interfaces name them (snake_case, percentages in percent): REST's
 * query parameters and the `scan_market` tool's arguments are the same words.
 */
export interface ScanParameters {
  readonly min_price?: number | undefined;
  readonly max_price?: number | undefined;
  readonly min_volume?: number | undefined;
  readonly min_relative_volume?: number | undefined;
  readonly min_change_percent?: number | undefined;
  readonly max_change_percent?: number | undefined;
  readonly min_gap_percent?: number | undefined;
  readonly max_gap_percent?: number | undefined;
  readonly rsi_below?: number | undefined;
  readonly rsi_above?: number | undefined;
  readonly ma_cross?: 'golden' | 'death' | undefined;
  readonly cross_within_days?: number | undefined;
  readonly above_sma?: 20 | 50 | 200 | undefined;
  readonly below_sma?: 20 | 50 | 200 | undefined;
  readonly within_52w_high_percent?: number | undefined;
  readonly within_52w_low_percent?: number | undefined;
  /** Sector names, or one comma-separated string of them. */
  readonly sector?: string | readonly string[] | undefined;
  readonly sort?: ScanSort | undefined;
  readonly direction?: 'asc' | 'desc' | undefined;
  readonly limit?: number | undefined;
}

/** The scanner's criteria for interface parameters. */
export function scanCriteriaOf(p: ScanParameters): ScanCriteria {
  const sectors =
    p.sector === undefined
      ? undefined
      : (typeof p.sector === 'string' ? p.sector.split(',') : p.sector)
          .map((s) => s.trim())
          .filter((s) => s !== '');
  const entries: [keyof ScanCriteria, unknown][] = [
    ['minPrice', p.min_price],
    ['maxPrice', p.max_price],
    ['minVolume', p.min_volume],
    ['minRelativeVolume', p.min_relative_volume],
    ['minChangePercent', p.min_change_percent],
    ['maxChangePercent', p.max_change_percent],
    ['minGapPercent', p.min_gap_percent],
    ['maxGapPercent', p.max_gap_percent],
    ['rsiBelow', p.rsi_below],
    ['rsiAbove', p.rsi_above],
    ['maCross', p.ma_cross],
    ['crossWithinDays', p.cross_within_days],
    ['aboveSma', p.above_sma],
    ['belowSma', p.below_sma],
    ['within52wHighPercent', p.within_52w_high_percent],
    ['within52wLowPercent', p.within_52w_low_percent],
    ['sectors', sectors],
    ['sort', p.sort],
    ['direction', p.direction],
    ['limit', p.limit],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

/** Thrown when the feed offers no reference data (only the simulated feed has it so far). */
export class ReferenceDataUnavailable extends Error {
  override readonly name = 'ReferenceDataUnavailable';
  readonly code = 'reference_data_unavailable';
  constructor() {
    super('This market feed has no reference data (ratings, events, depth, news)');
  }
}

/** A bar with its decimal strings kept, and its split-adjusted floats. */
export interface AnalysisBar extends HistoryBar {
  readonly source: Bar;
}

export interface IndicatorReport {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** Bars returned (the last `limit`), after the warm-up bars used before them. */
  readonly bars: readonly AnalysisBar[];
  readonly series: readonly IndicatorSeriesResult[];
  /** Splits the bars were adjusted for. */
  readonly splits: readonly SplitEvent[];
  readonly simulated: boolean;
}

/** Bars read before the returned ones so slow indicators are warm: this many × the longest period. */
const WARMUP_FACTOR = 3;
const MAX_BARS = 10_000;
const MINUTES_PER_SESSION = 960;

export class MarketAnalysis {
  readonly #daily = new Map<string, Promise<DailyFigures | undefined>>();
  /** Past closes never change: kept per symbol, length and trading day. */
  readonly #closes = new Map<string, AnalysisBar[]>();
  readonly #sessions = new Map<string, string[]>();
  readonly #intraday = new Map<
    string,
    { date: string; open: number | null; volume: number; through: number }
  >();

  constructor(
    private readonly market: MarketData,
    private readonly reference: ReferenceData | undefined,
  ) {}

  /** Splits of a symbol with ex-dates up to today, as ratios. */
  splits(symbol: string, from: string, to: string): SplitEvent[] {
    return (this.reference?.corporateActions.actions({ from, to, symbol }) ?? []).flatMap((a) =>
      a.kind === 'split' ? [{ exDate: a.exDate, ratio: a.newShares / a.oldShares }] : [],
    );
  }

  /** The last `count` completed bars, split-adjusted (floats; `source` keeps the record). */
  async bars(symbol: string, timeframe: Timeframe, count: number): Promise<AnalysisBar[]> {
    const now = this.market.clock.now();
    let raw: Bar[];
    if (timeframe === '1Day') {
      raw = await dailyBars(this.market, symbol, now, count);
    } else {
      const sessions = Math.ceil(count / MINUTES_PER_SESSION) + 1;
      let start = this.market.calendar.sessionOnOrBefore(newYorkDate(now));
      for (let i = 1; i < sessions; i++) {
        start = this.market.calendar.sessionOnOrBefore(addDays(start.date, -1));
      }
      raw = [];
      let from = start.preOpen;
      for (;;) {
        const page = await this.market.bars(symbol, {
          timeframe,
          start: from,
          end: now,
          limit: MAX_BARS,
        });
        raw.push(...page);
        const last = page.at(-1);
        if (page.length < MAX_BARS || last === undefined) break;
        from = new Date(Date.parse(last.time) + 1);
      }
      raw = raw.slice(-count);
    }
    const first = raw[0]?.time.slice(0, 10) ?? newYorkDate(now);
    const splits = this.splits(symbol, addDays(first, 1), newYorkDate(now));
    const floats = raw.map((b) => ({
      time: b.time,
      open: Number(b.open),
      high: Number(b.high),
      low: Number(b.low),
      close: Number(b.close),
      volume: b.volume,
      source: b,
    }));
    return splitAdjusted(floats, splits);
  }

  /**
   * Split-adjusted daily closes of the last `count` completed sessions, oldest first, as bars
   * whose open, high and low are the close — cheap when the feed answers `dailyClose`, else
   * from the daily bars. For risk and long averages, which need nothing else.
   */
  async closes(symbol: string, count: number): Promise<AnalysisBar[]> {
    const read = this.market.dailyClose?.bind(this.market);
    if (read === undefined) return this.bars(symbol, '1Day', count);
    const now = this.market.clock.now();
    const today = newYorkDate(now);
    const last = this.market.calendar.sessionOnOrBefore(today);
    const completed =
      last.close.getTime() <= now.getTime()
        ? last.date
        : previousSession(this.market.calendar, now).date;
    const key = `${symbol}|${String(count)}|${completed}`;
    const known = this.#closes.get(key);
    if (known !== undefined) return known;
    let dates = this.#sessions.get(`${String(count)}|${today}`);
    if (dates === undefined) {
      dates = recentSessionDates(this.market.calendar, now, count + 1);
      if (this.#sessions.size > 100) this.#sessions.clear();
      this.#sessions.set(`${String(count)}|${today}`, dates);
    }
    const out: AnalysisBar[] = [];
    for (const date of dates) {
      const close = read(symbol, date);
      if (close === undefined) continue;
      const c = Number(close);
      const time = newYorkWallTime(date, 0).toISOString();
      out.push({
        time: date,
        open: c,
        high: c,
        low: c,
        close: c,
        volume: 0,
        source: {
          time,
          open: close,
          high: close,
          low: close,
          close,
          volume: 0,
          vwap: close,
          tradeCount: 0,
        },
      });
    }
    const kept = out.slice(-count);
    const first = kept[0]?.time ?? today;
    const adjusted = splitAdjusted(kept, this.splits(symbol, addDays(first, 1), today));
    if (this.#closes.size > 2_000) this.#closes.clear();
    this.#closes.set(key, adjusted);
    return adjusted;
  }

  /** Indicators over the last `limit` bars (read with warm-up bars before them). */
  async indicators(
    symbol: string,
    specs: readonly IndicatorSpec[],
    timeframe: Timeframe,
    limit: number,
  ): Promise<IndicatorReport> {
    const asset = this.market.asset(symbol);
    if (asset === undefined) throw new UnknownSymbolError(symbol);
    const longest = Math.max(1, ...specs.flatMap((s) => s.params));
    const warmup = Math.min(MAX_BARS - limit, WARMUP_FACTOR * longest + 50);
    const bars = await this.bars(asset.symbol, timeframe, limit + Math.max(0, warmup));
    const all = computeIndicators(bars, specs);
    const skip = Math.max(0, bars.length - limit);
    const now = newYorkDate(this.market.clock.now());
    return {
      symbol: asset.symbol,
      timeframe,
      bars: bars.slice(skip),
      series: all.map((s) => ({
        spec: s.spec,
        warmup: Math.max(0, s.warmup - skip),
        values: s.values.slice(skip),
      })),
      splits: this.splits(asset.symbol, addDays(bars[0]?.time.slice(0, 10) ?? now, 1), now),
      simulated: asset.simulated,
    };
  }

  /** Scans the whole universe with `criteria`. */
  async scan(criteria: ScanCriteria): Promise<ScanResult & { readonly asOf: string }> {
    const snapshots = await this.snapshots();
    return { ...scan(snapshots, criteria), asOf: this.market.clock.now().toISOString() };
  }

  /** One snapshot per listed symbol with a quote. */
  async snapshots(): Promise<ScanSnapshot[]> {
    const now = this.market.clock.now();
    const session = this.market.calendar.session(now);
    const elapsed =
      session === undefined
        ? 1
        : Math.min(
            1,
            Math.max(
              0,
              (now.getTime() - session.open.getTime()) /
                (session.close.getTime() - session.open.getTime()),
            ),
          );
    const out: ScanSnapshot[] = [];
    await Promise.all(
      this.market.assets().map(async (asset) => {
        const quote = this.market.latestQuote(asset.symbol);
        if (quote === undefined) return;
        const bid = Number(quote.bid);
        const ask = Number(quote.ask);
        const price = bid > 0 && ask > 0 ? (bid + ask) / 2 : Number(quote.last);
        const figures = await this.#dailyFigures(asset.symbol, now);
        const today = await this.#today(asset.symbol, now);
        const base = figures ?? dailyFigures([]);
        out.push({
          symbol: asset.symbol,
          name: asset.name,
          sector: asset.sector,
          price,
          ...base,
          high52w: base.high52w === null ? null : Math.max(base.high52w, price),
          low52w: base.low52w === null ? null : Math.min(base.low52w, price),
          open: today.open,
          volume: today.volume,
          sessionElapsed: elapsed,
        });
      }),
    );
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  /** Daily figures from the last 260 completed sessions, cached per symbol and session. */
  #dailyFigures(symbol: string, now: Date): Promise<DailyFigures | undefined> {
    const key = `${symbol}|${previousSession(this.market.calendar, now).date}`;
    let figures = this.#daily.get(key);
    if (figures === undefined) {
      if (this.#daily.size > 5_000) this.#daily.clear();
      figures = Promise.all([this.closes(symbol, 260), this.bars(symbol, '1Day', 20)]).then(
        ([closes, recent]) => {
          if (closes.length === 0) return undefined;
          // Averages and RSI from a year of closes; volume and the latest range from real bars.
          const byDate = new Map(recent.map((b) => [b.time.slice(0, 10), b]));
          const merged = closes.map((c) => byDate.get(c.time.slice(0, 10)) ?? c);
          return dailyFigures(merged);
        },
      );
      this.#daily.set(key, figures);
    }
    return figures;
  }

  /**
   * Today's regular-session open and volume so far, from the minute bars since the open — kept
   * per symbol and added to with the bars completed since the last call.
   */
  async #today(symbol: string, now: Date): Promise<{ open: number | null; volume: number }> {
    const session = this.market.calendar.session(now);
    if (session === undefined || now.getTime() <= session.open.getTime())
      return { open: null, volume: 0 };
    const end = Math.min(now.getTime(), session.close.getTime());
    let known = this.#intraday.get(symbol);
    if (known?.date !== session.date) {
      known = { date: session.date, open: null, volume: 0, through: session.open.getTime() };
      this.#intraday.set(symbol, known);
    }
    if (end > known.through) {
      const bars = await this.market.bars(symbol, {
        timeframe: '1Min',
        start: new Date(known.through),
        end: new Date(end),
        limit: MAX_BARS,
      });
      const first = bars[0];
      if (known.open === null && first !== undefined) known.open = Number(first.open);
      for (const b of bars) known.volume += b.volume;
      const last = bars.at(-1);
      // Only completed bars are returned: continue after the last one seen.
      if (last !== undefined) known.through = Date.parse(last.time) + 60_000;
    }
    return { open: known.open, volume: known.volume };
  }

  // ─── reference data ───────────────────────────────────────────────────────────────────────

  #ref(): ReferenceData {
    if (this.reference === undefined) throw new ReferenceDataUnavailable();
    return this.reference;
  }

  #listed(symbol: string): string {
    const asset = this.market.asset(symbol);
    if (asset === undefined) throw new UnknownSymbolError(symbol);
    return asset.symbol;
  }

  ratings(symbol: string): AnalystRatings | undefined {
    return this.#ref().ratings.ratings(this.#listed(symbol), this.market.clock.now());
  }

  /** Earnings, dividends and splits of a symbol between two dates (default: −90 … +180 days). */
  events(
    symbol: string,
    range: { readonly from?: string; readonly to?: string } = {},
  ): { from: string; to: string; earnings: EarningsEvent[]; corporateActions: CorporateAction[] } {
    const listed = this.#listed(symbol);
    const ref = this.#ref();
    const today = newYorkDate(this.market.clock.now());
    const from = range.from ?? addDays(today, -90);
    const to = range.to ?? addDays(today, 180);
    return {
      from,
      to,
      earnings: ref.earnings.earnings(listed, from, to, this.market.clock.now()),
      corporateActions: ref.corporateActions.actions({ from, to, symbol: listed }),
    };
  }

  depth(symbol: string, levels: number): DepthOfBook | undefined {
    return this.#ref().depth.depth(this.#listed(symbol), levels);
  }

  /** The economic calendar around now and the latest headlines. */
  news(options: { readonly symbol?: string; readonly days?: number; readonly limit?: number }): {
    releases: EconomicRelease[];
    headlines: Headline[];
  } {
    const ref = this.#ref();
    const now = this.market.clock.now();
    const days = options.days ?? 7;
    const symbol = options.symbol === undefined ? undefined : this.#listed(options.symbol);
    return {
      releases: ref.news.calendar(
        new Date(now.getTime() - days * 86_400_000),
        new Date(now.getTime() + days * 86_400_000),
        now,
      ),
      headlines: ref.news.headlines(new Date(now.getTime() - days * 86_400_000), now, {
        ...(symbol === undefined ? {} : { symbol }),
        limit: options.limit ?? 20,
      }),
    };
  }
}
