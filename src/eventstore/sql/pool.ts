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
  /** Connections the pool opens at most, when known. */
  readonly size?: number;
  /** Runs `fn` in one transaction on one connection; commits on success, rolls back on throw. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

/** node-postgres (a pool, or one checked-out connection inside a transaction) as an SqlExecutor. */
class PgExecutor implements SqlExecutor {
  constructor(private readonly target: pg.Pool | pg.PoolClient) {}

  async query<R>(sql: string, params?: readonly unknown[], name?: string): Promise<SqlResult<R>> {
    const result = await this.target.query({
      text: sql,
      values: params as unknown[] | undefined,
      ...(name === undefined ? {} : { name }),
    });
    return { rows: result.rows as R[] };
  }
}

/**
 * A `pg.Pool` as an SqlPool. The pool belongs to the `SqlDatabase` that made it (which closes
 * it); this is only the event store's view of it.
 */
export class PgSqlPool implements SqlPool {
  readonly #executor: PgExecutor;

  constructor(readonly pool: pg.Pool) {
    this.#executor = new PgExecutor(pool);
  }

  get size(): number {
    return this.pool.options.max;
  }

  query<R>(sql: string, params?: readonly unknown[], name?: string): Promise<SqlResult<R>> {
    return this.#executor.query<R>(sql, params, name);
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
}
