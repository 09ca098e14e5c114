/**
 * `/v2/clock`, `/v2/calendar`, `/v2/assets…` and the market-data subset bots call on the
 * trading origin (`/v2/stocks/…`: latest quotes, trades and bars, bars, snapshots), read from
 * the `MarketData` port. Market-data payloads use Alpaca's short keys and JSON numbers.
 */
import { MarketReads } from '../../market/cached-reads.ts';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Asset } from '../../domain/market.ts';
import { isValidEquitySymbol, normalizeSymbol } from '../../domain/instrument.ts';
import type { MarketData } from '../../market/port.ts';
import { addDays, dayNumber, newYorkDate, newYorkWallTime } from '../../market/time-zone.ts';
import { route } from '../authenticate.ts';
import { parseInput } from '../v1/input.ts';
import type { AlpacaDeps } from './context.ts';
import { AlpacaError } from './errors.ts';
import { civilDateOf, instantParam, takeList } from './query.ts';
import { aggregate } from './bars.ts';
import {
  assetId,
  assetWire,
  barWire,
  calendarDayWire,
  clockWire,
  quoteWire,
  tradeWire,
} from './wire.ts';

type Json = Record<string, unknown>;

/** A handler that answers without waiting for anything. */
/** `answer` for a handler that awaits (a cache read). */
function answerAsync(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}

function answer(handler: (req: Request, res: Response) => void): RequestHandler {
  return (req, res, next) => {
    try {
      handler(req, res);
    } catch (error) {
      next(error);
    }
  };
}

const MAX_CALENDAR_DAYS = 3660;

const calendarQuery = z
  .object({
    start: instantParam.optional(),
    end: instantParam.optional(),
    date_type: z.enum(['TRADING', 'SETTLEMENT']).optional(),
  })
  .strict();

const assetsQuery = z
  .object({
    status: z.enum(['active', 'inactive']).optional(),
    asset_class: z.enum(['us_equity', 'us_option', 'crypto']).optional(),
    exchange: z.string().max(20).optional(),
  })
  .strict();

/** Market-data parameters the SDKs send that change nothing here (one simulated feed). */
const dataCommon = {
  feed: z.enum(['iex', 'sip', 'delayed_sip', 'otc', 'boats', 'overnight']).optional(),
  currency: z.literal('USD').optional(),
};

const MAX_BARS = 10_000;

const barsQuery = z
  .object({
    ...dataCommon,
    timeframe: z.string().max(10),
    start: instantParam.optional(),
    end: instantParam.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_BARS).default(1000),
    page_token: z.string().max(500).optional(),
    adjustment: z.enum(['raw', 'split', 'dividend', 'spin-off', 'all']).optional(),
    asof: z.string().max(10).optional(),
    sort: z.literal('asc').optional(),
  })
  .strict();

/** A bar width: whole minutes (1–59), hours (1–23) or one day. */
interface Width {
  readonly base: '1Min' | '1Day';
  /** Base bars per bar. */
  readonly n: number;
}

function widthOf(timeframe: string): Width {
  const m = /^(\d{1,2})(Min|T|Hour|H|Day|D|Week|W|Month|M)$/.exec(timeframe);
  const n = Number(m?.[1] ?? 0);
  const unit = m?.[2];
  if ((unit === 'Min' || unit === 'T') && n >= 1 && n <= 59) return { base: '1Min', n };
  if ((unit === 'Hour' || unit === 'H') && n >= 1 && n <= 23) return { base: '1Min', n: n * 60 };
  if ((unit === 'Day' || unit === 'D') && n === 1) return { base: '1Day', n: 1 };
  throw new AlpacaError(
    422,
    'validation_failed',
    `timeframe ${timeframe} is not supported: use 1-59Min, 1-23Hour or 1Day`,
    {
      errors: [{ field: 'timeframe', message: 'use 1-59Min, 1-23Hour or 1Day' }],
    },
  );
}

