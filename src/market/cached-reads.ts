/**
 * The market's reference data read through the cache port (issue 12): the asset list and the
 * calendar's sessions. Both are computed by the feed and the calendar library in every process,
 * so a miss costs little; with Redis every process shares what one computed, and the TTLs
 * bound how long a change of the listing (a replay feed loading other symbols) may take to show.
 */
import { ReadThrough } from '../cache/read-through.ts';
import { jsonKind, type Cache, type CacheKind } from '../cache/port.ts';
import type { Asset } from '../domain/market.ts';
import type { Session } from './calendar.ts';
import type { MarketData } from './port.ts';

/** Every listed asset, under the key `all`. Listings change rarely: one minute. */
export const ASSETS_KIND: CacheKind<readonly Asset[]> = jsonKind<readonly Asset[]>(
  'assets',
  60_000,
);

/**
 * Calendar sessions of a range of New York dates, under the key `{start}..{end}`. A calendar
 * does not change while a process runs: an hour. Instants travel as ISO strings and come back
 * as `Date`s.
 */
export const CALENDAR_KIND: CacheKind<readonly Session[]> = {
  name: 'calendar',
  ttlMs: 3_600_000,
  encode: (sessions) =>
    JSON.stringify(
      sessions.map((s) => [
        s.date,
        s.preOpen.toISOString(),
        s.open.toISOString(),
        s.close.toISOString(),
        s.postClose.toISOString(),
        s.earlyClose ? 1 : 0,
      ]),
    ),
  decode: (text) =>
    (JSON.parse(text) as [string, string, string, string, string, number][]).map(
      ([date, preOpen, open, close, postClose, early]) => ({
        date,
        preOpen: new Date(preOpen),
        open: new Date(open),
        close: new Date(close),
        postClose: new Date(postClose),
        earlyClose: early === 1,
      }),
    ),
};

/** Asset-list and calendar reads for the routes; `cache` undefined reads the market directly. */
export class MarketReads {
  readonly #assets: ReadThrough<readonly Asset[]>;
  readonly #sessions: ReadThrough<readonly Session[]>;

  constructor(
    private readonly market: MarketData,
    cache?: Cache,
    onError?: (error: unknown) => void,
  ) {
    this.#assets = new ReadThrough(cache, ASSETS_KIND, onError);
    this.#sessions = new ReadThrough(cache, CALENDAR_KIND, onError);
  }

  /** Every listed asset. */
  assets(): Promise<readonly Asset[]> {
    return this.#assets.read('all', () => this.market.assets());
  }

  /** The sessions between two New York dates (`YYYY-MM-DD`), inclusive. */
  sessions(start: string, end: string): Promise<readonly Session[]> {
    return this.#sessions.read(`${start}..${end}`, () => this.market.calendar.sessions(start, end));
  }
}
