import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openEsdbEventStore } from '../../src/eventstore/esdb.ts';
import { openStorage } from '../../src/eventstore/index.ts';
import { EventStoreError } from '../../src/eventstore/port.ts';
import { startEsdbDouble, type EsdbDouble } from '../support/esdb-double/index.ts';
import { eventStoreContract } from './contract.ts';

/** A stream prefix no other test or run uses, so tests can share one server. */
const uniquePrefix = (): string => `t${randomBytes(6).toString('hex')}_`;

describe('event store contract: esdb over the gRPC double', function () {
  this.timeout(60_000);
  eventStoreContract({
    async open() {
      const double = await startEsdbDouble();
      const store = await openEsdbEventStore({ connectionString: double.connectionString });
      return {
        store,
        dispose: async () => {
          await store.close();
          await double.stop();
        },
      };
    },
  });
});

describe('event store contract: esdb over one gRPC double shared by stream prefix', function () {
  this.timeout(60_000);
  let double: EsdbDouble;
  before(async () => {
    double = await startEsdbDouble();
    // Another tenant's events, which every test must not see.
    const other = await openEsdbEventStore({
      connectionString: double.connectionString,
      streamPrefix: 'other_',
    });
    await other.append('account-1', [{ type: 'Noise', data: {} }]);
    await other.close();
  });
  after(async () => {
    await double.stop();
  });
  eventStoreContract({
    async open() {
      const store = await openEsdbEventStore({
        connectionString: double.connectionString,
        streamPrefix: uniquePrefix(),
        // Small pages so paging through $all is exercised.
        pageSize: 7,
      });
      return { store, dispose: () => store.close() };
    },
  });
});

describe('event store contract: esdb on a real server (ESDB_CONNECTION_STRING)', function () {
  this.timeout(120_000);
  const connectionString = process.env.ESDB_CONNECTION_STRING;
  before(function () {
    if (!connectionString) this.skip();
  });
  eventStoreContract({
    async open() {
      const store = await openEsdbEventStore({
        connectionString: connectionString ?? '',
        streamPrefix: uniquePrefix(),
      });
      return { store, dispose: () => store.close() };
    },
  });
});

describe('esdb adapter over the double: server behaviours the contract does not reach', () => {
  it('completes an idempotent answer that carries no position (older servers)', async () => {
    const double = await startEsdbDouble({ idempotentWithoutPosition: true });
    const store = await openEsdbEventStore({
      connectionString: double.connectionString,
      idempotencyWindow: 0,
    });
    try {
      const batch = [{ id: randomUUID(), type: 'A', data: {} }];
      const first = await store.append('account-1', batch, { expectedRevision: 'no_stream' });
      const again = await store.append('account-1', batch, { expectedRevision: 'no_stream' });
      expect(again).to.deep.equal(first);
    } finally {
      await store.close();
      await double.stop();
    }
  });

  it('refuses a batch over the server maximum append size whole', async () => {
    const double = await startEsdbDouble({ maxAppendSize: 4096 });
    const store = await openEsdbEventStore({ connectionString: double.connectionString });
    try {
      const events = Array.from({ length: 4 }, () => ({
        type: 'A',
        data: { fill: 'z'.repeat(1500) },
      }));
      try {
        await store.append('account-1', events);
        expect.fail('expected a refusal');
      } catch (error) {
        expect(error).to.be.instanceOf(EventStoreError);
        expect((error as EventStoreError).code).to.equal('too_many_events');
      }
      expect(await store.readAll()).to.have.length(0);
    } finally {
      await store.close();
      await double.stop();
    }
  });

  it('without its own check, still refuses a partly stored batch through the server answer', async () => {
    const double = await startEsdbDouble();
    const store = await openEsdbEventStore({
      connectionString: double.connectionString,
      idempotencyWindow: 0,
    });
    try {
      const id = randomUUID();
      await store.append('account-1', [{ id, type: 'A', data: {} }]);
      try {
        await store.append('account-1', [
          { id, type: 'A', data: {} },
          { type: 'B', data: {} },
        ]);
        expect.fail('expected a refusal');
      } catch (error) {
        expect((error as EventStoreError).code).to.equal('duplicate_event_id');
      }
      expect(await store.readStream('account-1')).to.have.length(1);
    } finally {
      await store.close();
      await double.stop();
    }
  });

  it('positions are twice the server log position and resume with position + 1', async () => {
    const double = await startEsdbDouble();
    const store = await openEsdbEventStore({ connectionString: double.connectionString });
    try {
      await store.append('account-1', [
        { type: 'A', data: {} },
        { type: 'B', data: {} },
      ]);
      const [a, b] = await store.readAll();
      const logPositions = double.log.records.map((r) => Number(r.position) * 2);
      expect([a?.position, b?.position]).to.deep.equal(logPositions);
      const after = await store.readAll({ fromPosition: (a?.position ?? 0) + 1 });
      expect(after.map((e) => e.type)).to.deep.equal(['B']);
      const sub = store.subscribeToAll({ fromPosition: (a?.position ?? 0) + 1 });
      try {
        expect((await sub.nextBatch()).map((e) => e.type)).to.deep.equal(['B']);
      } finally {
        await sub.close();
      }
    } finally {
      await store.close();
      await double.stop();
    }
  });

  it('openStorage with EVENT_STORE=esdb appends through the hash chain to the server', async function () {
    this.timeout(60_000);
    const double = await startEsdbDouble();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'opt-esdb-'));
    const storage = await openStorage({
      dataDir,
      databaseUrl: undefined,
      eventStoreAdapter: 'esdb',
      esdbConnectionString: double.connectionString,
    });
    try {
      expect(storage.eventStore.kind).to.equal('esdb');
      await storage.eventStore.append('account-1', [{ type: 'A', data: { n: 1 } }]);
      await storage.eventStore.append('account-1', [{ type: 'B', data: { n: 2 } }]);
      const events = await storage.eventStore.readStream('account-1');
      expect(events.map((e) => e.type)).to.deep.equal(['A', 'B']);
      expect(events[1]?.metadata.prevHash).to.equal(events[0]?.metadata.hash);
      expect(double.log.records).to.have.length(2);
    } finally {
      await storage.close();
      await double.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
