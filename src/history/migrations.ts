/**
 * Forward-only migrations of the time-series store: schema `market_data`, beside the event
 * store's and the read models' schemas in the same database (PostgreSQL or PGlite). Each runs
 * once, in a transaction, under an advisory lock, like `src/eventstore/sql/migrations.ts`.
 *
 * Layout (ADR 0008): one `bars` table keyed by `(symbol, timeframe, ts)` — the key makes a
 * re-import idempotent and serves every per-symbol range scan — plus a BRIN index on `ts` for
 * time-window scans across symbols (the replay feed). `bar_series` is the catalog that
 * `data list` and the bars route read instead of scanning `bars`.
 */
import { quoteIdent } from '../eventstore/sql/migrations.ts';
import type { SqlPool } from '../eventstore/sql/pool.ts';

export const BARS_SCHEMA = 'market_data';

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'bars and the series catalog',
    sql: `
CREATE TABLE {schema}.bars (
  symbol      text NOT NULL,
  timeframe   text NOT NULL CHECK (timeframe IN ('1Min', '1Day')),
  ts          timestamptz NOT NULL,
  open        numeric NOT NULL,
  high        numeric NOT NULL,
  low         numeric NOT NULL,
  close       numeric NOT NULL,
  volume      double precision NOT NULL DEFAULT 0,
  vwap        numeric,
  trade_count bigint,
  PRIMARY KEY (symbol, timeframe, ts)
);
CREATE INDEX bars_ts_brin ON {schema}.bars USING brin (ts) WITH (pages_per_range = 32);

CREATE TABLE {schema}.bar_series (
  symbol     text NOT NULL,
  timeframe  text NOT NULL,
  source     text NOT NULL CHECK (source IN ('import', 'generated')),
  first_ts   timestamptz NOT NULL,
  last_ts    timestamptz NOT NULL,
  bar_count  bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, timeframe)
);
`,
  },
];

/** Applies every pending migration to `schema`; safe to call from several processes at once. */
export async function migrateBars(pool: SqlPool, schema = BARS_SCHEMA): Promise<number[]> {
  const s = quoteIdent(schema);
  const applied: number[] = [];
  await pool.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`market-data-migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.bar_migrations (
         version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await tx.query<{ version: number | string }>(
      `SELECT version FROM ${s}.bar_migrations`,
    );
    const have = new Set(done.rows.map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await tx.query(m.sql.replaceAll('{schema}', s));
      await tx.query(`INSERT INTO ${s}.bar_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
  });
  return applied;
}
