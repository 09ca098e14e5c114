/**
 * `/api/v1/market/…` analysis: technical indicators of a symbol, the full-universe scanner,
 * and the simulated reference data (analyst ratings, corporate and earnings events, level-2
 * depth, economic calendar and headlines). Thin: parse, call `MarketAnalysis`, shape.
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  IndicatorSpecError,
  parseIndicatorList,
  type IndicatorValue,
} from '../../analysis/indicators.ts';
import { MAX_SCAN_LIMIT } from '../../analysis/scanner.ts';
import {
  ReferenceDataUnavailable,
  scanCriteriaOf,
  type MarketAnalysis,
} from '../../commands/market-analysis.ts';
import { UnknownSymbolError } from '../../market/port.ts';
import { MAX_DEPTH_LEVELS } from '../../market/simulated/reference/index.ts';
import type { RouteModule } from '../app.ts';
import { route } from '../authenticate.ts';
import { API_PREFIX, documentOperation } from '../openapi.ts';
import { ApiError } from '../problem.ts';

export interface AnalysisRouteDeps {
  readonly analysis: MarketAnalysis;
  readonly authenticated: readonly RequestHandler[];
}

const symbolParams = z.object({
  symbol: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9.]{0,11}$/, 'A ticker such as AAPL or BRK.B')
    .transform((s) => s.toUpperCase())
    .meta({ example: 'AAPL' }),
});

const TIMEFRAMES = { '1d': '1Day', '1day': '1Day', '1m': '1Min', '1min': '1Min' } as const;

export const indicatorsQuery = z
  .object({
    indicators: z.string().min(1).max(500).meta({
      description:
        'Comma-separated specs `name[:param…]`: sma:20, ema:20, wma:20, rsi:14, macd:12:26:9, bbands:20:2, atr:14, stoch:14:3:3, adx:14, obv, vwap',
      example: 'rsi:14,macd:12:26:9',
    }),
    timeframe: z
      .string()
      .default('1d')
      .transform((t, ctx) => {
        const tf = TIMEFRAMES[t.toLowerCase() as keyof typeof TIMEFRAMES] as
          (typeof TIMEFRAMES)[keyof typeof TIMEFRAMES] | undefined;
        if (tf === undefined) {
          ctx.addIssue({ code: 'custom', message: 'Use 1d (daily) or 1m (one-minute)' });
          return z.NEVER;
        }
        return tf;
      })
      .meta({ description: '`1d` (daily bars, default) or `1m` (one-minute bars)' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .meta({ description: 'Points per series (the latest)' }),
  })
  .strict();

const num = () => z.coerce.number();
const pct = () => z.coerce.number().min(-100).max(1000);
export const scanQuery = z
  .object({
    min_price: num().min(0).optional(),
    max_price: num().min(0).optional(),
    min_volume: num().min(0).optional().meta({ description: 'Shares traded today so far' }),
    min_relative_volume: num().min(0).optional().meta({
      description: "Today's volume / (20-day average × share of the session elapsed)",
    }),
    min_change_percent: pct()
      .optional()
      .meta({ description: 'Change since the previous close, percent' }),
    max_change_percent: pct().optional(),
    min_gap_percent: pct()
      .optional()
      .meta({ description: "Today's open vs the previous close, percent" }),
    max_gap_percent: pct().optional(),
    rsi_below: num()
      .min(0)
      .max(100)
      .optional()
      .meta({ description: 'RSI(14) of daily closes below' }),
    rsi_above: num().min(0).max(100).optional(),
    ma_cross: z.enum(['golden', 'death']).optional().meta({
      description:
        'SMA 50 crossed above (golden) or below (death) SMA 200 within cross_within_days',
    }),
    cross_within_days: z.coerce.number().int().min(0).max(250).optional(),
    above_sma: z.coerce
      .number()
      .pipe(z.union([z.literal(20), z.literal(50), z.literal(200)]))
      .optional(),
    below_sma: z.coerce
      .number()
      .pipe(z.union([z.literal(20), z.literal(50), z.literal(200)]))
      .optional(),
    within_52w_high_percent: num()
      .min(0)
      .max(100)
      .optional()
      .meta({ description: 'At most this % below the 52-week high' }),
    within_52w_low_percent: num()
      .min(0)
      .max(1000)
      .optional()
      .meta({ description: 'At most this % above the 52-week low' }),
    sector: z
      .string()
      .max(300)
      .optional()
      .meta({ description: 'Comma-separated sectors, e.g. `Financials,ETF`' }),
    sort: z
      .enum([
        'change',
        'gap',
        'volume',
        'relative_volume',
        'rsi',
        'price',
        'symbol',
        'distance_to_high',
        'distance_to_low',
      ])
      .default('change'),
    direction: z.enum(['asc', 'desc']).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_SCAN_LIMIT).default(25),
  })
  .strict();

/** A value of the indicator output on the wire: numbers rounded to 6 significant decimals. */
function wireValue(v: IndicatorValue | null): number | Record<string, number> | null {
  const round = (x: number): number => Math.round(x * 1e6) / 1e6;
  if (v === null) return null;
  if (typeof v === 'number') return round(v);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)]));
}

