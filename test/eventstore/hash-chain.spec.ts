import { withHashChain } from '../../src/eventstore/hash-chain.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { eventStoreContract } from './contract.ts';

// The hash-chain decorator is what every writer gets from `openStorage`: it must keep the
// port's contract exactly.
describe('event store contract: hash chain over memory', () => {
  eventStoreContract({
    open() {
      const store = withHashChain(new MemoryEventStore());
      return Promise.resolve({ store, dispose: () => store.close() });
    },
  });
});

describe('event store contract: hash chain over pglite', function () {
  this.timeout(60_000);
  eventStoreContract({
    async open() {
      const database = await sharedPglite();
      const schema = uniqueSchema('hc');
      const store = withHashChain(await openPgliteEventStore({ database, schema }));
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
