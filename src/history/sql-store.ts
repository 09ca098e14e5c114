/**
 * The time-series store on PostgreSQL or embedded PGlite (`market_data` schema, ADR 0008).
 *
 * Writes run inside one transaction. On PostgreSQL a row that cannot meet a stored bar streams
 * straight into `bars` through one `COPY … FROM STDIN` (pg-copy-streams) kept open across
 * `write` calls, so the server ingests a chunk while the caller parses the next one. Other rows
 * stage in a temporary table — COPY on PostgreSQL, multi-row `INSERT … SELECT unnest(…)` on
 * PGlite, whose node-postgres shim has no COPY protocol — and merge into `bars` on commit with
 * `INSERT … ON CONFLICT DO UPDATE` (the later of two rows with the same key wins), so a
 * re-import replaces instead of duplicating, and an aborted import leaves nothing behind.
 */
import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { SqlDatabase } from '../eventstore/database.ts';
import {
  allocateSeries,
  barOf,
  truncateSeries,
  type Bar,
  type BarRow,
  type BarSeries,
  type SeriesSource,
  type Timeframe,
} from './bars.ts';
import { quoteIdent } from '../eventstore/sql/migrations.ts';
import { BARS_SCHEMA, migrateBars } from './migrations.ts';
import type { BarRange, BarStore, BarWriter, SeriesInfo, WriteSummary } from './store.ts';

/** Rows per `readSeries` round trip. */
const PAGE = 100_000;
/** Rows per staging INSERT on PGlite (parameters are arrays, so one statement per chunk). */
const INSERT_CHUNK = 20_000;
/** Staged COPY text held before it is sent (sending it pauses the COPY into `bars`). */
const STAGE_FLUSH_CHARS = 4 << 20;
/** Bytes an open COPY buffers in this process before `write` waits for the socket. */
const COPY_BUFFER_BYTES = 1 << 20;
const DAY_MS = 86_400_000;
/** The instants whose ISO form has a four-digit year: 0000-01-01 up to 10000-01-01. */
const FIRST_ISO_MS = -62_167_219_200_000;
const END_ISO_MS = 253_402_300_800_000;

const EPOCH_MS = `(extract(epoch FROM ts) * 1000)::float8`;

interface CatalogRow {
  symbol: string;
  timeframe: Timeframe;
  source: SeriesSource;
  first_ts: Date;
  last_ts: Date;
  bar_count: string | number;
  updated_at: Date;
}

function seriesInfo(r: CatalogRow): SeriesInfo {
  return {
    symbol: r.symbol,
    timeframe: r.timeframe,
    source: r.source,
    first: r.first_ts,
    last: r.last_ts,
    count: Number(r.bar_count),
    updatedAt: r.updated_at,
  };
}

/**
 * One COPY text-format line of the staging table (tab-separated, `\N` for null). The fields
 * are validated before (tickers, decimals and numbers hold no tab, newline or backslash), so
 * they need no escaping.
 */
function copyLine(line: number, r: BarRow): string {
  return `${line}\t${r.symbol}\t${r.timeframe}\t${r.time}\t${r.open}\t${r.high}\t${r.low}\t${r.close}\t${r.volume}\t${r.vwap ?? '\\N'}\t${r.tradeCount ?? '\\N'}\n`;
}

/**
 * ISO instants of bar starts, the date part cached: consecutive rows of a file mostly share a
 * day, and `Date#toISOString` per row was a fifth of the client's import time.
 */
class IsoInstants {
  #day = Number.NaN;
  #prefix = '';

