import { expect } from 'chai';
import { AccountService, type CallContext } from '../../src/commands/accounts.ts';
import type { AccountEvent, OrderRequest } from '../../src/domain/account/index.ts';
import { formatOcc, optionInstrument, parseOcc } from '../../src/domain/options/index.ts';
import type { OptionInstrument } from '../../src/domain/instrument.ts';
import { ExecutionEngine, MemoryEngineStore } from '../../src/engine/index.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { OptionsMarket } from '../../src/market/options/index.ts';
import { scriptedMarket, type ScriptedMarket } from './support.ts';
import type { SimulatedClock } from '../../src/market/index.ts';
import { orderById } from '../../src/domain/account/order-lookup.ts';

/** Monday 2025-03-03 10:00 New York; that week's options expire Friday 2025-03-07. */
const MONDAY_10 = new Date('2025-03-03T15:00:00.000Z');
const FRIDAY_CLOSE = new Date('2025-03-07T21:00:00.000Z');
const user: CallContext = { actor: 'user:u1', source: 'test' };

function contract(
  right: 'call' | 'put',
  strike: number,
  expiration = '2025-03-07',
): OptionInstrument {
  const c = parseOcc(formatOcc({ root: 'AAPL', expiration, right, strike: String(strike) }));
  if (c === undefined) throw new Error('bad contract');
  return optionInstrument(c);
}

function limit(
  instrument: OptionInstrument,
  side: 'buy' | 'sell',
  price: string,
  qty = '1',
): OrderRequest {
  return { instrument, side, type: 'limit', timeInForce: 'day', qty, limitPrice: price };
}

interface Rig {
  store: MemoryEventStore;
  scripted: ScriptedMarket;
  market: OptionsMarket;
  clock: SimulatedClock;
  service: AccountService;
  engineStore: MemoryEngineStore;
  engine: ExecutionEngine;
}

/** A rig; `feed` starts AAPL at the simulated feed's own price (so its daily bars agree). */
function rig(spot: string = '100'): Rig {
  const { market: scripted, clock } = scriptedMarket(MONDAY_10);
  const feed = scripted.inner.latestQuote('AAPL')?.last;
  scripted.push('AAPL', { last: spot === 'feed' && feed !== undefined ? feed : spot });
  const market = new OptionsMarket(scripted, { seed: 7 });
  const store = new MemoryEventStore();
  const service = new AccountService({ store, market });
  const engineStore = new MemoryEngineStore();
  const engine = newEngine(service, store, engineStore);
  return { store, scripted, market, clock, service, engineStore, engine };
}

function newEngine(
  service: AccountService,
  store: MemoryEventStore,
  engineStore: MemoryEngineStore,
): ExecutionEngine {
  return new ExecutionEngine({
    service,
    events: store,
    state: engineStore,
    retry: { attempts: 3, baseDelayMs: 1 },
    leasePollMs: 5,
    checkpointIntervalMs: 1,
  });
}

async function account(service: AccountService): Promise<string> {
  return (await service.openAccount({ ownerId: 'u1', name: 'A', initialCash: '1000000' }, user))
    .accountId;
}

async function events(r: Rig, accountId: string): Promise<AccountEvent[]> {
  const recorded = await r.store.readStream(`account-${accountId}`);
  return recorded.map((e) => ({ type: e.type, data: e.data }) as AccountEvent);
}

