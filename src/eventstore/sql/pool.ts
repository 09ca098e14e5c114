import pg from 'pg';

export interface SqlResult<R> {
  readonly rows: R[];
}

/** The little SQL surface the event store needs; implemented over `pg` and over PGlite. */
export interface SqlExecutor {
  /** A `name` makes it a prepared statement, parsed and planned once per connection. */
  query<R = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    name?: string,
  ): Promise<SqlResult<R>>;
}

export interface SqlPool extends SqlExecutor {
  /** Runs `fn` in one transaction on one connection; commits on success, rolls back on throw. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** One checked-out node-postgres connection, inside a transaction. */
class PgExecutor implements SqlExecutor {
  constructor(private readonly client: pg.PoolClient) {}

  async query<R>(sql: string, params?: readonly unknown[], name?: string): Promise<SqlResult<R>> {
    const result = await this.client.query({
      text: sql,
      values: params as unknown[] | undefined,
      ...(name === undefined ? {} : { name }),
    });
    return { rows: result.rows as R[] };
  }
}

/** A `pg.Pool` as an SqlPool. */
export class PgSqlPool implements SqlPool {
  constructor(
    readonly pool: pg.Pool,
    private readonly owned = true,
  ) {}

  static fromUrl(url: string, max = 20): PgSqlPool {
    const pool = new pg.Pool({ connectionString: url, max });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return new PgSqlPool(pool);
  }

  async query<R>(sql: string, params?: readonly unknown[], name?: string): Promise<SqlResult<R>> {
    const result = await this.pool.query({
      text: sql,
      values: params as unknown[] | undefined,
      ...(name === undefined ? {} : { name }),
    });
    return { rows: result.rows as R[] };
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.owned) await this.pool.end();
  }
}