  format(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    const rest = ms - day * DAY_MS;
    // Off the minute, or a year of other than four digits (`+010000-…`): the whole instant.
    if (rest % 60_000 !== 0 || ms < FIRST_ISO_MS || ms >= END_ISO_MS) {
      return new Date(ms).toISOString();
    }
    if (day !== this.#day) {
      this.#day = day;
      this.#prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    }
    return this.#prefix + (MINUTES_OF_DAY[rest / 60_000] ?? '');
  }
}

/** `HH:MM:00Z` for every minute of a day. */
const MINUTES_OF_DAY: readonly string[] = Array.from(
  { length: 1440 },
  (_, m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00Z`,
);

/** The stored ranges of the routed series, as the merge's `unnest` parameters. */
function storedRanges(routes: readonly (readonly [string, SeriesRoute])[]): string[][] {
  const known = routes.filter(([, r]) => r.stored !== undefined);
  const iso = (ms: number): string => new Date(ms).toISOString();
  return [
    known.map(([k]) => k.split('|')[0] ?? ''),
    known.map(([k]) => k.split('|')[1] ?? ''),
    known.map(([, r]) => iso(r.stored?.first ?? 0)),
    known.map(([, r]) => iso(r.stored?.last ?? 0)),
  ];
}

/**
 * Per series (symbol and timeframe) a writer touches: the stored range it found when it
 * first met the series (under a transaction lock, so two writers of one series take turns),
 * and what it has copied straight into `bars`.
 */
interface SeriesRoute {
  /** Stored range, epoch ms (`undefined` for a series not stored yet). */
  readonly stored:
    { readonly first: number; readonly last: number; readonly count: number } | undefined;
  /** Latest bar start copied straight into `bars` (−∞ before the first). */
  lastDirect: number;
  direct: number;
  directFirst: number;
  directLast: number;
  staged: number;
}

type CopyTarget = 'bars' | 'stage';

/** The COPY in progress on the writer's connection (one at a time; no other query meanwhile). */
interface OpenCopy {
  readonly target: CopyTarget;
  readonly stream: CopyStreamQuery;
  /** Settles when the server has taken the COPY (or rejects with its error). */
  readonly done: Promise<void>;
}

class SqlBarWriter implements BarWriter {
  #line = 0;
  #done = false;
  readonly #routes = new Map<string, SeriesRoute>();
  /** The route of the previous row: files mostly hold runs of one series. */
  #lastSymbol = '';
  #lastTimeframe = '';
  #lastRoute: SeriesRoute | undefined;
  #copy: OpenCopy | undefined;
  /** Staged COPY lines not sent yet. */
  #stageText = '';
  /** Rows not inserted into the stage yet (PGlite). */
  #pending: BarRow[] = [];
  #stageCreated = false;
  readonly #iso = new IsoInstants();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly copy: boolean,
    private readonly tables: Tables,
  ) {}

  async write(rows: readonly BarRow[]): Promise<void> {
    if (this.#done) throw new Error('the bar writer is already finished');
    if (rows.length === 0) return;
    if (!this.copy) {
      for (const r of rows) this.#pending.push(r);
      if (this.#pending.length >= INSERT_CHUNK) await this.#insertPending();
      return;
    }
    // A row that cannot meet a stored bar (outside its series' stored range) nor an earlier
    // row of this write (later than every row copied so far) is copied straight into `bars`;
    // the others go through the staging table and its merge (later rows win), as before.
    let direct = '';
    let staged = '';
    let line = this.#line;
    for (const r of rows) {
      const route =
        r.symbol === this.#lastSymbol && r.timeframe === this.#lastTimeframe
          ? this.#lastRoute
          : undefined;
      const found = route ?? (await this.#routeOf(r.symbol, r.timeframe));
      const stored = found.stored;
      if (
        r.time > found.lastDirect &&
        (stored === undefined || r.time < stored.first || r.time > stored.last)
      ) {
        direct += `${r.symbol}\t${r.timeframe}\t${this.#iso.format(r.time)}\t${r.open}\t${r.high}\t${r.low}\t${r.close}\t${r.volume}\t${r.vwap ?? '\\N'}\t${r.tradeCount ?? '\\N'}\n`;
        if (found.direct === 0) found.directFirst = r.time;
        found.lastDirect = r.time;
        found.directLast = r.time;
        found.direct += 1;
      } else {
        staged += copyLine(line, r);
        found.staged += 1;
      }
      line += 1;
    }
    this.#line = line;
    if (staged !== '') this.#stageText += staged;
    if (direct !== '') await this.#send('bars', direct);
    if (this.#stageText.length >= STAGE_FLUSH_CHARS) await this.#flushStage();
  }

  /** The route of a series, from the cache of routes or the catalog. */
  async #routeOf(symbol: string, timeframe: Timeframe): Promise<SeriesRoute> {
    const key = `${symbol}|${timeframe}`;
    const route = this.#routes.get(key) ?? (await this.#route(key, symbol, timeframe));
    this.#lastSymbol = symbol;
    this.#lastTimeframe = timeframe;
    this.#lastRoute = route;
    return route;
  }