/** Where a bars page continues: the symbol and the first bar time not yet sent. */
interface BarsToken {
  readonly symbol: string;
  readonly from: string;
}

function encodeToken(token: BarsToken): string {
  return Buffer.from(JSON.stringify([token.symbol, token.from])).toString('base64url');
}

function decodeToken(text: string): BarsToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      if (parsed[1] === '' || !Number.isNaN(Date.parse(parsed[1]))) {
        return { symbol: parsed[0], from: parsed[1] };
      }
    }
  } catch {
    // fall through
  }
  throw new AlpacaError(400, 'invalid_cursor', 'page_token is not a token of this list', {
    errors: [{ field: 'page_token', message: 'must be a next_page_token of an earlier answer' }],
  });
}

/** The bars of `symbols`, `limit` in all, continuing at `page_token`. */
async function barsOf(
  market: MarketData,
  symbols: readonly string[],
  q: z.output<typeof barsQuery>,
): Promise<{ bars: Record<string, Json[]>; next: string | null }> {
  const width = widthOf(q.timeframe);
  const token = q.page_token === undefined ? undefined : decodeToken(q.page_token);
  const sorted = [...symbols].sort();
  const startAt = token === undefined ? 0 : Math.max(0, sorted.indexOf(token.symbol));
  const end = q.end === undefined ? undefined : dateOf(q.end);
  const bars: Record<string, Json[]> = {};
  let left = q.limit;
  for (const symbol of sorted.slice(startAt)) {
    if (left === 0) return { bars, next: encodeToken({ symbol, from: q.start ?? '' }) };
    const from = token?.symbol === symbol ? token.from : q.start;
    const baseLimit = Math.min(MAX_BARS, (left + 1) * width.n);
    const base = await market.bars(symbol, {
      timeframe: width.base,
      ...(from === undefined || from === '' ? {} : { start: dateOf(from) }),
      ...(end === undefined ? {} : { end }),
      limit: baseLimit,
    });
    const merged = aggregate(base, width.n);
    // A base page cut short may end inside a bar: that bar starts the next page.
    const partial = base.length === baseLimit && width.n > 1 ? merged.pop() : undefined;
    const shown = merged.slice(0, left);
    bars[symbol] = shown.map(barWire);
    left -= shown.length;
    const rest = merged[shown.length] ?? partial;
    if (rest !== undefined) return { bars, next: encodeToken({ symbol, from: rest.time }) };
  }
  return { bars, next: null };
}

function dateOf(value: string): Date {
  return value.length === 10 ? newYorkWallTime(value, 0) : new Date(value);
}

