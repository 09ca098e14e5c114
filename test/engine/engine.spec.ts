import { expect } from 'chai';
import { Registry } from 'prom-client';
import { AccountService, type CallContext } from '../../src/commands/accounts.ts';
import { equity } from '../../src/domain/instrument.ts';
import type { OrderRequest } from '../../src/domain/account/index.ts';
import {
  createEngineMetrics,
  ExecutionEngine,
  MemoryEngineStore,
  type EngineStore,
} from '../../src/engine/index.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { scriptedMarket, type ScriptedMarket } from './support.ts';
import type { SimulatedClock } from '../../src/market/index.ts';
import { orderById } from '../../src/domain/account/order-lookup.ts';

/** Monday 2025-03-03 10:00 New York. */
const MONDAY_10 = new Date('2025-03-03T15:00:00.000Z');
const user: CallContext = { actor: 'user:u1', source: 'test' };

function request(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    instrument: equity('AAPL'),
    side: 'buy',
    type: 'limit',
    timeInForce: 'gtc',
    qty: '10',
    ...overrides,
  };
}

interface Rig {
  store: EventStore;
  service: AccountService;
  market: ScriptedMarket;
  clock: SimulatedClock;
  engineStore: EngineStore;
  engine: ExecutionEngine;
  registry: Registry;
}

function rig(start = MONDAY_10, store: EventStore = new MemoryEventStore()): Rig {
  const { market, clock } = scriptedMarket(start);
  market.push('AAPL', { last: '100' });
  const service = new AccountService({ store, market });
  const engineStore = new MemoryEngineStore();
  const registry = new Registry();
  const engine: ExecutionEngine = new ExecutionEngine({
    service,
    events: store,
    state: engineStore,
    metrics: createEngineMetrics(registry, (): ExecutionEngine => engine),
    retry: { attempts: 3, baseDelayMs: 1 },
    leasePollMs: 5,
  });
  return { store, service, market, clock, engineStore, engine, registry };
}

async function account(service: AccountService, cash = '1000000'): Promise<string> {
  return (await service.openAccount({ ownerId: 'u1', name: 'A', initialCash: cash }, user))
    .accountId;
}

