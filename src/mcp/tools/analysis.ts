/**
 * Market analysis tools: technical indicators, the market scanner and the simulated reference
 * data (analyst ratings, earnings and corporate events, level-2 depth, economic news). Thin
 * calls into `MarketAnalysis`; every answer says the data is simulated.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import {
  IndicatorSpecError,
  parseIndicatorList,
  type IndicatorValue,
} from '../../analysis/indicators.ts';
import { MAX_SCAN_LIMIT, type ScanCriteria, type ScanHit } from '../../analysis/scanner.ts';
import { ReferenceDataUnavailable, scanCriteriaOf } from '../../commands/market-analysis.ts';
import type { Timeframe } from '../../market/port.ts';
import {
  choiceArg,
  civilDateArg,
  integerArg,
  numberArg,
  symbolArg,
  ToolInputError,
  ARGUMENT_HINTS,
} from '../args.ts';
import { ToolFailure } from '../errors.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog } from '../tool.ts';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: false } as const;

/** Reference-data failures as tool errors a model can act on. */
function referenceFailure(error: unknown): never {
  if (error instanceof ReferenceDataUnavailable) {
    throw new ToolFailure(
      error.code,
      error.message,
      undefined,
      'Use get_quote and get_technical_indicators instead.',
    );
  }
  throw error;
}

const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
function wire(v: IndicatorValue | null): number | Record<string, number> | null {
  if (v === null) return null;
  if (typeof v === 'number') return round(v);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)]));
}

/** A reading of the latest values a model can use at once. */
function reading(key: string, v: IndicatorValue | null, close: number): string {
  if (v === null) return `${key}: not enough bars yet`;
  if (typeof v === 'number') {
    if (key.startsWith('rsi')) {
      return `${key} ${v.toFixed(1)} (${v >= 70 ? 'overbought' : v <= 30 ? 'oversold' : 'neutral'})`;
    }
    if (key.startsWith('sma') || key.startsWith('ema') || key.startsWith('wma') || key === 'vwap') {
      return `${key} ${v.toFixed(2)} (price ${close >= v ? 'above' : 'below'})`;
    }
    return `${key} ${v.toFixed(2)}`;
  }
  if (key.startsWith('macd')) {
    const m = v.macd ?? 0;
    const s = v.signal ?? 0;
    return `${key} ${m.toFixed(3)} vs signal ${s.toFixed(3)} (${m >= s ? 'bullish' : 'bearish'}, histogram ${(v.histogram ?? 0).toFixed(3)})`;
  }
  if (key.startsWith('bbands')) {
    return `${key} ${(v.lower ?? 0).toFixed(2)} – ${(v.upper ?? 0).toFixed(2)} (middle ${(v.middle ?? 0).toFixed(2)})`;
  }
  return `${key} ${Object.entries(v)
    .map(([k, x]) => `${k} ${x.toFixed(2)}`)
    .join(', ')}`;
}

const indicatorsArg = z.union([z.string(), z.array(z.string())]).meta({
  description: `Which indicators: ${ARGUMENT_HINTS.indicators ?? ''}.`,
  examples: ['rsi:14,macd:12:26:9'],
});

const timeframeArg = choiceArg(
  'timeframe',
  ['1d', '1m'] as const,
  'Bar width: 1d (daily, default) or 1m (one-minute).',
);

const hitOut = z.object({
  symbol: z.string(),
  name: z.string(),
  sector: z.string(),
  price: z.number(),
  change_percent: z.number().nullable(),
  gap_percent: z.number().nullable(),
  volume: z.number(),
  relative_volume: z.number().nullable(),
  rsi14: z.number().nullable(),
  sma50: z.number().nullable(),
  sma200: z.number().nullable(),
  high_52w: z.number().nullable(),
  low_52w: z.number().nullable(),
  reasons: z.array(z.string()).describe('Why this symbol matched'),
});

