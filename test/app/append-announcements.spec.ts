import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { RedisCache } from '../../src/cache/redis.ts';
import { AppendAnnouncements } from '../../src/app/append-announcements.ts';
import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres.ts';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.ts';
import { uniqueSchema } from '../support/pglite.ts';
import { postgresUrl, redisKeyPrefix, redisUrl } from '../support/services.ts';

/** Two processes' views of one PostgreSQL event store, each polling only every `pollMs`. */
describe('app: append announcements over Redis pub/sub', function () {
  this.timeout(30_000);
  let databases: SqlDatabase[];
  let url: string;
  let schema: string;
  const caches: RedisCache[] = [];
  const closers: (() => Promise<void>)[] = [];

  before(async function () {
    const pg = await postgresUrl(this);
    url = await redisUrl(this);
    databases = await Promise.all([openPostgresDatabase(pg, 4), openPostgresDatabase(pg, 4)]);
  });
  after(async () => {
    await databases[0]?.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    for (const db of databases) await db.close();
  });
  beforeEach(() => {
    schema = uniqueSchema('announce');
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const cache of caches.splice(0)) await cache.close();
  });

  async function openProcess(index: number, pollMs: number, prefix: string) {
    const store = await openPostgresEventStore({
      database: databases[index] as SqlDatabase,
      schema,
      pollMs,
    });
    closers.push(() => store.close());
    const cache = await RedisCache.connect({ url, keyPrefix: prefix });
    caches.push(cache);
    const announcements = new AppendAnnouncements(cache);
    const lags: number[] = [];
    await announcements.listen((_position, lag) => {
      lags.push(lag);
      store.wake();
    });
    closers.push(() => announcements.close());
    return { store, cache, writer: announcements.announcing(store), lags };
  }

  /** Milliseconds until `store`'s subscription (from the head) delivers the next event. */
  async function delivered(store: EventStore, append: () => Promise<unknown>): Promise<number> {
    const subscription = store.subscribeToAll({ fromPosition: await store.headPosition() });
    closers.push(() => subscription.close());
    // The subscription has read the head and waits for a notification or its poll.
    const first = subscription.nextBatch();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await append();
    const batch: RecordedEvent[] = await first;
    expect(batch).to.have.length(1);
    return Date.now() - started;
  }

  const event = () => [{ id: randomUUID(), type: 'CashDeposited', data: { amount: '1.10' } }];

  it('an append in one process wakes the other process’s subscription long before its poll', async () => {
    const prefix = `${redisKeyPrefix()}announce:${randomBytes(4).toString('hex')}:`;
    const a = await openProcess(0, 60_000, prefix);
    const b = await openProcess(1, 60_000, prefix);
    // Both a single poll of a minute: only the announcement can deliver within the timeout.
    const ms = await delivered(b.store, () => a.writer.append('account-x', event()));
    expect(ms).to.be.lessThan(5_000);
    expect(b.lags).to.have.length(1);
    expect(b.lags[0]).to.be.within(0, 5);
    // A process ignores its own announcements (its subscriptions woke already).
    expect(a.lags).to.have.length(0);
  });

  it('without Redis the subscription still gets the event at its poll: nothing depends on pub/sub', async () => {
    const prefix = `${redisKeyPrefix()}announce:${randomBytes(4).toString('hex')}:`;
    const a = await openProcess(0, 300, prefix);
    const b = await openProcess(1, 300, prefix);
    await a.cache.close();
    await b.cache.close();
    expect(a.cache.state()).to.equal('down');
    // The append itself never fails because the announcement cannot go out.
    const ms = await delivered(b.store, () => a.writer.append('account-y', event()));
    expect(ms).to.be.lessThan(5_000);
    expect(b.lags).to.have.length(0);
  });
});
