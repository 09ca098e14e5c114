import { expect } from 'chai';
import { AccountService, type CallContext } from '../../src/commands/accounts.ts';
import { equity } from '../../src/domain/instrument.ts';
import {
  ExecutionEngine,
  MemoryEngineStore,
  SqlEngineStore,
  type EngineStore,
} from '../../src/engine/index.ts';
import { openPostgresDatabase } from '../../src/eventstore/database.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';
import { scriptedMarket, type ScriptedMarket } from './support.ts';

const user: CallContext = { actor: 'user:u1', source: 'test' };
const ACCOUNTS = 8;
const ORDERS_PER_ACCOUNT = 5;
const QTY = 50;

interface FillData {
  orderId: string;
  fillId: string;
  qty: string;
}

async function placeBook(service: AccountService): Promise<string[]> {
  const orderIds: string[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const { accountId } = await service.openAccount(
      { ownerId: 'u1', name: `acct ${a}`, initialCash: '1000000' },
      user,
    );
    for (let k = 0; k < ORDERS_PER_ACCOUNT; k++) {
      const placed = await service.placeOrder(
        accountId,
        {
          instrument: equity('AAPL'),
          side: 'buy',
          type: 'limit',
          timeInForce: 'gtc',
          qty: String(QTY),
          limitPrice: (99.9 - 0.1 * k).toFixed(2),
        },
        {},
        user,
      );
      orderIds.push(placed.orderId);
    }
  }
  return orderIds;
}

/** Every order reaches exactly its quantity, in fills whose ids follow the order's progress. */
async function expectExactlyFilled(store: EventStore, orderIds: readonly string[]): Promise<void> {
  const fills = (await store.readAll({ filter: { eventTypes: ['OrderFilled'] } })).map(
    (e) => e.data as FillData,
  );
  const ids = fills.map((f) => f.fillId);
  expect(new Set(ids).size, 'fill ids are unique').to.equal(ids.length);
  for (const orderId of orderIds) {
    const mine = fills.filter((f) => f.orderId === orderId);
    let filled = 0;
    for (const fill of mine) {
      expect(fill.fillId).to.equal(`${orderId}.f${filled}`);
      filled += Number(fill.qty);
    }
    expect(filled, `order ${orderId}`).to.equal(QTY);
  }
}

async function crashAndRestart(
  store: EventStore,
  engineStore: EngineStore,
  market: ScriptedMarket,
): Promise<void> {
  const service = new AccountService({ store, market });
  const orderIds = await placeBook(service);
  let applied = 0;
  const first = new ExecutionEngine({
    service,
    events: store,
    state: engineStore,
    onApplied: () => {
      applied++;
    },
  });
  await first.start();
  await first.whenActive();
  // Walk the ask down a cent at a time with 30 shares shown: partial fills, many in flight.
  let ask = 100;
  while (applied < 12) {
    ask -= 0.01;
    market.push('AAPL', { ask: ask.toFixed(2), last: ask.toFixed(2), askSize: 30 });
    await new Promise((resolve) => setImmediate(resolve));
  }
  await first.abandon(); // mid-stream: commands in flight, checkpoint not saved at the end
  expect(first.leadership).to.equal('stopped');

  // An order placed while no engine runs is not lost either.
  const late = await service.placeOrder(
    (await service.listAccountIds())[0] ?? '',
    {
      instrument: equity('AAPL'),
      side: 'buy',
      type: 'limit',
      timeInForce: 'gtc',
      qty: String(QTY),
      limitPrice: '99.00',
    },
    {},
    user,
  );

  const second = new ExecutionEngine({
    service: new AccountService({ store, market }),
    events: store,
    state: engineStore,
  });
  await second.start();
  await second.whenActive();
  for (let i = 0; i < 10; i++) {
    market.push('AAPL', { ask: '98.99', last: '98.99', askSize: 30 });
    await second.idle();
  }
  expect(second.openOrders).to.equal(0);
  await second.stop();
  expect((await engineStore.load('execution')).position).to.be.greaterThan(0);
  await expectExactlyFilled(store, [...orderIds, late.orderId]);
}

describe('ExecutionEngine crash safety', () => {
  it('a crash mid-stream and a restart neither lose nor repeat a fill (memory)', async () => {
    const { market } = scriptedMarket(new Date('2025-03-03T15:00:00.000Z'));
    await crashAndRestart(new MemoryEventStore(), new MemoryEngineStore(), market);
  });

  it('a crash mid-stream and a restart neither lose nor repeat a fill (PGlite, checkpoint in SQL)', async () => {
    const database = await sharedPglite();
    const schema = uniqueSchema('engine');
    const store = await openPgliteEventStore({ database, schema });
    const engineStore = new SqlEngineStore(database, { schema });
    const { market } = scriptedMarket(new Date('2025-03-03T15:00:00.000Z'));
    await crashAndRestart(store, engineStore, market);
    // One process owns a PGlite database: the lease is in-process there.
    const lease = await engineStore.tryAcquire('execution');
    expect(await engineStore.tryAcquire('execution')).to.equal(undefined);
    await lease?.release();
    const again = await engineStore.tryAcquire('execution');
    expect(again).to.not.equal(undefined);
    await again?.release();
  });

  it('the PostgreSQL lease is an advisory lock a standby takes over when the holder dies', async function () {
    const url = await postgresUrl(this);
    const a = await openPostgresDatabase(url, 3);
    const b = await openPostgresDatabase(url, 3);
    try {
      const schema = uniqueSchema('lease');
      const storeA = new SqlEngineStore(a, { schema });
      const storeB = new SqlEngineStore(b, { schema });
      const lease = await storeA.tryAcquire('execution');
      expect(lease).to.not.equal(undefined);
      expect(await storeB.tryAcquire('execution')).to.equal(undefined);
      // The holder's connection dies (a crashed process): the lock goes with it.
      await b.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      await lease?.lost;
      const taken = await storeB.tryAcquire('execution');
      expect(taken).to.not.equal(undefined);
      await taken?.release();
      await lease?.release();
      await storeB.save('execution', 42, { add: ['x', 'y'], remove: [] });
      await storeB.save('execution', 43, { add: [], remove: ['x'] });
      const checkpoint = await storeA.load('execution');
      expect(checkpoint.position).to.equal(43);
      expect([...checkpoint.accounts]).to.deep.equal(['y']);
      await storeA.park({
        engine: 'execution',
        accountId: 'y',
        orderId: 'o',
        action: 'fill',
        reason: 'Error: boom',
        attempts: 5,
        at: '2025-03-03T15:00:00.000Z',
      });
      const [parked] = await storeB.parked('execution');
      expect(parked).to.deep.equal({
        id: parked?.id,
        engine: 'execution',
        accountId: 'y',
        orderId: 'o',
        action: 'fill',
        reason: 'Error: boom',
        attempts: 5,
        at: '2025-03-03T15:00:00.000Z',
        expected: null,
        market: null,
        status: 'parked',
        resolvedAt: null,
        resolution: null,
      });
      expect(
        await storeA.resolveParked('execution', parked?.id ?? 0, {
          status: 'refused',
          detail: 'order_not_fillable',
          at: '2025-03-03T16:00:00.000Z',
        }),
      ).to.equal(true);
      expect(await storeB.parked('execution')).to.deep.equal([]);
      expect(await storeB.parked('execution', { includeResolved: true })).to.have.length(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
