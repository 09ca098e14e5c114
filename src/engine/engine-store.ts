import type pg from 'pg';
import type { OrderVersion } from '../commands/accounts.ts';
import type { MarketContext } from '../domain/market.ts';
import type { SqlDatabase } from '../eventstore/database.ts';

/** A command the engine gave up on after its retries: what to park. */
export interface ParkCommand {
  readonly engine: string;
  readonly accountId: string;
  readonly orderId: string;
  /** The evaluation that led to it: `fill`, `trigger`, `expire`, `update_water_mark`. */
  readonly action: string;
  readonly reason: string;
  readonly attempts: number;
  readonly at: string;
  /** The order version the command was evaluated against: a replay's guard. */
  readonly expected?: OrderVersion;
  /** The market the command was priced against, so a replay sends the very same command. */
  readonly market?: MarketContext;
}

/**
 * Where a parked command stands: still `parked`, `replayed` (applied by a replay), `stale`
 * (the order had moved on; nothing applied) or `refused` (the decider turned it down).
 */
export type ParkedStatus = 'parked' | 'replayed' | 'stale' | 'refused';

/** A parked command as kept for an operator (`paper-trading engine parked`). */
export interface ParkedCommand {
  /** Stable id, for `paper-trading engine replay <id>`. */
  readonly id: number;
  readonly engine: string;
  readonly accountId: string;
  readonly orderId: string;
  readonly action: string;
  readonly reason: string;
  readonly attempts: number;
  readonly at: string;
  /** Null for commands parked before versions and markets were kept: those cannot be replayed. */
  readonly expected: OrderVersion | null;
  readonly market: MarketContext | null;
  readonly status: ParkedStatus;
  readonly resolvedAt: string | null;
  /** What the replay found (`applied at position …`, `stale_order_version`, an error code). */
  readonly resolution: string | null;
}

/** How a replay settled a parked command. */
export interface ParkedResolution {
  readonly status: Exclude<ParkedStatus, 'parked'>;
  readonly detail: string;
  readonly at: string;
}

/** Where the engine keeps its place in `$all`. */
export interface EngineCheckpoint {
  /** Last `$all` position applied to the open-order index (0 before the first). */
  readonly position: number;
  /** Accounts that held open orders at that position: what a restart loads first. */
  readonly accounts: ReadonlySet<string>;
}

/** Exclusive right to run the engine; `lost` resolves if it is taken away (connection dropped). */
export interface Lease {
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/** The engine's own persistence: lease, checkpoint and parked commands. */
export interface EngineStore {
  /** Takes the lease for `name` if nobody holds it; `undefined` when another engine does. */
  tryAcquire(name: string): Promise<Lease | undefined>;
  load(name: string): Promise<EngineCheckpoint>;
  /** Moves the checkpoint and the open-order account set together (one transaction). */
  save(
    name: string,
    position: number,
    changes: { readonly add: readonly string[]; readonly remove: readonly string[] },
  ): Promise<void>;
  park(command: ParkCommand): Promise<void>;
  /** Parked commands of engine `name`, oldest first; settled ones only with `includeResolved`. */
  parked(name: string, options?: { readonly includeResolved?: boolean }): Promise<ParkedCommand[]>;
  /**
   * Settles a parked command. Answers false when it was not parked (unknown, or settled by
   * another replay). One exception: `replayed` also settles a command a concurrent replay
   * found `stale` — the version guard let exactly one apply, and this is the one that did.
   */
  resolveParked(name: string, id: number, resolution: ParkedResolution): Promise<boolean>;
}

/** Whether a resolution may settle a command now in `status` (see `resolveParked`). */
function settles(status: ParkedStatus, next: ParkedResolution['status']): boolean {
  return status === 'parked' || (status === 'stale' && next === 'replayed');
}

/** A lease nobody can take away: resolves `lost` only never. */
function inProcessLease(onRelease: () => void): Lease {
  let released = false;
  return {
    lost: new Promise<void>(() => undefined),
    release: () => {
      if (!released) {
        released = true;
        onRelease();
      }
      return Promise.resolve();
    },
  };
}

/** For the memory event store (tests, backtests): everything in this process. */
export class MemoryEngineStore implements EngineStore {
  readonly #holders = new Set<string>();
  readonly #checkpoints = new Map<string, { position: number; accounts: Set<string> }>();
  readonly #parked: ParkedCommand[] = [];
  #nextParkedId = 1;

