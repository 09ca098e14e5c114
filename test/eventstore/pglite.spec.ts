import { expect } from 'chai';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { eventStoreContract } from './contract.ts';

describe('event store contract: pglite', function () {
  this.timeout(60_000);
  eventStoreContract({
    async open() {
      const database = await sharedPglite();
      const schema = uniqueSchema('es');
      const store = await openPgliteEventStore({ database, schema });
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

describe('embedded database settings', () => {
  it('creates WAL segments without zero-filling them (no commit stalls on a new segment)', async () => {
    const database = await sharedPglite();
    const { rows } = await database.pool.query<{ wal_init_zero: string }>('SHOW wal_init_zero');
    expect(rows[0]?.wal_init_zero).to.equal('off');
  });
});
