import { PgSqlPool } from './sql/pool.ts';
import { SqlEventStore } from './sql/store.ts';

export interface PostgresEventStoreOptions {
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
  readonly pollMs?: number;
}

/** The `postgres` adapter: node-postgres against a PostgreSQL server (used when DATABASE_URL is set). */
export function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<SqlEventStore> {
  const pool = PgSqlPool.fromUrl(options.url, options.poolSize ?? 20);
  return SqlEventStore.open({
    kind: 'postgres',
    pool,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  }).catch(async (error: unknown) => {
    await pool.close();
    throw error;
  });
}