  tryAcquire(name: string): Promise<Lease | undefined> {
    if (this.#holders.has(name)) return Promise.resolve(undefined);
    this.#holders.add(name);
    return Promise.resolve(inProcessLease(() => this.#holders.delete(name)));
  }

  load(name: string): Promise<EngineCheckpoint> {
    const saved = this.#checkpoints.get(name);
    return Promise.resolve({
      position: saved?.position ?? 0,
      accounts: new Set(saved?.accounts ?? []),
    });
  }

  save(
    name: string,
    position: number,
    changes: { readonly add: readonly string[]; readonly remove: readonly string[] },
  ): Promise<void> {
    const saved = this.#checkpoints.get(name) ?? { position: 0, accounts: new Set<string>() };
    saved.position = position;
    for (const id of changes.add) saved.accounts.add(id);
    for (const id of changes.remove) saved.accounts.delete(id);
    this.#checkpoints.set(name, saved);
    return Promise.resolve();
  }

  park(command: ParkCommand): Promise<void> {
    this.#parked.push({
      ...command,
      id: this.#nextParkedId++,
      expected: command.expected ?? null,
      market: command.market ?? null,
      status: 'parked',
      resolvedAt: null,
      resolution: null,
    });
    return Promise.resolve();
  }

  parked(
    name: string,
    options: { readonly includeResolved?: boolean } = {},
  ): Promise<ParkedCommand[]> {
    return Promise.resolve(
      this.#parked.filter(
        (p) => p.engine === name && (options.includeResolved === true || p.status === 'parked'),
      ),
    );
  }

  resolveParked(name: string, id: number, resolution: ParkedResolution): Promise<boolean> {
    const at = this.#parked.findIndex(
      (p) => p.engine === name && p.id === id && settles(p.status, resolution.status),
    );
    const found = this.#parked[at];
    if (found === undefined) return Promise.resolve(false);
    this.#parked[at] = {
      ...found,
      status: resolution.status,
      resolvedAt: resolution.at,
      resolution: resolution.detail,
    };
    return Promise.resolve(true);
  }
}

/** PGlite databases with an engine holding the lease (one process owns a PGlite data dir). */
const pgliteHolders = new WeakMap<SqlDatabase, Set<string>>();

/**
 * Engine persistence in the SQL database (PostgreSQL or PGlite): tables `engine_checkpoints`,
 * `engine_accounts` and `engine_parked`. The lease is a session-level advisory lock held on a
 * connection of its own on PostgreSQL — when the process dies, its connection closes and the
 * lock is released for a standby. PGlite has one session, shared by every client of the one
 * process that may open its data directory, so there the lease is in-process.
 */
export class SqlEngineStore implements EngineStore {
  #prepared: Promise<void> | undefined;
  readonly #schema: string;

  constructor(
    private readonly database: SqlDatabase,
    options: { readonly schema?: string } = {},
  ) {
    this.#schema = options.schema ?? 'public';
  }

