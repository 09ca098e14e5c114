/**
 * `/api/v1/market/*`: the market clock, the trading calendar, the asset list, the latest NBBO
 * quote and historical bars, read from the `MarketData` port. Prices are exact decimal
 * strings; everything the simulated feed produces is flagged `simulated: true`. Every route
 * needs a token (access token or API key).
 */
import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Asset, Quote } from '../../domain/market.ts';
import { RealClock } from '../../market/clock.ts';
import { marketClock } from '../../market/calendar.ts';
import { MarketReads } from '../../market/cached-reads.ts';
import type { Session } from '../../market/calendar.ts';
import {
  UnknownSymbolError,
  type Bar,
  type MarketData,
  type Timeframe,
} from '../../market/port.ts';
import { addDays, dayNumber, newYorkDate, newYorkWallTime } from '../../market/time-zone.ts';
import type { BarStore } from '../../history/store.ts';
import type { RouteModule } from '../app.ts';
import { route } from '../authenticate.ts';
import { API_PREFIX, documentOperation } from '../openapi.ts';
import { ApiError } from '../problem.ts';

export interface MarketRouteDeps {
  readonly market: MarketData;
  /** `requireAuth` and the per-user limiter (`security.authenticated`), in order. */
  readonly authenticated: readonly RequestHandler[];
  /**
   * Whether the market clock is simulated (reported as `simulated` by `/market/clock`).
   * Default: every clock but the wall clock (`RealClock`) is.
   */
  readonly simulatedClock?: boolean;
  /**
   * Stored history (the time-series store): when it holds a series, `/bars/{symbol}` serves it
   * (any symbol it holds, listed or not) instead of the feed's simulated bars.
   */
  readonly history?: Pick<BarStore, 'bars' | 'series'>;
  /** The asset list and calendar through the cache (default: read from `market`). */
  readonly reads?: MarketReads;
}

// ─── wire shapes ────────────────────────────────────────────────────────────────────────────

const decimal = (example: string) =>
  z.string().meta({ description: 'Exact decimal string', example });

const Phase = z.enum(['pre', 'regular', 'post', 'closed']).meta({
  description:
    'Trading phase in America/New_York: `pre` 04:00–09:30, `regular` 09:30–16:00 (13:00 on early closes), `post` until 20:00 (17:00), else `closed`',
});

const Clock = z
  .object({
    timestamp: z.string().meta({ description: 'Market time now (simulation time when simulated)' }),
    is_open: z.boolean().meta({ description: 'True during the regular session' }),
    next_open: z.string().meta({ description: 'Next regular-session open' }),
    next_close: z
      .string()
      .meta({ description: 'Next regular-session close (early closes included)' }),
    phase: Phase,
    simulated: z.boolean().meta({ description: 'True when the clock is simulated, not wall time' }),
  })
  .meta({ id: 'MarketClock' });

const CalendarDay = z
  .object({
    date: z.string().meta({ description: 'New York date', example: '2025-11-28' }),
    open: z.string().meta({ description: 'Regular open, New York wall time', example: '09:30' }),
    close: z.string().meta({ description: 'Regular close, New York wall time', example: '13:00' }),
    session_open: z.string().meta({ description: 'Pre-market opens (New York)', example: '04:00' }),
    session_close: z
      .string()
      .meta({ description: 'Post-market closes (New York)', example: '17:00' }),
    early_close: z.boolean(),
    open_at: z.string().meta({ description: 'Regular open as an instant (RFC 3339, UTC)' }),
    close_at: z.string().meta({ description: 'Regular close as an instant (RFC 3339, UTC)' }),
  })
  .meta({ id: 'CalendarDay' });

const AssetSchema = z
  .object({
    symbol: z.string(),
    name: z.string(),
    exchange: z.string(),
    sector: z.string(),
    class: z.literal('us_equity'),
    status: z.enum(['active', 'inactive']),
    tradable: z.boolean(),
    shortable: z.boolean(),
    easy_to_borrow: z.boolean(),
    fractionable: z.boolean(),
    simulated: z
      .boolean()
      .meta({ description: 'True when the instrument and its prices are simulated' }),
  })
  .meta({ id: 'Asset' });

