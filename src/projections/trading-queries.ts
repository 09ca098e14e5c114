/**
 * `TradingQueries` over the trading read models (`trading.ts`). Every query runs through
 * `withTenant`, so row-level security decides what a caller sees. Market-dependent figures
 * are valued at query time from the `MarketData` given to the constructor (docs/read-models.md
 * states the rules): current price = latest quote mid (or last), equity = cash + Σ market
 * value with unquoted positions at cost, last equity = the balance history at the previous
 * regular-session close valued at that session's daily closes.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { Dec } from '../domain/decimal.ts';
import { DomainError } from '../domain/errors.ts';
import type { Order } from '../domain/account/index.ts';
import { dec, fmt, type DecimalString } from '../domain/money.ts';
import type { Bar, MarketData } from '../market/port.ts';
import type { Quote } from '../domain/market.ts';
import type { Session } from '../market/calendar.ts';
import { addDays, newYorkDate, newYorkWallTime } from '../market/time-zone.ts';
import { LRUCache } from 'lru-cache';
import type { AccountSnapshot, AccountSnapshots } from './account-snapshots.ts';
import { withTenant, type ReadAccess } from './tenancy.ts';
import type { TradingTables } from './trading.ts';
import {
  InvalidCursor,
  type AccountView,
  type FillListRequest,
  type FillView,
  type HistoryTimeframe,
  type OrderListRequest,
  type OrderView,
  type Page,
  type PageRequest,
  type PortfolioHistory,
  type PortfolioHistoryPoint,
  type PortfolioHistoryRequest,
  type PositionView,
  type TradingQueries,
} from './trading-views.ts';
import { equityOf, markPrice, ratio, valueAt, type ValuedHolding } from './valuation.ts';

export interface SqlTradingQueriesOptions {
  /** Most points one portfolio history answers; a longer range keeps the latest. Default 1,000. */
  readonly maxHistoryPoints?: number;
  /**
   * Cached account snapshots (`account-snapshots.ts`): account, positions and position reads
   * are then served from the cache while it is current. Without, every read queries.
   */
  readonly snapshots?: (load: SnapshotLoader) => AccountSnapshots;
}

/** Loads one account's snapshot through the access's tenant queries. */
export type SnapshotLoader = (
  access: ReadAccess,
  accountId: string,
  previousClose: Date,
) => Promise<AccountSnapshot>;

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const TIMEFRAME_MINUTES: Record<HistoryTimeframe, number> = {
  '1Min': 1,
  '5Min': 5,
  '15Min': 15,
  '1H': 60,
  '1D': 0,
};

type Tables = TradingTables;
type AccountRow = Selectable<Tables['accounts']>;
type OrderRow = Selectable<Tables['orders']>;
type PositionRow = Selectable<Tables['positions']>;
type FillRow = Selectable<Tables['fills']>;
type BalanceRow = Selectable<Tables['account_balances']>;

/** Canonical spelling of a numeric read back from the database. */
function n(value: string): DecimalString {
  return fmt(new Dec(value));
}

function nOrNull(value: string | null): DecimalString | null {
  return value === null ? null : n(value);
}

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

// ─── paging ────────────────────────────────────────────────────────────────────────────────

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new DomainError(
      'invalid_value',
      `limit must be an integer from 1 to ${MAX_LIMIT}`,
      'limit',
    );
  }
  return limit;
}

/**
 * An opaque cursor: base64url JSON naming the list, the query it pages (so a cursor is not
 * replayed against another list or filter) and the last key returned.
 */
function encodeCursor(list: string, scope: string, key: string): string {
  return Buffer.from(JSON.stringify({ l: list, s: scope, k: key }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string | undefined, list: string, scope: string): string | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) throw new InvalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidCursor();
  const { l, s, k } = parsed as Record<string, unknown>;
  if (l !== list || s !== scope || typeof k !== 'string' || !/^\d{1,19}$/.test(k)) {
    throw new InvalidCursor();
  }
  return k;
}

function page<R, T>(
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => string,
  cursorOf: (key: string) => string,
  view: (row: R) => T,
): { items: T[]; nextCursor: string | null; rows: R[] } {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(view),
    rows: shown,
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(keyOf(last)) : null,
  };
}

/** Callers may pass unchecked input (MCP, Alpaca): validate the enum at runtime too. */
function directionOf(value: string | undefined): 'asc' | 'desc' {
  if (value === undefined) return 'desc';
  if (value === 'asc' || value === 'desc') return value;
  throw new DomainError('invalid_value', 'direction must be asc or desc', 'direction');
}