  #table(name: string): string {
    return `"${this.#schema}".${name}`;
  }

  /** Creates the tables when missing (idempotent, safe with concurrent starters). */
  prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      const client = await this.database.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('engine_tables'))`);
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.#schema}"`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.#table('engine_checkpoints')} (
             name text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
        );
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.#table('engine_accounts')} (
             name text NOT NULL, account_id text NOT NULL, PRIMARY KEY (name, account_id))`,
        );
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.#table('engine_parked')} (
             id bigserial PRIMARY KEY, name text NOT NULL, account_id text NOT NULL,
             order_id text NOT NULL, action text NOT NULL, reason text NOT NULL,
             attempts integer NOT NULL, parked_at timestamptz NOT NULL)`,
        );
        // What a replay needs, and how it went (tables made before replays existed get them).
        await client.query(
          `ALTER TABLE ${this.#table('engine_parked')}
             ADD COLUMN IF NOT EXISTS expected json,
             ADD COLUMN IF NOT EXISTS market json,
             ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'parked',
             ADD COLUMN IF NOT EXISTS resolved_at timestamptz,
             ADD COLUMN IF NOT EXISTS resolution text`,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        this.#prepared = undefined;
        throw error;
      } finally {
        client.release();
      }
    })();
    return this.#prepared;
  }

  async tryAcquire(name: string): Promise<Lease | undefined> {
    await this.prepare();
    if (this.database.kind === 'pglite') {
      let holders = pgliteHolders.get(this.database);
      if (!holders) pgliteHolders.set(this.database, (holders = new Set()));
      const set = holders;
      if (set.has(name)) return undefined;
      set.add(name);
      return inProcessLease(() => set.delete(name));
    }
    const client = await this.database.pool.connect();
    const key = `engine:${this.#schema}:${name}`;
    let locked = false;
    try {
      const result = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [key],
      );
      locked = result.rows[0]?.locked === true;
    } finally {
      if (!locked) client.release();
    }
    if (!locked) return undefined;
    return advisoryLease(client, key);
  }

  async load(name: string): Promise<EngineCheckpoint> {
    await this.prepare();
    const position = await this.database.pool.query<{ position: string }>(
      `SELECT position FROM ${this.#table('engine_checkpoints')} WHERE name = $1`,
      [name],
    );
    const accounts = await this.database.pool.query<{ account_id: string }>(
      `SELECT account_id FROM ${this.#table('engine_accounts')} WHERE name = $1`,
      [name],
    );
    return {
      position: Number(position.rows[0]?.position ?? 0),
      accounts: new Set(accounts.rows.map((r) => r.account_id)),
    };
  }

  async save(
    name: string,
    position: number,
    changes: { readonly add: readonly string[]; readonly remove: readonly string[] },
  ): Promise<void> {
    await this.prepare();
    const client = await this.database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO ${this.#table('engine_checkpoints')} (name, position, updated_at)
         VALUES ($1, $2, now())
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()`,
        [name, position],
      );
      if (changes.add.length > 0) {
        await client.query(
          `INSERT INTO ${this.#table('engine_accounts')} (name, account_id)
           SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
          [name, changes.add],
        );
      }
      if (changes.remove.length > 0) {
        await client.query(
          `DELETE FROM ${this.#table('engine_accounts')} WHERE name = $1 AND account_id = ANY($2::text[])`,
          [name, changes.remove],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async park(command: ParkCommand): Promise<void> {
    await this.prepare();
    await this.database.pool.query(
      `INSERT INTO ${this.#table('engine_parked')}
         (name, account_id, order_id, action, reason, attempts, parked_at, expected, market)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        command.engine,
        command.accountId,
        command.orderId,
        command.action,
        command.reason,
        command.attempts,
        command.at,
        command.expected === undefined ? null : JSON.stringify(command.expected),
        command.market === undefined ? null : JSON.stringify(command.market),
      ],
    );
  }

  async parked(
    name: string,
    options: { readonly includeResolved?: boolean } = {},
  ): Promise<ParkedCommand[]> {
    await this.prepare();
    const result = await this.database.pool.query<{
      id: string | number;
      account_id: string;
      order_id: string;
      action: string;
      reason: string;
      attempts: number;
      parked_at: Date;
      expected: OrderVersion | null;
      market: MarketContext | null;
      status: ParkedStatus;
      resolved_at: Date | null;
      resolution: string | null;
    }>(
      `SELECT id, account_id, order_id, action, reason, attempts, parked_at, expected, market,
              status, resolved_at, resolution
       FROM ${this.#table('engine_parked')}
       WHERE name = $1 AND ($2 OR status = 'parked') ORDER BY id`,
      [name, options.includeResolved === true],
    );
    return result.rows.map((r) => ({
      id: Number(r.id),
      engine: name,
      accountId: r.account_id,
      orderId: r.order_id,
      action: r.action,
      reason: r.reason,
      attempts: r.attempts,
      at: new Date(r.parked_at).toISOString(),
      expected: r.expected,
      market: r.market,
      status: r.status,
      resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at).toISOString(),
      resolution: r.resolution,
    }));
  }

  async resolveParked(name: string, id: number, resolution: ParkedResolution): Promise<boolean> {
    await this.prepare();
    const result = await this.database.pool.query(
      `UPDATE ${this.#table('engine_parked')}
         SET status = $3, resolved_at = $4, resolution = $5
       WHERE name = $1 AND id = $2
         AND (status = 'parked' OR (status = 'stale' AND $3 = 'replayed'))`,
      [name, id, resolution.status, resolution.at, resolution.detail],
    );
    return (result.rowCount ?? 0) > 0;
  }
}

/** Holds a session advisory lock on a checked-out client until released or the connection dies. */
function advisoryLease(client: pg.PoolClient, key: string): Lease {
  let markLost: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  let released = false;
  const onError = (): void => {
    markLost();
  };
  client.on('error', onError);
  client.on('end', onError);
  // A dead connection does not always announce itself (a half-open socket, a missed FATAL
  // message): probe it, so the holder learns it lost the lock within a second or so.
  const probe = setInterval(() => {
    client.query('SELECT 1').catch(onError);
  }, 1000);
  probe.unref();
  void lost.then(() => {
    clearInterval(probe);
  });
  return {
    lost,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(probe);
      client.off('error', onError);
      client.off('end', onError);
      try {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
        client.release();
      } catch (error) {
        // The connection is gone, and the lock with it.
        client.release(error instanceof Error ? error : true);
      }
    },
  };
}
