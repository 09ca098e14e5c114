/**
 * Queries over `option_positions` (see `option-positions.ts`), through `withTenant` so
 * row-level security decides what a caller sees. Exact decimals, no valuation: marks and
 * greeks are added by the command layer (`OptionsDesk`) from the options market. This is the
 * read surface other features (the Alpaca-compatible API, risk and analysis tools) use for
 * option positions; docs/options.md describes it.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DecimalString } from '../domain/money.ts';
import { fmt } from '../domain/money.ts';
import { Dec } from '../domain/decimal.ts';
import type { OptionPositionStatus, OptionPositionTables } from './option-positions.ts';
import { withTenant, type ReadAccess } from './tenancy.ts';

/** One option contract an account holds or held. */
export interface OptionPositionRecord {
  readonly accountId: string;
  /** OCC symbol (padded). */
  readonly symbol: string;
  readonly underlying: string;
  /** `YYYY-MM-DD`. */
  readonly expiration: string;
  readonly right: 'call' | 'put';
  readonly strike: DecimalString;
  readonly multiplier: number;
  /** Signed contracts (negative: short); 0 once ended. */
  readonly qty: DecimalString;
  /** Signed: qty × average entry × multiplier; 0 once ended. */
  readonly costBasis: DecimalString;
  /** Per share; the last one while open is kept after the position ends. */
  readonly avgEntryPrice: DecimalString;
  /** Over the row's life, gross of charges. */
  readonly realizedPl: DecimalString;
  readonly status: OptionPositionStatus;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly updatedAt: string;
  /** Global position of the last event that changed the row. */
  readonly position: number;
}

/** Which rows to list. */
export interface OptionPositionListRequest {
  /** `open` (default), `ended` (closed, exercised, assigned, expired) or `all`. */
  readonly status?: 'open' | 'ended' | 'all';
  readonly underlying?: string;
}

type Row = Selectable<OptionPositionTables['option_positions']>;

function n(value: string): DecimalString {
  return fmt(new Dec(value));
}

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function recordOf(row: Row): OptionPositionRecord {
  return {
    accountId: row.account_id,
    symbol: row.symbol,
    underlying: row.underlying,
    expiration: row.expiration,
    right: row.option_type === 'put' ? 'put' : 'call',
    strike: n(row.strike),
    multiplier: row.multiplier,
    qty: n(row.qty),
    costBasis: n(row.cost_basis),
    avgEntryPrice: n(row.avg_entry_price),
    realizedPl: n(row.realized_pl),
    status: row.status as OptionPositionStatus,
    openedAt: iso(row.opened_at),
    closedAt: row.closed_at === null ? null : iso(row.closed_at),
    updatedAt: iso(row.updated_at),
    position: Number(row.last_position),
  };
}

/** SQL queries over the option positions read model. */
export class OptionQueries {
  constructor(private readonly db: Kysely<OptionPositionTables>) {}

  /** Option positions of an account, by underlying, expiration, strike and type. */
  listOptionPositions(
    access: ReadAccess,
    accountId: string,
    request: OptionPositionListRequest = {},
  ): Promise<OptionPositionRecord[]> {
    const status = request.status ?? 'open';
    return withTenant(this.db, access, async (trx) => {
      let q = trx.selectFrom('option_positions').selectAll().where('account_id', '=', accountId);
      if (status === 'open') q = q.where('status', '=', 'open');
      if (status === 'ended') q = q.where('status', '!=', 'open');
      if (request.underlying !== undefined) {
        q = q.where('underlying', '=', request.underlying.trim().toUpperCase());
      }
      const rows = await q
        .orderBy('underlying')
        .orderBy('expiration')
        .orderBy('strike')
        .orderBy('option_type')
        .execute();
      return rows.map(recordOf);
    });
  }
}
