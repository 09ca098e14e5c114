import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres.ts';
import { WrongExpectedVersion, type EventStore } from '../../src/eventstore/port.ts';
import { uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';
import { eventStoreContract } from './contract.ts';

// With one append call in flight at a time, every append that arrives meanwhile waits and
// goes in the next group commit (`append_events_batch`): the whole contract must still hold.
describe('event store contract: postgres, group commit', function () {
  this.timeout(60_000);
  let database: SqlDatabase;

  before(async function () {
    database = await openPostgresDatabase(await postgresUrl(this), 8);
  });
  after(async () => {
    await database.close();
  });

  async function open(): Promise<{ store: EventStore; dispose: () => Promise<void> }> {
    const schema = uniqueSchema('gc');
    const store = await openPostgresEventStore({
      database,
      schema,
      pollMs: 20,
      maxConcurrentAppends: 1,
    });
    return {
      store,
      dispose: async () => {
        await store.close();
        await database.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      },
    };
  }

  eventStoreContract({ open });

  describe('groups', () => {
    let store: EventStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await open());
    });
    afterEach(() => dispose());

    const ev = (type: string, data: unknown = {}, id?: string) => ({
      type,
      data,
      ...(id === undefined ? {} : { id }),
    });

    it('answers each append of a group for itself: ok, conflict, idempotent, in order per stream', async () => {
      const id = randomUUID();
      await store.append('account-1', [ev('A', {}, id)]);
      // One call in flight: the first append goes alone, the others wait and share one commit.
      const results = await Promise.allSettled([
        store.append('account-0', [ev('Z')]),
        store.append('account-2', [ev('A'), ev('B')], { expectedRevision: 'no_stream' }),
        store.append('account-1', [ev('B')], { expectedRevision: 5 }),
        store.append('account-1', [ev('A', {}, id)], { expectedRevision: 'no_stream' }),
        store.append('account-2', [ev('C')], { expectedRevision: 1 }),
        store.append('account-3', [ev('A')], { expectedRevision: 'stream_exists' }),
      ]);
      const [, two, stale, retry, twoAgain, absent] = results;
      expect(two.status).to.equal('fulfilled');
      expect(stale.status).to.equal('rejected');
      if (stale.status === 'rejected') {
        expect(stale.reason).to.be.instanceOf(WrongExpectedVersion);
        expect((stale.reason as WrongExpectedVersion).actual).to.equal(0);
      }
      expect(retry.status).to.equal('fulfilled');
      if (retry.status === 'fulfilled') expect(retry.value.nextRevision).to.equal(0);
      // A later append to a stream in the same group sees the earlier one's revision.
      expect(twoAgain.status).to.equal('fulfilled');
      if (twoAgain.status === 'fulfilled') expect(twoAgain.value.nextRevision).to.equal(2);
      expect(absent.status).to.equal('rejected');
      expect((await store.readStream('account-2')).map((e) => e.type)).to.deep.equal([
        'A',
        'B',
        'C',
      ]);
      expect(await store.readStream('account-1')).to.have.length(1);
      expect(await store.readStream('account-3')).to.have.length(0);
      const all = await store.readAll();
      expect(all).to.have.length(5);
      const positions = all.map((e) => e.position);
      expect(new Set(positions).size).to.equal(positions.length);
    });

    it('a group undone by a duplicate batch is retried append by append', async () => {
      const batch = [ev('A', {}, randomUUID()), ev('B', {}, randomUUID())];
      // `any` skips the revision check, so the second copy reaches the unique event id and
      // aborts its whole group; every append of the group is then answered alone.
      const results = await Promise.all([
        store.append('account-0', [ev('Z')]),
        store.append('account-1', batch),
        store.append('account-1', batch),
        store.append('account-2', [ev('C')]),
      ]);
      expect(results[2]).to.deep.equal(results[1]);
      expect(await store.readStream('account-1')).to.have.length(2);
      expect(await store.readStream('account-2')).to.have.length(1);
      expect(await store.readAll()).to.have.length(4);
    });

    it('many writers on many streams: every event once, revisions dense, positions unique', async () => {
      const writers = 40;
      const each = 15;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < each; i++) {
            await store.append(`account-w${w % 10}`, [ev('E', { w, i })]);
          }
        }),
      );
      const all = await store.readAll();
      expect(all).to.have.length(writers * each);
      for (let s = 0; s < 10; s++) {
        const revisions = (await store.readStream(`account-w${s}`)).map((e) => e.revision);
        expect(revisions).to.deep.equal(revisions.map((_, i) => i));
      }
      const positions = all.map((e) => e.position);
      expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).to.equal(positions.length);
    });
  });
});
