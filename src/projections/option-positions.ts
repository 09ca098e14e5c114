/**
 * `option_positions`: every option contract an account has held, one row per account and OCC
 * symbol, kept after the position ends. Open rows mirror the domain position (quantity, cost
 * basis); an ended row says how it ended — `closed` (traded flat), `exercised`, `assigned` or
 * `expired` — and when. Realized P&L accumulates over the row's life, reopenings included.
 * Like every trading read model it is folded with the domain's `evolve`, so it shows what the
 * write side decided. Valuation (marks, greeks) happens at query time (`option-queries.ts`).
 */
import type { ColumnType, Insertable, Transaction } from 'kysely';
import { sql } from 'kysely';
import { avgEntryPrice } from '../domain/account/index.ts';
import { orderById } from '../domain/account/order-lookup.ts';
import { dec, fmt } from '../domain/money.ts';
import { parseOcc } from '../domain/options/contract.ts';
import {
  projectionFolds,
  type AccountFoldTables,
  type AccountStep,
  type SharedAccountFold,
} from './account-fold.ts';
import type { Projection } from './runner.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
type Numeric = ColumnType<string, string, string>;
type BigInt = ColumnType<string, number | string, number | string>;

/** How an option position stands: open, or how it ended. */
export type OptionPositionStatus = 'open' | 'closed' | 'exercised' | 'assigned' | 'expired';

// A type alias: kysely's table maps need an implicit index signature.
export type OptionPositionTables = AccountFoldTables & {
  option_positions: {
    account_id: string;
    symbol: string;
    owner_id: string;
    underlying: string;
    expiration: string;
    option_type: string;
    strike: Numeric;
    multiplier: number;
    qty: Numeric;
    cost_basis: Numeric;
    avg_entry_price: Numeric;
    /** Realized P&L of the contract over the row's life (gross of charges). */
    realized_pl: Numeric;
    status: string;
    opened_at: Timestamp;
    closed_at: NullableTimestamp;
    updated_at: Timestamp;
    last_position: BigInt;
  };
};

type Db = Transaction<OptionPositionTables>;
type Row = Insertable<OptionPositionTables['option_positions']>;

/** The projection of `option_positions`. */
export function optionPositionsProjection<DB extends OptionPositionTables>(
  options: {
    /**
     * The account fold the trading projections share: with it this projection folds nothing
     * of its own (and stores no fold) while it is at the shared fold's checkpoint.
     */
    readonly shared?: SharedAccountFold | undefined;
  } = {},
): Projection<DB> {
  const name = 'option_positions';
  const f = projectionFolds(name, options.shared);
  return {
    name,
    filter: { streamPrefixes: ['account-'] },
    pass: (range) => {
      f.pass(range);
    },
    async apply(trx, events, range) {
      const db = trx as unknown as Db;
      /** Latest row per key, with the realized P&L of this batch to add to what is stored. */
      const pending = new Map<string, Row>();
      const visit = async (step: AccountStep): Promise<void> => {
        const { event, before, after, recorded } = step;
        if (event.type === 'AccountReset') {
          for (const key of [...pending.keys()])
            if (key.startsWith(`${step.accountId}\u0000`)) pending.delete(key);
          await db
            .deleteFrom('option_positions')
            .where('account_id', '=', step.accountId)
            .execute();
          return;
        }
        let symbol: string;
        let realized: string;
        let ended: OptionPositionStatus;
        switch (event.type) {
          case 'OrderFilled': {
            const order =
              orderById(after, event.data.orderId) ?? orderById(before, event.data.orderId);
            if (after === before || order?.instrument.kind !== 'option') return;
            symbol = event.data.symbol;
            realized = event.data.realizedPnl;
            ended = 'closed';
            break;
          }
          case 'OptionExercised':
          case 'OptionAssigned':
          case 'OptionExpired':
            if (after === before) return;
            symbol = event.data.symbol;
            realized = event.data.optionRealizedPnl;
            ended =
              event.type === 'OptionExercised'
                ? 'exercised'
                : event.type === 'OptionAssigned'
                  ? 'assigned'
                  : 'expired';
            break;
          default:
            return;
        }
        const contract = parseOcc(symbol);
        if (contract === undefined) return;
        const position = after.positions[symbol];
        const key = `${step.accountId}\u0000${symbol}`;
        const previous = pending.get(key);
        const at = after.updatedAt ?? recorded.recordedAt.toISOString();
        pending.set(key, {
          account_id: step.accountId,
          symbol,
          owner_id: step.ownerId,
          underlying: contract.underlying,
          expiration: contract.expiration,
          option_type: contract.right,
          strike: contract.strike,
          multiplier: contract.multiplier,
          qty: position?.qty ?? '0',
          cost_basis: position?.costBasis ?? '0',
          avg_entry_price:
            position === undefined
              ? (previous?.avg_entry_price ?? '0')
              : (avgEntryPrice(position) ?? '0'),
          realized_pl: fmt(dec(previous?.realized_pl ?? '0').plus(dec(realized))),
          status: position === undefined ? ended : 'open',
          opened_at: before.positions[symbol] === undefined ? at : (previous?.opened_at ?? at),
          closed_at: position === undefined ? at : null,
          updated_at: at,
          last_position: recorded.position,
        });
      };
      await f.fold(db, events, range, visit);
      for (const row of pending.values()) {
        await db
          .insertInto('option_positions')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['account_id', 'symbol']).doUpdateSet((eb) => ({
              qty: eb.ref('excluded.qty'),
              cost_basis: eb.ref('excluded.cost_basis'),
              // An ended position keeps the average entry it had while open.
              avg_entry_price: sql<string>`CASE WHEN excluded.status = 'open' OR excluded.avg_entry_price <> 0 THEN excluded.avg_entry_price ELSE option_positions.avg_entry_price END`,
              realized_pl: sql<string>`option_positions.realized_pl + excluded.realized_pl`,
              status: eb.ref('excluded.status'),
              // A reopened contract starts a new holding period.
              opened_at: sql<Date>`CASE WHEN option_positions.status = 'open' THEN option_positions.opened_at ELSE excluded.opened_at END`,
              closed_at: eb.ref('excluded.closed_at'),
              updated_at: eb.ref('excluded.updated_at'),
              last_position: eb.ref('excluded.last_position'),
            })),
          )
          .execute();
      }
    },
    async reset(trx) {
      const db = trx as unknown as Db;
      await db.deleteFrom('option_positions').execute();
      await f.reset(db);
    },
  };
}
