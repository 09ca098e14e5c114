import { sql, type Kysely } from 'kysely';
import { APP_ROLE, CREATE_APP_ROLE, tenantTableSql } from './tenancy.ts';

/**
 * Forward-only migrations of the read-model tables (beside the projections' checkpoints).
 * `{schema}` stands for the quoted schema. A new tenant table: create it with `owner_id text NOT
 * NULL`, append `tenantTableSql(table)` and grant `APP_ROLE` what the API needs.
 */
const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'users, api keys, audit log; application role and row-level security',
    sql: `
${CREATE_APP_ROLE}
GRANT USAGE ON SCHEMA {schema} TO ${APP_ROLE};

CREATE TABLE {schema}.users (
  user_id       text PRIMARY KEY,
  owner_id      text NOT NULL,
  email         text NOT NULL,
  display_name  text NOT NULL,
  roles         jsonb NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  last_login_at timestamptz
);
CREATE INDEX users_owner ON {schema}.users (owner_id);
CREATE INDEX users_email ON {schema}.users (email);
${tenantTableSql('users')}
GRANT SELECT ON {schema}.users TO ${APP_ROLE};

CREATE TABLE {schema}.api_keys (
  key_id       text PRIMARY KEY,
  owner_id     text NOT NULL,
  name         text NOT NULL,
  scopes       jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_keys_owner ON {schema}.api_keys (owner_id);
${tenantTableSql('api_keys')}
GRANT SELECT ON {schema}.api_keys TO ${APP_ROLE};
GRANT UPDATE (last_used_at) ON {schema}.api_keys TO ${APP_ROLE};

CREATE TABLE {schema}.audit_log (
  position       bigint PRIMARY KEY,
  recorded_at    timestamptz NOT NULL,
  stream_id      text NOT NULL,
  event_type     text NOT NULL,
  outcome        text NOT NULL,
  actor          text,
  role           text,
  source         text,
  ip             text,
  correlation_id text,
  code           text,
  detail         text
);
CREATE INDEX audit_log_actor ON {schema}.audit_log (actor, position);
CREATE INDEX audit_log_correlation ON {schema}.audit_log (correlation_id);
CREATE INDEX audit_log_recorded ON {schema}.audit_log (recorded_at);
${tenantTableSql('audit_log', { tenantPolicy: false })}
GRANT SELECT ON {schema}.audit_log TO ${APP_ROLE};
`,
  },
  {
    version: 2,
    name: 'trading read models: accounts, orders, positions, fills, balance history',
    sql: `
-- Per projection and account, the account state folded with the domain's own evolve (open
-- orders only), so each batch continues exactly where the last one stopped. Internal: the
-- application role is granted nothing on it.
CREATE TABLE {schema}.account_folds (
  projection      text NOT NULL,
  account_id      text NOT NULL,
  owner_id        text NOT NULL,
  opened_position bigint NOT NULL,
  position        bigint NOT NULL,
  state           jsonb NOT NULL,
  PRIMARY KEY (projection, account_id)
);
${tenantTableSql('account_folds')}

CREATE TABLE {schema}.accounts (
  account_id        text PRIMARY KEY,
  owner_id          text NOT NULL,
  name              text NOT NULL,
  status            text NOT NULL,
  account_type      text NOT NULL,
  settings          jsonb NOT NULL,
  cash              numeric NOT NULL,
  buying_power      numeric NOT NULL,
  reserved          numeric NOT NULL,
  position_basis    numeric NOT NULL,
  gross_exposure    numeric NOT NULL,
  realized_pl       numeric NOT NULL,
  fees_paid         numeric NOT NULL,
  total_deposits    numeric NOT NULL,
  total_withdrawals numeric NOT NULL,
  open_orders       integer NOT NULL,
  position_count    integer NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  opened_position   bigint NOT NULL,
  last_position     bigint NOT NULL
);
CREATE INDEX accounts_owner ON {schema}.accounts (owner_id, opened_position);
CREATE UNIQUE INDEX accounts_opened ON {schema}.accounts (opened_position);
${tenantTableSql('accounts')}
GRANT SELECT ON {schema}.accounts TO ${APP_ROLE};

CREATE TABLE {schema}.orders (
  order_id         text PRIMARY KEY,
  account_id       text NOT NULL,
  owner_id         text NOT NULL,
  client_order_id  text NOT NULL,
  symbol           text NOT NULL,
  asset_class      text NOT NULL,
  side             text NOT NULL,
  type             text NOT NULL,
  time_in_force    text NOT NULL,
  order_class      text NOT NULL,
  status           text NOT NULL,
  is_open          boolean NOT NULL,
  qty              numeric NOT NULL,
  filled_qty       numeric NOT NULL,
  filled_avg_price numeric,
  parent_id        text,
  leg_role         text,
  replaces         text,
  replaced_by      text,
  reject_reason    text,
  reject_message   text,
  data             jsonb NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  failed_at        timestamptz,
  placed_position  bigint NOT NULL,
  last_position    bigint NOT NULL
);
CREATE INDEX orders_account ON {schema}.orders (account_id, placed_position);
CREATE INDEX orders_account_open ON {schema}.orders (account_id, is_open, placed_position);
CREATE INDEX orders_client_order_id ON {schema}.orders (account_id, client_order_id);
CREATE INDEX orders_parent ON {schema}.orders (parent_id) WHERE parent_id IS NOT NULL;
${tenantTableSql('orders')}
GRANT SELECT ON {schema}.orders TO ${APP_ROLE};

CREATE TABLE {schema}.positions (
  account_id      text NOT NULL,
  symbol          text NOT NULL,
  owner_id        text NOT NULL,
  instrument      jsonb NOT NULL,
  asset_class     text NOT NULL,
  qty             numeric NOT NULL,
  cost_basis      numeric NOT NULL,
  avg_entry_price numeric NOT NULL,
  realized_pl     numeric NOT NULL,
  updated_at      timestamptz NOT NULL,
  last_position   bigint NOT NULL,
  PRIMARY KEY (account_id, symbol)
);
${tenantTableSql('positions')}
GRANT SELECT ON {schema}.positions TO ${APP_ROLE};

CREATE TABLE {schema}.fills (
  position            bigint PRIMARY KEY,
  fill_id             text NOT NULL,
  account_id          text NOT NULL,
  owner_id            text NOT NULL,
  order_id            text NOT NULL,
  symbol              text NOT NULL,
  side                text NOT NULL,
  qty                 numeric NOT NULL,
  price               numeric NOT NULL,
  multiplier          integer NOT NULL,
  gross_amount        numeric NOT NULL,
  commission          numeric NOT NULL,
  sec_fee             numeric NOT NULL,
  taf                 numeric NOT NULL,
  cash_delta          numeric NOT NULL,
  realized_pl         numeric NOT NULL,
  order_status        text NOT NULL,
  cumulative_qty      numeric NOT NULL,
  leaves_qty          numeric NOT NULL,
  avg_fill_price      numeric NOT NULL,
  position_qty        numeric NOT NULL,
  position_cost_basis numeric NOT NULL,
  quote               jsonb,
  auction             jsonb,
  model               jsonb NOT NULL,
  at                  timestamptz NOT NULL
);
CREATE INDEX fills_account ON {schema}.fills (account_id, position);
CREATE INDEX fills_order ON {schema}.fills (order_id, position);
${tenantTableSql('fills')}
GRANT SELECT ON {schema}.fills TO ${APP_ROLE};

-- One row per event that moved cash or a position: the cash and every holding right after it,
-- so the account's equity at any instant is cash + Σ qty × price at that instant.
CREATE TABLE {schema}.account_balances (
  account_id        text NOT NULL,
  position          bigint NOT NULL,
  owner_id          text NOT NULL,
  at                timestamptz NOT NULL,
  event_type        text NOT NULL,
  cash              numeric NOT NULL,
  total_deposits    numeric NOT NULL,
  total_withdrawals numeric NOT NULL,
  holdings          jsonb NOT NULL,
  PRIMARY KEY (account_id, position)
);
CREATE INDEX account_balances_at ON {schema}.account_balances (account_id, at, position);
${tenantTableSql('account_balances')}
GRANT SELECT ON {schema}.account_balances TO ${APP_ROLE};
`,
  },
  {
    version: 3,
    name: 'option positions: every option contract an account held, open or how it ended',
    sql: `
-- One row per account and OCC contract, kept after the position ends (closed by trading,
-- exercised, assigned or expired) so the history of option positions stays queryable.
CREATE TABLE {schema}.option_positions (
  account_id      text NOT NULL,
  symbol          text NOT NULL,
  owner_id        text NOT NULL,
  underlying      text NOT NULL,
  expiration      text NOT NULL,
  option_type     text NOT NULL,
  strike          numeric NOT NULL,
  multiplier      integer NOT NULL,
  qty             numeric NOT NULL,
  cost_basis      numeric NOT NULL,
  avg_entry_price numeric NOT NULL,
  realized_pl     numeric NOT NULL,
  status          text NOT NULL,
  opened_at       timestamptz NOT NULL,
  closed_at       timestamptz,
  updated_at      timestamptz NOT NULL,
  last_position   bigint NOT NULL,
  PRIMARY KEY (account_id, symbol)
);
CREATE INDEX option_positions_underlying ON {schema}.option_positions (account_id, underlying, expiration);
${tenantTableSql('option_positions')}
GRANT SELECT ON {schema}.option_positions TO ${APP_ROLE};
`,
  },
  {
    version: 4,
    name: 'backtest results: the full result of each finished backtest job, per owner',
    sql: `
-- Written by the backtest service (as the table owner) when a job completes; read by its owner.
-- The result is the exact JSON text of the run (text, not jsonb: key order is part of it).
CREATE TABLE {schema}.backtest_results (
  backtest_id  text PRIMARY KEY,
  owner_id     text NOT NULL,
  strategy     text NOT NULL,
  completed_at timestamptz NOT NULL,
  bytes        integer NOT NULL,
  result       text NOT NULL
);
CREATE INDEX backtest_results_owner ON {schema}.backtest_results (owner_id, completed_at);
${tenantTableSql('backtest_results')}
GRANT SELECT ON {schema}.backtest_results TO ${APP_ROLE};
`,
  },
  {
    version: 5,
    name: 'account folds as json text: stored and read whole, never queried inside',
    sql: `
-- jsonb parses every fold on each upsert and rebuilds the text on each read; a fold is only ever
-- written and read whole, so json (the text, checked once) costs a fraction of it. EXTERNAL:
-- out of line but uncompressed (compressing a few kB of state in every batch cost more than it
-- saved).
ALTER TABLE {schema}.account_folds ALTER COLUMN state TYPE json USING state::json;
ALTER TABLE {schema}.account_folds ALTER COLUMN state SET STORAGE EXTERNAL;
`,
  },
];