function hitFrom(h: ScanHit): z.infer<typeof hitOut> {
  const r = (x: number | null): number | null => (x === null ? null : round(x, 2));
  return {
    symbol: h.symbol,
    name: h.name,
    sector: h.sector,
    price: round(h.price, 4),
    change_percent: r(h.changePercent),
    gap_percent: r(h.gapPercent),
    volume: h.volume,
    relative_volume: r(h.relativeVolume),
    rsi14: r(h.rsi14),
    sma50: r(h.sma50),
    sma200: r(h.sma200),
    high_52w: r(h.high52w),
    low_52w: r(h.low52w),
    reasons: [...h.reasons],
  };
}

const scanInput = z.strictObject({
  min_price: numberArg('min_price', 0, 1e7, 'Optional: lowest price, dollars.').optional(),
  max_price: numberArg('max_price', 0, 1e7, 'Optional: highest price, dollars.').optional(),
  min_volume: numberArg(
    'min_volume',
    0,
    1e12,
    'Optional: fewest shares traded today so far.',
  ).optional(),
  min_relative_volume: numberArg(
    'min_relative_volume',
    0,
    1000,
    "Optional: today's volume / the 20-day average for this time of day, e.g. 2 for twice the usual.",
  ).optional(),
  min_change_percent: numberArg(
    'min_change_percent',
    -100,
    1000,
    'Optional: change since the previous close at least this percent, e.g. 3.',
  ).optional(),
  max_change_percent: numberArg(
    'max_change_percent',
    -100,
    1000,
    'Optional: change at most this percent, e.g. -3 for losers.',
  ).optional(),
  min_gap_percent: numberArg(
    'min_gap_percent',
    -100,
    1000,
    "Optional: today's open vs the previous close at least this percent.",
  ).optional(),
  max_gap_percent: numberArg(
    'max_gap_percent',
    -100,
    1000,
    'Optional: opening gap at most this percent.',
  ).optional(),
  rsi_below: numberArg(
    'rsi_below',
    0,
    100,
    'Optional: daily RSI(14) below, e.g. 30 for oversold.',
  ).optional(),
  rsi_above: numberArg(
    'rsi_above',
    0,
    100,
    'Optional: daily RSI(14) above, e.g. 70 for overbought.',
  ).optional(),
  ma_cross: choiceArg(
    'ma_cross',
    ['golden', 'death'] as const,
    'Optional: SMA 50 crossed above (golden) or below (death) SMA 200 recently.',
  ).optional(),
  cross_within_days: integerArg(
    'cross_within_days',
    0,
    250,
    'Optional: how recent the cross must be, sessions (default 10).',
  ).optional(),
  above_sma: choiceArg(
    'above_sma',
    ['20', '50', '200'] as const,
    'Optional: price above its SMA 20, 50 or 200.',
  ).optional(),
  below_sma: choiceArg(
    'below_sma',
    ['20', '50', '200'] as const,
    'Optional: price below its SMA 20, 50 or 200.',
  ).optional(),
  within_52w_high_percent: numberArg(
    'within_52w_high_percent',
    0,
    100,
    'Optional: at most this percent below the 52-week high, e.g. 2.',
  ).optional(),
  within_52w_low_percent: numberArg(
    'within_52w_low_percent',
    0,
    1000,
    'Optional: at most this percent above the 52-week low.',
  ).optional(),
  sector: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta({
      description: 'Optional: sectors to keep, e.g. "Information Technology" or "Financials,ETF".',
    }),
  sort: choiceArg(
    'sort',
    [
      'change',
      'gap',
      'volume',
      'relative_volume',
      'rsi',
      'price',
      'symbol',
      'distance_to_high',
      'distance_to_low',
    ] as const,
    'Optional: sort key (default change, biggest first).',
  ).optional(),
  direction: choiceArg('direction', ['asc', 'desc'] as const, 'Optional: asc or desc.').optional(),
  limit: integerArg(
    'limit',
    1,
    MAX_SCAN_LIMIT,
    'Optional: most hits to return (default 25).',
  ).optional(),
});

function criteriaOf(a: z.output<typeof scanInput>): ScanCriteria {
  const sma = (v: '20' | '50' | '200' | undefined): 20 | 50 | 200 | undefined =>
    v === undefined ? undefined : v === '20' ? 20 : v === '50' ? 50 : 200;
  return scanCriteriaOf({ ...a, above_sma: sma(a.above_sma), below_sma: sma(a.below_sma) });
}

