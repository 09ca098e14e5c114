import { expect } from 'chai';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres.ts';
import { postgresUrl } from '../support/services.ts';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.ts';
import {
  ProjectionRunner,
  ProjectionTimeout,
  type Projection,
} from '../../src/projections/runner.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

type ToyDb = { balances: { stream_id: string; balance: string; events: number } };

/** A toy read model: the running sum of `amount` per account stream. */
function balances(options: { failFirst?: number } = {}): Projection<ToyDb> & { calls: number } {
  let failuresLeft = options.failFirst ?? 0;
  const projection = {
    name: 'balances',
    filter: { streamPrefixes: ['account-'] },
    calls: 0,
    async apply(trx: Transaction<ToyDb>, events: readonly RecordedEvent[]) {
      projection.calls++;
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('read model unavailable');
      }
      for (const e of events) {
        const amount = (e.data as { amount: string }).amount;
        await trx
          .insertInto('balances')
          .values({ stream_id: e.streamId, balance: amount, events: 1 })
          .onConflict((oc) =>
            oc.column('stream_id').doUpdateSet({
              balance: sql`balances.balance + excluded.balance`,
              events: sql`balances.events + 1`,
            }),
          )
          .execute();
      }
    },
    async reset(trx: Transaction<ToyDb>) {
      await trx.deleteFrom('balances').execute();
    },
  };
  return projection;
}

const targets: [string, (ctx: Mocha.Context) => Promise<SqlDatabase>][] = [
  ['pglite', () => sharedPglite()],
  [
    'postgres',
    async (ctx) => {
      postgres ??= openPostgresDatabase(await postgresUrl(ctx));
      return postgres;
    },
  ],
];
let postgres: Promise<SqlDatabase> | undefined;
after(async () => {
  await (await postgres)?.close();
});

