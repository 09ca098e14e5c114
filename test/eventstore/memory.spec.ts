import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import {
  checkEvents,
  EventStoreError,
  MAX_EVENT_BYTES,
  prepareEvents,
} from '../../src/eventstore/port.ts';
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

describe('checkEvents: the checks of prepareEvents without serializing plain data', () => {
  const newId = (): string => randomUUID();
  /** What an append of `data` meets: accepted, or the store error code. */
  function verdict(check: typeof prepareEvents | typeof checkEvents, data: unknown): string {
    try {
      check('acct-1', [{ type: 'Placed', data, metadata: { actor: 'a' } }], newId);
      return 'accepted';
    } catch (error) {
      return error instanceof EventStoreError ? error.code : (error as Error).name;
    }
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  let deep: unknown = 'leaf';
  for (let i = 0; i < 100; i++) deep = [deep];
  const cases: Record<string, unknown> = {
    'plain data': { qty: '1', n: 2.5, ok: true, none: null, legs: ['a', { b: -1e-300 }] },
    'undefined data': undefined,
    'a function': () => 1,
    'a bigint inside': { n: 1n },
    'a cycle': cyclic,
    'nesting deeper than the bound walks': deep,
    'a Date (toJSON)': { at: new Date(0) },
    'NaN (serialized as null)': { x: Number.NaN },
    'undefined members (dropped)': { x: undefined, y: [undefined] },
    'over the limit in ASCII': { text: 'x'.repeat(MAX_EVENT_BYTES) },
    'just under the limit in ASCII': { t: 'x'.repeat(MAX_EVENT_BYTES - 40) },
    'two-byte characters under the limit (bound too loose: serialized)': {
      t: 'é'.repeat(MAX_EVENT_BYTES / 2 - 40),
    },
    'two-byte characters over the limit': { t: 'é'.repeat(MAX_EVENT_BYTES / 2) },
    'escapes over the limit': { t: '\u0001'.repeat(MAX_EVENT_BYTES / 6 + 1) },
  };
  for (const [name, data] of Object.entries(cases)) {
    it(`gives prepareEvents' verdict on ${name}`, () => {
      expect(verdict(checkEvents, data)).to.equal(verdict(prepareEvents, data));
    });
  }

  it('answers the ids and objects prepareEvents answers, without their JSON', () => {
    const data = { qty: '1' };
    const id = randomUUID().toUpperCase();
    const [checked] = checkEvents('acct-1', [{ id, type: 'Placed', data }], newId);
    expect(checked).to.deep.equal({ id: id.toLowerCase(), type: 'Placed', data, metadata: {} });
    expect(checked?.data).to.equal(data);
    expect(verdict(checkEvents, 'ok')).to.equal('accepted');
    expect(() =>
      checkEvents(
        'acct-1',
        [
          { id, type: 'A', data },
          { id, type: 'B', data },
        ],
        newId,
      ),
    )
      .to.throw(EventStoreError)
      .with.property('code', 'duplicate_event_id');
  });
});
