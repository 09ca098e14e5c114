import { expect } from 'chai';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import type { ReadModelDb } from '../../src/projections/index.ts';
import { migrateReadModels } from '../../src/projections/schema.ts';
import { APP_ROLE, withTenant } from '../../src/projections/tenancy.ts';
import { UserQueries } from '../../src/projections/users.ts';
import { postgresUrl } from '../support/services.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

function tenancySuite(name: string, open: (ctx: Mocha.Context) => Promise<SqlDatabase>): void {
  describe(`row-level security on ${name}`, () => {
    let database: SqlDatabase;
    let db: Kysely<ReadModelDb>;
    let root: Kysely<ReadModelDb>;
    before(async function () {
      database = await open(this);
      const schema = uniqueSchema('rls');
      root = new Kysely<ReadModelDb>({ dialect: new PostgresDialect({ pool: database.pool }) });
      await migrateReadModels(root as unknown as Kysely<unknown>, schema);
      db = root.withSchema(schema);
      // The projector (table owner) writes two tenants' rows.
      for (const [user, key] of [
        ['tenant-a', 'key-a'],
        ['tenant-b', 'key-b'],
      ] as const) {
        await db
          .insertInto('users')
          .values({
            user_id: user,
            owner_id: user,
            email: `${user}@example.com`,
            display_name: user,
            roles: '["trader"]',
            created_at: new Date(),
            updated_at: new Date(),
            last_login_at: null,
          })
          .execute();
        await db
          .insertInto('api_keys')
          .values({
            key_id: key,
            owner_id: user,
            name: key,
            scopes: '["read"]',
            created_at: new Date(),
            revoked_at: null,
            last_used_at: null,
          })
          .execute();
      }
    });

    it('runs queries as the application role, which has no BYPASSRLS and is no superuser', async () => {
      const row = await withTenant(db, { tenant: 'tenant-a' }, async (trx) => {
        const r = await sql<{
          who: string;
          bypass: boolean;
          superuser: boolean;
        }>`SELECT current_user AS who, rolbypassrls AS bypass, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`.execute(
          trx,
        );
        return r.rows[0];
      });
      expect(row).to.deep.equal({ who: APP_ROLE, bypass: false, superuser: false });
    });

    it('sees zero rows without a tenant context', async () => {
      const users = await withTenant(db, { none: true }, (trx) =>
        trx.selectFrom('users').selectAll().execute(),
      );
      const keys = await withTenant(db, { none: true }, (trx) =>
        trx.selectFrom('api_keys').selectAll().execute(),
      );
      expect(users).to.have.length(0);
      expect(keys).to.have.length(0);
    });

    it("sees none of the first tenant's rows with another tenant's id", async () => {
      const rows = await withTenant(db, { tenant: 'tenant-b' }, (trx) =>
        trx.selectFrom('users').select('owner_id').execute(),
      );
      expect(rows.map((r) => r.owner_id)).to.deep.equal(['tenant-b']);
      const keys = await new UserQueries(db).listApiKeys({ tenant: 'tenant-b' });
      expect(keys.map((k) => k.keyId)).to.deep.equal(['key-b']);
    });

    it('even an explicit filter for another tenant returns nothing', async () => {
      const rows = await withTenant(db, { tenant: 'tenant-b' }, (trx) =>
        trx.selectFrom('api_keys').selectAll().where('owner_id', '=', 'tenant-a').execute(),
      );
      expect(rows).to.have.length(0);
    });

    it("cannot update another tenant's row", async () => {
      const result = await withTenant(db, { tenant: 'tenant-b' }, (trx) =>
        trx
          .updateTable('api_keys')
          .set({ last_used_at: new Date() })
          .where('key_id', '=', 'key-a')
          .executeTakeFirst(),
      );
      expect(Number(result.numUpdatedRows)).to.equal(0);
    });

    it('cannot write columns it was not granted', async () => {
      let failed = false;
      try {
        await withTenant(db, { tenant: 'tenant-a' }, (trx) =>
          trx.updateTable('users').set({ display_name: 'x' }).execute(),
        );
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
    });

    it('auditors and admins read every row through the explicit reader policy', async () => {
      const rows = await withTenant(db, { reader: 'auditor' }, (trx) =>
        trx.selectFrom('users').select('owner_id').orderBy('owner_id').execute(),
      );
      expect(rows.map((r) => r.owner_id)).to.deep.equal(['tenant-a', 'tenant-b']);
    });

    it('the audit log is invisible to tenants', async () => {
      const rows = await withTenant(db, { tenant: 'tenant-a' }, (trx) =>
        trx.selectFrom('audit_log').selectAll().execute(),
      );
      expect(rows).to.have.length(0);
    });

    it('the tenant setting does not outlive its transaction', async () => {
      await withTenant(db, { tenant: 'tenant-a' }, () => Promise.resolve());
      const r = await sql<{
        t: string | null;
        who: string;
      }>`SELECT current_setting('app.tenant_id', true) AS t, current_user AS who`.execute(root);
      expect(r.rows[0]?.t ?? '').to.equal('');
      expect(r.rows[0]?.who).not.to.equal(APP_ROLE);
    });

    it('migrations are idempotent', async () => {
      const schema = uniqueSchema('rls_again');
      expect(await migrateReadModels(root as unknown as Kysely<unknown>, schema)).to.deep.equal([
        1, 2, 3, 4, 5,
      ]);
      expect(await migrateReadModels(root as unknown as Kysely<unknown>, schema)).to.deep.equal([]);
    });
  });
}

tenancySuite('PGlite', () => sharedPglite());

let pgDatabase: SqlDatabase | undefined;
tenancySuite('PostgreSQL', async (ctx) => {
  pgDatabase ??= await openPostgresDatabase(await postgresUrl(ctx), 4);
  return pgDatabase;
});
after(async () => {
  await pgDatabase?.close();
});