function unknownSymbol(symbol: string): ApiError {
  return new ApiError(404, 'unknown_symbol', 'Not Found', {
    detail: `The market does not list ${symbol}`,
    errors: [{ field: 'symbol', message: `Unknown symbol ${symbol}` }],
  });
}

/** Turns the analysis layer's errors into problems. */
function problemOf(error: unknown, symbol?: string): unknown {
  if (error instanceof UnknownSymbolError) return unknownSymbol(symbol ?? error.symbol);
  if (error instanceof ReferenceDataUnavailable) {
    return new ApiError(503, error.code, 'Service Unavailable', { detail: error.message });
  }
  if (error instanceof IndicatorSpecError) {
    return new ApiError(422, 'validation_failed', 'Validation Failed', {
      detail: error.message,
      errors: [{ field: 'indicators', message: error.message }],
    });
  }
  return error;
}

const eventsQuery = z
  .object({
    from: z.iso.date().optional().meta({ description: 'First date (default: 90 days ago)' }),
    to: z.iso.date().optional().meta({ description: 'Last date (default: 180 days ahead)' }),
  })
  .strict();
const depthQuery = z
  .object({ levels: z.coerce.number().int().min(1).max(MAX_DEPTH_LEVELS).default(10) })
  .strict();
const newsQuery = z
  .object({
    symbol: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9.]{0,11}$/)
      .transform((s) => s.toUpperCase())
      .optional(),
    days: z.coerce.number().int().min(1).max(31).default(7),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

/** Mounts the analysis routes under `/market`. */
export function analysisRoutes(deps: AnalysisRouteDeps): RouteModule {
  const { analysis } = deps;
  return (api) => {
    const router = Router();
    router.use(...deps.authenticated);

    router.get(
      '/indicators/:symbol',
      route(async (req, res) => {
        const { symbol } = symbolParams.parse(req.params);
        const q = indicatorsQuery.parse(req.query);
        try {
          const specs = parseIndicatorList(q.indicators);
          const report = await analysis.indicators(symbol, specs, q.timeframe, q.limit);
          res.json({
            symbol: report.symbol,
            timeframe: report.timeframe,
            simulated: report.simulated,
            adjusted_for_splits: report.splits.map((s) => ({ ex_date: s.exDate, ratio: s.ratio })),
            bars: report.bars.map((b) => ({
              timestamp: b.time,
              close: b.source.close,
              volume: b.volume,
            })),
            indicators: report.series.map((s) => ({
              key: s.spec.key,
              name: s.spec.name,
              params: [...s.spec.params],
              warmup: s.warmup,
              latest: wireValue(s.values.at(-1) ?? null),
              values: s.values.map(wireValue),
            })),
          });
        } catch (error) {
          throw problemOf(error, symbol);
        }
      }),
    );

    router.get(
      '/scan',
      route(async (req, res) => {
        const q = scanQuery.parse(req.query);
        const result = await analysis.scan(scanCriteriaOf(q));
        res.json({
          as_of: result.asOf,
          scanned: result.scanned,
          matched: result.matched,
          simulated: true,
          hits: result.hits.map((h) => ({
            symbol: h.symbol,
            name: h.name,
            sector: h.sector,
            price: h.price,
            change_percent: h.changePercent,
            gap_percent: h.gapPercent,
            volume: h.volume,
            relative_volume: h.relativeVolume,
            rsi14: h.rsi14,
            sma50: h.sma50,
            sma200: h.sma200,
            high_52w: h.high52w,
            low_52w: h.low52w,
            reasons: [...h.reasons],
          })),
        });
      }),
    );

    router.get(
      '/ratings/:symbol',
      route((req, res) => {
        const { symbol } = symbolParams.parse(req.params);
        try {
          const ratings = analysis.ratings(symbol);
          res.json({
            symbol,
            covered: ratings !== undefined,
            ratings: ratings ?? null,
            simulated: true,
          });
        } catch (error) {
          throw problemOf(error, symbol);
        }
        return Promise.resolve();
      }),
    );

    router.get(
      '/events/:symbol',
      route((req, res) => {
        const { symbol } = symbolParams.parse(req.params);
        const q = eventsQuery.parse(req.query);
        try {
          const events = analysis.events(symbol, {
            ...(q.from === undefined ? {} : { from: q.from }),
            ...(q.to === undefined ? {} : { to: q.to }),
          });
          res.json({ symbol, ...events, simulated: true });
        } catch (error) {
          throw problemOf(error, symbol);
        }
        return Promise.resolve();
      }),
    );

    router.get(
      '/level2/:symbol',
      route((req, res) => {
        const { symbol } = symbolParams.parse(req.params);
        const q = depthQuery.parse(req.query);
        try {
          const book = analysis.depth(symbol, q.levels);
          if (book === undefined) throw unknownSymbol(symbol);
          res.json(book);
        } catch (error) {
          throw problemOf(error, symbol);
        }
        return Promise.resolve();
      }),
    );

    router.get(
      '/news',
      route((req, res) => {
        const q = newsQuery.parse(req.query);
        try {
          const news = analysis.news({
            ...(q.symbol === undefined ? {} : { symbol: q.symbol }),
            days: q.days,
            limit: q.limit,
          });
          res.json({ ...news, simulated: true });
        } catch (error) {
          throw problemOf(error, q.symbol);
        }
        return Promise.resolve();
      }),
    );

    api.use('/market', router);
  };
}

