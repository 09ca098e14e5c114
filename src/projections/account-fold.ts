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
  visit: (step: AccountStep) => Promise<void> | void,
): Promise<void> {
  const accountIds = [
    ...new Set(events.filter((e) => e.streamId.startsWith('account-')).map((e) => e.streamId)),
  ].map(accountIdOf);
  if (accountIds.length === 0) return;
  const folds = new Map<string, Fold>();
  const rows = await trx
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
    return [
      {
        projection,
        account_id: accountId,
        owner_id: fold.ownerId,
        opened_position: fold.openedPosition,
        position: fold.position,
        state: JSON.stringify(pruned(fold.state)),
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
