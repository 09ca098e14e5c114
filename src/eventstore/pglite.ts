import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PgliteSqlPool } from './sql/pool.ts';
import { SqlEventStore } from './sql/store.ts';

export interface PgliteEventStoreOptions {
  /** Directory of the embedded database, or an existing PGlite instance to share. */
  readonly dataDir?: string;
  readonly db?: PGlite;
  readonly schema?: string;
}

/** Opens (creating when needed) an embedded PGlite database in `dataDir`; `memory://` keeps it in RAM. */
export async function openPglite(dataDir: string): Promise<PGlite> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return db;
}

/**
 * The `pglite` adapter, the embedded default: the same SQL as the `postgres` adapter on
 * PGlite, so `npm start` needs no database server. One embedded session serializes all
 * work, so a subscriber in this process is woken by appends directly.
 */
export async function openPgliteEventStore(
  options: PgliteEventStoreOptions,
): Promise<SqlEventStore> {
  const owned = options.db === undefined;
  const db = options.db ?? (await openPglite(options.dataDir ?? 'memory://'));
  const pool = new PgliteSqlPool(db, owned);
  return SqlEventStore.open({
    kind: 'pglite',
    pool,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
}
