import { expect } from 'chai';
import fc from 'fast-check';
import {
  decide,
  evaluateOrder,
  evolve,
  isTerminal,
  openOrders,
  availableToSell,
  buyingPower,
  findOrderByClientOrderId,
  isOrderIdUsed,
  reviveState,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type SettingsPatch,
} from '../../src/domain/account/index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import { equity } from '../../src/domain/instrument.ts';
import { fold } from '../../src/domain/account/evolve.ts';
import { market, quote } from './account/spec-helper.ts';
import { allOrders, orderById } from '../../src/domain/account/order-lookup.ts';

const money = (cents: number): string =>
  `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

const quoteArb = fc
  .record({
    bid: fc.integer({ min: 5000, max: 15000 }),
    spread: fc.integer({ min: 1, max: 30 }),
    bidSize: fc.integer({ min: 0, max: 400 }),
    askSize: fc.integer({ min: 0, max: 400 }),
    lastOffset: fc.integer({ min: -50, max: 50 }),
  })
  .map((q) =>
    quote({
      bid: money(q.bid),
      ask: money(q.bid + q.spread),
      last: money(q.bid + q.lastOffset > 0 ? q.bid + q.lastOffset : q.bid),
      bidSize: q.bidSize,
      askSize: q.askSize,
    }),
  );

type Step =
  | { kind: 'deposit'; cents: number }
  | { kind: 'withdraw'; cents: number }
  | {
      kind: 'place';
      side: 'buy' | 'sell';
      type: 'market' | 'limit' | 'stop' | 'trailing_stop';
      tif: 'day' | 'gtc' | 'ioc';
      qty: number;
      priceCents: number;
      quote: ReturnType<typeof quote>;
    }
  | { kind: 'fill' | 'trigger' | 'water'; pick: number; quote: ReturnType<typeof quote> }
  | { kind: 'cancel'; pick: number }
  | { kind: 'replace'; pick: number; priceCents: number; quote: ReturnType<typeof quote> };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    cents: fc.integer({ min: 1, max: 5_000_000 }),
  }),
  fc.record({
    kind: fc.constant('withdraw' as const),
    cents: fc.integer({ min: 1, max: 5_000_000 }),
  }),
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      type: fc.constantFrom(
        'market' as const,
        'limit' as const,
        'stop' as const,
        'trailing_stop' as const,
      ),
      tif: fc.constantFrom('day' as const, 'gtc' as const, 'ioc' as const),
      qty: fc.integer({ min: 1, max: 300 }),
      priceCents: fc.integer({ min: 5000, max: 15000 }),
      quote: quoteArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom('fill' as const, 'fill' as const, 'trigger' as const, 'water' as const),
      pick: fc.nat(),
      quote: quoteArb,
    }),
  },
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('replace' as const),
    pick: fc.nat(),
    priceCents: fc.integer({ min: 5000, max: 15000 }),
    quote: quoteArb,
  }),
);

const settingsArb: fc.Arbitrary<SettingsPatch> = fc.record({
  accountType: fc.constantFrom('cash' as const, 'margin' as const),
  fillModel: fc.record({
    commission: fc.constantFrom(
      { kind: 'none' as const },
      { kind: 'per_order' as const, amount: '1.5' },
      { kind: 'per_share' as const, perShare: '0.005', minimum: '1', maximum: '7.5' },
    ),
    slippage: fc.constantFrom(
      { kind: 'none' as const },
      { kind: 'fixed_bps' as const, bps: '3' },
      { kind: 'spread_fraction' as const, fraction: '0.25' },
      { kind: 'volume_participation' as const, impactBps: '10' },
    ),
    maxParticipation: fc.constantFrom('1', '0.5'),
  }),
});

/** Turns a step into a command for the current state (or nothing when it does not apply). */
function commandFor(step: Step, i: number, state: AccountState): AccountCommand | undefined {
  const now = '2025-03-03T15:00:00.000Z';
  const open = openOrders(state);
  const target = 'pick' in step ? open[step.pick % Math.max(open.length, 1)] : undefined;
  switch (step.kind) {
    case 'deposit':
      return { type: 'Deposit', data: { amount: money(step.cents), at: now } };
    case 'withdraw':
      return { type: 'Withdraw', data: { amount: money(step.cents), at: now } };
    case 'place': {
      const price = money(step.priceCents);
      const tif =
        step.type === 'market' || step.type === 'limit'
          ? step.tif
          : step.tif === 'ioc'
            ? 'day'
            : step.tif;
      return {
        type: 'PlaceOrder',
        data: {
          orderId: `o${i}`,
          fillId: `f${i}`,
          request: {
            instrument: equity('AAPL'),
            side: step.side,
            type: step.type,
            timeInForce: tif,
            qty: String(step.qty),
            ...(step.type === 'limit' ? { limitPrice: price } : {}),
            ...(step.type === 'stop' ? { stopPrice: price } : {}),
            ...(step.type === 'trailing_stop' ? { trailPercent: '3' } : {}),
          },
          market: market({ quote: step.quote }),
        },
      };
    }
    case 'fill':
      return (
        target && {
          type: 'FillOrder',
          data: { orderId: target.id, fillId: `f${i}`, market: market({ quote: step.quote }) },
        }
      );
    case 'trigger':
      return (
        target && {
          type: 'TriggerOrder',
          data: { orderId: target.id, fillId: `f${i}`, market: market({ quote: step.quote }) },
        }
      );
    case 'water':
      return (
        target && {
          type: 'UpdateWaterMark',
          data: { orderId: target.id, market: market({ quote: step.quote }) },
        }
      );
    case 'cancel':
      return target && { type: 'CancelOrder', data: { orderId: target.id, at: now } };
    case 'replace':
      return (
        target && {
          type: 'ReplaceOrder',
          data: {
            orderId: target.id,
            newOrderId: `r${i}`,
            fillId: `f${i}`,
            changes: target.type === 'limit' ? { limitPrice: money(step.priceCents) } : {},
            market: market({ quote: step.quote }),
          },
        }
      );
  }
}

/** The state of account `p` just opened with $50,000 and `settings`. */
function openedState(settings: SettingsPatch): AccountState {
  return fold(
    decide(
      {
        type: 'OpenAccount',
        data: {
          accountId: 'p',
          ownerId: 'owner-1',
          name: 'P',
          initialCash: '50000',
          settings,
          at: '2025-03-01T00:00:00.000Z',
        },
      },
      fold([]),
    ),
  );
}

/** Runs steps through decide/evolve, skipping commands the decider refuses with a DomainError. */
function run(
  settings: SettingsPatch,
  steps: readonly Step[],
  onStep?: (before: AccountState, command: AccountCommand, events: AccountEvent[]) => void,
): AccountState {
  let state = openedState(settings);
  steps.forEach((step, i) => {
    const command = commandFor(step, i, state);
    if (command === undefined) return;
    let events: AccountEvent[];
    try {
      events = decide(command, state);
    } catch (error) {
      if (isDomainError(error)) return;
      throw error;
    }
    onStep?.(state, command, events);
    state = events.reduce(evolve, state);
  });
  return state;
}

const d = (s: string): Dec => new Dec(s);
const steps = fc.array(stepArb, { minLength: 10, maxLength: 80 });

describe('account ledger (properties)', () => {
  it('for any sequence of fills: cash + cost basis + fees paid − realized P&L = deposits − withdrawals', () => {
    fc.assert(
      fc.property(settingsArb, steps, (settings, stepList) => {
        run(settings, stepList, (before, _command, events) => {
          const after = events.reduce(evolve, before);
          for (const s of [before, after]) {
            const basis = Object.values(s.positions).reduce(
              (sum, p) => sum.plus(d(p.costBasis)),
              d('0'),
            );
            const lhs = d(s.cash).plus(basis).plus(d(s.feesPaid)).minus(d(s.realizedPnl));
            const rhs = d(s.totalDeposits).minus(d(s.totalWithdrawals));
            expect(lhs.toString()).to.equal(rhs.toString());
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('a terminal order never changes status (or anything else) again', () => {
    fc.assert(
      fc.property(settingsArb, steps, (settings, stepList) => {
        const terminal = new Map<string, unknown>();
        run(settings, stepList, (before, _command, events) => {
          const after = events.reduce(evolve, before);
          for (const [id, snapshot] of terminal)
            expect(orderById(after, id)).to.deep.equal(snapshot);
          for (const o of allOrders(after))
            if (isTerminal(o.status) && !terminal.has(o.id)) terminal.set(o.id, o);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('order statuses only move along the Alpaca lifecycle', () => {
    const live = ['partially_filled', 'filled', 'canceled', 'expired', 'replaced'];
    const allowed: Record<string, readonly string[]> = {
      new: live,
      accepted: live,
      partially_filled: live,
      held: ['new', 'canceled', 'expired', 'replaced'],
    };
    fc.assert(
      fc.property(settingsArb, steps, (settings, stepList) => {
        run(settings, stepList, (before, _command, events) => {
          const after = events.reduce(evolve, before);
          for (const o of allOrders(after)) {
            const was = orderById(before, o.id)?.status;
            if (was === undefined || was === o.status) continue;
            expect(allowed[was] ?? [], `${was} → ${o.status}`).to.include(o.status);
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('fills are re-derivable: the engine evaluation and the decider agree on quantity and price', () => {
    fc.assert(
      fc.property(settingsArb, steps, (settings, stepList) => {
        run(settings, stepList, (before, command, events) => {
          if (command.type !== 'FillOrder') return;
          const order = orderById(before, command.data.orderId);
          if (order === undefined) return;
          const evaluation = evaluateOrder(order, before.settings, command.data.market);
          const fill = events[0];
          expect(evaluation.action).to.equal('fill');
          if (evaluation.action === 'fill' && fill?.type === 'OrderFilled') {
            expect([fill.data.qty, fill.data.price]).to.deep.equal([
              evaluation.qty,
              evaluation.price,
            ]);
            // the recorded quote and model re-price the fill
            expect(fill.data.quote).to.deep.equal(command.data.market.quote);
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('fill quantities never exceed the order, and a filled order has filledQty = qty', () => {
    fc.assert(
      fc.property(settingsArb, steps, (settings, stepList) => {
        const s = run(settings, stepList);
        for (const o of allOrders(s)) {
          expect(d(o.filledQty).lte(d(o.qty))).to.equal(true);
          if (o.status === 'filled') expect(o.filledQty).to.equal(o.qty);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('open orders only: a long fold answers what a state of every order would', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.array(stepArb, { minLength: 40, maxLength: 200 }),
        (settings, stepList) => {
          // A model of the stream kept independently of `evolve`: every order's status, the
          // client order ids, the rejections.
          const status = new Map<string, string>();
          const clientIds = new Map<string, string>();
          const rejected = new Set<string>();
          const events: AccountEvent[] = [];
          const s = run(settings, stepList, (_before, _command, batch) => {
            for (const e of batch) {
              events.push(e);
              switch (e.type) {
                case 'OrderPlaced':
                  status.set(e.data.order.id, e.data.order.status);
                  clientIds.set(e.data.order.clientOrderId, e.data.order.id);
                  break;
                case 'OrderReplaced':
                  status.set(e.data.orderId, 'replaced');
                  status.set(e.data.newOrder.id, e.data.newOrder.status);
                  clientIds.set(e.data.newOrder.clientOrderId, e.data.newOrder.id);
                  break;
                case 'OrderFilled':
                  status.set(e.data.orderId, e.data.orderStatus);
                  break;
                case 'OrderCanceled':
                  status.set(e.data.orderId, 'canceled');
                  break;
                case 'OrderExpired':
                  status.set(e.data.orderId, 'expired');
                  break;
                case 'OrderActivated':
                  status.set(e.data.orderId, 'new');
                  break;
                case 'OrderRejected':
                  rejected.add(e.data.orderId);
                  if (!clientIds.has(e.data.clientOrderId))
                    clientIds.set(e.data.clientOrderId, e.data.orderId);
                  break;
                default:
                  break;
              }
            }
          });
          for (const o of Object.values(s.orders))
            expect(isTerminal(o.status), o.id).to.equal(false);
          for (const o of s.terminalOrders.values())
            expect(isTerminal(o.status), o.id).to.equal(true);
          expect(
            allOrders(s)
              .map((o) => o.id)
              .sort(),
          ).to.deep.equal([...status.keys()].sort());
          for (const [id, st] of status) expect(orderById(s, id)?.status, id).to.equal(st);
          for (const [client, id] of clientIds) {
            const found = findOrderByClientOrderId(s, client);
            expect(found?.orderId, client).to.equal(id);
            expect(found?.rejection !== undefined, client).to.equal(rejected.has(id));
          }
          expect(s.clientOrderIds.size).to.equal(clientIds.size);
          for (const id of rejected) expect(isOrderIdUsed(s, id)).to.equal(true);
          // The readers that walk `orders` answer as over every order (they skip finished ones).
          const every: AccountState = {
            ...s,
            orders: Object.fromEntries(allOrders(s).map((o) => [o.id, o])),
          };
          expect(buyingPower(s).toString()).to.equal(buyingPower(every).toString());
          expect(availableToSell(s, 'AAPL').toString()).to.equal(
            availableToSell(every, 'AAPL').toString(),
          );
          // A JSON round trip, and a fold in two halves whose first half is folded on twice
          // (as after a retry), all give the same state.
          expect(reviveState(JSON.parse(JSON.stringify(s)) as AccountState)).to.deep.equal(s);
          const half = Math.floor(events.length / 2);
          const opening = openedState(settings);
          const mid = fold(events.slice(0, half), opening);
          const once = fold(events.slice(half), mid);
          const twice = fold(events.slice(half), mid);
          expect(once).to.deep.equal(s);
          expect(twice).to.deep.equal(s);
          expect(mid).to.deep.equal(fold(events.slice(0, half), opening));
        },
      ),
      { numRuns: 60 },
    );
  });
});