async function metric(registry: Registry, name: string): Promise<number> {
  const json = await registry.getSingleMetricAsString(name);
  return json
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('ExecutionEngine', () => {
  it('fills a resting limit when a quote crosses it, and only quotes of its symbol matter', async () => {
    const r = rig();
    const id = await account(r.service);
    const placed = await r.service.placeOrder(id, request({ limitPrice: '99.00' }), {}, user);
    await r.engine.start();
    await r.engine.whenActive();
    expect(r.engine.leadership).to.equal('active');
    expect(r.engine.openOrders).to.equal(1);
    expect(r.market.subscribed()).to.deep.equal(['AAPL']);
    r.market.push('AAPL', { last: '99.50', ask: '99.20' });
    await r.engine.idle();
    expect(orderById((await r.service.load(id)).state, placed.orderId)?.status).to.equal('new');
    r.market.push('AAPL', { last: '98.90', ask: '98.95', bid: '98.85' });
    await r.engine.idle();
    const order = orderById((await r.service.load(id)).state, placed.orderId);
    expect(order?.status).to.equal('filled');
    expect(order?.filledNotional).to.equal('989.5');
    expect(r.engine.openOrders).to.equal(0);
    expect(r.market.subscribed()).to.deep.equal([]);
    expect(await metric(r.registry, 'engine_commands_total')).to.equal(1);
    await r.engine.stop();
    expect(r.engine.leadership).to.equal('stopped');
  });

  it('triggers a stop on a gap and ratchets a trailing stop before triggering it', async () => {
    const r = rig();
    const id = await account(r.service);
    await r.service.placeOrder(id, request({ type: 'market', qty: '20' }), {}, user);
    const stop = await r.service.placeOrder(
      id,
      request({ side: 'sell', type: 'stop', stopPrice: '95.00' }),
      {},
      user,
    );
    const trail = await r.service.placeOrder(
      id,
      request({ side: 'sell', type: 'trailing_stop', trailPrice: '2' }),
      {},
      user,
    );
    await r.engine.start();
    await r.engine.whenActive();
    r.market.push('AAPL', { last: '101' });
    await r.engine.idle();
    r.market.push('AAPL', { last: '104' });
    await r.engine.idle();
    let state = (await r.service.load(id)).state;
    expect(orderById(state, trail.orderId)?.hwm).to.equal('104');
    expect(orderById(state, trail.orderId)?.stopPrice).to.equal('102');
    r.market.push('AAPL', { last: '101.5', bid: '101.40' });
    await r.engine.idle();
    state = (await r.service.load(id)).state;
    expect(orderById(state, trail.orderId)?.status).to.equal('filled');
    expect(orderById(state, stop.orderId)?.status).to.equal('new');
    // A gap through the stop fills at the first quote past it, not at the stop.
    r.market.push('AAPL', { last: '90', bid: '89.90', ask: '90.10' });
    await r.engine.idle();
    state = (await r.service.load(id)).state;
    expect(orderById(state, stop.orderId)?.status).to.equal('filled');
    expect(orderById(state, stop.orderId)?.filledNotional).to.equal('899');
    expect(await metric(r.registry, 'engine_commands_total')).to.be.greaterThanOrEqual(4);
    await r.engine.stop();
  });

  it('expires day orders at an early close on the market clock, not before', async () => {
    // Friday 2025-11-28, the day after Thanksgiving: the session closes at 13:00 New York.
    const r = rig(new Date('2025-11-28T15:00:00.000Z'));
    const id = await account(r.service);
    const day = await r.service.placeOrder(
      id,
      request({ limitPrice: '90.00', timeInForce: 'day' }),
      {},
      user,
    );
    const gtc = await r.service.placeOrder(id, request({ limitPrice: '90.00' }), {}, user);
    await r.engine.start();
    await r.engine.whenActive();
    r.clock.advanceTo(new Date('2025-11-28T17:59:59.000Z'));
    await r.engine.idle();
    expect(orderById((await r.service.load(id)).state, day.orderId)?.status).to.equal('new');
    r.clock.advanceTo(new Date('2025-11-28T18:00:00.000Z'));
    await r.engine.idle();
    const state = (await r.service.load(id)).state;
    expect(orderById(state, day.orderId)?.status).to.equal('expired');
    expect(orderById(state, gtc.orderId)?.status).to.equal('new');
    await r.engine.stop();
  });

  it('fills opg at the opening print and cls at the closing print', async () => {
    const r = rig(new Date('2025-03-03T13:00:00.000Z')); // 08:00 New York, pre-market
    const id = await account(r.service);
    const opg = await r.service.placeOrder(
      id,
      request({ type: 'market', timeInForce: 'opg' }),
      {},
      user,
    );
    const cls = await r.service.placeOrder(
      id,
      request({ type: 'market', timeInForce: 'cls' }),
      {},
      user,
    );
    expect(opg.order?.status).to.equal('accepted');
    await r.engine.start();
    await r.engine.whenActive();
    r.clock.advanceTo(new Date('2025-03-03T14:29:00.000Z'));
    r.market.push('AAPL', { last: '101.25' });
    r.clock.advanceTo(new Date('2025-03-03T14:30:00.000Z'));
    await r.engine.idle();
    let state = (await r.service.load(id)).state;
    expect(orderById(state, opg.orderId)?.status).to.equal('filled');
    expect(orderById(state, opg.orderId)?.filledNotional).to.equal('1012.5');
    expect(orderById(state, cls.orderId)?.status).to.equal('accepted');
    r.clock.advanceTo(new Date('2025-03-03T20:59:00.000Z'));
    r.market.push('AAPL', { last: '102' });
    r.clock.advanceTo(new Date('2025-03-03T21:00:00.000Z'));
    await r.engine.idle();
    state = (await r.service.load(id)).state;
    expect(orderById(state, cls.orderId)?.status).to.equal('filled');
    expect(orderById(state, cls.orderId)?.filledNotional).to.equal('1020');
    await r.engine.stop();
  });

  it('expires, at start-up, day orders whose close passed while no engine ran', async () => {
    const r = rig();
    const id = await account(r.service);
    const day = await r.service.placeOrder(
      id,
      request({ limitPrice: '90.00', timeInForce: 'day' }),
      {},
      user,
    );
    r.clock.advanceTo(new Date('2025-03-04T14:00:00.000Z')); // next morning, pre-market
    await r.engine.start();
    await r.engine.whenActive();
    await r.engine.idle();
    expect(orderById((await r.service.load(id)).state, day.orderId)?.status).to.equal('expired');
    await r.engine.stop();
  });

  it('retries failing commands, then parks them with the reason and stops retrying', async () => {
    const inner = new MemoryEventStore();
    let failures = 0;
    const flaky: EventStore = {
      kind: 'memory',
      append: (streamId, events, options) => {
        if (failures > 0 && events.some((e) => e.type === 'OrderFilled')) {
          failures--;
          return Promise.reject(new Error('connection reset'));
        }
        return inner.append(streamId, events, options);
      },
      readStream: (streamId, options) => inner.readStream(streamId, options),
      readAll: (options) => inner.readAll(options),
      subscribeToAll: (options) => inner.subscribeToAll(options),
      headPosition: () => inner.headPosition(),
      ping: () => inner.ping(),
      close: () => inner.close(),
    };
    const r = rig(MONDAY_10, flaky);
    const id = await account(r.service);
    const a = await r.service.placeOrder(id, request({ limitPrice: '99.00' }), {}, user);
    await r.engine.start();
    await r.engine.whenActive();
    failures = 1; // transient: one retry succeeds
    r.market.push('AAPL', { last: '98.9', ask: '98.95' });
    await r.engine.idle();
    expect(orderById((await r.service.load(id)).state, a.orderId)?.status).to.equal('filled');
    expect(await metric(r.registry, 'engine_retries_total')).to.equal(1);

    const b = await r.service.placeOrder(id, request({ limitPrice: '97.00' }), {}, user);
    await r.engine.idle();
    failures = 100; // persistent
    r.market.push('AAPL', { last: '96.9', ask: '96.95' });
    await r.engine.idle();
    r.market.push('AAPL', { last: '96.8', ask: '96.85' }); // same order version: not retried
    await r.engine.idle();
    expect(failures).to.equal(97);
    const parked = await r.engine.parked();
    expect(parked).to.have.length(1);
    expect(parked[0]).to.deep.include({ orderId: b.orderId, action: 'fill', attempts: 3 });
    expect(parked[0]?.reason).to.contain('connection reset');
    expect(await metric(r.registry, 'engine_parked_total')).to.equal(1);
    expect(orderById((await r.service.load(id)).state, b.orderId)?.status).to.equal('new');
    await r.engine.stop();
  });

  it('hands over to a standby when the active engine stops', async () => {
    const r = rig();
    const id = await account(r.service);
    const placed = await r.service.placeOrder(id, request({ limitPrice: '99.00' }), {}, user);
    await r.engine.start();
    await r.engine.whenActive();
    const standby = new ExecutionEngine({
      service: new AccountService({ store: r.store, market: r.market }),
      events: r.store,
      state: r.engineStore,
      leasePollMs: 2,
    });
    await standby.start();
    expect(standby.leadership).to.equal('standby');
    expect(await metric(r.registry, 'engine_active')).to.equal(1);
    await r.engine.stop();
    await standby.whenActive();
    expect(standby.leadership).to.equal('active');
    r.market.push('AAPL', { last: '98.9', ask: '98.95' });
    await standby.idle();
    expect(orderById((await r.service.load(id)).state, placed.orderId)?.status).to.equal('filled');
    await standby.stop();
  });
});
