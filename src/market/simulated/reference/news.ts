/**
 * Simulated economic news: a US economic calendar (payrolls, unemployment, CPI, retail sales,
 * ISM, consumer sentiment, jobless claims, GDP, FOMC decisions) on their usual days and times,
 * with previous, consensus and — once released — actual figures; and headlines written from
 * what the simulated market did (releases against consensus, the close, the day's biggest
 * movers, dividends and splits declared). Nothing is published before its time.
 */
import type {
  CorporateActionCalendar,
  EconomicNews,
  EconomicRelease,
  Headline,
} from '../../reference.ts';
import { addDays, dayNumber, newYorkDate, newYorkWallTime, weekdayOf } from '../../time-zone.ts';
import type { SimulatedMarket } from '../feed.ts';
import { Random } from '../random.ts';

const SOURCE = 'Paper Trading Wire (simulated)';
const MAX_SPAN_DAYS = 400;
const MAX_HEADLINE_DAYS = 31;

interface Indicator {
  readonly key: string;
  readonly name: string;
  readonly unit: string;
  readonly importance: EconomicRelease['importance'];
  readonly decimals: number;
  /** Higher than expected is good news for stocks. */
  readonly higherIsGood: boolean;
  /** The value of a period (a month, week or quarter index). */
  value(period: number, noise: number): number;
}

const wave = (period: number, length: number): number => Math.sin(period / length);

const MONTHLY: readonly (Indicator & {
  readonly day: (year: number, month: number) => string;
  readonly at: readonly [number, number];
})[] = [
  {
    key: 'nfp',
    name: 'Nonfarm payrolls',
    unit: 'K jobs',
    importance: 'high',
    decimals: 0,
    higherIsGood: true,
    at: [8, 30],
    day: (y, m) => nthWeekday(y, m, 5, 1),
    value: (p, z) => 150 + 60 * wave(p, 11) + 45 * z,
  },
  {
    key: 'unemployment',
    name: 'Unemployment rate',
    unit: '%',
    importance: 'high',
    decimals: 1,
    higherIsGood: false,
    at: [8, 30],
    day: (y, m) => nthWeekday(y, m, 5, 1),
    value: (p, z) => 4.1 + 0.3 * wave(p, 13) + 0.05 * z,
  },
  {
    key: 'cpi',
    name: 'CPI (year over year)',
    unit: '%',
    importance: 'high',
    decimals: 1,
    higherIsGood: false,
    at: [8, 30],
    day: (y, m) => weekdayOnOrAfter(y, m, 11),
    value: (p, z) => 2.7 + 0.5 * wave(p, 9) + 0.1 * z,
  },
  {
    key: 'retail',
    name: 'Retail sales (month over month)',
    unit: '%',
    importance: 'medium',
    decimals: 1,
    higherIsGood: true,
    at: [8, 30],
    day: (y, m) => weekdayOnOrAfter(y, m, 15),
    value: (p, z) => 0.3 + 0.3 * wave(p, 5) + 0.4 * z,
  },
  {
    key: 'ism',
    name: 'ISM manufacturing PMI',
    unit: 'index',
    importance: 'medium',
    decimals: 1,
    higherIsGood: true,
    at: [10, 0],
    day: (y, m) => weekdayOnOrAfter(y, m, 1),
    value: (p, z) => 49.5 + 2 * wave(p, 8) + 1 * z,
  },
  {
    key: 'sentiment',
    name: 'University consumer sentiment',
    unit: 'index',
    importance: 'low',
    decimals: 1,
    higherIsGood: true,
    at: [10, 0],
    day: (y, m) => nthWeekday(y, m, 5, 2),
    value: (p, z) => 68 + 6 * wave(p, 10) + 2 * z,
  },
];

const CLAIMS: Indicator = {
  key: 'claims',
  name: 'Initial jobless claims',
  unit: 'K',
  importance: 'medium',
  decimals: 0,
  higherIsGood: false,
  value: (p, z) => 222 + 12 * wave(p, 17) + 10 * z,
};
const GDP: Indicator = {
  key: 'gdp',
  name: 'GDP, advance estimate (annualized)',
  unit: '%',
  importance: 'high',
  decimals: 1,
  higherIsGood: true,
  value: (p, z) => 2 + 0.8 * wave(p, 3) + 0.7 * z,
};
const FOMC: Indicator = {
  key: 'fomc',
  name: 'FOMC rate decision (upper bound)',
  unit: '%',
  importance: 'high',
  decimals: 2,
  higherIsGood: false,
  value: (p) => 4.25 + 0.25 * Math.round(2 * wave(p, 6)),
};
/** Months (1-based) with an FOMC meeting, decided on the third Wednesday at 14:00 ET. */
const FOMC_MONTHS = [1, 3, 5, 6, 7, 9, 11, 12];

