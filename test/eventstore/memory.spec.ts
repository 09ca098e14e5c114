import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { eventStoreContract } from './contract.ts';

describe('event store contract: memory', () => {
  eventStoreContract({
    open() {
      const store = new MemoryEventStore();
      return Promise.resolve({ store, dispose: () => store.close() });
    },
  });
});
