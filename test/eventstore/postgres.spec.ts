import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres.ts';
import { uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';
import { eventStoreContract } from './contract.ts';

describe('event store contract: postgres', function () {
  this.timeout(60_000);
  let database: SqlDatabase;

  before(async function () {
    database = await openPostgresDatabase(await postgresUrl(this), 24);
  });
  after(async () => {
    await database.close();
  });

  eventStoreContract({
    async open() {
      const schema = uniqueSchema('es');
      // A short poll: writers on other connections do not wake this process's subscribers.
      const store = await openPostgresEventStore({ database, schema, pollMs: 20 });
      return {
        store,
        dispose: async () => {
          await store.close();
          await database.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
        },
      };
    },
  });
});