function instant(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new DomainError('invalid_value', `${field} must be an ISO-8601 instant`, field);
  }
  return new Date(ms);
}

// ─── the queries ───────────────────────────────────────────────────────────────────────────

/**
 * The previous session of a market's now, remembered per market for the New York day it was
 * computed on (it only changes at New York midnight), so a read does not walk the calendar.
 */
const previousSessions = new WeakMap<MarketData, { from: number; to: number; session: Session }>();

function previousSessionOf(market: MarketData): Session {
  const now = market.clock.now();
  const memo = previousSessions.get(market);
  if (memo !== undefined && now.getTime() >= memo.from && now.getTime() < memo.to) {
    return memo.session;
  }
  const today = market.calendar.session(now);
  // The last session before today's New York date (its close is "yesterday's close").
  const session = today
    ? market.calendar.sessionOnOrBefore(new Date(today.preOpen.getTime() - 5 * MS_PER_HOUR))
    : market.calendar.sessionOnOrBefore(now);
  const date = newYorkDate(now);
  previousSessions.set(market, {
    from: newYorkWallTime(date, 0).getTime(),
    to: newYorkWallTime(addDays(date, 1), 0).getTime(),
    session,
  });
  return session;
}

/** The previous regular-session close of a market's now (where `lastEquity` is taken). */
function previousCloseOf(market: MarketData): Date {
  return previousSessionOf(market).close;
}

/**
 * Daily closes of past sessions, per market: history does not change, so each symbol's close
 * of a session is asked of the feed once. Only found closes are kept.
 */
const dailyCloses = new WeakMap<MarketData, LRUCache<string, Dec>>();

/** What one query call knows about prices, so each symbol is looked up once. */
class PriceBook {
  readonly #closes = new Map<string, Promise<Dec | undefined>>();
  readonly #previous: Session;

  constructor(private readonly market: MarketData) {
    this.#previous = previousSessionOf(market);
  }

  /** The previous regular-session close (the instant `lastEquity` is taken at). */
  get previousClose(): Date {
    return this.#previous.close;
  }

  current(symbol: string): Dec | undefined {
    return markPrice(this.quote(symbol));
  }

  /** The latest quote (a feed answers the same object until its next tick). */
  quote(symbol: string): Quote | undefined {
    return this.market.latestQuote(symbol);
  }

  /** The daily close of the previous session; undefined when the feed has none. */
  previousDayClose(symbol: string): Promise<Dec | undefined> {
    let close = this.#closes.get(symbol);
    if (close === undefined) {
      let known = dailyCloses.get(this.market);
      if (known === undefined) {
        known = new LRUCache<string, Dec>({ max: 10_000 });
        dailyCloses.set(this.market, known);
      }
      const key = `${symbol}\u0000${this.#previous.date}`;
      const found = known.get(key);
      if (found !== undefined) close = Promise.resolve(found);
      else {
        const cache = known;
        close = dailyClose(this.market, symbol, this.#previous).then((value) => {
          if (value !== undefined) cache.set(key, value);
          return value;
        });
      }
      this.#closes.set(symbol, close);
    }
    return close;
  }
}

/** The daily bar close of one session, undefined when the symbol has no bar (or is unknown). */
async function dailyClose(
  market: MarketData,
  symbol: string,
  session: Session,
): Promise<Dec | undefined> {
  try {
    const bars = await market.bars(symbol, {
      timeframe: '1Day',
      // Daily bars start at New York midnight, four hours before the pre-open.
      start: new Date(session.preOpen.getTime() - 6 * MS_PER_HOUR),
      end: session.postClose,
      limit: 5,
    });
    const bar = bars.at(-1);
    return bar === undefined ? undefined : new Dec(bar.close);
  } catch {
    return undefined;
  }
}

function holdingOfPosition(row: PositionRow): ValuedHolding & { symbol: string } {
  return {
    symbol: row.symbol,
    instrument: row.instrument,
    qty: row.qty,
    costBasis: row.cost_basis,
  };
}

/** The trading read side over SQL (PGlite or PostgreSQL), valued with `market`. */
export class SqlTradingQueries implements TradingQueries {
  readonly #maxPoints: number;
  readonly #snapshots: AccountSnapshots | undefined;

