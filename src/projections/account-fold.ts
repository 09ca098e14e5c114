import type { ColumnType, Transaction } from 'kysely';
import {
  evolve,
  initialState,
  isOpen,
  type AccountEvent,
  type AccountState,
  type Order,
} from '../domain/account/index.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import type { BatchRange } from './runner.ts';

type Json<T> = ColumnType<T, string, string>;
type Position = ColumnType<string, number | string, number | string>;

// A type alias: kysely's table maps need an implicit index signature.
export type AccountFoldTables = {
  /** Per projection and account: the domain state after the projection's last applied event. */
  account_folds: {
    projection: string;
    account_id: string;
    owner_id: string;
    opened_position: Position;
    position: Position;
    state: Json<AccountState>;
  };
};

/** What a projection sees of one account event: the state before and after it. */
export interface AccountStep {
  readonly accountId: string;
  readonly ownerId: string;
  /** Position of the account's `AccountOpened` (its stable place in lists). */
  readonly openedPosition: number;
  readonly before: AccountState;
  readonly after: AccountState;
  readonly event: AccountEvent;
  readonly recorded: RecordedEvent;
}

interface Fold {
  ownerId: string;
  openedPosition: number;
  position: number;
  state: AccountState;
}

/**
 * The folds a projection wrote in its last committed batch, kept in memory so the next batch
 * need not read and parse them again. It is trusted only when the next batch starts exactly
 * where the batch that filled it ended (`after` = its `through`): a rolled-back transaction,
 * a rebuild or another runner's batch all leave the stored checkpoint elsewhere, and the
 * cache is dropped.
 */
export class FoldCache {
  readonly #folds = new Map<string, Fold>();
  #validThrough = -1;

  constructor(private readonly maxAccounts = 10_000) {}

  /** The cached folds valid for a batch starting after `after` (emptied otherwise). */
  begin(after: number): Map<string, Fold> {
    if (after !== this.#validThrough) this.#folds.clear();
    this.#validThrough = -1;
    return this.#folds;
  }

  /** A batch with nothing for the projection: the folds stay valid if they were. */
  pass(range: BatchRange): void {
    this.#validThrough = range.after === this.#validThrough ? range.through : -1;
    if (this.#validThrough === -1) this.#folds.clear();
  }

  /** Marks the folds as what a batch ending at `through` leaves behind once committed. */
  end(through: number): void {
    if (this.#folds.size > this.maxAccounts) this.#folds.clear();
    this.#validThrough = through;
  }

  clear(): void {
    this.#folds.clear();
    this.#validThrough = -1;
  }
}

/** The account id of an `account-{id}` stream. */
export function accountIdOf(streamId: string): string {
  return streamId.slice('account-'.length);
}

/**
 * Folds a batch of account events with the domain's own `evolve`, continuing from the state
 * this projection stored after its previous batch, and calls `visit` with the state before
 * and after each event. Every figure a projection writes is therefore what the write side
 * computes, never a re-derivation of its rules.
 *
 * The stored state keeps open orders only: `evolve` ignores events that address a terminal
 * or unknown order alike, so dropping terminal orders changes no result but keeps the stored
 * state as small as the account's open book. (Client order ids and rejections, which only the
 * decider needs, are dropped too.) Events at or below the stored position are skipped, so a
 * batch delivered twice changes nothing.
 */
export async function foldAccountBatch(
  trx: Transaction<AccountFoldTables>,
  projection: string,
  events: readonly RecordedEvent[],
  cached: { readonly cache: FoldCache; readonly range: BatchRange } | undefined,
  visit: (step: AccountStep) => Promise<void> | void,
): Promise<void> {
  const folds =
    cached === undefined ? new Map<string, Fold>() : cached.cache.begin(cached.range.after);
  const accountIds = [
    ...new Set(events.filter((e) => e.streamId.startsWith('account-')).map((e) => e.streamId)),
  ]
    .map(accountIdOf)
    .filter((id) => !folds.has(id));
  const rows =
    accountIds.length === 0
      ? []
      : await trx
          .selectFrom('account_folds')
          .selectAll()
          .where('projection', '=', projection)
          .where('account_id', 'in', accountIds)
          .execute();
  for (const r of rows) {
    folds.set(r.account_id, {
      ownerId: r.owner_id,
      openedPosition: Number(r.opened_position),
      position: Number(r.position),
      state: r.state,
    });
  }
  const changed = new Set<string>();
  for (const recorded of events) {
    if (!recorded.streamId.startsWith('account-')) continue;
    const accountId = accountIdOf(recorded.streamId);
    const event = { type: recorded.type, data: recorded.data } as AccountEvent;
    let fold = folds.get(accountId);
    if (fold !== undefined && recorded.position <= fold.position) continue;
    if (fold === undefined) {
      // Only an opening starts a fold; anything else on an unknown stream is not an account.
      if (event.type !== 'AccountOpened') continue;
      fold = {
        ownerId: event.data.ownerId,
        openedPosition: recorded.position,
        position: 0,
        state: initialState(),
      };
      folds.set(accountId, fold);
    }
    const before = fold.state;
    let after = evolve(before, event);
    // `evolve` forgets the owner on AccountReset; the account still belongs to them.
    if (after.ownerId === null && after.status === 'open')
      after = { ...after, ownerId: fold.ownerId };
    fold.state = after;
    fold.position = recorded.position;
    changed.add(accountId);
    await visit({
      accountId,
      ownerId: fold.ownerId,
      openedPosition: fold.openedPosition,
      before,
      after,
      event,
      recorded,
    });
  }
  const values = [...changed].flatMap((accountId) => {
    const fold = folds.get(accountId);
    if (fold === undefined) return [];
    // The cache must hold exactly what is stored.
    fold.state = pruned(fold.state);
    return [
      {
        projection,
        account_id: accountId,
        owner_id: fold.ownerId,
        opened_position: fold.openedPosition,
        position: fold.position,
        state: JSON.stringify(fold.state),
      },
    ];
  });
  for (let i = 0; i < values.length; i += 200) {
    await trx
      .insertInto('account_folds')
      .values(values.slice(i, i + 200))
      .onConflict((oc) =>
        oc.columns(['projection', 'account_id']).doUpdateSet((eb) => ({
          position: eb.ref('excluded.position'),
          state: eb.ref('excluded.state'),
        })),
      )
      .execute();
  }
  cached?.cache.end(cached.range.through);
}

/** Deletes a projection's folds (the first step of its rebuild). */
export async function resetAccountFolds(
  trx: Transaction<AccountFoldTables>,
  projection: string,
): Promise<void> {
  await trx.deleteFrom('account_folds').where('projection', '=', projection).execute();
}

/** The state without what no later event can change or read: terminal orders, decider indexes. */
function pruned(state: AccountState): AccountState {
  const orders: Record<string, Order> = {};
  for (const [id, order] of Object.entries(state.orders)) if (isOpen(order)) orders[id] = order;
  return { ...state, orders, clientOrderIds: {}, rejections: {} };
}