export function mountMarketRoutes(router: Router, deps: AlpacaDeps): void {
  const { market } = deps;
  const reads = deps.reads ?? new MarketReads(market);

  /** A listed symbol of a path (`AAPL`), or a 404 / 422 in Alpaca's words. */
  function listed(raw: unknown): Asset {
    const text = typeof raw === 'string' ? raw : '';
    const byId = market.assets().find((a) => assetId(a.symbol) === text.toLowerCase());
    if (byId) return byId;
    const symbol = normalizeSymbol(text);
    const asset = isValidEquitySymbol(symbol) ? market.asset(symbol) : undefined;
    if (asset === undefined)
      throw new AlpacaError(404, 'unknown_symbol', `asset not found: ${text}`);
    return asset;
  }

  /** The `symbols` list of a multi-symbol route; unknown symbols are left out (Alpaca). */
  function symbolsOf(query: Record<string, unknown>): {
    symbols: Asset[];
    rest: Record<string, unknown>;
  } {
    const { list, rest } = takeList(query, 'symbols', (s) => normalizeSymbol(s));
    if (list === undefined || list.length === 0) {
      throw new AlpacaError(422, 'validation_failed', 'symbols is required', {
        errors: [{ field: 'symbols', message: 'is required (comma-separated tickers)' }],
      });
    }
    const symbols = list.flatMap((s) => {
      const asset = market.asset(s);
      return asset === undefined ? [] : [asset];
    });
    return { symbols, rest };
  }

  router.get(
    '/clock',
    answer((req, res) => {
      parseInput(z.object({}).strict(), req.query);
      res.json(clockWire(market.calendar, market.clock.now()));
    }),
  );

  /** Sessions from `start` to `end` (dates or ISO timestamps; default today + 1 year). */
  router.get(
    '/calendar',
    answerAsync(async (req, res) => {
      const q = parseInput(calendarQuery, req.query);
      const start = q.start === undefined ? newYorkDate(market.clock.now()) : civilDateOf(q.start);
      const end = q.end === undefined ? addDays(start, 365) : civilDateOf(q.end);
      if (dayNumber(end) < dayNumber(start)) {
        throw new AlpacaError(422, 'validation_failed', 'end must not be before start', {
          errors: [{ field: 'end', message: 'must not be before start' }],
        });
      }
      if (dayNumber(end) - dayNumber(start) > MAX_CALENDAR_DAYS) {
        throw new AlpacaError(
          422,
          'validation_failed',
          `the range may span at most ${MAX_CALENDAR_DAYS} days`,
          {
            errors: [{ field: 'end', message: `at most ${MAX_CALENDAR_DAYS} days after start` }],
          },
        );
      }
      const sessions = await reads.sessions(start, end);
      res.json(sessions.map((s) => calendarDayWire(s, market.calendar)));
    }),
  );

  router.get(
    '/assets',
    answerAsync(async (req, res) => {
      const { list: attributes, rest } = takeList(req.query, 'attributes');
      const q = parseInput(assetsQuery, rest);
      const assets = (await reads.assets()).filter(
        (a) =>
          (q.status === undefined || q.status === 'active') &&
          (q.asset_class === undefined || q.asset_class === a.class) &&
          (q.exchange === undefined || q.exchange.toUpperCase() === a.exchange) &&
          (attributes === undefined ||
            attributes.length === 0 ||
            attributes.some((x) => x === 'fractional_eh_enabled' && a.fractionable)),
      );
      res.json(assets.map(assetWire));
    }),
  );

  router.get(
    '/assets/:symbol',
    answer((req, res) => {
      parseInput(z.object({}).strict(), req.query);
      res.json(assetWire(listed(req.params.symbol)));
    }),
  );

  // ─── market data ──────────────────────────────────────────────────────────────────────────

  const latestQuery = z.object(dataCommon).strict();

  function latestQuote(asset: Asset): Json | undefined {
    const quote = market.latestQuote(asset.symbol);
    return quote === undefined ? undefined : quoteWire(quote, asset);
  }
  function latestTrade(asset: Asset): Json | undefined {
    const quote = market.latestQuote(asset.symbol);
    return quote === undefined ? undefined : tradeWire(quote, asset);
  }
  async function latestBar(asset: Asset): Promise<Json | undefined> {
    const bars = await market.bars(asset.symbol, { timeframe: '1Min', limit: MAX_BARS });
    const last = bars.at(-1);
    return last === undefined ? undefined : barWire(last);
  }
  async function snapshot(asset: Asset): Promise<Json> {
    const now = market.clock.now();
    const today = newYorkDate(now);
    const minutes = await market.bars(asset.symbol, {
      timeframe: '1Min',
      start: newYorkWallTime(today, 0),
      limit: MAX_BARS,
    });
    const daily = await market.bars(asset.symbol, {
      timeframe: '1Day',
      start: newYorkWallTime(addDays(today, -10), 0),
    });
    const minute = minutes.at(-1);
    const day = aggregate(minutes, 24 * 60).at(-1);
    const prev = daily.filter((b) => b.time < newYorkWallTime(today, 0).toISOString()).at(-1);
    return {
      latestTrade: latestTrade(asset) ?? null,
      latestQuote: latestQuote(asset) ?? null,
      minuteBar: minute === undefined ? null : barWire(minute),
      dailyBar:
        day === undefined ? null : { ...barWire(day), t: newYorkWallTime(today, 0).toISOString() },
      prevDailyBar: prev === undefined ? null : barWire(prev),
    };
  }

  /** One symbol's latest value, or 404 when the feed has none. */
  function one(value: Json | undefined, what: string, symbol: string): Json {
    if (value === undefined) throw new AlpacaError(404, 'no_quote', `no ${what} for ${symbol}`);
    return value;
  }

  router.get(
    '/stocks/quotes/latest',
    answer((req, res) => {
      const { symbols, rest } = symbolsOf(req.query);
      parseInput(latestQuery, rest);
      res.json({ quotes: keyed(symbols, latestQuote) });
    }),
  );
  router.get(
    '/stocks/trades/latest',
    answer((req, res) => {
      const { symbols, rest } = symbolsOf(req.query);
      parseInput(latestQuery, rest);
      res.json({ trades: keyed(symbols, latestTrade) });
    }),
  );
  router.get(
    '/stocks/bars/latest',
    route(async (req, res) => {
      const { symbols, rest } = symbolsOf(req.query);
      parseInput(latestQuery, rest);
      const bars: Record<string, Json> = {};
      for (const a of symbols) {
        const bar = await latestBar(a);
        if (bar !== undefined) bars[a.symbol] = bar;
      }
      res.json({ bars });
    }),
  );
  router.get(
    '/stocks/snapshots',
    route(async (req, res) => {
      const { symbols, rest } = symbolsOf(req.query);
      parseInput(latestQuery, rest);
      const out: Record<string, Json> = {};
      for (const a of symbols) out[a.symbol] = await snapshot(a);
      res.json(out);
    }),
  );
  router.get(
    '/stocks/bars',
    route(async (req, res) => {
      const { symbols, rest } = symbolsOf(req.query);
      const q = parseInput(barsQuery, rest);
      const page = await barsOf(
        market,
        symbols.map((a) => a.symbol),
        q,
      );
      res.json({ bars: page.bars, next_page_token: page.next });
    }),
  );

  router.get(
    '/stocks/:symbol/quotes/latest',
    answer((req, res) => {
      parseInput(latestQuery, req.query);
      const asset = listed(req.params.symbol);
      res.json({ symbol: asset.symbol, quote: one(latestQuote(asset), 'quote', asset.symbol) });
    }),
  );
  router.get(
    '/stocks/:symbol/trades/latest',
    answer((req, res) => {
      parseInput(latestQuery, req.query);
      const asset = listed(req.params.symbol);
      res.json({ symbol: asset.symbol, trade: one(latestTrade(asset), 'trade', asset.symbol) });
    }),
  );
  router.get(
    '/stocks/:symbol/bars/latest',
    route(async (req, res) => {
      parseInput(latestQuery, req.query);
      const asset = listed(req.params.symbol);
      res.json({ symbol: asset.symbol, bar: one(await latestBar(asset), 'bar', asset.symbol) });
    }),
  );
  router.get(
    '/stocks/:symbol/snapshot',
    route(async (req, res) => {
      parseInput(latestQuery, req.query);
      const asset = listed(req.params.symbol);
      res.json({ symbol: asset.symbol, ...(await snapshot(asset)) });
    }),
  );
  router.get(
    '/stocks/:symbol/bars',
    route(async (req, res) => {
      const q = parseInput(barsQuery, req.query);
      const asset = listed(req.params.symbol);
      const page = await barsOf(market, [asset.symbol], q);
      res.json({
        symbol: asset.symbol,
        bars: page.bars[asset.symbol] ?? [],
        next_page_token: page.next,
      });
    }),
  );
}

function keyed(
  symbols: readonly Asset[],
  value: (a: Asset) => Json | undefined,
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const a of symbols) {
    const v = value(a);
    if (v !== undefined) out[a.symbol] = v;
  }
  return out;
}