  constructor(
    private readonly db: Kysely<TradingTables>,
    private readonly market: MarketData,
    options: SqlTradingQueriesOptions = {},
  ) {
    this.#maxPoints = options.maxHistoryPoints ?? 1000;
    this.#snapshots = options.snapshots?.((access, accountId, previousClose) =>
      this.#loadSnapshot(access, accountId, previousClose),
    );
  }

  async listAccounts(access: ReadAccess, request: PageRequest = {}): Promise<Page<AccountView>> {
    const limit = pageLimit(request.limit);
    const after = decodeCursor(request.cursor, 'accounts', '');
    const prices = new PriceBook(this.market);
    const loaded = await withTenant(this.db, access, async (trx) => {
      let q = trx.selectFrom('accounts').selectAll();
      if (after !== undefined) q = q.where('opened_position', '>', after);
      const rows = await q
        .orderBy('opened_position')
        .limit(limit + 1)
        .execute();
      const shown = rows.slice(0, limit);
      return { rows, details: await this.#accountDetails(trx, shown, prices.previousClose) };
    });
    const p = page(
      loaded.rows,
      limit,
      (r) => r.opened_position,
      (k) => encodeCursor('accounts', '', k),
      (r) => r,
    );
    const items = await Promise.all(
      p.rows.map((r) => this.#accountView(r, loaded.details.get(r.account_id), prices)),
    );
    return { items, nextCursor: p.nextCursor };
  }

  async getAccount(access: ReadAccess, accountId: string): Promise<AccountView | undefined> {
    const prices = new PriceBook(this.market);
    const snapshot = await this.#snapshot(access, accountId, prices.previousClose);
    if (snapshot.account === undefined) return undefined;
    return this.#accountView(
      snapshot.account,
      { positions: snapshot.positions, previous: snapshot.previous },
      prices,
    );
  }

  async accountOwner(access: ReadAccess, accountId: string): Promise<string | undefined> {
    if (this.#snapshots === undefined) {
      const row = await withTenant(this.db, access, (trx) =>
        trx
          .selectFrom('accounts')
          .select('owner_id')
          .where('account_id', '=', accountId)
          .executeTakeFirst(),
      );
      return row?.owner_id;
    }
    const snapshot = await this.#snapshots.get(access, accountId, previousCloseOf(this.market));
    return snapshot.account?.owner_id;
  }

  async listOrders(
    access: ReadAccess,
    accountId: string,
    request: OrderListRequest = {},
  ): Promise<Page<OrderView>> {
    const limit = pageLimit(request.limit);
    const status = request.status ?? 'open';
    if (!['open', 'closed', 'all'].includes(status)) {
      throw new DomainError('invalid_value', 'status must be open, closed or all', 'status');
    }
    const direction = directionOf(request.direction);
    const nested = request.nested ?? true;
    const after = instant(request.after, 'after');
    const until = instant(request.until, 'until');
    const symbols =
      request.symbols === undefined
        ? undefined
        : [...new Set(request.symbols.flatMap((x) => [x, x.trim().toUpperCase()]))];
    const assetClass = request.assetClass;
    // Callers may pass unchecked input (MCP, Alpaca): validate the enum at runtime too.
    const known: readonly (string | undefined)[] = [undefined, 'us_equity', 'us_option'];
    if (!known.includes(assetClass)) {
      throw new DomainError(
        'invalid_value',
        'asset_class must be us_equity or us_option',
        'asset_class',
      );
    }
    const scope = JSON.stringify([
      accountId,
      status,
      direction,
      nested,
      symbols,
      after,
      until,
      ...(assetClass === undefined ? [] : [assetClass]),
    ]);
    const from = decodeCursor(request.cursor, 'orders', scope);
    return withTenant(this.db, access, async (trx) => {
      let q = trx.selectFrom('orders as o').selectAll('o').where('o.account_id', '=', accountId);
      if (status !== 'all') q = q.where('o.is_open', '=', status === 'open');
      if (assetClass !== undefined) q = q.where('o.asset_class', '=', assetClass);
      if (symbols !== undefined) {
        if (symbols.length === 0) return { items: [], nextCursor: null };
        q = q.where('o.symbol', 'in', symbols);
      }
      if (after !== undefined) q = q.where('o.created_at', '>', after);
      if (until !== undefined) q = q.where('o.created_at', '<', until);
      if (nested) {
        // A leg whose parent is listed too appears only nested under it.
        q = q.where((eb) =>
          eb.or([
            eb('o.parent_id', 'is', null),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('orders as p')
                  .select('p.order_id')
                  .whereRef('p.order_id', '=', 'o.parent_id')
                  .where(sql<boolean>`p.data -> 'legIds' @> to_jsonb(o.order_id)`)
                  .$if(status !== 'all', (sq) => sq.where('p.is_open', '=', status === 'open')),
              ),
            ),
          ]),
        );
      }
      if (from !== undefined)
        q = q.where('o.placed_position', direction === 'asc' ? '>' : '<', from);
      const rows = await q
        .orderBy('o.placed_position', direction)
        .limit(limit + 1)
        .execute();
      const p = page(
        rows,
        limit,
        (r) => r.placed_position,
        (k) => encodeCursor('orders', scope, k),
        (r) => r,
      );
      const legs = nested ? await this.#legsOf(trx, p.rows) : new Map<string, OrderRow[]>();
      return { items: p.rows.map((r) => orderView(r, legs)), nextCursor: p.nextCursor };
    });
  }

  getOrder(access: ReadAccess, accountId: string, orderId: string): Promise<OrderView | undefined> {
    return withTenant(this.db, access, async (trx) => {
      const row = await trx
        .selectFrom('orders')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('order_id', '=', orderId)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      return orderView(row, await this.#legsOf(trx, [row]));
    });
  }

  getOrderByClientOrderId(
    access: ReadAccess,
    accountId: string,
    clientOrderId: string,
  ): Promise<OrderView | undefined> {
    return withTenant(this.db, access, async (trx) => {
      const rows = await trx
        .selectFrom('orders')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('client_order_id', '=', clientOrderId)
        .orderBy('placed_position')
        .execute();
      // The write side answers the order placed with it; a rejection only when nothing was.
      const row = rows.find((r) => r.status !== 'rejected') ?? rows[0];
      if (row === undefined) return undefined;
      return orderView(row, await this.#legsOf(trx, [row]));
    });
  }

  async listPositions(access: ReadAccess, accountId: string): Promise<readonly PositionView[]> {
    const prices = new PriceBook(this.market);
    if (this.#snapshots === undefined) {
      const rows = await withTenant(this.db, access, (trx) =>
        trx
          .selectFrom('positions')
          .selectAll()
          .where('account_id', '=', accountId)
          .orderBy('symbol')
          .execute(),
      );
      return Promise.all(rows.map((r) => positionView(r, prices)));
    }
    const snapshot = await this.#snapshots.get(access, accountId, prices.previousClose);
    return Promise.all(snapshot.positions.map((r) => positionView(r, prices)));
  }

  /**
   * The account's owner (undefined when the access cannot see the account) and a valuation of
   * its open positions, from one snapshot read: what `accountOwner` then `listPositions` give,
   * for the hot positions read. `positions` values them when called (after the caller has
   * authorized the read).
   */
  async ownedPositions(
    access: ReadAccess,
    accountId: string,
  ): Promise<{
    readonly owner: string | undefined;
    readonly positions: () => Promise<readonly PositionView[]>;
  }> {
    if (this.#snapshots === undefined) {
      const owner = await this.accountOwner(access, accountId);
      return { owner, positions: () => this.listPositions(access, accountId) };
    }
    const prices = new PriceBook(this.market);
    const snapshot = await this.#snapshots.get(access, accountId, prices.previousClose);
    return {
      owner: snapshot.account?.owner_id,
      positions: () => Promise.all(snapshot.positions.map((r) => positionView(r, prices))),
    };
  }

  async getPosition(
    access: ReadAccess,
    accountId: string,
    symbol: string,
  ): Promise<PositionView | undefined> {
    const prices = new PriceBook(this.market);
    // Tickers are stored upper case; callers may pass what a user typed.
    const symbols = [...new Set([symbol, symbol.trim().toUpperCase()])];
    if (this.#snapshots === undefined) {
      const row = await withTenant(this.db, access, (trx) =>
        trx
          .selectFrom('positions')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('symbol', 'in', symbols)
          .orderBy('symbol')
          .executeTakeFirst(),
      );
      return row === undefined ? undefined : positionView(row, prices);
    }
    const snapshot = await this.#snapshots.get(access, accountId, prices.previousClose);
    const row = snapshot.positions.find((p) => symbols.includes(p.symbol));
    return row === undefined ? undefined : positionView(row, prices);
  }

  async listFills(
    access: ReadAccess,
    accountId: string,
    request: FillListRequest = {},
  ): Promise<Page<FillView>> {
    const limit = pageLimit(request.limit);
    const direction = directionOf(request.direction);
    const after = instant(request.after, 'after');
    const until = instant(request.until, 'until');
    const scope = JSON.stringify([
      accountId,
      direction,
      request.orderId,
      request.symbol,
      after,
      until,
    ]);
    const from = decodeCursor(request.cursor, 'fills', scope);
    return withTenant(this.db, access, async (trx) => {
      let q = trx.selectFrom('fills').selectAll().where('account_id', '=', accountId);
      if (request.orderId !== undefined) q = q.where('order_id', '=', request.orderId);
      if (request.symbol !== undefined) q = q.where('symbol', '=', request.symbol);
      if (after !== undefined) q = q.where('at', '>', after);
      if (until !== undefined) q = q.where('at', '<', until);
      if (from !== undefined) q = q.where('position', direction === 'asc' ? '>' : '<', from);
      const rows = await q
        .orderBy('position', direction)
        .limit(limit + 1)
        .execute();
      const p = page(
        rows,
        limit,
        (r) => r.position,
        (k) => encodeCursor('fills', scope, k),
        fillView,
      );
      return { items: p.items, nextCursor: p.nextCursor };
    });
  }

  async portfolioHistory(
    access: ReadAccess,
    accountId: string,
    request: PortfolioHistoryRequest = {},
  ): Promise<PortfolioHistory | undefined> {
    if (request.timeframe !== undefined && !(request.timeframe in TIMEFRAME_MINUTES)) {
      throw new DomainError(
        'invalid_value',
        'timeframe must be one of 1Min, 5Min, 15Min, 1H, 1D',
        'timeframe',
      );
    }
    const requestedStart = instant(request.start, 'start');
    const requestedEnd = instant(request.end, 'end');
    if (requestedStart && requestedEnd && requestedStart > requestedEnd) {
      throw new DomainError('invalid_value', 'start must not be after end', 'start');
    }
    const now = this.market.clock.now();
    const loaded = await withTenant(this.db, access, async (trx) => {
      const account = await trx
        .selectFrom('accounts')
        .select(['account_id', 'created_at'])
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      if (account === undefined) return undefined;
      const end = requestedEnd === undefined || requestedEnd > now ? now : requestedEnd;
      const start = requestedStart ?? account.created_at;
      const timeframe: HistoryTimeframe =
        request.timeframe ?? (end.getTime() - start.getTime() > 24 * MS_PER_HOUR ? '1D' : '1Min');
      const grid = this.#grid(timeframe, start, end);
      const first = grid[0];
      const last = grid.at(-1);
      if (first === undefined || last === undefined) return { timeframe, grid, rows: [] };
      const before = await trx
        .selectFrom('account_balances')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('at', '<', first.at)
        .orderBy('at', 'desc')
        .orderBy('position', 'desc')
        .limit(1)
        .execute();
      const within = await trx
        .selectFrom('account_balances')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('at', '>=', first.at)
        .where('at', '<=', last.at)
        .orderBy('at')
        .orderBy('position')
        .execute();
      return { timeframe, grid, rows: [...before, ...within] };
    });
    if (loaded === undefined) return undefined;
    return this.#history(loaded.timeframe, loaded.rows, loaded.grid);
  }

  // ─── internals ─────────────────────────────────────────────────────────────────────────

  /** The account's snapshot: from the cache when there is one, else loaded now. */
  #snapshot(access: ReadAccess, accountId: string, previousClose: Date): Promise<AccountSnapshot> {
    return this.#snapshots === undefined
      ? this.#loadSnapshot(access, accountId, previousClose)
      : this.#snapshots.get(access, accountId, previousClose);
  }

  /** The account row, its positions and its balance at the previous close, in one transaction. */
  async #loadSnapshot(
    access: ReadAccess,
    accountId: string,
    previousClose: Date,
  ): Promise<AccountSnapshot> {
    return withTenant(this.db, access, async (trx) => {
      const account = await trx
        .selectFrom('accounts')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      const details =
        account === undefined
          ? undefined
          : (await this.#accountDetails(trx, [account], previousClose)).get(accountId);
      return {
        account,
        positions: details?.positions ?? [],
        previous: details?.previous,
        previousClose: previousClose.toISOString(),
      };
    });
  }

  /** Positions and the balance at the previous close of each account (one query each). */
  async #accountDetails(
    trx: Kysely<Tables>,
    accounts: readonly AccountRow[],
    previousClose: Date,
  ): Promise<Map<string, { positions: PositionRow[]; previous: BalanceRow | undefined }>> {
    const details = new Map<
      string,
      { positions: PositionRow[]; previous: BalanceRow | undefined }
    >();
    if (accounts.length === 0) return details;
    const ids = accounts.map((a) => a.account_id);
    for (const id of ids) details.set(id, { positions: [], previous: undefined });
    const positions = await trx
      .selectFrom('positions')
      .selectAll()
      .where('account_id', 'in', ids)
      .orderBy('symbol')
      .execute();
    for (const p of positions) details.get(p.account_id)?.positions.push(p);
    const balances = await trx
      .selectFrom('account_balances')
      .selectAll()
      .distinctOn('account_id')
      .where('account_id', 'in', ids)
      .where('at', '<=', previousClose)
      .orderBy('account_id')
      .orderBy('at', 'desc')
      .orderBy('position', 'desc')
      .execute();
    for (const b of balances) {
      const d = details.get(b.account_id);
      if (d) d.previous = b;
    }
    // Accounts opened after the previous close: their day starts at the opening balance,
    // i.e. after `AccountOpened` and the initial deposit appended with it.
    for (const a of accounts) {
      const d = details.get(a.account_id);
      if (d === undefined || d.previous !== undefined) continue;
      const [opened, next] = await trx
        .selectFrom('account_balances')
        .selectAll()
        .where('account_id', '=', a.account_id)
        .orderBy('position')
        .limit(2)
        .execute();
      d.previous =
        next?.event_type === 'CashDeposited' && next.at.getTime() === opened?.at.getTime()
          ? next
          : opened;
    }
    return details;
  }

  async #accountView(
    row: AccountRow,
    details: { positions: readonly PositionRow[]; previous: BalanceRow | undefined } | undefined,
    prices: PriceBook,
  ): Promise<AccountView> {
    const positions = details?.positions ?? [];
    let long = new Dec(0);
    let short = new Dec(0);
    for (const p of positions) {
      const value = valueAt(holdingOfPosition(p), prices.current(p.symbol));
      if (value.isNegative()) short = short.plus(value);
      else long = long.plus(value);
    }
    const equity = dec(n(row.cash)).plus(long).plus(short);
    const previous = details?.previous;
    let lastEquity = equity;
    if (previous !== undefined) {
      const holdings = previous.holdings;
      const closes = await Promise.all(holdings.map((h) => prices.previousDayClose(h.symbol)));
      lastEquity = equityOf(n(previous.cash), holdings, closes);
    }
    return {
      id: row.account_id,
      ownerId: row.owner_id,
      name: row.name,
      status: 'active',
      currency: 'USD',
      accountType: row.settings.accountType,
      cash: n(row.cash),
      buyingPower: n(row.buying_power),
      equity: fmt(equity),
      lastEquity: fmt(lastEquity),
      dayPl: fmt(equity.minus(lastEquity)),
      longMarketValue: fmt(long),
      shortMarketValue: fmt(short),
      realizedPl: n(row.realized_pl),
      feesPaid: n(row.fees_paid),
      totalDeposits: n(row.total_deposits),
      totalWithdrawals: n(row.total_withdrawals),
      openOrders: row.open_orders,
      settings: row.settings,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  }

  /** Every descendant of the given orders, by parent id. */
  async #legsOf(
    trx: Kysely<Tables>,
    parents: readonly OrderRow[],
  ): Promise<Map<string, OrderRow[]>> {
    // The parent's `legIds` are the live legs (a replaced leg keeps its parent id but is no
    // longer listed by the parent; its replacement is).
    const byParent = new Map<string, OrderRow[]>();
    let level = parents;
    for (let depth = 0; depth < 4; depth += 1) {
      const ids = level.flatMap((p) => p.data.legIds);
      if (ids.length === 0) break;
      const rows = await trx
        .selectFrom('orders')
        .selectAll()
        .where('order_id', 'in', ids)
        .execute();
      const byId = new Map(rows.map((r) => [r.order_id, r]));
      for (const p of level) {
        const legs = p.data.legIds.flatMap((id) => byId.get(id) ?? []);
        if (legs.length > 0) byParent.set(p.order_id, legs);
      }
      level = rows;
    }
    return byParent;
  }

  /** The instants a history is valued at: interval ends inside regular sessions, or closes. */
  #grid(timeframe: HistoryTimeframe, start: Date, end: Date): { at: Date; session: Session }[] {
    const calendar = this.market.calendar;
    const points: { at: Date; session: Session }[] = [];
    if (end < start) return points;
    const minutes = TIMEFRAME_MINUTES[timeframe];
    // Walk sessions backwards from the end so a long range keeps its latest points.
    let session: Session | undefined;
    try {
      session = calendar.sessionOnOrBefore(end);
    } catch {
      return points;
    }
    while (session !== undefined && points.length < this.#maxPoints) {
      if (session.close.getTime() < start.getTime()) break;
      const step = minutes * MS_PER_MINUTE;
      const close = session.close.getTime();
      const inSession: Date[] = [];
      if (step === 0) inSession.push(session.close);
      else
        for (let t = session.open.getTime() + step; ; t += step) {
          inSession.push(new Date(Math.min(t, close)));
          if (t >= close) break;
        }
      for (const at of inSession.reverse()) {
        if (at > end || at < start) continue;
        if (points.length >= this.#maxPoints) break;
        points.push({ at, session });
      }
      try {
        const previousDay = new Date(session.preOpen.getTime() - 5 * MS_PER_HOUR);
        session = calendar.sessionOnOrBefore(previousDay);
      } catch {
        session = undefined;
      }
    }
    return points.reverse();
  }

  async #history(
    timeframe: HistoryTimeframe,
    rows: readonly BalanceRow[],
    grid: readonly { at: Date; session: Session }[],
  ): Promise<PortfolioHistory> {
    const points: PortfolioHistoryPoint[] = [];
    const first = grid[0]?.session;
    const last = grid.at(-1)?.session;
    // Daily closes: one request per symbol for the whole range, keyed by session date.
    const daily = new Map<string, Promise<Map<string, Bar>>>();
    const dailyOf = (symbol: string): Promise<Map<string, Bar>> => {
      let found = daily.get(symbol);
      if (found === undefined) {
        found =
          first === undefined || last === undefined
            ? Promise.resolve(new Map())
            : this.market
                .bars(symbol, {
                  timeframe: '1Day',
                  start: new Date(first.preOpen.getTime() - 6 * MS_PER_HOUR),
                  end: last.postClose,
                  limit: 10_000,
                })
                .then((bars) => {
                  const byDate = new Map<string, Bar>();
                  for (const bar of bars) {
                    const date = this.market.calendar.session(new Date(bar.time))?.date;
                    if (date !== undefined) byDate.set(date, bar);
                  }
                  return byDate;
                })
                .catch(() => new Map<string, Bar>());
        daily.set(symbol, found);
      }
      return found;
    };
    // Minute closes: one request per symbol and session.
    const minutes = new Map<string, Promise<Bar[]>>();
    const minutesOf = (symbol: string, session: Session): Promise<Bar[]> => {
      const key = `${symbol}\u0000${session.date}`;
      let found = minutes.get(key);
      if (found === undefined) {
        found = this.market
          .bars(symbol, {
            timeframe: '1Min',
            start: session.preOpen,
            end: session.postClose,
            limit: 1000,
          })
          .catch(() => []);
        minutes.set(key, found);
      }
      return found;
    };
    const priceAt = async (
      symbol: string,
      at: Date,
      session: Session,
    ): Promise<Dec | undefined> => {
      if (timeframe === '1D') {
        const bar = (await dailyOf(symbol)).get(session.date);
        return bar === undefined ? undefined : new Dec(bar.close);
      }
      return closeBy(await minutesOf(symbol, session), at);
    };
    let r = -1;
    let base: Dec | undefined;
    for (const { at, session } of grid) {
      while (r + 1 < rows.length && (rows[r + 1]?.at.getTime() ?? Infinity) <= at.getTime()) r += 1;
      const balance = rows[r];
      if (balance === undefined) continue; // before the account existed
      const holdings = balance.holdings;
      const prices = await Promise.all(holdings.map((h) => priceAt(h.symbol, at, session)));
      const equity = equityOf(n(balance.cash), holdings, prices);
      base ??= equity;
      const pl = equity.minus(base);
      points.push({
        timestamp: at.toISOString(),
        equity: fmt(equity),
        cash: n(balance.cash),
        profitLoss: fmt(pl),
        profitLossPct: ratio(pl, base) ?? '0',
      });
    }
    return { timeframe, baseValue: fmt(base ?? new Dec(0)), points };
  }
}

