import { expect } from 'chai';
import fc from 'fast-check';
import {
  evolve,
  initialState,
  type AccountEvent,
  type AccountState,
  type Order,
} from '../../src/domain/account/index.ts';
import { blankOrder } from '../../src/domain/account/place-order.ts';
import { equity } from '../../src/domain/instrument.ts';
import type { Quote } from '../../src/domain/market.ts';
import { mayAct, OpenOrderIndex } from '../../src/engine/index.ts';

const AT = '2025-03-03T15:00:00.000Z';

function opened(accountId: string): AccountState {
  return evolve(initialState(), {
    type: 'AccountOpened',
    data: { accountId, ownerId: 'u', name: 'n', settings: initialState().settings, at: AT },
  });
}

const price = fc.integer({ min: 9000, max: 11000 }).map((c) => (c / 100).toFixed(2));

/** Orders of every watch: limits, stops (some triggered), stop-limits, trails, market, opg. */
const orderArb = fc.record({
  symbol: fc.constantFrom('AAPL', 'MSFT'),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  kind: fc.constantFrom('limit', 'stop', 'stop_limit', 'trail', 'market', 'opg'),
  price,
  stop: price,
  triggered: fc.boolean(),
});

type OrderSpec = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;

function makeOrder(id: string, o: OrderSpec): Order {
  const base = {
    id,
    clientOrderId: id,
    instrument: equity(o.symbol),
    side: o.side,
    timeInForce: 'gtc' as const,
    qty: '1',
    createdAt: AT,
  };
  switch (o.kind) {
    case 'limit':
      return blankOrder({ ...base, type: 'limit', limitPrice: o.price });
    case 'stop':
      return blankOrder({ ...base, type: 'stop', stopPrice: o.stop, triggered: o.triggered });
    case 'stop_limit':
      return blankOrder({
        ...base,
        type: 'stop_limit',
        stopPrice: o.stop,
        limitPrice: o.price,
        triggered: o.triggered,
      });
    case 'trail':
      return blankOrder({
        ...base,
        type: 'trailing_stop',
        trailPrice: '1',
        ...(o.triggered ? { hwm: o.price, stopPrice: o.stop } : {}),
      });
    case 'market':
      return blankOrder({ ...base, type: 'market' });
    default:
      return blankOrder({ ...base, type: 'limit', limitPrice: o.price, timeInForce: 'opg' });
  }
}

function quote(symbol: string, bid: string, spread: number, last: string): Quote {
  return {
    symbol,
    bid,
    ask: (Number(bid) + spread / 100).toFixed(2),
    bidSize: 100,
    askSize: 100,
    last,
    time: AT,
    seq: 1,
    source: 'test',
  };
}

/** What a test of every indexed order of the symbol would let through. */
function bruteForce(index: OpenOrderIndex, q: Quote): string[] {
  const [bid, ask, last] = [Number(q.bid), Number(q.ask), Number(q.last)];
  return [...index.all()]
    .filter(({ order, entry }) => order.symbol === q.symbol && mayAct(entry, bid, ask, last))
    .map(({ entry }) => entry.key)
    .sort();
}

