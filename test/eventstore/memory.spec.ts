import { expect } from 'chai';
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

describe('memory event store: keep', () => {
  it('stores parsed copies by default, so a caller mutating its data cannot rewrite history', async () => {
    const store = new MemoryEventStore();
    const data = { qty: '1', nested: { price: '10' } };
    await store.append('acct-1', [{ type: 'Placed', data }]);
    data.nested.price = '99';
    const [event] = await store.readStream('acct-1');
    expect(event?.data).to.deep.equal({ qty: '1', nested: { price: '10' } });
    expect(event?.data).to.not.equal(data);
  });

  it('keeps the writer’s own objects with keep: reference, still validating them', async () => {
    const store = new MemoryEventStore({ keep: 'reference' });
    const data = { qty: '1' };
    const metadata = { actor: 'backtest', source: 'system' as const };
    await store.append('acct-1', [{ type: 'Placed', data, metadata }]);
    const [event] = await store.readStream('acct-1');
    expect(event?.data).to.equal(data);
    expect(event?.metadata).to.equal(metadata);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let failure: unknown;
    await store.append('acct-1', [{ type: 'Placed', data: cyclic }]).catch((e: unknown) => {
      failure = e;
    });
    expect(failure).to.be.instanceOf(Error);
    expect(await store.readStream('acct-1')).to.have.length(1);
  });
});
