import type { SqlDatabase } from './database.ts';
import { SqlEventStore } from './sql/store.ts';

/**
 * The `pglite` adapter, the embedded default: the same SQL as the `postgres` adapter on
 * PGlite, so `npm start` needs no database server. The database is opened by the caller
 * (`openPgliteDatabase`) and shared with the read models; closing the store leaves it open.
 */
export function openPgliteEventStore(options: {
  readonly database: SqlDatabase;
  readonly schema?: string;
  /** Longest a subscriber waits before re-reading without a notification (default 1000 ms). */
  readonly pollMs?: number;
}): Promise<SqlEventStore> {
  return SqlEventStore.open({
    kind: options.database.kind,
    pool: options.database.sql,
    // Embedded PGlite has one process (the data directory is locked): every append is this
    // store's own and wakes its subscribers at once, so the poll is only a safety net.
    pollMs: options.pollMs ?? 1000,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
}