describe('OpenOrderIndex', () => {
  it('a quote reaches exactly the orders a test of every order would, while orders come, change and go', () => {
    fc.assert(
      fc.property(
        fc.array(orderArb, { minLength: 1, maxLength: 40 }),
        fc.array(
          fc.record({
            // An order to change (trigger / move its price) or end (cancel), then a quote.
            target: fc.nat(),
            change: fc.constantFrom('trigger', 'reprice', 'cancel', 'none'),
            to: price,
            symbol: fc.constantFrom('AAPL', 'MSFT'),
            bid: price,
            spread: fc.integer({ min: 0, max: 20 }),
            last: price,
          }),
          { maxLength: 25 },
        ),
        (orders, steps) => {
          const index = new OpenOrderIndex();
          const accounts = ['a1', 'a2', 'a3'];
          const states = new Map(accounts.map((a) => [a, opened(a)]));
          const revisions = new Map(accounts.map((a) => [a, 0]));
          const ids: [string, string][] = [];
          const apply = (accountId: string, event: AccountEvent): void => {
            const state = evolve(states.get(accountId) ?? opened(accountId), event);
            const revision = (revisions.get(accountId) ?? 0) + 1;
            states.set(accountId, state);
            revisions.set(accountId, revision);
            index.setAccount(accountId, state, revision);
          };
          orders.forEach((o, i) => {
            const accountId = accounts[i % accounts.length] ?? 'a1';
            apply(accountId, {
              type: 'OrderPlaced',
              data: { order: makeOrder(`o${i}`, o), at: AT },
            });
            ids.push([accountId, `o${i}`]);
          });
          for (const step of steps) {
            const [accountId, orderId] = ids[step.target % ids.length] ?? ['a1', 'o0'];
            const order = states.get(accountId)?.orders[orderId];
            if (order !== undefined && order.status === 'new') {
              if (step.change === 'cancel') {
                apply(accountId, {
                  type: 'OrderCanceled',
                  data: { orderId, reason: 'user', at: AT },
                });
              } else if (step.change === 'trigger') {
                const q = quote(order.symbol, step.to, 1, step.to);
                apply(accountId, {
                  type: 'OrderTriggered',
                  data: {
                    orderId,
                    stopPrice: step.to,
                    triggerPrice: step.to,
                    triggerSource: 'last',
                    quote: q,
                    at: AT,
                  },
                });
              } else if (step.change === 'reprice' && order.type === 'trailing_stop') {
                const q = quote(order.symbol, step.to, 1, step.to);
                apply(accountId, {
                  type: 'OrderWaterMarkUpdated',
                  data: { orderId, hwm: step.to, stopPrice: step.to, quote: q, at: AT },
                });
              }
            }
            const q = quote(step.symbol, step.bid, step.spread, step.last);
            const reached = [...index.candidates(q)].map(({ entry }) => entry.key).sort();
            expect(reached).to.deep.equal(bruteForce(index, q));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('leaves terminal orders out and reports symbols as they gain and lose orders', () => {
    const index = new OpenOrderIndex();
    const changes: string[] = [];
    index.onSymbolsChanged = (symbol, watched) => changes.push(`${symbol}:${String(watched)}`);
    let state = opened('a');
    const place = (id: string, limitPrice: string): void => {
      state = evolve(state, {
        type: 'OrderPlaced',
        data: {
          order: blankOrder({
            id,
            clientOrderId: id,
            instrument: equity('AAPL'),
            side: 'buy',
            type: 'limit',
            timeInForce: 'gtc',
            qty: '1',
            limitPrice,
            createdAt: AT,
          }),
          at: AT,
        },
      });
    };
    place('x', '99.00');
    place('y', '98.00');
    index.setAccount('a', state, 2);
    expect(index.size).to.equal(2);
    const keys = (ask: string): string[] =>
      [...index.candidates(quote('AAPL', (Number(ask) - 0.01).toFixed(2), 1, ask))].map(
        (c) => c.entry.orderId,
      );
    expect(keys('99.50')).to.deep.equal([]);
    expect(keys('98.99')).to.deep.equal(['x']);
    expect(keys('97.00')).to.deep.equal(['x', 'y']);
    state = evolve(state, {
      type: 'OrderCanceled',
      data: { orderId: 'x', reason: 'user', at: AT },
    });
    index.setAccount('a', state, 3);
    expect(keys('97.00')).to.deep.equal(['y']);
    state = evolve(state, {
      type: 'OrderCanceled',
      data: { orderId: 'y', reason: 'user', at: AT },
    });
    index.setAccount('a', state, 4);
    expect(index.size).to.equal(0);
    expect(changes).to.deep.equal(['AAPL:true', 'AAPL:false']);
  });
});