describe('ExecutionEngine: options', () => {
  it('works a resting option limit against option quotes as the underlying moves', async () => {
    const r = rig();
    const id = await account(r.service);
    const call = contract('call', 100);
    const ask = Number(r.market.latestQuote(call.occSymbol)?.ask);
    const price = (Math.round((ask - 0.5) * 100) / 100).toFixed(2);
    const placed = await r.service.placeOrder(id, limit(call, 'buy', price), {}, user);
    expect(placed.order?.status).to.equal('new');
    await r.engine.start();
    await r.engine.whenActive();
    // The call gets cheaper as AAPL falls: a fall of a few dollars crosses the limit.
    for (const last of ['99.5', '99', '98.5', '98', '97']) {
      r.clock.advance(1000);
      r.scripted.push('AAPL', { last });
      await r.engine.idle();
    }
    const { state } = await r.service.load(id);
    expect(orderById(state, placed.orderId)?.status).to.equal('filled');
    expect(state.positions[call.occSymbol]?.qty).to.equal('1');
    const fill = (await events(r, id)).find((e) => e.type === 'OrderFilled');
    expect(fill?.type === 'OrderFilled' ? fill.data.quote?.symbol : undefined).to.equal(
      call.occSymbol,
    );
    await r.engine.stop();
  });

  it('fills a resting credit spread all legs at once when the net credit reaches its limit', async () => {
    const r = rig();
    const id = await account(r.service);
    const short = contract('put', 98);
    const long = contract('put', 95);
    const credit = (s: string, l: string): number =>
      Number(r.market.latestQuote(s)?.bid) - Number(r.market.latestQuote(l)?.ask);
    const now = credit(short.occSymbol, long.occSymbol);
    // Ask for a little more than the market gives now; a fall in AAPL makes the puts richer.
    const want = (Math.round((now + 0.2) * 100) / 100).toFixed(2);
    const placed = await r.service.placeOrder(
      id,
      {
        instrument: short,
        side: 'sell',
        type: 'limit',
        timeInForce: 'day',
        qty: '2',
        orderClass: 'mleg',
        limitPrice: `-${want}`,
        legs: [
          { instrument: short, side: 'sell', ratioQty: '1' },
          { instrument: long, side: 'buy', ratioQty: '1' },
        ],
      },
      {},
      user,
    );
    expect(placed.order).to.include({
      status: 'new',
      strategy: 'put_credit_spread',
      symbol: 'AAPL',
    });
    await r.engine.start();
    await r.engine.whenActive();
    for (const last of ['99.5', '99', '98.5', '98', '97.5', '97']) {
      r.clock.advance(1000);
      r.scripted.push('AAPL', { last });
      await r.engine.idle();
    }
    const { state } = await r.service.load(id);
    expect(orderById(state, placed.orderId)?.status).to.equal('filled');
    expect(state.positions[short.occSymbol]?.qty).to.equal('-2');
    expect(state.positions[long.occSymbol]?.qty).to.equal('2');
    const recorded = await r.store.readStream(`account-${id}`);
    const filled = recorded.filter((e) => e.type === 'OrderFilled');
    expect(filled).to.have.length(2);
    // Both legs in one append: one engine command, consecutive positions, same causation.
    expect(filled[1]?.position).to.equal((filled[0]?.position ?? 0) + 1);
    expect(filled[0]?.metadata.causationId).to.equal(filled[1]?.metadata.causationId);
    await r.engine.stop();
  });

  it('at the close of the expiration day exercises, assigns and expires at the closing price', async () => {
    const r = rig('feed');
    const id = await account(r.service);
    const spot = Number(r.scripted.latestQuote('AAPL')?.last);
    const strike = (f: number): number => Math.round((spot * f) / 5) * 5;
    const call = contract('call', strike(0.8));
    const put = contract('put', strike(1.2));
    const otm = contract('call', strike(1.3));
    const trade = async (c: OptionInstrument, side: 'buy' | 'sell'): Promise<void> => {
      const q = r.market.latestQuote(c.occSymbol);
      const price = side === 'buy' ? q?.ask : q?.bid;
      const placed = await r.service.placeOrder(id, limit(c, side, price ?? '0'), {}, user);
      expect(placed.order?.status, c.occSymbol).to.equal('filled');
    };
    await trade(call, 'buy');
    await trade(put, 'sell');
    await trade(otm, 'buy');
    await r.engine.start();
    try {
      await r.engine.whenActive();
      r.clock.advanceTo(new Date(FRIDAY_CLOSE.getTime() + 1000));
      await r.engine.idle();
      const bars = await r.market.bars('AAPL', {
        timeframe: '1Day',
        start: new Date('2025-03-07T00:00:00Z'),
        end: FRIDAY_CLOSE,
      });
      const close = bars.at(-1)?.close;
      expect(Number(close)).to.be.within(strike(0.8), strike(1.2));
      const settled = (await events(r, id)).flatMap((e) =>
        e.type === 'OptionExercised' || e.type === 'OptionAssigned' || e.type === 'OptionExpired'
          ? [{ type: e.type, symbol: e.data.symbol, price: e.data.underlyingPrice }]
          : [],
      );
      expect(settled).to.have.deep.members([
        { type: 'OptionExercised', symbol: call.occSymbol, price: close },
        { type: 'OptionAssigned', symbol: put.occSymbol, price: close },
        { type: 'OptionExpired', symbol: otm.occSymbol, price: close },
      ]);
      const { state } = await r.service.load(id);
      // The call delivered 100 shares and the assigned put another 100.
      expect(state.positions.AAPL?.qty).to.equal('200');
      expect(Object.keys(state.positions)).to.deep.equal(['AAPL']);
    } finally {
      await r.engine.stop();
    }
  });

  it('an account with only option positions is followed across a restart and settled after it', async () => {
    const r = rig();
    const id = await account(r.service);
    const put = contract('put', 80);
    const q = r.market.latestQuote(put.occSymbol);
    await r.service.placeOrder(id, limit(put, 'buy', q?.ask ?? '0'), {}, user);
    await r.engine.start();
    await r.engine.whenActive();
    await r.engine.idle();
    await r.engine.stop();
    r.clock.advanceTo(new Date(FRIDAY_CLOSE.getTime() + 3_600_000));
    const fresh = newEngine(
      new AccountService({ store: r.store, market: r.market }),
      r.store,
      r.engineStore,
    );
    await fresh.start();
    await fresh.whenActive();
    await fresh.idle();
    const types = (await events(r, id)).map((e) => e.type);
    expect(types.at(-1)).to.equal('OptionExpired');
    await fresh.stop();
  });

  it('expires a day spread at the close with its legs', async () => {
    const r = rig();
    const id = await account(r.service);
    const a = contract('call', 105, '2025-03-21');
    const b = contract('call', 110, '2025-03-21');
    const placed = await r.service.placeOrder(
      id,
      {
        instrument: a,
        side: 'sell',
        type: 'limit',
        timeInForce: 'day',
        qty: '1',
        orderClass: 'mleg',
        limitPrice: '-4',
        legs: [
          { instrument: a, side: 'sell', ratioQty: '1' },
          { instrument: b, side: 'buy', ratioQty: '1' },
        ],
      },
      {},
      user,
    );
    expect(placed.order?.status).to.equal('new');
    await r.engine.start();
    await r.engine.whenActive();
    r.clock.advanceTo(new Date('2025-03-03T21:00:01.000Z'));
    await r.engine.idle();
    const { state } = await r.service.load(id);
    expect(orderById(state, placed.orderId)?.status).to.equal('expired');
    expect(orderById(state, placed.order?.legIds[0] ?? '')?.status).to.equal('canceled');
    await r.engine.stop();
  });
});