/** Applies pending read-model migrations; safe to run from several processes at once. */
export async function migrateReadModels(db: Kysely<unknown>, schema?: string): Promise<number[]> {
  const applied: number[] = [];
  await db.transaction().execute(async (trx) => {
    const target = schema ?? (await currentSchema(trx));
    const s = `"${target.replaceAll('"', '""')}"`;
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`read-models-migrate:${target}`}))`.execute(
      trx,
    );
    await sql.raw(`CREATE SCHEMA IF NOT EXISTS ${s}`).execute(trx);
    await sql
      .raw(
        `CREATE TABLE IF NOT EXISTS ${s}.read_model_migrations (
           version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      )
      .execute(trx);
    const done = await sql<{
      version: number;
    }>`SELECT version FROM ${sql.id(target)}.read_model_migrations`.execute(trx);
    const have = new Set(done.rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await sql.raw(m.sql.replaceAll('{schema}', s)).execute(trx);
      await sql`INSERT INTO ${sql.id(target)}.read_model_migrations (version, name) VALUES (${m.version}, ${m.name})`.execute(
        trx,
      );
      applied.push(m.version);
    }
  });
  return applied;
}

async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const result = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = result.rows[0]?.schema;
  if (!schema) throw new Error('The connection has no current schema');
  return schema;
}