const QuoteSchema = z
  .object({
    symbol: z.string(),
    bid: decimal('189.42'),
    ask: decimal('189.44'),
    bid_size: z.number().int().meta({ description: 'Shares at the best bid' }),
    ask_size: z.number().int().meta({ description: 'Shares at the best ask' }),
    last: decimal('189.43'),
    timestamp: z.string().meta({ description: 'Quote time (simulation time when simulated)' }),
    seq: z.number().int().meta({ description: 'Feed sequence number, increasing per symbol' }),
    source: z.enum(['simulated', 'replay', 'test']),
    simulated: z.boolean(),
    phase: Phase,
    halted: z.boolean().meta({ description: 'True while trading in the symbol is halted' }),
  })
  .meta({ id: 'Quote' });

const BarSchema = z
  .object({
    timestamp: z
      .string()
      .meta({ description: 'Bar start (a daily bar starts at New York midnight)' }),
    open: decimal('189.10'),
    high: decimal('190.02'),
    low: decimal('188.95'),
    close: decimal('189.43'),
    volume: z.number().int(),
    vwap: decimal('189.5123'),
    trade_count: z.number().int(),
  })
  .meta({ id: 'Bar' });

const Bars = z
  .object({
    symbol: z.string(),
    timeframe: z.enum(['1Min', '1Day']),
    simulated: z.boolean(),
    source: z.enum(['stored', 'feed']).meta({
      description:
        '`stored`: imported or generated history from the time-series store; `feed`: the market feed',
    }),
    items: z.array(BarSchema),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the bars after this page; null at the end' }),
  })
  .meta({ id: 'Bars' });

// ─── request schemas ────────────────────────────────────────────────────────────────────────

const civilDate = z.iso.date().meta({ description: 'A New York date, `YYYY-MM-DD`' });
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).meta({
  description: 'RFC 3339 date-time with offset, or a date `YYYY-MM-DD` (midnight in New York)',
  example: '2025-03-03T14:30:00Z',
});

const calendarQuery = z
  .object({
    start: civilDate.optional().meta({ description: 'First date (default: today, market time)' }),
    end: civilDate
      .optional()
      .meta({ description: 'Last date, inclusive (default: start + 90 days)' }),
  })
  .strict();

const assetsQuery = z
  .object({
    status: z.enum(['active', 'inactive']).optional(),
    asset_class: z.enum(['us_equity', 'us_option']).optional(),
  })
  .strict();

const symbolParams = z.object({
  symbol: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9.]{0,11}$/, 'A ticker such as AAPL or BRK.B')
    .meta({ example: 'AAPL' }),
});

const MAX_BARS = 10_000;
const barsQuery = z
  .object({
    timeframe: z.enum(['1Min', '1Day']).default('1Day'),
    start: instant.optional().meta({
      description: 'Inclusive start (default: the session pre-open for 1Min, a year back for 1Day)',
    }),
    end: instant.optional().meta({ description: 'Exclusive end (default and maximum: now)' }),
    limit: z.coerce.number().int().min(1).max(MAX_BARS).default(1000),
    cursor: z
      .string()
      .max(200)
      .optional()
      .meta({ description: 'A `next_cursor` of an earlier page' }),
  })
  .strict();

/** The longest range one bars request may span, by timeframe. */
const MAX_SPAN_DAYS: Readonly<Record<Timeframe, number>> = { '1Min': 366, '1Day': 3660 };
const MAX_CALENDAR_DAYS = 3660;
const DEFAULT_CALENDAR_DAYS = 90;

// ─── serializers ────────────────────────────────────────────────────────────────────────────