/** Registers the analysis tools. */
export function registerAnalysisTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  registerTool(server, session, catalog, {
    name: 'get_technical_indicators',
    title: 'Technical indicators',
    group: 'market',
    description:
      'Compute technical indicators of a stock over its (SIMULATED) daily or one-minute bars, split-adjusted: sma, ema, wma, rsi, macd, bbands (Bollinger), atr, stoch, adx, obv, vwap, ' +
      'with parameters as name:p1:p2 (rsi:14, macd:12:26:9, bbands:20:2). Returns the latest value of each with a plain reading (RSI overbought/oversold, MACD vs signal, price vs average) ' +
      'and the last `limit` points. Use it to judge trend and momentum before trading. Example: {"symbol": "AAPL", "indicators": "rsi:14,macd:12:26:9,bbands:20:2"}.',
    input: z.strictObject({
      symbol: symbolArg,
      indicators: indicatorsArg,
      timeframe: timeframeArg.optional(),
      limit: integerArg(
        'limit',
        1,
        500,
        'Optional: points per indicator, the latest (default 30).',
      ).optional(),
    }),
    output: {
      symbol: z.string(),
      timeframe: z.enum(['1Day', '1Min']),
      simulated: z.boolean(),
      last_bar: z.object({ time: z.string(), close: z.string() }).nullable(),
      adjusted_for_splits: z.array(z.object({ ex_date: z.string(), ratio: z.number() })),
      indicators: z.array(
        z.object({
          key: z.string().describe('Canonical spec, e.g. rsi:14'),
          latest: z.union([z.number(), z.record(z.string(), z.number())]).nullable(),
          reading: z.string(),
          points: z.array(
            z.object({
              time: z.string(),
              value: z.union([z.number(), z.record(z.string(), z.number())]).nullable(),
            }),
          ),
        }),
      ),
    },
    annotations: READ,
    run: async (args) => {
      let specs;
      try {
        specs = parseIndicatorList(
          Array.isArray(args.indicators) ? args.indicators.join(',') : args.indicators,
        );
      } catch (error) {
        if (error instanceof IndicatorSpecError) {
          throw new ToolInputError(
            'indicators',
            error.message,
            `Pass indicators: ${ARGUMENT_HINTS.indicators ?? ''}.`,
          );
        }
        throw error;
      }
      const timeframe: Timeframe = args.timeframe === '1m' ? '1Min' : '1Day';
      const report = await session.deps.analysis.indicators(
        args.symbol,
        specs,
        timeframe,
        args.limit ?? 30,
      );
      const last = report.bars.at(-1);
      const close = last?.close ?? 0;
      const indicators = report.series.map((s) => ({
        key: s.spec.key,
        latest: wire(s.values.at(-1) ?? null),
        reading: reading(s.spec.key, s.values.at(-1) ?? null, close),
        points: s.values.map((v, i) => ({ time: report.bars[i]?.time ?? '', value: wire(v) })),
      }));
      return {
        data: {
          symbol: report.symbol,
          timeframe: report.timeframe,
          simulated: report.simulated,
          last_bar: last === undefined ? null : { time: last.time, close: last.source.close },
          adjusted_for_splits: report.splits.map((s) => ({ ex_date: s.exDate, ratio: s.ratio })),
          indicators,
        },
        summary: `${report.symbol} ${timeframe === '1Day' ? 'daily' : 'one-minute'} bars (${report.simulated ? 'simulated' : 'replayed'}), last close ${last?.source.close ?? 'n/a'}${last === undefined ? '' : ` on ${last.time.slice(0, 10)}`}: ${indicators.map((i) => i.reading).join('; ')}.`,
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'scan_market',
    title: 'Scan the market',
    group: 'market',
    description:
      'Scan every stock and ETF this venue lists (SIMULATED prices) for trading ideas: filter by price, volume, relative volume, % change today, opening gap, daily RSI(14), ' +
      'SMA 50/200 golden or death crosses, price vs SMA 20/50/200, distance to the 52-week high or low, and sector; sort and limit. Each hit says why it matched. ' +
      'Use it to find candidates, then get_technical_indicators and stock_ratings on them. Example: {"min_change_percent": 2, "min_relative_volume": 1.5, "sort": "change", "limit": 10}.',
    input: scanInput,
    output: {
      as_of: z.string(),
      scanned: z.number().int(),
      matched: z.number().int(),
      hits: z.array(hitOut),
    },
    annotations: READ,
    run: async (args) => {
      const result = await session.deps.analysis.scan(criteriaOf(args));
      const hits = result.hits.map(hitFrom);
      const lines = hits.map(
        (h) =>
          `${h.symbol} ${h.price.toFixed(2)} (${h.change_percent === null ? 'n/a' : `${h.change_percent >= 0 ? '+' : ''}${h.change_percent.toFixed(2)}%`}): ${h.reasons.join('; ')}`,
      );
      return {
        data: { as_of: result.asOf, scanned: result.scanned, matched: result.matched, hits },
        summary: `${String(result.matched)} of ${String(result.scanned)} simulated symbols matched${hits.length < result.matched ? ` (showing ${String(hits.length)})` : ''}.${lines.length === 0 ? '' : `\n${lines.join('\n')}\n`}`,
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'stock_ratings',
    title: 'Analyst ratings',
    group: 'market',
    description:
      'Get the (SIMULATED) analyst consensus on a stock: how many analysts rate it strong buy, buy, hold, sell or strong sell, the consensus and score (1 = strong buy … 5 = strong sell), ' +
      'price targets (low, mean, high) with the upside to the mean, and recent rating changes by fictional brokers. ETFs have no coverage. Example: {"symbol": "MSFT"}.',
    input: z.strictObject({ symbol: symbolArg }),
    output: {
      symbol: z.string(),
      covered: z.boolean(),
      ratings: z
        .object({
          as_of: z.string(),
          analysts: z.number().int(),
          counts: z.record(z.string(), z.number()),
          consensus: z.string(),
          score: z.number(),
          price_target: z.object({ low: z.string(), mean: z.string(), high: z.string() }),
          upside_to_mean_percent: z.number().nullable(),
          recent: z.array(z.record(z.string(), z.unknown())),
        })
        .nullable(),
      simulated: z.literal(true),
    },
    annotations: READ,
    run: (args) => {
      let r;
      try {
        r = session.deps.analysis.ratings(args.symbol);
      } catch (error) {
        referenceFailure(error);
      }
      if (r === undefined) {
        return Promise.resolve({
          data: { symbol: args.symbol, covered: false, ratings: null, simulated: true as const },
          summary: `${args.symbol} has no analyst coverage on this venue (ETFs and tiny names are not covered).`,
        });
      }
      const quote = session.deps.market.latestQuote(r.symbol);
      const price = quote === undefined ? undefined : Number(quote.last);
      const upside =
        price === undefined || price <= 0
          ? null
          : round((100 * (Number(r.priceTarget.mean) - price)) / price, 2);
      return Promise.resolve({
        data: {
          symbol: r.symbol,
          covered: true,
          ratings: {
            as_of: r.asOf,
            analysts: r.analysts,
            counts: { ...r.counts },
            consensus: r.consensus,
            score: r.score,
            price_target: { ...r.priceTarget },
            upside_to_mean_percent: upside,
            recent: r.recent.map((x) => ({ ...x, price_target: x.priceTarget })),
          },
          simulated: true as const,
        },
        summary: `${r.symbol} (simulated coverage, ${String(r.analysts)} analysts as of ${r.asOf}): consensus ${r.consensus.replace('_', ' ').toUpperCase()} (score ${r.score.toFixed(2)}; ${String(r.counts.strong_buy + r.counts.buy)} buy, ${String(r.counts.hold)} hold, ${String(r.counts.sell + r.counts.strong_sell)} sell). Price target mean ${r.priceTarget.mean} (low ${r.priceTarget.low}, high ${r.priceTarget.high})${upside === null ? '' : `, ${upside >= 0 ? '+' : ''}${upside.toFixed(1)}% from the last trade`}.`,
      });
    },
  });

  registerTool(server, session, catalog, {
    name: 'stock_events',
    title: 'Earnings, dividends and splits',
    group: 'market',
    description:
      'List a stock’s (SIMULATED) corporate calendar: earnings dates (before the open or after the close, EPS and revenue estimates, actuals once reported), cash dividends ' +
      '(declared, ex, record and pay dates, amount per share) and stock splits. Dividends and splits APPLY TO YOUR ACCOUNT: holders at the start of the ex-date are paid on the pay date; ' +
      'a split multiplies your shares and divides your average price and open orders. Default range: 90 days back to 180 ahead. Example: {"symbol": "KO"}.',
    input: z.strictObject({
      symbol: symbolArg,
      from: civilDateArg.optional(),
      to: civilDateArg.optional(),
    }),
    output: {
      symbol: z.string(),
      from: z.string(),
      to: z.string(),
      earnings: z.array(z.record(z.string(), z.unknown())),
      dividends: z.array(z.record(z.string(), z.unknown())),
      splits: z.array(z.record(z.string(), z.unknown())),
      simulated: z.literal(true),
    },
    annotations: READ,
    run: (args) => {
      let events;
      try {
        events = session.deps.analysis.events(args.symbol, {
          ...(args.from === undefined ? {} : { from: args.from }),
          ...(args.to === undefined ? {} : { to: args.to }),
        });
      } catch (error) {
        referenceFailure(error);
      }
      const dividends = events.corporateActions.filter((a) => a.kind === 'cash_dividend');
      const splits = events.corporateActions.filter((a) => a.kind === 'split');
      const today = session.market().time.slice(0, 10);
      const nextEarnings = events.earnings.find((e) => e.date >= today);
      const nextDividend = dividends.find((d) => d.exDate >= today);
      const parts = [
        nextEarnings === undefined
          ? 'no earnings date in range'
          : `next earnings ${nextEarnings.date} ${nextEarnings.time.replace('_', ' ')} (EPS estimate ${nextEarnings.epsEstimate})`,
        nextDividend === undefined
          ? `${String(dividends.length)} dividend(s) in range, none ahead`
          : `next dividend ${nextDividend.amountPerShare}/share, ex ${nextDividend.exDate}, paid ${nextDividend.payDate}`,
        splits.length === 0
          ? 'no split'
          : `splits: ${splits.map((s) => `${String(s.newShares)}-for-${String(s.oldShares)} ex ${s.exDate}`).join(', ')}`,
      ];
      return Promise.resolve({
        data: {
          symbol: args.symbol,
          from: events.from,
          to: events.to,
          earnings: events.earnings.map((e) => ({ ...e })),
          dividends: dividends.map((d) => ({ ...d })),
          splits: splits.map((s) => ({ ...s })),
          simulated: true as const,
        },
        summary: `${args.symbol} (simulated calendar ${events.from} to ${events.to}): ${parts.join('; ')}.`,
      });
    },
  });

  registerTool(server, session, catalog, {
    name: 'stock_level2_data',
    title: 'Level-2 order book depth',
    group: 'market',
    description:
      'Show the (SIMULATED) level-2 depth of a stock: the best bid and ask (the NBBO, the same as get_quote) and the next price levels on each side with size, order count and venues, ' +
      'plus the spread and the size imbalance. Use it to judge liquidity before a large order. Example: {"symbol": "AAPL", "levels": 10}.',
    input: z.strictObject({
      symbol: symbolArg,
      levels: integerArg('levels', 1, 50, `Optional: ${ARGUMENT_HINTS.levels ?? ''}.`).optional(),
    }),
    output: {
      symbol: z.string(),
      time: z.string(),
      sequence: z.number().int(),
      spread: z.string(),
      imbalance: z
        .number()
        .describe('(bid size − ask size) / (bid size + ask size) over the levels shown'),
      bids: z.array(
        z.object({
          price: z.string(),
          size: z.number(),
          orders: z.number(),
          venues: z.array(z.string()),
        }),
      ),
      asks: z.array(
        z.object({
          price: z.string(),
          size: z.number(),
          orders: z.number(),
          venues: z.array(z.string()),
        }),
      ),
      simulated: z.boolean(),
    },
    annotations: READ,
    run: (args) => {
      let book;
      try {
        book = session.deps.analysis.depth(args.symbol, args.levels ?? 10);
      } catch (error) {
        referenceFailure(error);
      }
      if (book === undefined) {
        throw new ToolFailure(
          'unknown_symbol',
          `${args.symbol} is not listed on this venue`,
          'symbol',
        );
      }
      const bidSize = book.bids.reduce((s, l) => s + l.size, 0);
      const askSize = book.asks.reduce((s, l) => s + l.size, 0);
      const imbalance =
        bidSize + askSize === 0 ? 0 : round((bidSize - askSize) / (bidSize + askSize), 4);
      const bestBid = book.bids[0];
      const bestAsk = book.asks[0];
      const spread =
        bestBid === undefined || bestAsk === undefined
          ? '0'
          : (Number(bestAsk.price) - Number(bestBid.price)).toFixed(
              Number(bestAsk.price) >= 1 ? 2 : 4,
            );
      return Promise.resolve({
        data: {
          symbol: book.symbol,
          time: book.time,
          sequence: book.sequence,
          spread,
          imbalance,
          bids: book.bids.map((l) => ({ ...l, venues: [...l.venues] })),
          asks: book.asks.map((l) => ({ ...l, venues: [...l.venues] })),
          simulated: book.simulated,
        },
        summary: `${book.symbol} depth (simulated): best bid ${bestBid?.price ?? '?'} × ${String(bestBid?.size ?? 0)}, best ask ${bestAsk?.price ?? '?'} × ${String(bestAsk?.size ?? 0)}, spread ${spread}; ${String(bidSize)} shares bid and ${String(askSize)} offered over ${String(book.bids.length)} levels (imbalance ${imbalance >= 0 ? '+' : ''}${imbalance.toFixed(2)}).`,
      });
    },
  });

  registerTool(server, session, catalog, {
    name: 'economic_news',
    title: 'Economic calendar and headlines',
    group: 'market',
    description:
      'Read the (SIMULATED) US economic calendar — payrolls, unemployment, CPI, retail sales, ISM, consumer sentiment, jobless claims, GDP, FOMC decisions, with previous, consensus and actual ' +
      '(once released) — and the latest market headlines (releases vs consensus, the close, biggest movers, dividends and splits declared), optionally about one symbol. Nothing from the future. ' +
      'Example: {} or {"symbol": "NVDA", "days": 14}.',
    input: z.strictObject({
      symbol: symbolArg.optional(),
      days: integerArg('days', 1, 31, `Optional: ${ARGUMENT_HINTS.days ?? ''}.`).optional(),
      limit: integerArg('limit', 1, 100, 'Optional: most headlines (default 20).').optional(),
    }),
    output: {
      releases: z.array(z.record(z.string(), z.unknown())),
      headlines: z.array(z.record(z.string(), z.unknown())),
      simulated: z.literal(true),
    },
    annotations: READ,
    run: (args) => {
      let news;
      try {
        news = session.deps.analysis.news({
          ...(args.symbol === undefined ? {} : { symbol: args.symbol }),
          ...(args.days === undefined ? {} : { days: args.days }),
          ...(args.limit === undefined ? {} : { limit: args.limit }),
        });
      } catch (error) {
        referenceFailure(error);
      }
      const now = Date.parse(session.market().time);
      const upcoming = news.releases
        .filter((r) => r.actual === null && Date.parse(r.time) > now)
        .slice(0, 3);
      const lines = news.headlines
        .slice(0, 8)
        .map((h) => `${h.time.slice(0, 16).replace('T', ' ')}Z ${h.headline}`);
      return Promise.resolve({
        data: {
          releases: news.releases.map((r) => ({ ...r })),
          headlines: news.headlines.map((h) => ({ ...h, symbols: [...h.symbols] })),
          simulated: true as const,
        },
        summary: `Simulated news: ${String(news.headlines.length)} headline(s), ${String(news.releases.length)} release(s) in the window${upcoming.length === 0 ? '' : `; next: ${upcoming.map((r) => `${r.name} ${r.time.slice(0, 16).replace('T', ' ')}Z (consensus ${r.consensus})`).join(', ')}`}.${lines.length === 0 ? '' : `\n${lines.join('\n')}\n`}`,
      });
    },
  });
}