  /**
   * Sends COPY text to `target`, opening a COPY on it first (and ending one on the other
   * table). Returns once the text is buffered, so the caller works while the server ingests.
   */
  async #send(target: CopyTarget, text: string): Promise<void> {
    let copy = this.#copy;
    if (copy?.target !== target) {
      await this.#endCopy();
      if (target === 'stage') await this.#createStage();
      const statement =
        target === 'bars'
          ? `COPY ${this.tables.bars} (symbol, timeframe, ts, open, high, low, close, volume, vwap, trade_count) FROM STDIN`
          : 'COPY pg_temp.bars_stage (line, symbol, timeframe, ts_ms, open, high, low, close, volume, vwap, trade_count) FROM STDIN';
      const stream = this.client.query(copyFrom(statement, { highWaterMark: COPY_BUFFER_BYTES }));
      const done = finished(stream);
      // Awaited by whoever ends or aborts the COPY; an early error also surfaces on `write`.
      done.catch(() => undefined);
      copy = { target, stream, done };
      this.#copy = copy;
    }
    if (copy.stream.errored !== null) await copy.done;
    if (!copy.stream.write(text)) await Promise.race([once(copy.stream, 'drain'), copy.done]);
  }

  /** Ends the open COPY and waits until the server has taken all of it. */
  async #endCopy(): Promise<void> {
    const copy = this.#copy;
    if (copy === undefined) return;
    this.#copy = undefined;
    copy.stream.end();
    await copy.done;
  }

  async #flushStage(): Promise<void> {
    const text = this.#stageText;
    this.#stageText = '';
    if (text !== '') await this.#send('stage', text);
  }

  /** The staging table, created the first time a row needs it (a fresh series never does). */
  async #createStage(): Promise<void> {
    if (this.#stageCreated) return;
    await this.client.query(
      `CREATE TEMP TABLE bars_stage (line bigint, symbol text, timeframe text, ts_ms bigint,
         open numeric, high numeric, low numeric, close numeric, volume float8, vwap numeric,
         trade_count bigint) ON COMMIT DROP`,
    );
    this.#stageCreated = true;
  }

  /** Inserts the pending rows into the stage, a chunk per statement (PGlite). */
  async #insertPending(): Promise<void> {
    const rows = this.#pending;
    this.#pending = [];
    if (rows.length === 0) return;
    await this.#createStage();
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      const start = this.#line;
      this.#line += chunk.length;
      await this.client.query(
        `INSERT INTO pg_temp.bars_stage
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::numeric[],
             $6::numeric[], $7::numeric[], $8::numeric[], $9::float8[], $10::numeric[], $11::bigint[])`,
        [
          chunk.map((_, k) => start + k),
          chunk.map((r) => r.symbol),
          chunk.map((r) => r.timeframe),
          chunk.map((r) => r.time),
          chunk.map((r) => r.open),
          chunk.map((r) => r.high),
          chunk.map((r) => r.low),
          chunk.map((r) => r.close),
          chunk.map((r) => r.volume),
          chunk.map((r) => r.vwap),
          chunk.map((r) => r.tradeCount),
        ],
      );
    }
  }

  /** The route of a series, reading its stored range under a lock the first time. */
  async #route(key: string, symbol: string, timeframe: Timeframe): Promise<SeriesRoute> {
    // The connection runs one statement at a time: a COPY in progress ends first.
    await this.#endCopy();
    await this.client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
      `bars:${this.tables.bars}:${key}`,
    ]);
    const found = await this.client.query<{ first: number; last: number; count: string }>(
      `SELECT (extract(epoch FROM first_ts) * 1000)::float8 AS first,
              (extract(epoch FROM last_ts) * 1000)::float8 AS last, bar_count::text AS count
         FROM ${this.tables.catalog} WHERE symbol = $1 AND timeframe = $2`,
      [symbol, timeframe],
    );
    const row = found.rows[0];
    const route: SeriesRoute = {
      stored:
        row === undefined
          ? undefined
          : { first: row.first, last: row.last, count: Number(row.count) },
      lastDirect: Number.NEGATIVE_INFINITY,
      direct: 0,
      directFirst: 0,
      directLast: 0,
      staged: 0,
    };
    this.#routes.set(key, route);
    return route;
  }

  async commit(
    source: SeriesSource,
    options: { readonly distinct?: boolean } = {},
  ): Promise<WriteSummary> {
    this.#finish();
    try {
      await this.#flushStage();
      await this.#endCopy();
      await this.#insertPending();
      const routes = [...this.#routes.entries()];
      if (this.copy && routes.every(([, r]) => r.staged === 0)) {
        return await this.#commitDirect(source, routes);
      }
      await this.#createStage();
      const src =
        options.distinct === true
          ? 'SELECT * FROM pg_temp.bars_stage'
          : 'SELECT DISTINCT ON (symbol, timeframe, ts_ms) * FROM pg_temp.bars_stage ORDER BY symbol, timeframe, ts_ms, line DESC';
      // A write that touches no stored key (a new series, or a new range of one) is a plain
      // INSERT: half the work of an upsert.
      const overlap = await this.client.query<{ any: boolean }>(`
        SELECT EXISTS (
          SELECT 1 FROM (SELECT symbol, timeframe, min(ts_ms) AS lo, max(ts_ms) AS hi
                           FROM pg_temp.bars_stage GROUP BY symbol, timeframe) s
            JOIN ${this.tables.bars} b ON b.symbol = s.symbol AND b.timeframe = s.timeframe
             AND b.ts BETWEEN timestamptz 'epoch' + s.lo * interval '1 millisecond'
                          AND timestamptz 'epoch' + s.hi * interval '1 millisecond'
        ) AS any`);
      const columns = `symbol, timeframe, timestamptz 'epoch' + ts_ms * interval '1 millisecond',
                 open, high, low, close, volume, vwap, trade_count`;
      let counts: { inserted: string; replaced: string };
      const direct = routes.reduce((sum, [, r]) => sum + r.direct, 0);
      if (options.distinct === true && overlap.rows[0]?.any !== true) {
        const inserted = await this.client.query(
          `INSERT INTO ${this.tables.bars} (symbol, timeframe, ts, open, high, low, close, volume, vwap, trade_count)
           SELECT ${columns} FROM pg_temp.bars_stage`,
        );
        counts = { inserted: String((inserted.rowCount ?? 0) + direct), replaced: '0' };
      } else {
        const merged = await this.client.query<{ inserted: string; replaced: string }>(
          `
        WITH src AS (${src}), up AS (
          INSERT INTO ${this.tables.bars} AS b (symbol, timeframe, ts, open, high, low, close, volume, vwap, trade_count)
          SELECT ${columns}
            FROM src
          ON CONFLICT (symbol, timeframe, ts) DO UPDATE SET
            open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            volume = excluded.volume, vwap = excluded.vwap, trade_count = excluded.trade_count
          RETURNING (xmax = 0) AS fresh, b.symbol, b.timeframe, b.ts
        )
        SELECT count(*) FILTER (WHERE fresh) AS inserted,
               count(*) FILTER (WHERE NOT fresh AND ${this.copy ? 'r.symbol IS NOT NULL' : 'true'}) AS replaced
          FROM up LEFT JOIN (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
                               AS r (symbol, timeframe, first, last)) r
            ON r.symbol = up.symbol AND r.timeframe = up.timeframe AND up.ts BETWEEN r.first AND r.last`,
          // A staged row that meets a key outside its series' stored range meets a row copied
          // earlier in this write (a repeat in the file): the key is new, counted once.
          storedRanges(routes),
        );
        const m = merged.rows[0];
        counts = {
          inserted: String(Number(m?.inserted ?? 0) + direct),
          replaced: m?.replaced ?? '0',
        };
      }
      const series = await this.client.query<CatalogRow>(
        `INSERT INTO ${this.tables.catalog} AS c (symbol, timeframe, source, first_ts, last_ts, bar_count, updated_at)
         SELECT b.symbol, b.timeframe, $1, min(b.ts), max(b.ts), count(*), now()
           FROM (SELECT DISTINCT symbol, timeframe FROM pg_temp.bars_stage
                  UNION SELECT * FROM unnest($2::text[], $3::text[])) s
           JOIN ${this.tables.bars} b ON b.symbol = s.symbol AND b.timeframe = s.timeframe
          GROUP BY b.symbol, b.timeframe
         ON CONFLICT (symbol, timeframe) DO UPDATE SET source = excluded.source,
           first_ts = excluded.first_ts, last_ts = excluded.last_ts,
           bar_count = excluded.bar_count, updated_at = excluded.updated_at
         RETURNING *`,
        [source, routes.map(([k]) => k.split('|')[0]), routes.map(([k]) => k.split('|')[1])],
      );
      await this.client.query('COMMIT');
      return {
        inserted: Number(counts.inserted),
        replaced: Number(counts.replaced),
        series: series.rows
          .map(seriesInfo)
          .sort(
            (a, b) => a.symbol.localeCompare(b.symbol) || a.timeframe.localeCompare(b.timeframe),
          ),
      };
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.client.release();
    }
  }

  /**
   * Commit when every row went straight into `bars`: nothing to merge, nothing replaced, and
   * each series' catalog entry follows from its stored range and what was copied (no scan).
   */
  async #commitDirect(
    source: SeriesSource,
    routes: readonly (readonly [string, SeriesRoute])[],
  ): Promise<WriteSummary> {
    const keys = routes.map(([k]) => k.split('|'));
    const iso = (ms: number): string => new Date(ms).toISOString();
    const series = await this.client.query<CatalogRow>(
      `INSERT INTO ${this.tables.catalog} AS c (symbol, timeframe, source, first_ts, last_ts, bar_count, updated_at)
       SELECT * , now() FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[])
       ON CONFLICT (symbol, timeframe) DO UPDATE SET source = excluded.source,
         first_ts = excluded.first_ts, last_ts = excluded.last_ts,
         bar_count = excluded.bar_count, updated_at = excluded.updated_at
       RETURNING *`,
      [
        keys.map((k) => k[0]),
        keys.map((k) => k[1]),
        routes.map(() => source),
        routes.map(([, r]) => iso(Math.min(r.directFirst, r.stored?.first ?? r.directFirst))),
        routes.map(([, r]) => iso(Math.max(r.directLast, r.stored?.last ?? r.directLast))),
        routes.map(([, r]) => String(r.direct + (r.stored?.count ?? 0))),
      ],
    );
    await this.client.query('COMMIT');
    return {
      inserted: routes.reduce((sum, [, r]) => sum + r.direct, 0),
      replaced: 0,
      series: series.rows
        .map(seriesInfo)
        .sort((a, b) => a.symbol.localeCompare(b.symbol) || a.timeframe.localeCompare(b.timeframe)),
    };
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#finish();
    const copy = this.#copy;
    this.#copy = undefined;
    try {
      if (copy !== undefined) {
        // CopyFail: the server drops what it took of this COPY without processing the rest.
        copy.stream.destroy(new Error('the bar write was aborted'));
        await copy.done.catch(() => undefined);
      }
      await this.client.query('ROLLBACK');
    } finally {
      this.client.release();
    }
  }

  #finish(): void {
    if (this.#done) throw new Error('the bar writer is already finished');
    this.#done = true;
  }
}

