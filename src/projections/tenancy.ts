import { sql, type Kysely, type Transaction } from 'kysely';

/**
 * Tenant isolation in the database. Read-model tables with tenant data carry `owner_id` and
 * have row-level security enabled and forced; application queries run through `withTenant`,
 * which opens a transaction, switches to `APP_ROLE` (no BYPASSRLS, never a superuser) and sets
 * the tenant for that transaction only. Projections write as the connection's own user, which
 * owns the tables and has a policy of its own. See docs/security.md.
 */

/** The role application queries run as. Cluster-wide; created by the read-model migration. */
export const APP_ROLE = 'paper_trading_app';

/** Who a query runs for. */
export type ReadAccess =
  /** Rows of one tenant (a user id). */
  | { readonly tenant: string }
  /** Every row, read-only: auditors and admins, by an explicit policy. */
  | { readonly reader: 'auditor' | 'admin' }
  /** No tenant context at all: sees nothing (what a forgotten context gets). */
  | { readonly none: true };

/**
 * Runs `work` in a transaction as `APP_ROLE` with `app.tenant_id` (or `app.reader_role`) set
 * locally, so every statement inside is filtered by the tables' policies. The settings and the
 * role end with the transaction: a pooled connection never carries them to the next user.
 */
export async function withTenant<DB, T>(
  db: Kysely<DB>,
  access: ReadAccess,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  const tenant = 'tenant' in access ? access.tenant : '';
  const reader = 'reader' in access ? access.reader : '';
  return db.transaction().execute(async (trx) => {
    // One statement: `set_config('role', …, true)` is `SET LOCAL ROLE` (the same privilege
    // check), so the role and both settings take one round trip.
    await sql`SELECT set_config('app.tenant_id', ${tenant}, true), set_config('app.reader_role', ${reader}, true), set_config('role', ${APP_ROLE}, true)`.execute(
      trx,
    );
    return work(trx);
  });
}

/** Creates `APP_ROLE` if missing and lets the current user switch to it. */
export const CREATE_APP_ROLE = `
DO $$
BEGIN
  CREATE ROLE ${APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$
BEGIN
  -- A superuser may SET ROLE to any role; anyone else needs membership.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT %I TO %I', '${APP_ROLE}', current_user);
  END IF;
EXCEPTION WHEN duplicate_object OR insufficient_privilege THEN NULL;
END $$;
`;

/**
 * SQL that protects a tenant table: RLS enabled and forced, the tenant policy for `APP_ROLE`,
 * the auditor/admin read policy, and a policy for the table owner (the projector).
 */
export function tenantTableSql(table: string, options: { tenantPolicy?: boolean } = {}): string {
  const tenantPolicy = options.tenantPolicy ?? true;
  return `
ALTER TABLE {schema}.${table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {schema}.${table} FORCE ROW LEVEL SECURITY;
${
  tenantPolicy
    ? `CREATE POLICY ${table}_tenant ON {schema}.${table} TO ${APP_ROLE}
  USING (owner_id = current_setting('app.tenant_id', true))
  WITH CHECK (owner_id = current_setting('app.tenant_id', true));`
    : ''
}
CREATE POLICY ${table}_readers ON {schema}.${table} FOR SELECT TO ${APP_ROLE}
  USING (current_setting('app.reader_role', true) IN ('auditor', 'admin'));
CREATE POLICY ${table}_projector ON {schema}.${table} TO CURRENT_USER USING (true) WITH CHECK (true);
`;
}
