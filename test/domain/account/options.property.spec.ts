import { expect } from 'chai';
import fc from 'fast-check';
import {
  buyingPower,
  decide,
  evolve,
  openOrders,
  positionRequirement,
  type AccountCommand,
  type AccountState,
} from '../../../src/domain/account/index.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import { isDomainError } from '../../../src/domain/errors.ts';
import { fold } from '../../../src/domain/account/evolve.ts';
import { market, place, quote } from './spec-helper.ts';
import {
  option,
  optionOrder,
  optionQuote,
  openedOptions,
  settle,
  spreadOrder,
} from './options-helper.ts';

const STRIKES = [90, 95, 100, 105, 110] as const;
const cents = (c: number): string => new Dec(c).dividedBy(100).toString();

type Step =
  | {
      kind: 'single';
      side: 'buy' | 'sell';
      right: 'call' | 'put';
      strike: number;
      qty: number;
      bid: number;
    }
  | { kind: 'spread'; right: 'call' | 'put'; low: number; credit: boolean; qty: number }
  | { kind: 'stock'; side: 'buy' | 'sell'; qty: number }
  | { kind: 'settle'; price: number }
  | { kind: 'exercise'; right: 'call' | 'put'; strike: number; last: number };

const strike = fc.constantFrom(...STRIKES);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('single' as const),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    right: fc.constantFrom('call' as const, 'put' as const),
    strike,
    qty: fc.integer({ min: 1, max: 5 }),
    bid: fc.integer({ min: 5, max: 290 }),
  }),
  fc.record({
    kind: fc.constant('spread' as const),
    right: fc.constantFrom('call' as const, 'put' as const),
    low: fc.constantFrom(90, 95, 100, 105),
    credit: fc.boolean(),
    qty: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('stock' as const),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    qty: fc.constantFrom(100, 200),
  }),
  fc.record({ kind: fc.constant('settle' as const), price: fc.integer({ min: 8000, max: 12000 }) }),
  fc.record({
    kind: fc.constant('exercise' as const),
    right: fc.constantFrom('call' as const, 'put' as const),
    strike,
    last: fc.integer({ min: 8000, max: 12000 }),
  }),
);

/** cash + Σ basis + fees − realized = deposits − withdrawals (the auditor's identity). */
function ledgerHolds(s: AccountState): void {
  const basis = Object.values(s.positions).reduce(
    (sum, p) => sum.plus(new Dec(p.costBasis)),
    new Dec(0),
  );
  const left = new Dec(s.cash).plus(basis).plus(new Dec(s.feesPaid)).minus(new Dec(s.realizedPnl));
  expect(left.toString()).to.equal(
    new Dec(s.totalDeposits).minus(new Dec(s.totalWithdrawals)).toString(),
  );
}

function commandOf(step: Step, i: number): AccountCommand[] {
  const id = `o${i}`;
  switch (step.kind) {
    case 'single': {
      const instrument = option(step.right, step.strike);
      const q = optionQuote(instrument, cents(step.bid), cents(step.bid + 5));
      return [
        optionOrder(
          step.side,
          instrument,
          String(step.qty),
          cents(step.side === 'buy' ? step.bid + 5 : step.bid),
          q,
          { orderId: id },
        ),
      ];
    }
    case 'spread': {
      const low = option(step.right, step.low);
      const high = option(step.right, step.low + 5);
      const quotes = [optionQuote(low, '3', '3.1'), optionQuote(high, '1.5', '1.6')];
      // A call credit spread sells the low strike; a put credit spread sells the high one.
      const sellLow = step.right === 'call' ? step.credit : !step.credit;
      return [
        spreadOrder(
          [
            [sellLow ? 'sell' : 'buy', low],
            [sellLow ? 'buy' : 'sell', high],
          ],
          String(step.qty),
          step.credit === (step.right === 'call') ? '-1.3' : '1.7',
          quotes,
          { orderId: id },
        ),
      ];
    }
    case 'stock':
      return [
        place({ side: step.side, qty: String(step.qty) }, { orderId: id, fillId: `${id}-f` }),
      ];
    case 'settle':
      return STRIKES.flatMap((k) => [
        settle(option('call', k), cents(step.price)),
        settle(option('put', k), cents(step.price)),
      ]);
    case 'exercise':
      return [
        {
          type: 'ExerciseOption',
          data: {
            symbol: option(step.right, step.strike).occSymbol,
            market: market({ underlyingQuote: quote({ last: cents(step.last) }) }),
          },
        },
      ];
  }
}

describe('options: ledger properties', () => {
  it('cash, basis, fees and realized P&L balance after any sequence of option trades, exercises and settlements', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(1, 2, 3),
        (steps, level) => {
          let state = fold(openedOptions('1000000', { optionsLevel: level }));
          steps.forEach((step, i) => {
            for (const command of commandOf(step, i)) {
              let events;
              try {
                events = decide(command, state);
              } catch (error) {
                if (isDomainError(error)) continue;
                throw error;
              }
              state = events.reduce(evolve, state);
              ledgerHolds(state);
            }
          });
          // Open orders never reserve a negative amount, and below level 3 no call is ever left uncovered.
          expect(
            openOrders(state).every(
              (o) => o.collateral === undefined || !new Dec(o.collateral).isNegative(),
            ),
          ).to.equal(true);
          expect(buyingPower(state).isFinite()).to.equal(true);
          if (level < 3) expect(positionRequirement(state).uncoveredCalls.toString()).to.equal('0');
        },
      ),
      { numRuns: 150 },
    );
  });
});
