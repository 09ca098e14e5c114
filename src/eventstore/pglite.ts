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
}): Promise<SqlEventStore> {
  return SqlEventStore.open({
    kind: options.database.kind,
    pool: options.database.sql,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
}
