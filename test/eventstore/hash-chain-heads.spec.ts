import { expect } from 'chai';
import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import {
  eventHash,
  hasStreamHeads,
  verifyHashChains,
  withHashChain,
  type ChainReport,
} from '../../src/eventstore/hash-chain.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { MIGRATIONS, quoteIdent } from '../../src/eventstore/sql/migrations.ts';
import { SqlEventStore } from '../../src/eventstore/sql/store.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';

const kinds = (report: ChainReport): string[][] => report.problems.map((p) => [p.kind, p.streamId]);

async function fill(store: EventStore): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await store.append('account-a', [{ type: 'CashDeposited', data: { amount: `${i}00` } }]);
  }
  await store.append('account-b', [
    { type: 'AccountOpened', data: {} },
    { type: 'CashDeposited', data: { amount: '5' } },
  ]);
  await store.append('account-c', [{ type: 'AccountOpened', data: {} }]);
}

/** Tampering with the SQL tables of one schema, the way someone with write access would. */
function tamperSuite(database: () => SqlDatabase): void {
  let schema: string;
  let store: EventStore;
  const sql = (text: string): Promise<unknown> =>
    database().pool.query(text.replaceAll('{s}', quoteIdent(schema)));

  beforeEach(async () => {
    schema = uniqueSchema('heads');
    const db = database();
    store = withHashChain(await SqlEventStore.open({ kind: db.kind, pool: db.sql, schema }));
    await fill(store);
  });
  afterEach(async () => {
    await store.close();
    await sql('DROP SCHEMA {s} CASCADE');
  });

  it('an intact ledger has no problems, and its stream heads were compared', async () => {
    expect(hasStreamHeads(store)).to.equal(true);
    const report = await verifyHashChains(store);
    expect(report).to.deep.include({
      events: 6,
      streams: 3,
      unchained: 0,
      heads: 'checked',
      problems: [],
    });
  });

  it("deleting a stream's last event is `truncated`, naming the stream", async () => {
    await sql(`DELETE FROM {s}.events WHERE stream_id = 'account-a' AND revision = 2`);
    const report = await verifyHashChains(store);
    expect(kinds(report)).to.deep.equal([['truncated', 'account-a']]);
    expect(report.problems[0]?.detail).to.match(/events end at revision 1.*head is at revision 2/);
  });

  it("deleting a stream's last two events is `truncated` too", async () => {
    await sql(`DELETE FROM {s}.events WHERE stream_id = 'account-a' AND revision >= 1`);
    expect(kinds(await verifyHashChains(store))).to.deep.equal([['truncated', 'account-a']]);
  });

  it('deleting every event of a stream is `truncated`: the stream was deleted', async () => {
    await sql(`DELETE FROM {s}.events WHERE stream_id = 'account-b'`);
    const report = await verifyHashChains(store);
    expect(kinds(report)).to.deep.equal([['truncated', 'account-b']]);
    expect(report.problems[0]?.detail).to.match(/no events/);
  });

  it('altering an event is `altered`, naming stream and revision', async () => {
    await sql(
      `UPDATE {s}.events SET data = '{"amount":"999999"}' WHERE stream_id = 'account-a' AND revision = 1`,
    );
    const report = await verifyHashChains(store);
    expect(report.problems.map((p) => [p.kind, p.streamId, p.revision])).to.deep.equal([
      ['altered', 'account-a', 1],
    ]);
  });

  it('a last event replaced with a correctly re-hashed one is a `head_mismatch`', async () => {
    const [last] = await store.readStream('account-c');
    if (!last) throw new Error('no event');
    const forged = { ...last, data: { forged: true } };
    const hash = eventHash(String(last.metadata.prevHash), forged);
    await database().pool.query(
      `UPDATE ${quoteIdent(schema)}.events SET data = $1, metadata = $2 WHERE stream_id = 'account-c'`,
      [JSON.stringify(forged.data), JSON.stringify({ ...last.metadata, hash })],
    );
    expect(kinds(await verifyHashChains(store))).to.deep.equal([['head_mismatch', 'account-c']]);
  });

  it('an event appended behind the store’s back is a `head_mismatch`; a stream without a head is `head_missing`', async () => {
    await sql(
      `INSERT INTO {s}.events (position, stream_id, revision, event_id, type, data, metadata)
       SELECT position + 1, stream_id, 1, gen_random_uuid(), type, data, metadata
         FROM {s}.events WHERE stream_id = 'account-c'`,
    );
    await sql(`DELETE FROM {s}.streams WHERE stream_id = 'account-b'`);
    const report = await verifyHashChains(store);
    expect(kinds(report)).to.deep.include.members([
      ['head_mismatch', 'account-c'],
      ['head_missing', 'account-b'],
    ]);
  });

  it('a stream deleted with its head passes the stream checks, and is caught against an anchor taken before', async () => {
    const before = await verifyHashChains(store, { includeHeads: true });
    expect(before.problems).to.deep.equal([]);
    const anchor = before.head;
    expect(anchor.events).to.equal(6);
    expect(anchor.digest).to.match(/^[0-9a-f]{64}$/);
    expect(Object.keys(anchor.heads ?? {})).to.have.members([
      'account-a',
      'account-b',
      'account-c',
    ]);

    // The ledger grows; the anchor still holds.
    await store.append('account-a', [{ type: 'CashWithdrawn', data: { amount: '1' } }]);
    expect((await verifyHashChains(store, { anchor })).problems).to.deep.equal([]);

    // Someone who knows about the head deletes both.
    await sql(`DELETE FROM {s}.events WHERE stream_id = 'account-b'`);
    await sql(`DELETE FROM {s}.streams WHERE stream_id = 'account-b'`);
    expect((await verifyHashChains(store)).problems).to.deep.equal([]);
    const compact = await verifyHashChains(store, {
      anchor: { events: anchor.events, digest: anchor.digest },
    });
    expect(kinds(compact)).to.deep.equal([['anchor_mismatch', '$all']]);
    const named = await verifyHashChains(store, { anchor });
    expect(kinds(named)).to.deep.include.members([
      ['anchor_mismatch', '$all'],
      ['anchor_mismatch', 'account-b'],
    ]);
  });

  it('appends while verifying are not mistaken for tampering', async () => {
    for (let i = 0; i < 40; i++) {
      await store.append(`account-x${i % 7}`, [{ type: 'CashDeposited', data: { i } }]);
    }
    const writing = (async () => {
      for (let i = 0; i < 60; i++) {
        await store.append(`account-x${i % 9}`, [{ type: 'CashDeposited', data: { i } }]);
      }
    })();
    const reports = await Promise.all([
      verifyHashChains(store, { batchSize: 5 }),
      verifyHashChains(store, { batchSize: 3 }),
      writing,
    ]);
    expect(reports[0].problems).to.deep.equal([]);
    expect(reports[1].problems).to.deep.equal([]);
    expect((await verifyHashChains(store)).problems).to.deep.equal([]);
  });

  it('migration 2 fills the heads of streams written before it', async () => {
    const old = uniqueSchema('heads_v1');
    const s = quoteIdent(old);
    const db = database();
    const first = MIGRATIONS.find((m) => m.version === 1);
    if (!first) throw new Error('no migration 1');
    await db.sql.query(`CREATE SCHEMA ${s}`);
    await db.sql.query(
      `CREATE TABLE ${s}.eventstore_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await db.sql.query(first.sql.replaceAll('{schema}', s));
    await db.sql.query(`INSERT INTO ${s}.eventstore_migrations (version, name) VALUES (1, 'v1')`);
    try {
      // Events as a version-1 store wrote them: chained, through its `append_events`.
      const source = new MemoryEventStore();
      await fill(withHashChain(source));
      for (const e of await source.readAll()) {
        await db.sql.query(
          `SELECT * FROM ${s}.append_events($1, -2, $2::uuid[], $3::text[], $4::json[], $5::json[], false)`,
          [e.streamId, [e.id], [e.type], [JSON.stringify(e.data)], [JSON.stringify(e.metadata)]],
        );
      }
      const upgraded = withHashChain(
        await SqlEventStore.open({ kind: db.kind, pool: db.sql, schema: old }),
      );
      expect((await verifyHashChains(upgraded)).problems).to.deep.equal([]);
      await db.sql.query(`DELETE FROM ${s}.events WHERE stream_id = 'account-a' AND revision = 2`);
      expect(kinds(await verifyHashChains(upgraded))).to.deep.equal([['truncated', 'account-a']]);
    } finally {
      await db.sql.query(`DROP SCHEMA ${s} CASCADE`);
    }
  });
}

describe('ledger verify: stream heads and anchors', () => {
  describe('on PGlite', function () {
    this.timeout(60_000);
    let database: SqlDatabase;
    before(async () => {
      database = await sharedPglite();
    });
    tamperSuite(() => database);
  });

  describe('on PostgreSQL', function () {
    this.timeout(60_000);
    let database: SqlDatabase | undefined;
    before(async function () {
      database = await openPostgresDatabase(await postgresUrl(this), 4);
    });
    after(async () => {
      await database?.close();
    });
    tamperSuite(() => {
      if (!database) throw new Error('no database');
      return database;
    });
  });

  describe('on the memory store', () => {
    it('keeps no heads, so only an anchor catches a cut-off tail', async () => {
      const base = new MemoryEventStore();
      const store = withHashChain(base);
      await fill(store);
      const report = await verifyHashChains(store);
      expect(report.heads).to.equal('not_tracked');
      expect(report.problems).to.deep.equal([]);
      // A copy of the ledger without account-c's only event.
      const copy = new MemoryEventStore();
      for (const e of await base.readAll()) {
        if (e.streamId === 'account-c') continue;
        await copy.append(e.streamId, [
          { id: e.id, type: e.type, data: e.data, metadata: e.metadata },
        ]);
      }
      expect((await verifyHashChains(copy)).problems).to.deep.equal([]);
      expect(kinds(await verifyHashChains(copy, { anchor: report.head }))).to.deep.equal([
        ['anchor_mismatch', '$all'],
      ]);
    });

    it('the anchor digest does not depend on global positions (a faithful copy matches)', async () => {
      const base = new MemoryEventStore();
      await fill(withHashChain(base));
      const anchor = (await verifyHashChains(base)).head;
      const database = await sharedPglite();
      const schema = uniqueSchema('heads_copy');
      const copy = await SqlEventStore.open({ kind: database.kind, pool: database.sql, schema });
      try {
        for (const e of await base.readAll()) {
          await copy.append(e.streamId, [
            { id: e.id, type: e.type, data: e.data, metadata: e.metadata },
          ]);
        }
        const report = await verifyHashChains(copy, { anchor });
        expect(report.head.position).not.to.equal(anchor.position);
        expect(report.problems).to.deep.equal([]);
      } finally {
        await copy.close();
        await database.pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      }
    });
  });
});
