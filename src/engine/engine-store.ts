import type pg from 'pg';
import type { SqlDatabase } from '../eventstore/database.ts';

/** A command the engine gave up on after its retries, kept for an operator to look at. */
export interface ParkedCommand {
  readonly engine: string;
  readonly accountId: string;
  readonly orderId: string;
  /** The evaluation that led to it: `fill`, `trigger`, `expire`, `update_water_mark`. */
  readonly action: string;
  readonly reason: string;
  readonly attempts: number;
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
  park(command: ParkedCommand): Promise<void>;
  parked(name: string): Promise<ParkedCommand[]>;
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

  park(command: ParkedCommand): Promise<void> {
    this.#parked.push(command);
    return Promise.resolve();
  }

  parked(name: string): Promise<ParkedCommand[]> {
    return Promise.resolve(this.#parked.filter((p) => p.engine === name));
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

  async park(command: ParkedCommand): Promise<void> {
    await this.prepare();
    await this.database.pool.query(
      `INSERT INTO ${this.#table('engine_parked')} (name, account_id, order_id, action, reason, attempts, parked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        command.engine,
        command.accountId,
        command.orderId,
        command.action,
        command.reason,
        command.attempts,
        command.at,
      ],
    );
  }

  async parked(name: string): Promise<ParkedCommand[]> {
    await this.prepare();
    const result = await this.database.pool.query<{
      account_id: string;
      order_id: string;
      action: string;
      reason: string;
      attempts: number;
      parked_at: Date;
    }>(
      `SELECT account_id, order_id, action, reason, attempts, parked_at
       FROM ${this.#table('engine_parked')} WHERE name = $1 ORDER BY id`,
      [name],
    );
    return result.rows.map((r) => ({
      engine: name,
      accountId: r.account_id,
      orderId: r.order_id,
      action: r.action,
      reason: r.reason,
      attempts: r.attempts,
      at: new Date(r.parked_at).toISOString(),
    }));
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