/** The close of the last minute bar that ended by `at`. */
function closeBy(bars: readonly Bar[], at: Date): Dec | undefined {
  let found: Bar | undefined;
  for (const bar of bars) {
    if (Date.parse(bar.time) + MS_PER_MINUTE > at.getTime()) break;
    found = bar;
  }
  return found === undefined ? undefined : new Dec(found.close);
}

// ─── views ─────────────────────────────────────────────────────────────────────────────────

function orderView(row: OrderRow, legs: ReadonlyMap<string, readonly OrderRow[]>): OrderView {
  const o: Order = row.data;
  return {
    id: o.id,
    accountId: row.account_id,
    clientOrderId: o.clientOrderId,
    instrument: o.instrument,
    symbol: o.symbol,
    assetClass: o.instrument.kind === 'option' ? 'us_option' : 'us_equity',
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    orderClass: o.orderClass,
    status: o.status,
    qty: o.qty,
    filledQty: o.filledQty,
    filledAvgPrice: nOrNull(row.filled_avg_price),
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    trailPrice: o.trailPrice,
    trailPercent: o.trailPercent,
    hwm: o.hwm,
    extendedHours: o.extendedHours,
    parentId: o.parentId,
    legRole: o.legRole,
    positionIntent: o.positionIntent ?? null,
    ratioQty: o.ratioQty ?? null,
    strategy: o.strategy ?? null,
    legs: (legs.get(o.id) ?? []).map((leg) => orderView(leg, legs)),
    replaces: o.replaces,
    replacedBy: o.replacedBy,
    rejectReason: row.reject_reason,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    submittedAt: o.createdAt,
    filledAt: o.filledAt,
    canceledAt: o.canceledAt,
    expiredAt: o.expiredAt,
    replacedAt: o.replacedAt,
    failedAt: row.failed_at === null ? null : iso(row.failed_at),
    position: Number(row.last_position),
  };
}

