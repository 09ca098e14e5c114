import type { SqlDatabase } from './database.ts';
import { SqlEventStore } from './sql/store.ts';

/**
 * The `postgres` adapter: node-postgres against a PostgreSQL server (used when DATABASE_URL
 * is set). The database is opened by the caller (`openPostgresDatabase`) and shared with the
 * read models; closing the store leaves it open.
 */
export function openPostgresEventStore(options: {
  readonly database: SqlDatabase;
  readonly schema?: string;
  readonly pollMs?: number;
  /** Append calls in flight at once before appends are grouped (default: the pool's size). */
  readonly maxConcurrentAppends?: number;
}): Promise<SqlEventStore> {
  return SqlEventStore.open({
    kind: options.database.kind,
    pool: options.database.sql,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.maxConcurrentAppends === undefined
      ? {}
      : { maxConcurrentAppends: options.maxConcurrentAppends }),
  });
}
