import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { SqlBarStore } from '../../src/history/index.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';
import { barStoreContract } from './store-contract.ts';

describe('history: bar store contract on PGlite', function () {
  this.timeout(120_000);
  barStoreContract(async () => {
    const db = await sharedPglite();
    const schema = uniqueSchema('bars');
    return {
      store: new SqlBarStore(db, { schema }),
      dispose: async () => {
        await db.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      },
    };
  });
});

describe('history: bar store contract on PostgreSQL (COPY)', function () {
  this.timeout(120_000);
  let db: SqlDatabase;
  before(async function () {
    db = await openPostgresDatabase(await postgresUrl(this), 4);
  });
  after(async () => {
    await db.close();
  });
  barStoreContract(() => {
    const schema = uniqueSchema('bars');
    return Promise.resolve({
      store: new SqlBarStore(db, { schema }),
      dispose: async () => {
        await db.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      },
    });
  });
});
