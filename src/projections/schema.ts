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
