import type { ColumnType, Transaction } from 'kysely';
import { AppendMap } from '../domain/append-map.ts';
import {
  evolve,
  initialState,
  reviveState,
  type AccountEvent,
  type AccountState,
} from '../domain/account/index.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
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

  /** Whether the folds are what a batch starting after `after` needs (nothing is cleared). */
  validAt(after: number): boolean {
    return after === this.#validThrough;
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
  await loadFolds(trx, projection, accountIds, folds);
  const steps: AccountStep[] = [];
  const changed = foldEvents(events, folds, (step) => steps.push(step));
  for (const step of steps) await visit(step);
  await storeFolds(trx, projection, folds, changed);
  cached?.cache.end(cached.range.through);
}

/** Reads the stored folds of `accountIds` under `key` into `folds`. */
async function loadFolds(
  trx: Transaction<AccountFoldTables>,
  key: string,
  accountIds: readonly string[],
  folds: Map<string, Fold>,
): Promise<void> {
  if (accountIds.length === 0) return;
  const rows = await trx
    .selectFrom('account_folds')
    .selectAll()
    .where('projection', '=', key)
    .where('account_id', 'in', accountIds)
    .execute();
  for (const r of rows) {
    folds.set(r.account_id, {
      ownerId: r.owner_id,
      openedPosition: Number(r.opened_position),
      position: Number(r.position),
      // Stored as JSON: the append-only maps come back as plain objects.
      state: reviveState(r.state),
    });
  }
}

/**
 * Applies the account events to the folds (starting folds at `AccountOpened`, skipping events
 * at or below a fold's position) and reports each step; answers the accounts that changed.
 */
function foldEvents(
  events: readonly RecordedEvent[],
  folds: Map<string, Fold>,
  onStep: (step: AccountStep) => void,
): Set<string> {
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
    onStep({
      accountId,
      ownerId: fold.ownerId,
      openedPosition: fold.openedPosition,
      before,
      after,
      event,
      recorded,
    });
  }
  return changed;
}

/** Prunes a changed fold: the cache must hold exactly what is stored. */
function pruneFold(folds: Map<string, Fold>, accountId: string): Fold | undefined {
  const fold = folds.get(accountId);
  if (fold !== undefined) fold.state = pruned(fold.state);
  return fold;
}

