import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PipelinedPgliteConnection } from './pglite-connection.ts';
import { PgSqlPool } from './sql/pool.ts';
import { DEFAULT_VACUUM_INTERVAL_MS, EmbeddedAutovacuum } from './sql/vacuum.ts';

/**
 * The SQL database the event store and the read models share: a PostgreSQL server when a
 * URL is given, otherwise embedded PGlite in a data directory.
 */
export interface SqlDatabase {
  readonly kind: 'postgres' | 'pglite';
  /** node-postgres pool (for PGlite: one client over PGlite's node-postgres shim). */
  readonly pool: pg.Pool;
  /** The same pool as the event store's SQL surface (close the database, not this). */
  readonly sql: PgSqlPool;
  /** PGlite's stand-in for autovacuum (`sql/vacuum.ts`); absent on a server or when off. */
  readonly autovacuum?: EmbeddedAutovacuum;
  close(): Promise<void>;
}

export interface PgliteOptions {
  /**
   * How often the embedded autovacuum looks for tables to vacuum or analyze (default 10 s;
   * 0 turns it off). PGlite has no autovacuum of its own.
   */
  readonly vacuumIntervalMs?: number;
  /** A failed vacuum round (the next one still runs; default: a process warning). */
  readonly onVacuumError?: (error: unknown) => void;
}

export async function openPostgresDatabase(url: string, poolSize = 20): Promise<SqlDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { kind: 'postgres', pool, sql: new PgSqlPool(pool), close: () => pool.end() };
}

/**
 * Opens (creating when needed) embedded PGlite in `dataDir` (`memory://` keeps it in RAM).
 * Every user goes through one node-postgres client, so PGlite's single session is never
 * shared by two transactions at once.
 */
export async function openPgliteDatabase(
  dataDir: string,
  options: PgliteOptions = {},
): Promise<SqlDatabase> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  // A new 16 MB WAL segment is otherwise zero-filled by the commit that needs it: under a
  // steady write load, one commit every second or so stalled the whole process (PGlite runs on
  // this thread) for ~40 ms, the largest part of the order latency's tail. Without the zero pass
  // the segment is a sparse file of full length (PGlite runs with fsync off: no durability lost).
  await db.exec('SET wal_init_zero = off');
  // Each client gets a fresh connection: node-postgres destroys a client after a failed
  // `pool.query`, and a shared connection would stay dead after that.
  class PgliteClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      // `connection` is a node-postgres constructor option its typings do not list.
      const options: pg.ClientConfig & { connection: PipelinedPgliteConnection } = {
        ...config,
        connection: new PipelinedPgliteConnection({ pglite: db }),
      };
      super(options);
    }
  }
  const pool = new pg.Pool({ Client: PgliteClient, max: 1 });
  pool.on('error', () => undefined);
  const sql = new PgSqlPool(pool);
  const interval = options.vacuumIntervalMs ?? DEFAULT_VACUUM_INTERVAL_MS;
  const autovacuum =
    interval > 0
      ? new EmbeddedAutovacuum(sql, {
          intervalMs: interval,
          ...(options.onVacuumError ? { onError: options.onVacuumError } : {}),
        })
      : undefined;
  autovacuum?.start();
  return {
    kind: 'pglite',
    pool,
    sql,
    ...(autovacuum ? { autovacuum } : {}),
    close: async () => {
      await autovacuum?.stop();
      await pool.end();
      await db.close();
    },
  };
}