/** `HH:MM` New York wall time of an instant on `date` (session times are whole minutes). */
function wallTime(date: string, at: Date): string {
  const minutes = Math.round((at.getTime() - newYorkWallTime(date, 0).getTime()) / 60_000);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function calendarDay(s: Session): z.infer<typeof CalendarDay> {
  return {
    date: s.date,
    open: wallTime(s.date, s.open),
    close: wallTime(s.date, s.close),
    session_open: wallTime(s.date, s.preOpen),
    session_close: wallTime(s.date, s.postClose),
    early_close: s.earlyClose,
    open_at: s.open.toISOString(),
    close_at: s.close.toISOString(),
  };
}

function assetBody(a: Asset): z.infer<typeof AssetSchema> {
  return {
    symbol: a.symbol,
    name: a.name,
    exchange: a.exchange,
    sector: a.sector,
    class: a.class,
    status: 'active',
    tradable: a.tradable,
    shortable: a.shortable,
    easy_to_borrow: a.easyToBorrow,
    fractionable: a.fractionable,
    simulated: a.simulated,
  };
}

function barBody(b: Bar): z.infer<typeof BarSchema> {
  return {
    timestamp: b.time,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    vwap: b.vwap,
    trade_count: b.tradeCount,
  };
}

/** Real history is the only data that is not simulated. */
const isSimulated = (source: Quote['source']): boolean => source !== 'replay';

// ─── helpers ────────────────────────────────────────────────────────────────────────────────

function invalid(field: string, message: string): ApiError {
  return new ApiError(422, 'validation_failed', 'Validation Failed', {
    detail: 'The request has invalid fields',
    errors: [{ field, message }],
  });
}

function unknownSymbol(symbol: string): ApiError {
  return new ApiError(404, 'unknown_symbol', 'Not Found', {
    detail: `The market does not list ${symbol}`,
    errors: [{ field: 'symbol', message: `Unknown symbol ${symbol}` }],
  });
}

/** An RFC 3339 instant, or a date read as midnight in New York. */
function parseInstant(value: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? newYorkWallTime(value, 0) : new Date(value);
}

/** Bars cursors carry the start of the next page; opaque to clients. */
function encodeCursor(startMs: number): string {
  return Buffer.from(JSON.stringify({ s: startMs })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const s = (parsed as { s?: unknown } | null)?.s;
    if (typeof s === 'number' && Number.isSafeInteger(s) && s >= 0) return s;
  } catch {
    // Falls through to the problem below.
  }
  throw new ApiError(400, 'invalid_cursor', 'Bad Request', {
    detail: 'The cursor is not valid for this list',
    errors: [{ field: 'cursor', message: 'Not a cursor returned by this list' }],
  });
}

function sendJson(res: Response, body: unknown, cache = 'no-store'): void {
  res.setHeader('Cache-Control', cache);
  res.json(body);
}

/** `/market/clock`, `/market/calendar`, `/market/assets[/{symbol}]`, `/market/quotes/{symbol}`, `/market/bars/{symbol}`. */
export function marketRoutes(deps: MarketRouteDeps): RouteModule {
  const { market } = deps;
  const reads = deps.reads ?? new MarketReads(market);
  const simulatedClock = deps.simulatedClock ?? !(market.clock instanceof RealClock);

  const assetOr404 = (raw: unknown): Asset => {
    const { symbol } = symbolParams.parse({ symbol: raw });
    const asset = market.asset(symbol);
    if (!asset) throw unknownSymbol(symbol.toUpperCase());
    return asset;
  };

  return (api) => {
    const router = Router();
    if (deps.authenticated.length > 0) router.use(...deps.authenticated);

    /** Alpaca's clock plus our phase and whether the time is simulated. */
    router.get('/clock', (_req, res) => {
      const clock = marketClock(market.calendar, market.clock.now());
      sendJson(res, {
        timestamp: clock.timestamp,
        is_open: clock.isOpen,
        next_open: clock.nextOpen,
        next_close: clock.nextClose,
        phase: clock.phase,
        simulated: simulatedClock,
      });
    });

    /** Sessions between two New York dates, inclusive; holidays are absent, early closes flagged. */
    router.get('/calendar', async (req, res) => {
      const q = calendarQuery.parse(req.query);
      const start = q.start ?? newYorkDate(market.clock.now());
      const end = q.end ?? addDays(start, DEFAULT_CALENDAR_DAYS);
      const span = dayNumber(end) - dayNumber(start);
      if (span < 0) throw invalid('end', 'end must not be before start');
      if (span > MAX_CALENDAR_DAYS) {
        throw invalid('end', `At most ${MAX_CALENDAR_DAYS} days from start`);
      }
      const sessions = await reads.sessions(start, end);
      sendJson(res, sessions.map(calendarDay), 'public, max-age=3600');
    });

    /** Every listed asset, filtered by status and class. */
    router.get('/assets', async (req, res) => {
      const q = assetsQuery.parse(req.query);
      // Every listed asset is active; only US equities are listed for now.
      const listed =
        (q.status ?? 'active') === 'active' && (q.asset_class ?? 'us_equity') === 'us_equity';
      const items = listed ? (await reads.assets()).map(assetBody) : [];
      sendJson(res, { items, next_cursor: null });
    });

    router.get('/assets/:symbol', (req, res) => {
      sendJson(res, assetBody(assetOr404(req.params.symbol)));
    });

    /** The latest NBBO quote, with the phase and halt state of the symbol. */
    router.get('/quotes/:symbol', (req, res) => {
      const asset = assetOr404(req.params.symbol);
      const quote = market.latestQuote(asset.symbol);
      if (!quote) {
        throw new ApiError(404, 'quote_unavailable', 'Not Found', {
          detail: `No quote for ${asset.symbol} yet`,
        });
      }
      const context = market.context(asset.symbol);
      sendJson(res, {
        symbol: quote.symbol,
        bid: quote.bid,
        ask: quote.ask,
        bid_size: quote.bidSize,
        ask_size: quote.askSize,
        last: quote.last,
        timestamp: quote.time,
        seq: quote.seq,
        source: quote.source,
        simulated: isSimulated(quote.source) || asset.simulated,
        phase: context.phase,
        halted: context.halted,
      });
    });

    /** Completed bars, earliest first, paged with `cursor`. */
    router.get(
      '/bars/:symbol',
      route(async (req, res) => {
        const q = barsQuery.parse(req.query);
        const wanted = symbolParams.parse({ symbol: req.params.symbol }).symbol.toUpperCase();
        const stored =
          deps.history === undefined
            ? []
            : await deps.history.series({ symbol: wanted, timeframe: q.timeframe });
        const series = stored[0];
        if (series !== undefined && deps.history !== undefined) {
          const start =
            q.cursor !== undefined
              ? new Date(decodeCursor(q.cursor))
              : q.start !== undefined
                ? parseInstant(q.start)
                : undefined;
          const end = q.end === undefined ? undefined : parseInstant(q.end);
          const bars = await deps.history.bars(wanted, q.timeframe, {
            ...(start ? { start } : {}),
            ...(end ? { end } : {}),
            limit: q.limit,
          });
          const last = bars.at(-1);
          sendJson(res, {
            symbol: wanted,
            timeframe: q.timeframe,
            simulated: series.source === 'generated',
            source: 'stored',
            items: bars.map(barBody),
            next_cursor:
              bars.length === q.limit && last ? encodeCursor(Date.parse(last.time) + 1) : null,
          });
          return;
        }
        const asset = assetOr404(req.params.symbol);
        const start =
          q.cursor !== undefined
            ? new Date(decodeCursor(q.cursor))
            : q.start !== undefined
              ? parseInstant(q.start)
              : undefined;
        const end = q.end === undefined ? undefined : parseInstant(q.end);
        const spanEnd = end ?? market.clock.now();
        if (start && start.getTime() >= spanEnd.getTime()) {
          throw invalid(q.cursor === undefined ? 'start' : 'cursor', 'start must be before end');
        }
        if (
          start &&
          spanEnd.getTime() - start.getTime() > MAX_SPAN_DAYS[q.timeframe] * 86_400_000
        ) {
          throw invalid(
            'start',
            `At most ${MAX_SPAN_DAYS[q.timeframe]} days for ${q.timeframe} bars`,
          );
        }
        let bars: Bar[];
        try {
          bars = await market.bars(asset.symbol, {
            timeframe: q.timeframe,
            ...(start ? { start } : {}),
            ...(end ? { end } : {}),
            limit: q.limit,
          });
        } catch (error) {
          if (error instanceof UnknownSymbolError) throw unknownSymbol(asset.symbol);
          if (error instanceof RangeError) throw invalid('start', error.message);
          throw error;
        }
        const last = bars.at(-1);
        sendJson(res, {
          symbol: asset.symbol,
          timeframe: q.timeframe,
          simulated: asset.simulated,
          source: 'feed',
          items: bars.map(barBody),
          next_cursor:
            bars.length === q.limit && last ? encodeCursor(Date.parse(last.time) + 1) : null,
        });
      }),
    );

    api.use('/market', router);
  };
}

// ─── OpenAPI ────────────────────────────────────────────────────────────────────────────────

const p = (path: string): string => `${API_PREFIX}/market${path}`;
const tags = ['Market'];

documentOperation({
  method: 'get',
  path: p('/clock'),
  tags,
  summary: 'Market clock',
  description:
    "Alpaca's clock (`timestamp`, `is_open`, `next_open`, `next_close`) plus the trading `phase` and whether the clock is `simulated`. The default simulated clock starts inside a regular session and runs at wall speed.",
  responses: {
    200: {
      description: 'The clock',
      schema: Clock,
      example: {
        timestamp: '2025-03-03T15:00:00.000Z',
        is_open: true,
        next_open: '2025-03-04T14:30:00.000Z',
        next_close: '2025-03-03T21:00:00.000Z',
        phase: 'regular',
        simulated: true,
      },
    },
  },
});

documentOperation({
  method: 'get',
  path: p('/calendar'),
  tags,
  summary: 'Trading calendar',
  description:
    'NYSE sessions from `start` to `end` (New York dates, inclusive; at most ten years). Holidays are absent; early closes (13:00) are flagged. Times are New York wall times, with the regular open and close also as instants.',
  request: { query: calendarQuery },
  responses: {
    200: {
      description: 'One entry per session day',
      schema: z.array(CalendarDay),
      example: [
        {
          date: '2025-11-28',
          open: '09:30',
          close: '13:00',
          session_open: '04:00',
          session_close: '17:00',
          early_close: true,
          open_at: '2025-11-28T14:30:00.000Z',
          close_at: '2025-11-28T18:00:00.000Z',
        },
      ],
    },
  },
  errors: { 422: ['validation_failed'] },
});

const assetExample = {
  symbol: 'AAPL',
  name: 'Apple Inc.',
  exchange: 'NASDAQ',
  sector: 'Information Technology',
  class: 'us_equity',
  status: 'active',
  tradable: true,
  shortable: true,
  easy_to_borrow: true,
  fractionable: true,
  simulated: true,
};

documentOperation({
  method: 'get',
  path: p('/assets'),
  tags,
  summary: 'List assets',
  description:
    'Every instrument the market lists, sorted by symbol. Filter by `status` and `asset_class`; only US equities (`us_equity`) are listed for now, and all of them are `active`.',
  request: { query: assetsQuery },
  responses: {
    200: {
      description: 'The assets (one page)',
      schema: z
        .object({ items: z.array(AssetSchema), next_cursor: z.string().nullable() })
        .meta({ id: 'AssetPage' }),
      example: { items: [assetExample], next_cursor: null },
    },
  },
  errors: { 422: ['validation_failed'] },
});

documentOperation({
  method: 'get',
  path: p('/assets/{symbol}'),
  tags,
  summary: 'Get an asset',
  description: 'One listed asset; symbols match case-insensitively.',
  request: { params: symbolParams },
  responses: { 200: { description: 'The asset', schema: AssetSchema, example: assetExample } },
  errors: { 404: ['unknown_symbol'], 422: ['validation_failed'] },
});

documentOperation({
  method: 'get',
  path: p('/quotes/{symbol}'),
  tags,
  summary: 'Latest quote',
  description:
    'The latest NBBO quote (bid, ask, sizes, last) as exact decimal strings, with the market phase and halt state. Outside trading hours it is the last quote of the session. `simulated` says whether the prices are simulated.',
  request: { params: symbolParams },
  responses: {
    200: {
      description: 'The quote',
      schema: QuoteSchema,
      example: {
        symbol: 'AAPL',
        bid: '189.42',
        ask: '189.44',
        bid_size: 300,
        ask_size: 200,
        last: '189.43',
        timestamp: '2025-03-03T15:00:00.000Z',
        seq: 1740994,
        source: 'simulated',
        simulated: true,
        phase: 'regular',
        halted: false,
      },
    },
  },
  errors: { 404: ['unknown_symbol', 'quote_unavailable'], 422: ['validation_failed'] },
});

documentOperation({
  method: 'get',
  path: p('/bars/{symbol}'),
  tags,
  summary: 'Historical bars',
  description:
    "Completed OHLCV bars (`1Min` or `1Day`), earliest first, from `start` (inclusive) to `end` (exclusive, capped at now), at most `limit` per page; follow `next_cursor` for more. A range spans at most 366 days of minute bars or 3,660 days of daily bars. When the time-series store holds the series (`paper-trading data import` or `data generate`), the stored history is served (`source: stored`, any stored symbol), otherwise the feed's simulated bars (`source: feed`).",
  request: { params: symbolParams, query: barsQuery },
  responses: {
    200: {
      description: 'A page of bars',
      schema: Bars,
      example: {
        symbol: 'AAPL',
        timeframe: '1Day',
        simulated: true,
        source: 'feed',
        items: [
          {
            timestamp: '2025-02-28T05:00:00.000Z',
            open: '188.10',
            high: '190.02',
            low: '187.95',
            close: '189.43',
            volume: 51234000,
            vwap: '189.0123',
            trade_count: 412345,
          },
        ],
        next_cursor: null,
      },
    },
  },
  errors: {
    400: ['invalid_cursor'],
    404: ['unknown_symbol'],
    422: ['validation_failed'],
  },
});