interface Tables {
  readonly bars: string;
  readonly catalog: string;
}

/** Bars in PostgreSQL / PGlite (schema `market_data` unless told otherwise). `migrate()` first. */
export class SqlBarStore implements BarStore {
  readonly #schema: string;
  readonly #t: Tables;

  constructor(
    private readonly db: SqlDatabase,
    options: { readonly schema?: string } = {},
  ) {
    this.#schema = options.schema ?? BARS_SCHEMA;
    const s = quoteIdent(this.#schema);
    this.#t = { bars: `${s}.bars`, catalog: `${s}.bar_series` };
  }

  async migrate(): Promise<void> {
    await migrateBars(this.db.sql, this.#schema);
  }

  async writer(): Promise<BarWriter> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw error;
    }
    return new SqlBarWriter(client, this.db.kind === 'postgres', this.#t);
  }

  async series(
    filter: { readonly symbol?: string; readonly timeframe?: Timeframe } = {},
  ): Promise<SeriesInfo[]> {
    const result = await this.db.sql.query<CatalogRow>(
      `SELECT * FROM ${this.#t.catalog}
        WHERE ($1::text IS NULL OR symbol = $1) AND ($2::text IS NULL OR timeframe = $2)
        ORDER BY symbol, timeframe`,
      [filter.symbol ?? null, filter.timeframe ?? null],
    );
    return result.rows.map(seriesInfo);
  }

  async bars(
    symbol: string,
    timeframe: Timeframe,
    range: BarRange & { readonly limit: number },
  ): Promise<Bar[]> {
    const result = await this.db.sql.query<BarRowSql>(
      `SELECT ${EPOCH_MS} AS t, open::text, high::text, low::text, close::text, volume,
              vwap::text, trade_count
         FROM ${this.#t.bars}
        WHERE symbol = $1 AND timeframe = $2 AND ts >= $3 AND ts < $4
        ORDER BY ts LIMIT $5`,
      [symbol, timeframe, range.start ?? '-infinity', range.end ?? 'infinity', range.limit],
    );
    return result.rows.map(barFromSql);
  }

  async readSeries(
    symbol: string,
    timeframe: Timeframe,
    range: BarRange = {},
  ): Promise<BarSeries | undefined> {
    const [info] = await this.series({ symbol, timeframe });
    if (info === undefined) return undefined;
    let series = allocateSeries(symbol, timeframe, 1024, info.source === 'generated');
    let n = 0;
    let from: Date | string = range.start ?? '-infinity';
    const end = range.end ?? 'infinity';
    let inclusive = true;
    for (;;) {
      const result = await this.db.pool.query<unknown[]>({
        text: `SELECT ${EPOCH_MS}, open::float8, high::float8, low::float8, close::float8, volume,
                      vwap::float8, trade_count::float8
                 FROM ${this.#t.bars}
                WHERE symbol = $1 AND timeframe = $2 AND ${inclusive ? 'ts >= $3' : 'ts > $3'} AND ts < $4
                ORDER BY ts LIMIT ${PAGE}`,
        values: [symbol, timeframe, from, end],
        rowMode: 'array',
      });
      const rows = result.rows;
      if (n + rows.length > series.length) series = grow(series, n + rows.length);
      for (const row of rows) {
        series.time[n] = row[0] as number;
        series.open[n] = row[1] as number;
        series.high[n] = row[2] as number;
        series.low[n] = row[3] as number;
        series.close[n] = row[4] as number;
        series.volume[n] = row[5] as number;
        series.vwap[n] = (row[6] as number | null) ?? Number.NaN;
        series.tradeCount[n] = (row[7] as number | null) ?? Number.NaN;
        n += 1;
      }
      if (rows.length < PAGE) break;
      from = new Date(series.time[n - 1] ?? 0);
      inclusive = false;
    }
    return n === 0 ? undefined : truncateSeries(series, n);
  }

  async window(
    timeframe: Timeframe,
    range: Required<BarRange> & { readonly limit: number; readonly symbols?: readonly string[] },
  ): Promise<(Bar & { readonly symbol: string })[]> {
    const result = await this.db.sql.query<BarRowSql & { symbol: string }>(
      `SELECT symbol, ${EPOCH_MS} AS t, open::text, high::text, low::text, close::text, volume,
              vwap::text, trade_count
         FROM ${this.#t.bars}
        WHERE timeframe = $1 AND ts >= $2 AND ts < $3 AND ($4::text[] IS NULL OR symbol = ANY ($4))
        ORDER BY ts, symbol LIMIT $5`,
      [timeframe, range.start, range.end, range.symbols ?? null, range.limit],
    );
    return result.rows.map((r) => ({ symbol: r.symbol, ...barFromSql(r) }));
  }
}

/** A bar row as the bar queries select it (`t` in epoch ms, prices as text). */
interface BarRowSql {
  t: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
  vwap: string | null;
  trade_count: string | null;
}

function barFromSql(r: BarRowSql): Bar {
  return barOf({
    time: r.t,
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    volume: r.volume,
    vwap: r.vwap,
    tradeCount: r.trade_count === null ? null : Number(r.trade_count),
  });
}

/** A copy of `series` with room for at least `needed` bars. */
function grow(series: BarSeries, needed: number): BarSeries {
  const bigger = allocateSeries(
    series.symbol,
    series.timeframe,
    Math.max(needed, series.length * 2),
    series.simulated,
  );
  for (const key of [
    'time',
    'open',
    'high',
    'low',
    'close',
    'volume',
    'vwap',
    'tradeCount',
  ] as const) {
    bigger[key].set(series[key]);
  }
  return bigger;
}
