import { expect } from 'chai';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { CommandHandler, ConcurrencyConflict, type Decider } from '../../src/commands/handler.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

type CounterEvent =
  { type: 'Opened'; data: { limit: number } } | { type: 'Added'; data: { amount: number } };
type CounterCommand =
  { type: 'Open'; limit: number } | { type: 'Add'; amount: number } | { type: 'Noop' };
interface CounterState {
  open: boolean;
  total: number;
  limit: number;
}

class LimitExceeded extends Error {}

const counter: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: () => ({ open: false, total: 0, limit: 0 }),
  decide(command, state) {
    switch (command.type) {
      case 'Open':
        return state.open ? [] : [{ type: 'Opened', data: { limit: command.limit } }];
      case 'Add':
        if (state.total + command.amount > state.limit) throw new LimitExceeded('over the limit');
        return [{ type: 'Added', data: { amount: command.amount } }];
      case 'Noop':
        return [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Opened':
        return { ...state, open: true, limit: event.data.limit };
      case 'Added':
        return { ...state, total: state.total + event.data.amount };
    }
  },
};

const meta = { actor: 'user:1', source: 'test' as const };

for (const [name, open] of [
  ['memory', () => Promise.resolve(new MemoryEventStore())],
  [
    'pglite',
    async () =>
      openPgliteEventStore({ database: await sharedPglite(), schema: uniqueSchema('cmd') }),
  ],
] as [string, () => Promise<EventStore>][]) {
  describe(`command handler on ${name}`, () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    const handler = (options = {}) =>
      new CommandHandler(store, counter, { streamId: (id) => `counter-${id}`, ...options });

    it('loads, decides, appends with metadata and returns the new state and position', async () => {
      const h = handler();
      const opened = await h.handle(
        '1',
        { type: 'Open', limit: 10 },
        { ...meta, correlationId: 'c-1' },
      );
      expect(opened.revision).to.equal(0);
      const added = await h.handle('1', { type: 'Add', amount: 4 }, meta);
      expect(added.state).to.deep.equal({ open: true, total: 4, limit: 10 });
      expect(added.revision).to.equal(1);
      const stored = await store.readStream('counter-1');
      expect(stored.map((e) => e.type)).to.deep.equal(['Opened', 'Added']);
      expect(stored[0]?.metadata).to.include({
        actor: 'user:1',
        source: 'test',
        correlationId: 'c-1',
      });
      expect(stored[1]?.metadata.correlationId).to.be.a('string');
      expect(added.position).to.equal(stored[1]?.position);
    });

    it('writes nothing when the decider decides nothing or throws', async () => {
      const h = handler();
      await h.handle('1', { type: 'Open', limit: 5 }, meta);
      const noop = await h.handle('1', { type: 'Noop' }, meta);
      expect(noop.events).to.deep.equal([]);
      expect(noop.position).to.equal(undefined);
      let thrown: unknown;
      try {
        await h.handle('1', { type: 'Add', amount: 6 }, meta);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(LimitExceeded);
      expect(await store.readStream('counter-1')).to.have.length(1);
    });

    it('re-decides on the fresh state when another process wrote first', async () => {
      const a = handler();
      const b = handler();
      await a.handle('1', { type: 'Open', limit: 10 }, meta);
      await b.handle('1', { type: 'Add', amount: 3 }, meta); // a's cached state is now stale
      const result = await a.handle('1', { type: 'Add', amount: 7 }, meta);
      expect(result.attempts).to.equal(2);
      expect(result.state.total).to.equal(10);
      let thrown: unknown;
      try {
        await b.handle('1', { type: 'Add', amount: 1 }, meta); // stale too; fresh state refuses
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(LimitExceeded);
    });

    it('serializes concurrent commands on one stream inside a process (no lost updates)', async () => {
      const h = handler();
      await h.handle('1', { type: 'Open', limit: 1000 }, meta);
      const results = await Promise.all(
        Array.from({ length: 25 }, () => h.handle('1', { type: 'Add', amount: 2 }, meta)),
      );
      expect(results.every((r) => r.attempts === 1)).to.equal(true);
      expect((await h.load('1')).state.total).to.equal(50);
    });

    it('several handlers racing on one stream all land, each decided on fresh state', async () => {
      const handlers = Array.from({ length: 4 }, () => handler());
      await handlers[0]?.handle('1', { type: 'Open', limit: 1000 }, meta);
      await Promise.all(
        handlers.flatMap((h) =>
          Array.from({ length: 5 }, () => h.handle('1', { type: 'Add', amount: 1 }, meta)),
        ),
      );
      expect((await handler().load('1')).state.total).to.equal(20);
    });

    it('reports a conflict after its attempts are used up', async () => {
      const h = handler({ maxAttempts: 2, cacheSize: 0 });
      await h.handle('1', { type: 'Open', limit: 1000 }, meta);
      // A command that writes behind the handler's back on every attempt.
      let thrown: unknown;
      try {
        await h.handle(
          '1',
          (state) => {
            void store.append('counter-1', [{ type: 'Added', data: { amount: 0 } }]);
            return { type: 'Add', amount: state.total + 1 };
          },
          meta,
        );
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(ConcurrencyConflict);
      expect((thrown as ConcurrencyConflict).attempts).to.equal(2);
    });

    it('loads an absent aggregate as its initial state at revision -1', async () => {
      expect(await handler().load('nope')).to.deep.equal({
        state: { open: false, total: 0, limit: 0 },
        revision: -1,
      });
    });
  });
}