for (const [target, openDatabase] of targets)
  describe(`projection runner on ${target}`, function () {
    this.timeout(30_000);
    let store: EventStore;
    let db: Kysely<ToyDb>;
    let schema: string;

    beforeEach(async function () {
      const database = await openDatabase(this);
      schema = uniqueSchema('proj');
      store = await openPostgresEventStore({ database, schema: `${schema}_es`, pollMs: 10 });
      db = new Kysely<ToyDb>({ dialect: new PostgresDialect({ pool: database.pool }) });
      await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
      await sql`CREATE TABLE ${sql.id(schema, 'balances')} (
      stream_id text PRIMARY KEY, balance numeric NOT NULL, events int NOT NULL)`.execute(db);
    });

    afterEach(async () => {
      await store.close();
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db);
      await sql`DROP SCHEMA ${sql.id(`${schema}_es`)} CASCADE`.execute(db);
    });

    const deposit = (stream: string, amount: string) =>
      store.append(stream, [{ type: 'CashDeposited', data: { amount } }]);

    const rows = () =>
      db
        .withSchema(schema)
        .selectFrom('balances')
        .select(['stream_id', 'balance', 'events'])
        .orderBy('stream_id')
        .execute();

    it('applies live events and lets a reader wait for its own write', async () => {
      const runner = new ProjectionRunner(store, db, [balances()], { schema });
      await runner.start();
      try {
        await deposit('account-1', '100.10');
        const { position } = await deposit('account-1', '0.01');
        await runner.waitForPosition(position, 5000);
        expect(await rows()).to.deep.equal([
          { stream_id: 'account-1', balance: '100.11', events: 2 },
        ]);
        expect(runner.checkpoint('balances')).to.equal(position);
      } finally {
        await runner.stop();
      }
    });

    it('skips events outside its filter but still advances its checkpoint past them', async () => {
      await deposit('account-1', '5');
      const { position } = await store.append('user-1', [{ type: 'UserRegistered', data: {} }]);
      const runner = new ProjectionRunner(store, db, [balances()], { schema });
      await runner.prepare();
      await runner.catchUp();
      expect(runner.checkpoint('balances')).to.equal(position);
      expect(await rows()).to.have.length(1);
    });

    it('a rebuild from position 0 gives exactly the incremental result', async () => {
      const runner = new ProjectionRunner(store, db, [balances()], { schema, batchSize: 7 });
      await runner.start();
      let last = 0;
      for (let i = 0; i < 60; i++) {
        last = (await deposit(`account-${i % 5}`, `${i}.${i % 10}5`)).position;
      }
      await runner.waitForPosition(last, 5000);
      const incremental = await rows();
      expect(incremental).to.have.length(5);
      await runner.rebuild('balances');
      await runner.waitForPosition(last, 5000);
      expect(await rows()).to.deep.equal(incremental);
      await runner.stop();

      const offline = new ProjectionRunner(store, db, [balances()], { schema });
      await offline.prepare();
      await offline.rebuild('balances');
      expect(offline.checkpoint('balances')).to.equal(last);
      expect(await rows()).to.deep.equal(incremental);
    });

    it('a running runner follows a rebuild started by another process, without gaps', async () => {
      const live = new ProjectionRunner(store, db, [balances()], { schema, batchSize: 4 });
      await live.start();
      try {
        let last = 0;
        for (let i = 0; i < 20; i++) last = (await deposit(`account-${i % 3}`, '1')).position;
        await live.waitForPosition(last, 5000);
        // Another process has just done the first step of a rebuild: rows gone, checkpoint 0.
        await db.withSchema(schema).deleteFrom('balances').execute();
        await sql`UPDATE ${sql.id(schema, 'projection_checkpoints')} SET position = 0`.execute(db);
        for (let i = 0; i < 20; i++) last = (await deposit(`account-${i % 3}`, '1')).position;
        await live.waitForPosition(last, 5000);
        expect(await rows()).to.deep.equal([
          { stream_id: 'account-0', balance: '14', events: 14 },
          { stream_id: 'account-1', balance: '14', events: 14 },
          { stream_id: 'account-2', balance: '12', events: 12 },
        ]);
      } finally {
        await live.stop();
      }
    });

    it('a re-delivered batch changes nothing', async () => {
      for (let i = 0; i < 10; i++) await deposit('account-1', '1');
      const stale = new ProjectionRunner(store, db, [balances()], { schema });
      await stale.prepare(); // remembers checkpoint 0
      const first = new ProjectionRunner(store, db, [balances()], { schema });
      await first.prepare();
      await first.catchUp();
      const once = await rows();
      expect(once).to.deep.equal([{ stream_id: 'account-1', balance: '10', events: 10 }]);
      await stale.catchUp(); // delivers all ten events again
      expect(await rows()).to.deep.equal(once);
    });

    it('two runners started by mistake still apply each event once', async () => {
      const a = new ProjectionRunner(store, db, [balances()], { schema, batchSize: 3 });
      const b = new ProjectionRunner(store, db, [balances()], { schema, batchSize: 5 });
      await Promise.all([a.start(), b.start()]);
      let last = 0;
      for (let i = 0; i < 40; i++) last = (await deposit('account-1', '2')).position;
      await Promise.all([a.waitForPosition(last, 5000), b.waitForPosition(last, 5000)]);
      await Promise.all([a.stop(), b.stop()]);
      expect(await rows()).to.deep.equal([{ stream_id: 'account-1', balance: '80', events: 40 }]);
    });

    it('reports lag while behind and none once caught up', async () => {
      for (let i = 0; i < 12; i++) await deposit('account-1', '1');
      const runner = new ProjectionRunner(store, db, [balances()], { schema });
      await runner.prepare();
      const [before] = await runner.status();
      expect(before?.eventsBehind).to.equal(12);
      expect(before?.checkpoint).to.equal(0);
      expect(before?.running).to.equal(false);
      expect(before?.lagMs).to.be.at.least(0);
      await runner.catchUp();
      const [after] = await runner.status();
      expect(after?.eventsBehind).to.equal(0);
      expect(after?.lagMs).to.equal(0);
      expect(after?.checkpoint).to.equal(after?.headPosition);
    });

    it('retries a failing batch and records the failure', async () => {
      const projection = balances({ failFirst: 2 });
      const runner = new ProjectionRunner(store, db, [projection], { schema, retryDelayMs: 10 });
      await runner.start();
      try {
        const { position } = await deposit('account-1', '3');
        await runner.waitForPosition(position, 5000);
        const [status] = await runner.status();
        expect(status?.failures).to.equal(2);
        expect(status?.lastError).to.equal(undefined);
        expect(await rows()).to.deep.equal([{ stream_id: 'account-1', balance: '3', events: 1 }]);
      } finally {
        await runner.stop();
      }
    });

    it('a wait for a position never reached times out with ProjectionTimeout', async () => {
      const runner = new ProjectionRunner(store, db, [balances()], { schema });
      await runner.prepare();
      try {
        await runner.waitForPosition(1_000_000, 30);
        expect.fail('should time out');
      } catch (error) {
        expect(error).to.be.instanceOf(ProjectionTimeout);
      }
    });

    it('waits for projections run by another process through their stored checkpoints', async () => {
      // The engine process runs the loops; the API process only prepares its runner.
      const worker = new ProjectionRunner(store, db, [balances()], { schema });
      const api = new ProjectionRunner(store, db, [balances()], { schema, pollMs: 5 });
      await api.prepare();
      await worker.start();
      try {
        await deposit('account-1', '1');
        const { position } = await deposit('account-1', '2.5');
        await api.waitForPosition(position, 5000);
        // What the API reads right after the wait contains its write.
        expect(await rows()).to.deep.equal([{ stream_id: 'account-1', balance: '3.5', events: 2 }]);
        expect(api.checkpoint('balances')).to.be.at.least(position);
        const [status] = await api.status();
        expect(status).to.deep.include({ running: false, eventsBehind: 0 });
      } finally {
        await worker.stop();
      }
      // With no worker running, the API's wait is bounded.
      const { position } = await deposit('account-1', '1');
      const started = Date.now();
      try {
        await api.waitForPosition(position, 80);
        expect.fail('should time out');
      } catch (error) {
        expect(error).to.be.instanceOf(ProjectionTimeout);
      }
      expect(Date.now() - started).to.be.below(2000);
      // A worker that catches up later releases a waiting reader.
      const waiting = api.waitForPosition(position, 5000);
      await worker.catchUp();
      await waiting;
    });

    it('projections share a loop, and a failing one leaves it without holding the others back', async () => {
      let failuresLeft = 3;
      const flaky: Projection<ToyDb> = {
        name: 'flaky',
        apply() {
          if (failuresLeft-- > 0) return Promise.reject(new Error('flaky read model'));
          return Promise.resolve();
        },
        reset: () => Promise.resolve(),
      };
      const runner = new ProjectionRunner(store, db, [flaky, balances()], {
        schema,
        retryDelayMs: 20,
      });
      await runner.start();
      try {
        const { position } = await deposit('account-1', '4.25');
        await runner.waitForPosition(position, 5000, ['balances']);
        expect(await rows()).to.deep.equal([
          { stream_id: 'account-1', balance: '4.25', events: 1 },
        ]);
        await runner.waitForPosition(position, 5000, ['flaky']);
        const status = await runner.status();
        expect(status.find((x) => x.name === 'flaky')).to.deep.include({
          running: true,
          failures: 3,
          checkpoint: position,
        });
        expect(status.find((x) => x.name === 'balances')).to.deep.include({ failures: 0 });
        // Both keep following live events.
        const next = await deposit('account-1', '1');
        await runner.waitForPosition(next.position, 5000);
        // Stopping one leaves the other running.
        await runner.stop(['balances']);
        const more = await deposit('account-1', '1');
        await runner.waitForPosition(more.position, 5000, ['flaky']);
        expect((await runner.status()).map((x) => [x.name, x.running])).to.deep.equal([
          ['flaky', true],
          ['balances', false],
        ]);
      } finally {
        await runner.stop();
      }
    });

    it('refuses unknown or duplicate projection names', () => {
      expect(() => new ProjectionRunner(store, db, [balances(), balances()])).to.throw(
        /Two projections/,
      );
      const runner = new ProjectionRunner(store, db, [balances()], { schema });
      expect(() => runner.checkpoint('nope')).to.throw(
        /Unknown projection "nope"; known: balances/,
      );
    });

    it('works over the in-memory store too', async () => {
      const memory = new MemoryEventStore();
      const runner = new ProjectionRunner(memory, db, [balances()], { schema });
      await runner.prepare();
      await memory.append('account-7', [{ type: 'CashDeposited', data: { amount: '7' } }]);
      await runner.catchUp();
      expect(await rows()).to.deep.equal([{ stream_id: 'account-7', balance: '7', events: 1 }]);
    });
  });