function ymd(year: number, month: number, day: number): string {
  return `${String(year)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The `n`-th given weekday (0 Sunday … 6 Saturday) of a month (1-based). */
function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  const first = dayNumber(ymd(year, month, 1));
  const offset = (weekday - weekdayOf(first) + 7) % 7;
  return addDays(ymd(year, month, 1), offset + 7 * (n - 1));
}

/** The first Monday–Friday on or after a day of the month. */
function weekdayOnOrAfter(year: number, month: number, day: number): string {
  let date = ymd(year, month, day);
  while ([0, 6].includes(weekdayOf(dayNumber(date)))) date = addDays(date, 1);
  return date;
}

function lastWeekday(year: number, month: number, weekday: number): string {
  const next = month === 12 ? ymd(year + 1, 1, 1) : ymd(year, month + 1, 1);
  let date = addDays(next, -1);
  while (weekdayOf(dayNumber(date)) !== weekday) date = addDays(date, -1);
  return date;
}

export class SimulatedNews implements EconomicNews {
  constructor(
    private readonly market: SimulatedMarket,
    private readonly corporateActions: CorporateActionCalendar,
    private readonly seed: number,
  ) {}

  calendar(from: Date, to: Date, at: Date): EconomicRelease[] {
    const end = Math.min(to.getTime(), from.getTime() + MAX_SPAN_DAYS * 86_400_000);
    const out: EconomicRelease[] = [];
    const first = newYorkDate(from);
    const last = newYorkDate(end);
    for (let y = Number(first.slice(0, 4)), m = Number(first.slice(5, 7)); ymd(y, m, 1) <= last;) {
      const period = y * 12 + m;
      for (const ind of MONTHLY) this.#push(out, ind, period, ind.day(y, m), ind.at, at);
      if (FOMC_MONTHS.includes(m)) {
        const meeting = y * 8 + FOMC_MONTHS.indexOf(m);
        this.#push(out, FOMC, meeting, nthWeekday(y, m, 3, 3), [14, 0], at);
      }
      if ([1, 4, 7, 10].includes(m)) {
        this.#push(out, GDP, y * 4 + (m - 1) / 3, lastWeekday(y, m, 4), [8, 30], at);
      }
      let thursday = nthWeekday(y, m, 4, 1);
      while (thursday.slice(0, 7) === ymd(y, m, 1).slice(0, 7)) {
        this.#push(out, CLAIMS, Math.floor(dayNumber(thursday) / 7), thursday, [8, 30], at);
        thursday = addDays(thursday, 7);
      }
      m += 1;
      if (m > 12) {
        m = 1;
        y += 1;
      }
    }
    return out
      .filter((r) => {
        const t = Date.parse(r.time);
        return t >= from.getTime() && t <= end;
      })
      .sort((a, b) => a.time.localeCompare(b.time) || a.name.localeCompare(b.name));
  }

  headlines(
    from: Date,
    to: Date,
    options: { readonly symbol?: string; readonly limit?: number } = {},
  ): Headline[] {
    const limit = options.limit ?? 20;
    const out: Headline[] = [];
    const earliest = Math.max(from.getTime(), to.getTime() - MAX_HEADLINE_DAYS * 86_400_000);
    let date = newYorkDate(to);
    while (out.length < limit && dayNumber(date) >= dayNumber(newYorkDate(earliest))) {
      const session = this.market.calendar.session(date);
      if (session !== undefined) {
        const day = this.#headlinesOn(date, to).filter(
          (h) =>
            Date.parse(h.time) >= earliest &&
            (options.symbol === undefined || h.symbols.includes(options.symbol)),
        );
        out.push(...day.sort((a, b) => b.time.localeCompare(a.time)));
      }
      date = addDays(date, -1);
    }
    return out.slice(0, limit);
  }

  #push(
    out: EconomicRelease[],
    ind: Indicator,
    period: number,
    date: string,
    [hour, minute]: readonly [number, number],
    at: Date,
  ): void {
    const z = (p: number): number => Random.for(this.seed, `$ECON:${ind.key}`, 'value', p).normal();
    const actual = ind.value(period, z(period));
    const consensus =
      actual +
      Random.for(this.seed, `$ECON:${ind.key}`, 'consensus', period).normal() *
        (ind.key === 'fomc' ? 0 : Math.abs(ind.value(period, 1) - ind.value(period, 0)) * 0.6);
    const time = newYorkWallTime(date, hour, minute);
    const fixed = (x: number): string => x.toFixed(ind.decimals);
    out.push({
      id: `${ind.key}-${date}`,
      time: time.toISOString(),
      name: ind.name,
      country: 'US',
      importance: ind.importance,
      unit: ind.unit,
      previous: fixed(ind.value(period - 1, z(period - 1))),
      consensus: fixed(consensus),
      actual: time.getTime() <= at.getTime() ? fixed(actual) : null,
      simulated: true,
    });
  }

  #headlinesOn(date: string, now: Date): Headline[] {
    const session = this.market.calendar.session(date);
    if (session === undefined) return [];
    const out: Headline[] = [];
    const dayStart = newYorkWallTime(date, 0);
    for (const r of this.calendar(dayStart, newYorkWallTime(date, 23, 59), now)) {
      if (r.actual === null) continue;
      const diff = Number(r.actual) - Number(r.consensus);
      const word = diff > 0 ? 'above' : diff < 0 ? 'below' : 'in line with';
      const good =
        diff === 0 ? 'neutral' : diff > 0 === this.#higherIsGood(r.id) ? 'positive' : 'negative';
      out.push({
        id: `news-${r.id}`,
        time: new Date(Date.parse(r.time) + 60_000).toISOString(),
        headline: `US ${r.name} ${r.unit === '%' || r.unit === 'index' ? 'at' : 'comes in at'} ${r.actual}${r.unit === '%' ? '%' : ` ${r.unit}`}, ${word} the ${r.consensus} consensus`,
        summary: `${r.name}: ${r.actual} (consensus ${r.consensus}, previous ${r.previous}).`,
        symbols: ['SPY'],
        category: 'macro',
        sentiment: good,
        source: SOURCE,
        simulated: true,
      });
    }
    if (session.close.getTime() + 10 * 60_000 <= now.getTime()) {
      const changes = this.#changes(date);
      const spy = changes.get('SPY');
      const qqq = changes.get('QQQ');
      if (spy !== undefined) {
        out.push({
          id: `news-close-${date}`,
          time: new Date(session.close.getTime() + 10 * 60_000).toISOString(),
          headline: `Stocks ${spy >= 0 ? 'rise' : 'fall'}: SPY ${pct(spy)}, QQQ ${pct(qqq ?? 0)} at the close`,
          summary: `The S&P 500 ETF closed ${pct(spy)} and the Nasdaq-100 ETF ${pct(qqq ?? 0)} on ${date}.`,
          symbols: ['SPY', 'QQQ'],
          category: 'markets',
          sentiment: spy > 0.003 ? 'positive' : spy < -0.003 ? 'negative' : 'neutral',
          source: SOURCE,
          simulated: true,
        });
      }
      const movers = [...changes]
        .filter(([s]) => this.market.instrument(s)?.sector !== 'ETF')
        .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0].localeCompare(b[0]))
        .slice(0, 3);
      movers.forEach(([symbol, change], i) => {
        const name = this.market.instrument(symbol)?.name ?? symbol;
        const rng = Random.for(this.seed, symbol, 'headline', dayNumber(date));
        const verbs = change >= 0 ? ['jumps', 'climbs', 'rallies'] : ['slides', 'drops', 'tumbles'];
        out.push({
          id: `news-mover-${symbol}-${date}`,
          time: new Date(session.close.getTime() + (15 + 5 * i) * 60_000).toISOString(),
          headline: `${name} (${symbol}) ${verbs[rng.int(3)] ?? 'moves'} ${pct(Math.abs(change)).replace('+', '')} in ${change >= 0 ? 'a broad' : 'heavy'} session`,
          summary: `${symbol} closed ${pct(change)} on ${date}, among the day's biggest moves on this venue.`,
          symbols: [symbol],
          category: 'company',
          sentiment: change >= 0 ? 'positive' : 'negative',
          source: SOURCE,
          simulated: true,
        });
      });
    }
    const declaredAt = new Date(session.close.getTime() + 30 * 60_000);
    if (declaredAt.getTime() <= now.getTime()) {
      for (const action of this.#declaredOn(date)) {
        const name = this.market.instrument(action.symbol)?.name ?? action.symbol;
        out.push({
          id: `news-${action.id}`,
          time: declaredAt.toISOString(),
          headline:
            action.kind === 'split'
              ? `${name} announces a ${String(action.newShares)}-for-${String(action.oldShares)} stock split, effective ${action.exDate}`
              : `${name} declares a ${action.frequency} dividend of $${action.amountPerShare} per share`,
          summary:
            action.kind === 'split'
              ? `Shares of ${action.symbol} trade split-adjusted from ${action.exDate}.`
              : `Ex-dividend ${action.exDate}, payable ${action.payDate} to holders at the start of the ex-date.`,
          symbols: [action.symbol],
          category: 'company',
          sentiment: action.kind === 'split' ? 'positive' : 'neutral',
          source: SOURCE,
          simulated: true,
        });
      }
    }
    return out;
  }

  #higherIsGood(releaseId: string): boolean {
    const key = releaseId.slice(0, releaseId.indexOf('-'));
    const all: readonly Indicator[] = [...MONTHLY, CLAIMS, GDP, FOMC];
    return all.find((i) => i.key === key)?.higherIsGood ?? true;
  }

  /** Close-to-close changes of every symbol on a session (fractions). */
  #changes(date: string): Map<string, number> {
    const changes = new Map<string, number>();
    const previous = this.market.calendar.sessionOnOrBefore(addDays(date, -1));
    for (const asset of this.market.assets()) {
      const a = this.market.dailyClose(asset.symbol, previous.date);
      const b = this.market.dailyClose(asset.symbol, date);
      if (a === undefined || b === undefined) continue;
      const split = this.market.corporateActions.splitRatioOn(asset.symbol, date);
      changes.set(asset.symbol, (Number(b) * split) / Number(a) - 1);
    }
    return changes;
  }

  #declaredOn(date: string) {
    const horizon = addDays(date, 60);
    return this.corporateActions
      .actions({ from: date, to: horizon })
      .filter((a) => a.declaredDate === date);
  }
}

function pct(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}
