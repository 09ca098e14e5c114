import { expect } from 'chai';
import { AccountService, type CallContext } from '../../src/commands/accounts.ts';
import type { OrderRequest } from '../../src/domain/account/index.ts';
import { equity } from '../../src/domain/instrument.ts';
import {
  ExecutionEngine,
  MemoryEngineStore,
  replayParked,
  SqlEngineStore,
  type EngineStore,
} from '../../src/engine/index.ts';
import { openPgliteDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { uniqueSchema } from '../support/pglite.ts';
import { scriptedMarket, type ScriptedMarket } from './support.ts';
import { orderById } from '../../src/domain/account/order-lookup.ts';

/** Monday 2025-03-03 10:00 New York. */
const MONDAY_10 = new Date('2025-03-03T15:00:00.000Z');
const user: CallContext = { actor: 'user:u1', source: 'test' };
const operator: CallContext = { actor: 'cli:ops', source: 'cli' };

const limitBuy = (limitPrice: string): OrderRequest => ({
  instrument: equity('AAPL'),
  side: 'buy',
  type: 'limit',
  timeInForce: 'gtc',
  qty: '10',
  limitPrice,
});

/**
 * A store whose next `OrderFilled` appends fail as scripted: `down` refuses one (nothing
 * written), `lost_ack` writes it and then reports an error (the write landed, the caller
 * cannot know). With the script empty it works.
 */
class FlakyStore {
  failures: ('down' | 'lost_ack')[] = [];
  readonly inner = new MemoryEventStore();
  readonly store: EventStore = {
    kind: 'memory',
    append: async (streamId, events, options) => {
      const failure = events.some((e) => e.type === 'OrderFilled')
        ? this.failures.shift()
        : undefined;
      if (failure === 'down') throw new Error('connection reset');
      const result = await this.inner.append(streamId, events, options);
      if (failure === 'lost_ack') throw new Error('connection reset after commit');
      return result;
    },
    readStream: (streamId, options) => this.inner.readStream(streamId, options),
    readAll: (options) => this.inner.readAll(options),
    subscribeToAll: (options) => this.inner.subscribeToAll(options),
    headPosition: () => this.inner.headPosition(),
    ping: () => this.inner.ping(),
    close: () => this.inner.close(),
  };
}

interface Rig {
  flaky: FlakyStore;
  market: ScriptedMarket;
  service: AccountService;
  engineStore: EngineStore;
  engine: ExecutionEngine;
}

function rig(engineStore: EngineStore = new MemoryEngineStore()): Rig {
  const flaky = new FlakyStore();
  const { market } = scriptedMarket(MONDAY_10);
  market.push('AAPL', { last: '100' });
  const service = new AccountService({ store: flaky.store, market });
  const engine = new ExecutionEngine({
    service,
    events: flaky.store,
    state: engineStore,
    retry: { attempts: 2, baseDelayMs: 1 },
    leasePollMs: 5,
  });
  return { flaky, market, service, engineStore, engine };
}

/**
 * Places a buy limit at 99 and lets the engine park its fill: both attempts fail as scripted
 * (by default the store refuses them).
 */
async function parkAFill(
  r: Rig,
  failures: ('down' | 'lost_ack')[] = ['down', 'down'],
): Promise<{ accountId: string; orderId: string }> {
  const { accountId } = await r.service.openAccount(
    { ownerId: 'u1', name: 'A', initialCash: '100000' },
    user,
  );
  const { orderId } = await r.service.placeOrder(accountId, limitBuy('99.00'), {}, user);
  await r.engine.start();
  await r.engine.whenActive();
  r.flaky.failures = failures;
  r.market.push('AAPL', { last: '98.90', ask: '98.95', bid: '98.85' });
  await r.engine.idle();
  await r.engine.stop();
  expect(r.flaky.failures).to.deep.equal([]);
  return { accountId, orderId };
}

async function fillsOf(store: EventStore, accountId: string): Promise<string[]> {
  return (await store.readStream(`account-${accountId}`))
    .filter((e) => e.type === 'OrderFilled')
    .map((e) => (e.data as { fillId: string }).fillId);
}

describe('replaying parked engine commands', () => {
  it('parks a failing fill with its order version and market, and a replay applies it once', async () => {
    const r = rig();
    const { accountId, orderId } = await parkAFill(r);
    const [parked] = await r.engineStore.parked('execution');
    expect(parked).to.deep.include({ id: 1, accountId, orderId, action: 'fill', status: 'parked' });
    expect(parked?.expected).to.deep.equal({
      status: 'new',
      filledQty: '0',
      triggered: false,
      hwm: null,
    });
    expect(parked?.market?.quote).to.deep.include({ ask: '98.95', symbol: 'AAPL' });

    // Later the market has moved away; the replay still sends the command as evaluated.
    r.market.push('AAPL', { last: '120' });
    const [result] = await replayParked(
      { service: r.service, state: r.engineStore, context: operator },
      'all',
    );
    expect(result).to.deep.include({ id: 1, outcome: 'replayed', orderId, action: 'fill' });
    expect(result?.position).to.be.a('number');
    const order = orderById((await r.service.load(accountId)).state, orderId);
    expect(order).to.deep.include({ status: 'filled', filledNotional: '989.5' });
    expect(await fillsOf(r.flaky.inner, accountId)).to.deep.equal([`${orderId}.f0`]);
    const events = await r.flaky.inner.readStream(`account-${accountId}`);
    expect(events.at(-1)?.metadata).to.deep.include({
      actor: 'cli:ops',
      source: 'cli',
      causationId: 'engine-parked:execution:1',
    });

    // Settled: no longer listed as parked, kept with its resolution; a second replay is a no-op.
    expect(await r.engineStore.parked('execution')).to.deep.equal([]);
    const [settled] = await r.engineStore.parked('execution', { includeResolved: true });
    expect(settled).to.deep.include({ status: 'replayed' });
    expect(settled?.resolution).to.match(/^applied at position \d+/);
    const again = await replayParked(
      { service: r.service, state: r.engineStore, context: operator },
      [1],
    );
    expect(again[0]).to.deep.include({ outcome: 'not_parked' });
    expect(await fillsOf(r.flaky.inner, accountId)).to.have.length(1);
  });

  it('a fill whose write landed although the engine saw an error is settled as stale, never filled twice', async () => {
    const r = rig();
    // The first attempt is refused; the retry's write lands but its answer is lost.
    const { accountId, orderId } = await parkAFill(r, ['down', 'lost_ack']);
    expect(await fillsOf(r.flaky.inner, accountId)).to.deep.equal([`${orderId}.f0`]);
    expect(await r.engineStore.parked('execution')).to.have.length(1);
    const [result] = await replayParked(
      { service: r.service, state: r.engineStore, context: operator },
      'all',
    );
    expect(result).to.deep.include({ outcome: 'stale' });
    expect(result?.detail).to.contain('stale_order_version');
    expect(await fillsOf(r.flaky.inner, accountId)).to.deep.equal([`${orderId}.f0`]);
    const [settled] = await r.engineStore.parked('execution', { includeResolved: true });
    expect(settled?.status).to.equal('stale');
  });

  it('an order canceled since it was parked is not filled by a replay', async () => {
    const r = rig();
    const { accountId, orderId } = await parkAFill(r);
    await r.service.cancelOrder(accountId, orderId, user);
    const [result] = await replayParked(
      { service: r.service, state: r.engineStore, context: operator },
      [1],
    );
    expect(result?.outcome).to.equal('stale');
    expect(await fillsOf(r.flaky.inner, accountId)).to.deep.equal([]);
  });

  it('two operators replaying the same command at once apply it once', async () => {
    const r = rig();
    const { accountId, orderId } = await parkAFill(r);
    // Two processes: two services with their own caches over the same store and engine store.
    const other = new AccountService({ store: r.flaky.store, market: r.market });
    const results = await Promise.all([
      replayParked({ service: r.service, state: r.engineStore, context: operator }, [1]),
      replayParked({ service: other, state: r.engineStore, context: operator }, [1]),
    ]);
    const outcomes = results.map(([x]) => x?.outcome).sort();
    expect(outcomes).to.satisfy(
      (o: string[]) =>
        JSON.stringify(o) === JSON.stringify(['replayed', 'stale']) ||
        JSON.stringify(o) === JSON.stringify(['not_parked', 'replayed']),
    );
    expect(await fillsOf(r.flaky.inner, accountId)).to.deep.equal([`${orderId}.f0`]);
    // Whichever settled first, the record names the replay that applied it.
    const [settled] = await r.engineStore.parked('execution', { includeResolved: true });
    expect(settled?.status).to.equal('replayed');
  });

  it('a replay that fails again leaves the command parked; unknown ids and unreplayable rows are reported', async () => {
    const r = rig();
    const { accountId } = await parkAFill(r);
    await r.engineStore.park({
      engine: 'execution',
      accountId,
      orderId: 'legacy',
      action: 'fill',
      reason: 'Error: old',
      attempts: 5,
      at: '2025-03-03T15:00:00.000Z',
    });
    r.flaky.failures = ['down'];
    const results = await replayParked(
      { service: r.service, state: r.engineStore, context: operator },
      [1, 2, 99],
    );
    expect(results.map((x) => x.outcome)).to.deep.equal(['failed', 'unreplayable', 'not_parked']);
    expect(results[0]?.detail).to.contain('connection reset');
    expect((await r.engineStore.parked('execution')).map((p) => p.id)).to.deep.equal([1, 2]);
    const [retried] = await replayParked(
      { service: r.service, state: r.engineStore, context: operator },
      [1],
    );
    expect(retried?.outcome).to.equal('replayed');
  });

  describe('SqlEngineStore (PGlite)', function () {
    this.timeout(60_000);
    let database: SqlDatabase;
    before(async () => {
      database = await openPgliteDatabase('memory://');
    });
    after(() => database.close());

    it('keeps the version and market of a parked command and settles it once', async () => {
      const engineStore = new SqlEngineStore(database, { schema: uniqueSchema('parked') });
      const r = rig(engineStore);
      const { accountId, orderId } = await parkAFill(r);
      const [parked] = await engineStore.parked('execution');
      expect(parked).to.deep.include({ accountId, orderId, action: 'fill', status: 'parked' });
      expect(parked?.expected).to.deep.equal({
        status: 'new',
        filledQty: '0',
        triggered: false,
        hwm: null,
      });
      expect(parked?.market?.quote?.ask).to.equal('98.95');
      const id = parked?.id ?? 0;
      const [result] = await replayParked(
        { service: r.service, state: engineStore, context: operator },
        'all',
      );
      expect(result).to.deep.include({ id, outcome: 'replayed' });
      // Settled once: a late `stale` changes nothing.
      expect(
        await engineStore.resolveParked('execution', id, {
          status: 'stale',
          detail: 'late',
          at: '2025-03-03T16:00:00.000Z',
        }),
      ).to.equal(false);
      const [settled] = await engineStore.parked('execution', { includeResolved: true });
      expect(settled).to.deep.include({ status: 'replayed' });
      expect(settled?.resolvedAt).to.be.a('string');
      expect(await fillsOf(r.flaky.inner, accountId)).to.deep.equal([`${orderId}.f0`]);
    });
  });
});
