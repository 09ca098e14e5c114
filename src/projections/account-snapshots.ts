/**
 * Per-account snapshots of the trading read models — the account row, its position rows and
 * the balance in force at the previous close — kept in the cache port, so account, positions
 * and position reads touch no database on a hit. Market-dependent figures are still valued at
 * read time from the latest quotes; only rows are cached.
 *
 * **Row-level security stays the source of truth.** A snapshot is loaded through the tenant's
 * own `withTenant` queries and kept under a key naming the tenant (or the reader role) and the
 * account, so an entry only ever answers the access that loaded it.
 *
 * **Invalidation is driven by the projections, and ordered for read-your-writes.** Every
 * account has a version marker: the trading projections raise it to the batch's last position
 * *inside* the transaction that writes the account's rows, before it commits. A snapshot
 * records `asOf`, the position every snapshot table had reached when it was loaded (read
 * before its rows, so a lower bound), and is served only while `asOf >= version`. So:
 * - a snapshot loaded before a change committed has `asOf` below that change's position and is
 *   never served once the projection raised the version — whichever of the two lands first;
 * - a read that waited for `X-Min-Position: n` (the runner saw a checkpoint ≥ n committed) finds
 *   the version raised to ≥ n, and is served only a snapshot loaded after that commit.
 * A global epoch, bumped when a projection is rebuilt or after the cache may have missed an
 * invalidation (Redis was unreachable), retires every older snapshot at once.
 */
import type { Selectable } from 'kysely';
import { jsonKind, type Cache, type CacheKind } from '../cache/port.ts';
import { SingleFlight } from '../cache/single-flight.ts';
import type { ReadAccess } from './tenancy.ts';
import type { TradingTables } from './trading.ts';

export type AccountRow = Selectable<TradingTables['accounts']>;
export type PositionRow = Selectable<TradingTables['positions']>;
export type BalanceRow = Selectable<TradingTables['account_balances']>;

/** What one tenant may read of one account, as the read models held it at `asOf`. */
export interface AccountSnapshot {
  /** Undefined when the account does not exist or is not visible to the access. */
  readonly account: AccountRow | undefined;
  /** Open positions, ordered by symbol. */
  readonly positions: readonly PositionRow[];
  /** The balance in force at `previousClose` (or the opening balance of a newer account). */
  readonly previous: BalanceRow | undefined;
  /** The previous regular-session close the balance was looked up for (ISO-8601). */
  readonly previousClose: string;
}

/** A snapshot as cached. */
interface Entry {
  readonly epoch: number;
  /** Lowest checkpoint of the snapshot's tables when it was loaded (a lower bound). */
  readonly asOf: number;
  readonly snapshot: AccountSnapshot;
}

/** Row fields that are timestamps (JSON turns them into strings; they come back as dates). */
const DATE_FIELDS = new Set(['created_at', 'updated_at', 'at']);

/** Snapshots live a minute at most: an idle account leaves the cache. */
export const ACCOUNT_SNAPSHOT_KIND: CacheKind<Entry> = {
  ...jsonKind<Entry>('account', 60_000),
  decode: (text) =>
    JSON.parse(text, (key, value: unknown) =>
      DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value,
    ) as Entry,
};

/** The projections whose tables a snapshot reads. */
export const SNAPSHOT_PROJECTIONS = ['accounts', 'positions', 'portfolio_history'] as const;

const EPOCH = 'account-epoch';

function versionKey(accountId: string): string {
  return `account-version:${accountId}`;
}

function accessKey(access: ReadAccess): string {
  if ('tenant' in access) return `t:${access.tenant}`;
  if ('reader' in access) return `r:${access.reader}`;
  return 'none';
}

/**
 * The invalidation side: the epoch and the per-account version markers. The trading
 * projections hold it (they raise versions); `AccountSnapshots` reads it.
 */
export class SnapshotVersions {
  /** Set when an invalidation could not be written: the epoch is bumped before anything else. */
  #tainted = false;

  constructor(
    readonly cache: Cache,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    cache.onStateChange((state) => {
      // After an outage the cache may hold snapshots whose invalidation was lost: retire them
      // all as soon as it answers again (and before any other use of it here).
      if (state === 'down') this.#tainted = true;
      else void this.#heal().catch(() => undefined);
    });
  }

