import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  EventStoreError,
  MAX_EVENT_BYTES,
  WrongExpectedVersion,
  type EventData,
  type EventStore,
  type RecordedEvent,
} from '../../src/eventstore/port.ts';

/**
 * The one contract every event-store adapter must pass (DESIGN.md section 2). Each adapter's
 * spec calls this with a factory giving a fresh, empty store per test.
 */
export interface ContractTarget {
  /** A new, empty store; `dispose` removes whatever it created. */
  open(): Promise<{ store: EventStore; dispose: () => Promise<void> }>;
}

const ev = (type: string, data: unknown = {}, id?: string): EventData => ({
  type,
  data,
  ...(id ? { id } : {}),
});

async function expectRejection<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected a ${type.name}`);
}

async function collect(
  sub: ReturnType<EventStore['subscribeToAll']>,
  count: number,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  while (seen.length < count) {
    const batch = await sub.nextBatch();
    if (batch.length === 0) break;
    seen.push(...batch);
  }
  return seen;
}

export function eventStoreContract(target: ContractTarget): void {
  let store: EventStore;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ store, dispose } = await target.open());
  });
  afterEach(async () => {
    await dispose();
  });

  describe('append and expected revision', () => {
    it('keeps data and metadata with quotes, backslashes, braces, commas and unicode exactly', async () => {
      const awkward = {
        quote: 'say "hi"',
        backslash: 'C:\\path\\to\\',
        escapedQuote: '\\"',
        braces: '{a,b},{"c"}',
        unicode: 'é ✓ 💹 \u0001',
        newline: 'one\ntwo\tthree',
        empty: '',
        nested: [{ k: 'v"\\' }, 'NULL', null],
      };
      // Alone, then with another append waiting (the stores may write both in one batch).
      await store.append('account-q', [
        { type: 'Awkward', data: awkward, metadata: { note: '"\\' } },
      ]);
      await Promise.all([
        store.append('account-q', [ev('Awkward', awkward), ev('Awkward', { ...awkward, n: 2 })]),
        store.append('account-r', [ev('Awkward', awkward)]),
      ]);
      const events = await store.readStream('account-q');
      expect(events.map((e) => e.data)).to.deep.equal([awkward, awkward, { ...awkward, n: 2 }]);
      expect(events[0]?.metadata.note).to.equal('"\\');
      expect((await store.readStream('account-r'))[0]?.data).to.deep.equal(awkward);
    });

    it('appends to a new stream from revision 0 with increasing positions', async () => {
      const result = await store.append('account-1', [ev('A'), ev('B'), ev('C')], {
        expectedRevision: 'no_stream',
      });
      expect(result.nextRevision).to.equal(2);
      const events = await store.readStream('account-1');
      expect(events.map((e) => e.revision)).to.deep.equal([0, 1, 2]);
      expect(events.map((e) => e.type)).to.deep.equal(['A', 'B', 'C']);
      expect(events[1]?.position).to.be.greaterThan(events[0]?.position ?? Infinity);
      expect(events[2]?.position).to.equal(result.position);
    });

    it('any appends whether or not the stream exists', async () => {
      expect((await store.append('account-1', [ev('A')])).nextRevision).to.equal(0);
      expect(
        (await store.append('account-1', [ev('B')], { expectedRevision: 'any' })).nextRevision,
      ).to.equal(1);
    });

    it('no_stream fails on an existing stream, carrying the actual revision', async () => {
      await store.append('account-1', [ev('A'), ev('B')]);
      const error = await expectRejection(
        store.append('account-1', [ev('C')], { expectedRevision: 'no_stream' }),
        WrongExpectedVersion,
      );
      expect(error.actual).to.equal(1);
      expect(error.expected).to.equal('no_stream');
      expect(error.streamId).to.equal('account-1');
    });

    it('stream_exists fails on an absent stream and succeeds on an existing one', async () => {
      const error = await expectRejection(
        store.append('account-1', [ev('A')], { expectedRevision: 'stream_exists' }),
        WrongExpectedVersion,
      );
      expect(error.actual).to.equal('no_stream');
      await store.append('account-1', [ev('A')]);
      const ok = await store.append('account-1', [ev('B')], { expectedRevision: 'stream_exists' });
      expect(ok.nextRevision).to.equal(1);
    });

    it('an exact revision succeeds only when it is the last revision', async () => {
      await store.append('account-1', [ev('A'), ev('B')]);
      expect(
        (await store.append('account-1', [ev('C')], { expectedRevision: 1 })).nextRevision,
      ).to.equal(2);
      const stale = await expectRejection(
        store.append('account-1', [ev('D')], { expectedRevision: 1 }),
        WrongExpectedVersion,
      );
      expect(stale.actual).to.equal(2);
      const ahead = await expectRejection(
        store.append('account-1', [ev('D')], { expectedRevision: 7 }),
        WrongExpectedVersion,
      );
      expect(ahead.actual).to.equal(2);
    });

    it('an exact revision on an absent stream fails with no_stream', async () => {
      const error = await expectRejection(
        store.append('account-9', [ev('A')], { expectedRevision: 0 }),
        WrongExpectedVersion,
      );
      expect(error.actual).to.equal('no_stream');
      expect(await store.readStream('account-9')).to.have.length(0);
    });

    it('concurrent writers with the same expected revision: exactly one wins', async () => {
      await store.append('account-1', [ev('A')]);
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          store.append('account-1', [ev('B', { i })], { expectedRevision: 0 }),
        ),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a) => a.status === 'rejected');
      expect(won).to.have.length(1);
      expect(lost).to.have.length(7);
      for (const l of lost) expect(l.reason).to.be.instanceOf(WrongExpectedVersion);
      expect(await store.readStream('account-1')).to.have.length(2);
    });
  });

  describe('idempotency', () => {
    it('re-appending a batch with the same event ids writes nothing and answers the same', async () => {
      const ids = [randomUUID(), randomUUID()];
      const batch = [ev('A', { n: 1 }, ids[0]), ev('B', { n: 2 }, ids[1])];
      const first = await store.append('account-1', batch, { expectedRevision: 'no_stream' });
      // The retry carries the same stale expectation a client would resend.
      const again = await store.append('account-1', batch, { expectedRevision: 'no_stream' });
      expect(again).to.deep.equal(first);
      const anyAgain = await store.append('account-1', batch, { expectedRevision: 'any' });
      expect(anyAgain).to.deep.equal(first);
      expect(await store.readStream('account-1')).to.have.length(2);
      expect(await store.readAll()).to.have.length(2);
    });

    it('concurrent copies of one batch are written once', async () => {
      const batch = [ev('A', {}, randomUUID())];
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store.append('account-1', batch)),
      );
      for (const r of results) expect(r).to.deep.equal(results[0]);
      expect(await store.readStream('account-1')).to.have.length(1);
    });

    it('a batch whose ids are only partly stored is refused and writes nothing', async () => {
      const id = randomUUID();
      await store.append('account-1', [ev('A', {}, id)]);
      const error = await expectRejection(
        store.append('account-1', [ev('A', {}, id), ev('B')]),
        EventStoreError,
      );
      expect(error.code).to.equal('duplicate_event_id');
      expect(await store.readStream('account-1')).to.have.length(1);
    });

    it('the same event id may appear in different streams', async () => {
      const id = randomUUID();
      await store.append('account-1', [ev('A', {}, id)]);
      await store.append('account-2', [ev('A', {}, id)]);
      expect(await store.readAll()).to.have.length(2);
    });
  });

  describe('atomicity and validation', () => {
    it('a batch with one oversize event writes none of it', async () => {
      const big = 'x'.repeat(MAX_EVENT_BYTES);
      const error = await expectRejection(
        store.append('account-1', [ev('A'), ev('B', { big })]),
        EventStoreError,
      );
      expect(error.code).to.equal('event_too_large');
      expect(error.message).to.match(/limit is 1048576/);
      expect(await store.readAll()).to.have.length(0);
    });

    it('a failed expectation writes none of the batch', async () => {
      await store.append('account-1', [ev('A')]);
      await expectRejection(
        store.append('account-1', [ev('B'), ev('C')], { expectedRevision: 5 }),
        WrongExpectedVersion,
      );
      expect(await store.readStream('account-1')).to.have.length(1);
    });

    it('accepts an event just under the size limit', async () => {
      // 1 KiB of room: decorators (the hash chain) add metadata of their own.
      const payload = 'y'.repeat(MAX_EVENT_BYTES - 1024);
      await store.append('account-1', [ev('A', { payload })]);
      const [event] = await store.readStream('account-1');
      expect((event?.data as { payload: string }).payload).to.have.length(payload.length);
    });

    for (const [name, streamId] of [
      ['empty', ''],
      ['no category', 'account'],
      ['reserved $ prefix', '$all-1'],
      ['spaces', 'account-1 2'],
      ['too long', `account-${'9'.repeat(200)}`],
    ] as const) {
      it(`rejects an invalid stream name (${name})`, async () => {
        const error = await expectRejection(store.append(streamId, [ev('A')]), EventStoreError);
        expect(error.code).to.equal('invalid_stream_name');
        expect(await store.readAll()).to.have.length(0);
      });
    }

    it('rejects an empty batch, a bad type, a non-UUID id and a bad expected revision', async () => {
      const cases: [Promise<unknown>, string][] = [
        [store.append('account-1', []), 'invalid_argument'],
        [store.append('account-1', [ev('has space')]), 'invalid_event'],
        [store.append('account-1', [ev('A', {}, 'not-a-uuid')]), 'invalid_event'],
        [store.append('account-1', [ev('A')], { expectedRevision: -4 }), 'invalid_argument'],
        [store.append('account-1', [ev('A')], { expectedRevision: 1.5 }), 'invalid_argument'],
      ];
      for (const [promise, code] of cases) {
        const error = await expectRejection(promise, EventStoreError);
        expect(error.code).to.equal(code);
      }
      const dup = randomUUID();
      const twice = await expectRejection(
        store.append('account-1', [ev('A', {}, dup), ev('B', {}, dup)]),
        EventStoreError,
      );
      expect(twice.code).to.equal('duplicate_event_id');
      expect(await store.readAll()).to.have.length(0);
    });

    it('round-trips data and metadata exactly', async () => {
      const data = { cash: '100000.0000000001', nested: { list: [1, 'two', null] }, flag: true };
      const metadata = {
        correlationId: randomUUID(),
        causationId: randomUUID(),
        actor: 'user:1',
        source: 'test' as const,
        simTime: '2026-11-24T15:00:00.000Z',
      };
      const id = randomUUID();
      await store.append('account-1', [{ id, type: 'CashDeposited', data, metadata }]);
      const [event] = await store.readStream('account-1');
      expect(event?.id).to.equal(id);
      expect(event?.streamId).to.equal('account-1');
      expect(event?.data).to.deep.equal(data);
      // Decorators may add keys of their own (the hash chain adds prevHash and hash).
      expect(event?.metadata).to.deep.include(metadata);
      expect(event?.recordedAt).to.be.instanceOf(Date);
    });
  });

  describe('readStream', () => {
    beforeEach(async () => {
      await store.append(
        'account-1',
        Array.from({ length: 10 }, (_, i) => ev('E', { i })),
      );
      await store.append('account-10', [ev('Other')]);
    });

    it('reads forwards from a revision with a max count', async () => {
      const events = await store.readStream('account-1', { fromRevision: 3, maxCount: 4 });
      expect(events.map((e) => e.revision)).to.deep.equal([3, 4, 5, 6]);
    });

    it('reads backwards from the end and from a revision', async () => {
      const fromEnd = await store.readStream('account-1', { direction: 'backwards', maxCount: 3 });
      expect(fromEnd.map((e) => e.revision)).to.deep.equal([9, 8, 7]);
      const fromFive = await store.readStream('account-1', {
        direction: 'backwards',
        fromRevision: 5,
      });
      expect(fromFive.map((e) => e.revision)).to.deep.equal([5, 4, 3, 2, 1, 0]);
    });

    it('reads an absent stream as empty and does not mix streams sharing a prefix', async () => {
      expect(await store.readStream('account-2')).to.deep.equal([]);
      expect(await store.readStream('account-1')).to.have.length(10);
      expect(await store.readStream('account-10')).to.have.length(1);
    });

    it('rejects a bad maxCount or fromRevision', async () => {
      for (const options of [{ maxCount: 0 }, { fromRevision: -1 }, { maxCount: 2.5 }]) {
        const error = await expectRejection(
          store.readStream('account-1', options),
          EventStoreError,
        );
        expect(error.code).to.equal('invalid_argument');
      }
    });
  });

  describe('readAll and filters', () => {
    beforeEach(async () => {
      await store.append('account-1', [ev('OrderPlaced'), ev('OrderFilled')]);
      await store.append('user-1', [ev('UserRegistered')]);
      await store.append('account-2', [ev('OrderPlaced')]);
      await store.append('accounting-1', [ev('Ledger')]);
    });

    it('reads everything in position order with an inclusive start', async () => {
      const all = await store.readAll();
      expect(all.map((e) => e.streamId)).to.deep.equal([
        'account-1',
        'account-1',
        'user-1',
        'account-2',
        'accounting-1',
      ]);
      const positions = all.map((e) => e.position);
      expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
      const third = all[2];
      const from = await store.readAll({ fromPosition: third?.position ?? 0, maxCount: 2 });
      expect(from.map((e) => e.type)).to.deep.equal(['UserRegistered', 'OrderPlaced']);
      expect(await store.headPosition()).to.equal(all.at(-1)?.position);
    });

    it('filters by stream prefix and by event type', async () => {
      const accounts = await store.readAll({ filter: { streamPrefixes: ['account-'] } });
      expect(accounts.map((e) => e.streamId)).to.deep.equal([
        'account-1',
        'account-1',
        'account-2',
      ]);
      const placed = await store.readAll({ filter: { eventTypes: ['OrderPlaced'] } });
      expect(placed).to.have.length(2);
      const both = await store.readAll({
        filter: { streamPrefixes: ['user-', 'accounting-'], eventTypes: ['Ledger'] },
      });
      expect(both.map((e) => e.streamId)).to.deep.equal(['accounting-1']);
      const literal = await store.readAll({ filter: { streamPrefixes: ['account_'] } });
      expect(literal).to.have.length(0);
    });
  });

  describe('subscribeToAll', () => {
    it('starts after the given position, catches up, then delivers live events', async () => {
      await store.append('account-1', [ev('A'), ev('B')]);
      const [first] = await store.readAll({ maxCount: 1 });
      const sub = store.subscribeToAll({ fromPosition: first?.position ?? 0 });
      try {
        const caughtUp = await collect(sub, 1);
        expect(caughtUp.map((e) => e.type)).to.deep.equal(['B']);
        const live = collect(sub, 2);
        await store.append('account-2', [ev('C')]);
        await store.append('account-3', [ev('D')]);
        expect((await live).map((e) => e.type)).to.deep.equal(['C', 'D']);
      } finally {
        await sub.close();
      }
    });

    it('resumes from a checkpoint after being closed mid-stream', async () => {
      await store.append(
        'account-1',
        Array.from({ length: 30 }, (_, i) => ev('E', { i })),
      );
      const sub1 = store.subscribeToAll({ batchSize: 7 });
      const firstBatch = await sub1.nextBatch();
      expect(firstBatch).to.have.length(7);
      await sub1.close();
      expect(await sub1.nextBatch()).to.deep.equal([]);
      const checkpoint = firstBatch.at(-1)?.position ?? 0;
      await store.append('account-2', [ev('Late')]);
      const sub2 = store.subscribeToAll({ fromPosition: checkpoint });
      try {
        const rest = await collect(sub2, 24);
        expect(rest.map((e) => (e.data as { i?: number }).i ?? e.type)).to.deep.equal([
          ...Array.from({ length: 23 }, (_, i) => i + 7),
          'Late',
        ]);
      } finally {
        await sub2.close();
      }
    });

    it('applies filters to catch-up and live events', async () => {
      await store.append('user-1', [ev('UserRegistered')]);
      await store.append('account-1', [ev('OrderPlaced')]);
      const sub = store.subscribeToAll({ filter: { streamPrefixes: ['account-'] } });
      try {
        const live = collect(sub, 2);
        await store.append('user-2', [ev('UserRegistered')]);
        await store.append('account-2', [ev('OrderFilled')]);
        expect((await live).map((e) => e.type)).to.deep.equal(['OrderPlaced', 'OrderFilled']);
      } finally {
        await sub.close();
      }
    });

    it('iterates with for-await and closes when the loop ends', async () => {
      await store.append('account-1', [ev('A'), ev('B'), ev('C')]);
      const sub = store.subscribeToAll();
      const types: string[] = [];
      for await (const event of sub) {
        types.push(event.type);
        if (types.length === 2) break;
      }
      expect(types).to.deep.equal(['A', 'B']);
      expect(await sub.nextBatch()).to.deep.equal([]);
    });

    it('a subscriber sees exactly the committed events of 16 concurrent writers, once each, in order', async () => {
      const writers = 16;
      const appendsPerWriter = 25;
      const sub = store.subscribeToAll({ batchSize: 64 });
      const seen: RecordedEvent[] = [];
      const reading = (async () => {
        for (;;) {
          const batch = await sub.nextBatch();
          if (batch.length === 0) break;
          seen.push(...batch);
        }
      })();
      let failed = 0;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < appendsPerWriter; i++) {
            // Random streams, some shared between writers, some with expectations that fail.
            const stream = `account-${Math.floor(Math.random() * 40)}`;
            const size = 1 + Math.floor(Math.random() * 3);
            const expectedRevision =
              Math.random() < 0.2 ? ('no_stream' as const) : ('any' as const);
            try {
              await store.append(
                stream,
                Array.from({ length: size }, (_, k) => ev('E', { w, i, k })),
                { expectedRevision },
              );
            } catch (error) {
              expect(error).to.be.instanceOf(WrongExpectedVersion);
              failed++;
            }
          }
        }),
      );
      const committed = await store.readAll();
      while (seen.length < committed.length) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await sub.close();
      await reading;
      expect(seen.map((e) => e.id)).to.deep.equal(committed.map((e) => e.id));
      expect(new Set(seen.map((e) => e.id)).size).to.equal(seen.length);
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i]?.position).to.be.greaterThan(seen[i - 1]?.position ?? Infinity);
      }
      expect(committed.length).to.be.greaterThan(writers * appendsPerWriter - failed - 1);
      for (const stream of new Set(committed.map((e) => e.streamId))) {
        const revisions = (await store.readStream(stream)).map((e) => e.revision);
        expect(revisions).to.deep.equal(revisions.map((_, i) => i));
      }
    });
  });

  describe('lifecycle', () => {
    it('answers ping while open and refuses work once closed', async () => {
      await store.ping();
      await store.close();
      const error = await expectRejection(store.append('account-1', [ev('A')]), EventStoreError);
      expect(error.code).to.equal('closed');
    });
  });
}
