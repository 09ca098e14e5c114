import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { PgSqlPool } from './sql/pool.ts';

/**
 * The SQL database the event store and the read models share: a PostgreSQL server when a
 * URL is given, otherwise embedded PGlite in a data directory.
 */
export interface SqlDatabase {
  readonly kind: 'postgres' | 'pglite';
  /** node-postgres pool (for PGlite: one client over PGlite's node-postgres shim). */
  readonly pool: pg.Pool;
  /** The same pool as the event store's SQL surface; closing it is a no-op (close the database). */
  readonly sql: PgSqlPool;
  close(): Promise<void>;
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
  return { kind: 'postgres', pool, sql: new PgSqlPool(pool, false), close: () => pool.end() };
}

/**
 * Opens (creating when needed) embedded PGlite in `dataDir` (`memory://` keeps it in RAM).
 * Every user goes through one node-postgres client, so PGlite's single session is never
 * shared by two transactions at once.
 */
export async function openPgliteDatabase(dataDir: string): Promise<SqlDatabase> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const pool = new pg.Pool(Object.assign(createPgConfig(db), { max: 1 }));
  pool.on('error', () => undefined);
  return {
    kind: 'pglite',
    pool,
    sql: new PgSqlPool(pool, false),
    close: async () => {
      await pool.end();
      await db.close();
    },
  };
}