  /** The epoch and the account's version (0 when never raised). */
  async read(accountId: string): Promise<{ epoch: number; version: number }> {
    await this.#heal();
    const [epoch, version] = await this.cache.markers([EPOCH, versionKey(accountId)]);
    return { epoch: epoch ?? 0, version: version ?? 0 };
  }

  /**
   * Marks the accounts as changed at `position` (the last position of the batch that changed
   * them). Called inside the projection's transaction, before it commits. Never throws: a
   * failure taints the cache, and the epoch is bumped as soon as it answers again.
   */
  async changed(accountIds: Iterable<string>, position: number): Promise<void> {
    const entries = [...new Set(accountIds)].map((id) => [versionKey(id), position] as const);
    if (entries.length === 0) return;
    try {
      await this.#heal();
      await this.cache.raise(entries);
    } catch (error) {
      this.#tainted = true;
      this.onError(error);
    }
  }

  /** Retires every snapshot (a projection was reset for a rebuild). Never throws. */
  async changedAll(): Promise<void> {
    try {
      await this.cache.increment(EPOCH);
      this.#tainted = false;
    } catch (error) {
      this.#tainted = true;
      this.onError(error);
    }
  }

  async #heal(): Promise<void> {
    if (!this.#tainted) return;
    await this.cache.increment(EPOCH);
    this.#tainted = false;
  }
}

export interface AccountSnapshotDeps {
  readonly versions: SnapshotVersions;
  /** Loads a snapshot through the access's own tenant queries. */
  readonly load: (
    access: ReadAccess,
    accountId: string,
    previousClose: Date,
  ) => Promise<AccountSnapshot>;
  /** The position every snapshot table has committed (a lower bound), read before loading. */
  readonly appliedPosition: () => Promise<number>;
  /** Reports a cache failure (the read then went to the database). */
  readonly onError?: (error: unknown) => void;
  /** Reports an entry found but out of date (a miss the cache counted as a hit). */
  readonly onStale?: () => void;
}

/** Reads account snapshots through the cache (see the file comment). */
export class AccountSnapshots {
  readonly #flights = new SingleFlight<Entry>();

  constructor(private readonly deps: AccountSnapshotDeps) {}

  /** The snapshot of `accountId` for `access`, from the cache when it is current. */
  async get(access: ReadAccess, accountId: string, previousClose: Date): Promise<AccountSnapshot> {
    if ('none' in access) return this.deps.load(access, accountId, previousClose);
    const { cache } = this.deps.versions;
    const key = `${accountId}:${accessKey(access)}`;
    const close = previousClose.toISOString();
    let epoch: number;
    let version: number;
    try {
      const [markers, entries] = await Promise.all([
        this.deps.versions.read(accountId),
        cache.getMany(ACCOUNT_SNAPSHOT_KIND, [key]),
      ]);
      ({ epoch, version } = markers);
      const entry = entries[0];
      if (
        entry !== undefined &&
        entry.epoch === epoch &&
        entry.asOf >= version &&
        entry.snapshot.previousClose === close
      ) {
        return entry.snapshot;
      }
      if (entry !== undefined) this.deps.onStale?.();
    } catch (error) {
      this.deps.onError?.(error);
      return this.deps.load(access, accountId, previousClose);
    }
    const flight = `${key}@${epoch}:${version}:${close}`;
    let entry = await this.#flights.run(flight, () =>
      this.#loadEntry(access, accountId, previousClose, epoch),
    );
    // A load joined after it started may predate the change this read waits for.
    if (entry.asOf < version)
      entry = await this.#loadEntry(access, accountId, previousClose, epoch);
    cache.setMany(ACCOUNT_SNAPSHOT_KIND, [[key, entry]]).catch((error: unknown) => {
      this.deps.onError?.(error);
    });
    return entry.snapshot;
  }

  async #loadEntry(
    access: ReadAccess,
    accountId: string,
    previousClose: Date,
    epoch: number,
  ): Promise<Entry> {
    const asOf = await this.deps.appliedPosition();
    const snapshot = await this.deps.load(access, accountId, previousClose);
    return { epoch, asOf, snapshot };
  }
}