/** Upserts the changed folds under `key`, 200 rows per statement. */
async function storeFolds(
  trx: Transaction<AccountFoldTables>,
  key: string,
  folds: Map<string, Fold>,
  changed: ReadonlySet<string>,
): Promise<void> {
  const values = [...changed].flatMap((accountId) => {
    const fold = pruneFold(folds, accountId);
    if (fold === undefined) return [];
    return [
      {
        projection: key,
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
  return {
    ...state,
    terminalOrders: AppendMap.empty(),
    clientOrderIds: AppendMap.empty(),
    rejections: AppendMap.empty(),
  };
}

// ─── one fold shared by the trading projections ───────────────────────────────────────────

/** What the shared fold reads of the event store when it has no fold of an account. */
export type FoldSource = Pick<EventStore, 'readStream' | 'readAll'>;

/** Key of the shared fold's rows in `account_folds`, and of its checkpoint row (account ''). */
export const SHARED_FOLD = 'trading';
const CHECKPOINT_ROW = '';

/**
 * The account fold the trading projections share, so a batch is folded, stored and cached
 * once instead of once per projection. Its rows (`account_folds` under `trading`) and its
 * checkpoint (the row of account `''`, whose `position` is the batch end it is valid at) move
 * together in the batch's transaction.
 *
 * A projection at the shared checkpoint gets the steps the first such projection of the
 * transaction computed. One elsewhere — rebuilt from 0, or retrying alone after a failure while
 * the others moved on — folds on its own: from its in-memory cache while its batches follow
 * each other, else from the account streams themselves, replayed up to its checkpoint (the
 * state at position 0 is empty). Either way each projection sees exactly the states before and
 * after each of its events, as `foldAccountBatch` gives them.
 */
export class SharedAccountFold {
  readonly #shared = new FoldCache();
  readonly #own = new Map<string, FoldCache>();
  /** The steps computed in a transaction, for the other projections of the same batch. */
  readonly #memo = new WeakMap<object, { after: number; through: number; steps: AccountStep[] }>();

  constructor(private readonly source: FoldSource) {}

  /** The steps of `events` for `projection`, whose batch spans `range`. */
  async steps(
    trx: Transaction<AccountFoldTables>,
    projection: string,
    events: readonly RecordedEvent[],
    range: BatchRange,
  ): Promise<readonly AccountStep[]> {
    const memo = this.#memo.get(trx);
    if (memo !== undefined && memo.after === range.after && memo.through === range.through) {
      return memo.steps;
    }
    const shared = await this.#sharedCheckpoint(trx, range.after);
    if (shared === range.after) {
      const steps = await this.#fold(trx, events, range, this.#shared, SHARED_FOLD);
      await trx
        .insertInto('account_folds')
        .values({
          projection: SHARED_FOLD,
          account_id: CHECKPOINT_ROW,
          owner_id: '',
          opened_position: 0,
          position: range.through,
          state: '{}',
        })
        .onConflict((oc) =>
          oc.columns(['projection', 'account_id']).doUpdateSet({ position: range.through }),
        )
        .execute();
      this.#memo.set(trx, { after: range.after, through: range.through, steps });
      return steps;
    }
    let own = this.#own.get(projection);
    if (own === undefined) {
      own = new FoldCache();
      this.#own.set(projection, own);
    }
    return this.#fold(trx, events, range, own, undefined);
  }

  /** A batch with nothing for `projection`: its folds stay valid where they were. */
  pass(projection: string, range: BatchRange): void {
    if (this.#shared.validAt(range.through)) return; // another projection passed it already
    if (this.#shared.validAt(range.after)) this.#shared.pass(range);
    else this.#own.get(projection)?.pass(range);
  }

  /** Forgets what a projection folded on its own (its rebuild starts over). */
  reset(projection: string): void {
    this.#own.get(projection)?.clear();
  }

  /** The shared fold's checkpoint; a store without one starts it at `after`. */
  async #sharedCheckpoint(trx: Transaction<AccountFoldTables>, after: number): Promise<number> {
    if (this.#shared.validAt(after)) return after;
    const row = await trx
      .selectFrom('account_folds')
      .select('position')
      .where('projection', '=', SHARED_FOLD)
      .where('account_id', '=', CHECKPOINT_ROW)
      .executeTakeFirst();
    // None yet (a new database, or folds of an older version): the shared fold starts here;
    // accounts it has no row for are replayed from their streams.
    if (row === undefined) return after;
    const stored = Number(row.position);
    if (stored >= after) return stored;
    // Batches without account events do not move the stored checkpoint: the fold is still
    // valid here when no account event lies between.
    const between = await this.source.readAll({
      fromPosition: stored + 1,
      maxCount: 1,
      filter: { streamPrefixes: ['account-'] },
    });
    const next = between[0];
    return next === undefined || next.position > after ? after : stored;
  }

  /** Folds the batch from `cache`, else the stored rows under `key`, else the streams. */
  async #fold(
    trx: Transaction<AccountFoldTables>,
    events: readonly RecordedEvent[],
    range: BatchRange,
    cache: FoldCache,
    key: string | undefined,
  ): Promise<AccountStep[]> {
    const folds = cache.begin(range.after);
    const firstOf = new Map<string, RecordedEvent>();
    for (const e of events) {
      if (!e.streamId.startsWith('account-')) continue;
      const id = accountIdOf(e.streamId);
      if (!folds.has(id) && !firstOf.has(id)) firstOf.set(id, e);
    }
    const missing = [...firstOf.keys()];
    if (key !== undefined) await loadFolds(trx, key, missing, folds);
    for (const [id, first] of firstOf) {
      // An account whose opening is in this batch had nothing before it; any other is
      // replayed up to where this batch starts (nothing, before position 1).
      if (folds.has(id) || first.revision === 0 || range.after === 0) continue;
      const replayed = await this.#replay(first.streamId, range.after);
      if (replayed !== undefined) folds.set(id, replayed);
    }
    const steps: AccountStep[] = [];
    const changed = foldEvents(events, folds, (step) => steps.push(step));
    if (key !== undefined) await storeFolds(trx, key, folds, changed);
    else for (const id of changed) pruneFold(folds, id);
    cache.end(range.through);
    return steps;
  }

  /** An account's fold at `position`, replayed from its stream. */
  async #replay(streamId: string, position: number): Promise<Fold | undefined> {
    const recorded = await this.source.readStream(streamId);
    const folds = new Map<string, Fold>();
    foldEvents(
      recorded.filter((e) => e.position <= position),
      folds,
      () => undefined,
    );
    return folds.get(accountIdOf(streamId));
  }
}

/**
 * A projection's account folds: its own cache, or the shared fold when there is one, with the
 * `pass` and `reset` bookkeeping that goes with them.
 */
export function projectionFolds(name: string, shared: SharedAccountFold | undefined) {
  const cache = new FoldCache();
  return {
    /** Folds a batch and visits each step: through the shared fold when there is one. */
    async fold(
      trx: Transaction<AccountFoldTables>,
      events: readonly RecordedEvent[],
      range: BatchRange,
      visit: (step: AccountStep) => Promise<void> | void,
    ): Promise<void> {
      if (shared === undefined) {
        await foldAccountBatch(trx, name, events, { cache, range }, visit);
        return;
      }
      for (const step of await shared.steps(trx, name, events, range)) await visit(step);
    },
    pass(range: BatchRange): void {
      if (shared) shared.pass(name, range);
      else cache.pass(range);
    },
    async reset(trx: Transaction<AccountFoldTables>): Promise<void> {
      cache.clear();
      shared?.reset(name);
      await resetAccountFolds(trx, name);
    },
  };
}