// ─── OpenAPI ────────────────────────────────────────────────────────────────────────────────

const p = (path: string): string => `${API_PREFIX}/market${path}`;
const tags = ['Analysis'];
const anyObject = (id: string, description: string) =>
  z.record(z.string(), z.unknown()).meta({ id, description });

documentOperation({
  method: 'get',
  path: p('/indicators/{symbol}'),
  tags,
  summary: 'Technical indicators',
  description:
    'Indicators from the maintained `trading-signals` library (ADR 0005) over split-adjusted bars: SMA, EMA, WMA, RSI (Wilder), MACD, Bollinger Bands, ATR, Stochastic, ADX (+DI/−DI in percent), OBV and VWAP (cumulative over the bars). Each series is aligned with `bars` (`null` while warming up; enough earlier bars are read that slow indicators are usually warm).',
  request: { params: symbolParams, query: indicatorsQuery },
  responses: {
    200: {
      description: 'Bars and one series per indicator',
      schema: anyObject(
        'IndicatorReport',
        'symbol, timeframe, bars, indicators[{key, name, params, warmup, latest, values}]',
      ),
      example: {
        symbol: 'AAPL',
        timeframe: '1Day',
        simulated: true,
        adjusted_for_splits: [],
        bars: [{ timestamp: '2026-11-17T05:00:00.000Z', close: '271.42', volume: 50123456 }],
        indicators: [
          { key: 'rsi:14', name: 'rsi', params: [14], warmup: 0, latest: 55.2, values: [55.2] },
        ],
      },
    },
  },
  errors: { 404: ['unknown_symbol'], 422: ['validation_failed'] },
});

documentOperation({
  method: 'get',
  path: p('/scan'),
  tags,
  summary: 'Scan the market',
  description:
    'Every listed symbol filtered by price, volume, relative volume, change since the previous close, opening gap, RSI(14), SMA 50/200 crosses, price vs SMA 20/50/200, distance to the 52-week high/low and sector; sorted and limited. Each hit lists the reasons it matched. Daily figures come from split-adjusted closes; prices are simulated.',
  request: { query: scanQuery },
  responses: {
    200: {
      description: 'The hits',
      schema: anyObject('ScanResult', 'as_of, scanned, matched, hits[{symbol, …, reasons}]'),
      example: {
        as_of: '2026-11-18T16:00:00.000Z',
        scanned: 73,
        matched: 2,
        simulated: true,
        hits: [
          {
            symbol: 'NVDA',
            price: 181.2,
            change_percent: 3.1,
            reasons: ['change +3.10% ≥ +2.00%'],
          },
        ],
      },
    },
  },
  errors: { 422: ['validation_failed'] },
});

for (const [path, summary, description, query] of [
  [
    '/ratings/{symbol}',
    'Analyst ratings',
    'Simulated analyst consensus: buy/hold/sell counts, consensus grade and score (1 strong buy … 5 strong sell), price targets (low, mean, high) and recent changes by fictional brokers. ETFs are not covered (`covered: false`).',
    undefined,
  ],
  [
    '/events/{symbol}',
    'Corporate and earnings events',
    'Simulated earnings dates (with estimates, and actuals once reported), cash dividends (declared, ex, record and pay dates, amount) and stock splits between `from` and `to`. Dividends and splits apply to accounts on their dates.',
    eventsQuery,
  ],
  [
    '/level2/{symbol}',
    'Level-2 depth',
    'A simulated depth ladder whose top level is the current NBBO; deeper levels step away on the tick grid, each with size, orders and venues.',
    depthQuery,
  ],
] as const) {
  documentOperation({
    method: 'get',
    path: p(path),
    tags,
    summary,
    description,
    request: { params: symbolParams, ...(query === undefined ? {} : { query }) },
    responses: {
      200: { description: summary, schema: anyObject(summary.replace(/\W+/g, ''), summary) },
    },
    errors: {
      404: ['unknown_symbol'],
      422: ['validation_failed'],
      503: ['reference_data_unavailable'],
    },
  });
}

documentOperation({
  method: 'get',
  path: p('/news'),
  tags,
  summary: 'Economic calendar and headlines',
  description:
    'Simulated US economic releases within `days` of now (previous, consensus and, once released, actual) and the latest headlines (releases against consensus, the close, the biggest movers, dividends and splits declared), optionally about one `symbol`. Nothing is published before its time.',
  request: { query: newsQuery },
  responses: {
    200: {
      description: 'Releases and headlines',
      schema: anyObject('News', 'releases, headlines'),
    },
  },
  errors: {
    404: ['unknown_symbol'],
    422: ['validation_failed'],
    503: ['reference_data_unavailable'],
  },
});