/**
 * The last view of each position row with the quote and previous close it was valued at. A
 * cached account snapshot hands out the same row objects until the account changes, and a feed
 * the same quote object until its next tick, so the positions read (the hottest request) values
 * each holding once per tick instead of once per request. Rows read from the database are new
 * objects each time: they miss, and the weak keys let them go.
 */
const valuedPositions = new WeakMap<
  PositionRow,
  {
    readonly quote: Quote | undefined;
    readonly lastday: Dec | undefined;
    readonly view: PositionView;
  }
>();

async function positionView(row: PositionRow, prices: PriceBook): Promise<PositionView> {
  const quote = prices.quote(row.symbol);
  const lastday = await prices.previousDayClose(row.symbol);
  const kept = valuedPositions.get(row);
  if (kept !== undefined && kept.quote === quote && kept.lastday === lastday) return kept.view;
  const view = valuePosition(row, markPrice(quote), lastday);
  valuedPositions.set(row, { quote, lastday, view });
  return view;
}

function valuePosition(
  row: PositionRow,
  price: Dec | undefined,
  lastday: Dec | undefined,
): PositionView {
  const holding = holdingOfPosition(row);
  const qty = dec(n(row.qty));
  const basis = dec(n(row.cost_basis));
  const marketValue = price === undefined ? undefined : valueAt(holding, price);
  const unrealized = marketValue?.minus(basis);
  return {
    accountId: row.account_id,
    symbol: row.symbol,
    instrument: row.instrument,
    assetClass: row.asset_class === 'us_option' ? 'us_option' : 'us_equity',
    qty: fmt(qty),
    side: qty.isNegative() ? 'short' : 'long',
    avgEntryPrice: n(row.avg_entry_price),
    costBasis: fmt(basis),
    currentPrice: price === undefined ? null : fmt(price),
    marketValue: marketValue === undefined ? null : fmt(marketValue),
    unrealizedPl: unrealized === undefined ? null : fmt(unrealized),
    unrealizedPlpc: unrealized === undefined ? null : (ratio(unrealized, basis.abs()) ?? null),
    lastdayPrice: lastday === undefined ? null : fmt(lastday),
    changeToday:
      price === undefined || lastday === undefined
        ? null
        : (ratio(price.minus(lastday), lastday) ?? null),
    realizedPl: n(row.realized_pl),
    updatedAt: iso(row.updated_at),
  };
}

function fillView(row: FillRow): FillView {
  return {
    id: row.fill_id,
    accountId: row.account_id,
    orderId: row.order_id,
    symbol: row.symbol,
    side: row.side === 'sell' ? 'sell' : 'buy',
    qty: n(row.qty),
    price: n(row.price),
    grossAmount: n(row.gross_amount),
    commission: n(row.commission),
    regulatoryFees: fmt(dec(n(row.sec_fee)).plus(dec(n(row.taf)))),
    cashDelta: n(row.cash_delta),
    realizedPl: n(row.realized_pl),
    orderStatus: row.order_status === 'filled' ? 'filled' : 'partially_filled',
    cumulativeQty: n(row.cumulative_qty),
    leavesQty: n(row.leaves_qty),
    quote: row.quote,
    auction: row.auction,
    model: row.model,
    positionAfter: { qty: n(row.position_qty), costBasis: n(row.position_cost_basis) },
    at: iso(row.at),
    position: Number(row.position),
  };
}
