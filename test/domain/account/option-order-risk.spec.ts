import { expect } from 'chai';
import type { AccountState, OrderRequest } from '../../../src/domain/account/index.ts';
import { optionOrderRisk } from '../../../src/domain/account/option-order-risk.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import { equity, type OptionInstrument } from '../../../src/domain/instrument.ts';
import { option, optionMarket, optionQuote, openedOptions } from './options-helper.ts';
import { stateOf } from './spec-helper.ts';

/**
 * Known answers worked out by hand (100 shares per contract; AAPL quoted 99.99 × 100.01, so
 * the covering shares are valued at the mid, 100).
 */
const fresh = stateOf(openedOptions());
const withShares = (state: AccountState, qty: string): AccountState => ({
  ...state,
  positions: {
    ...state.positions,
    AAPL: {
      symbol: 'AAPL',
      instrument: equity('AAPL'),
      qty,
      costBasis: '9000',
      realizedPnl: '0',
    },
  },
});
const single = (side: 'buy' | 'sell', instrument: OptionInstrument, qty: string): OrderRequest => ({
  instrument,
  side,
  type: 'limit',
  timeInForce: 'day',
  qty,
});
const C100 = option('call', 100);
const C105 = option('call', 105);
const P95 = option('put', 95);
const P90 = option('put', 90);
const quotes = [
  optionQuote(C100, '3.4', '3.6'),
  optionQuote(C105, '1.1', '1.3'),
  optionQuote(P95, '1.9', '2.1'),
  optionQuote(P90, '0.4', '0.5'),
];
const market = optionMarket(quotes);

describe('option order risk at expiry (known answers)', () => {
  it('a long call risks its premium', () => {
    // 2 × 3.50 × 100 = 700 paid; breakeven 100 + 3.50.
    const r = optionOrderRisk(fresh, single('buy', C100, '2'), market, new Dec('3.5'));
    expect(r).to.include({
      strategy: 'long_call',
      premium: '700',
      maxLoss: '700',
      maxLossUnbounded: false,
      maxProfitUnbounded: true,
    });
    expect(r?.breakevens).to.deep.equal(['103.5']);
  });

  it('a short put risks the strike less the premium', () => {
    // 95 × 100 × 2 − 2 × 2.00 × 100 = 19,000 − 400 = 18,600; breakeven 95 − 2 = 93.
    const r = optionOrderRisk(fresh, single('sell', P95, '2'), market, new Dec('2'));
    expect(r).to.include({ strategy: 'short_put', premium: '-400', maxLoss: '18600' });
    expect(r).to.include({ maxProfit: '400', maxLossUnbounded: false });
    expect(r?.breakevens).to.deep.equal(['93']);
  });

  it('a naked short call is unbounded; covered by shares it is not', () => {
    const naked = optionOrderRisk(fresh, single('sell', C105, '1'), market, new Dec('1.2'));
    expect(naked).to.include({
      strategy: 'short_call',
      maxLoss: null,
      maxLossUnbounded: true,
      maxProfit: '120',
    });
    expect(naked?.explanation).to.match(/^UNLIMITED LOSS/);
    // Covered: 100 shares at 100 fall to zero, less the 120 premium: 9,880. Profit capped at
    // (105 − 100) × 100 + 120 = 620; breakeven 100 − 1.20 = 98.80.
    const covered = optionOrderRisk(
      withShares(fresh, '100'),
      single('sell', C105, '1'),
      market,
      new Dec('1.2'),
    );
    expect(covered).to.include({
      strategy: 'covered_call',
      maxLoss: '9880',
      maxLossUnbounded: false,
      maxProfit: '620',
    });
    expect(covered?.breakevens).to.deep.equal(['98.8']);
    // 50 shares do not cover a contract.
    const half = optionOrderRisk(
      withShares(fresh, '50'),
      single('sell', C105, '1'),
      market,
      new Dec('1.2'),
    );
    expect(half?.maxLossUnbounded).to.equal(true);
  });

  it('a multi-leg spread risks its width less the credit, or its debit', () => {
    // Put credit spread, 3 units at a 1.50 credit: 5 × 100 × 3 − 450 = 1,050; breakeven 93.50.
    const credit: OrderRequest = {
      instrument: P95,
      side: 'buy',
      type: 'limit',
      timeInForce: 'day',
      orderClass: 'mleg',
      qty: '3',
      limitPrice: '-1.5',
      legs: [
        { instrument: P95, side: 'sell', ratioQty: '1' },
        { instrument: P90, side: 'buy', ratioQty: '1' },
      ],
    };
    const r = optionOrderRisk(fresh, credit, market, undefined);
    expect(r).to.include({
      strategy: 'put_credit_spread',
      premium: '-450',
      maxLoss: '1050',
      maxProfit: '450',
    });
    expect(r?.breakevens).to.deep.equal(['93.5']);
    // A market call debit spread priced at the touches: 3.60 ask − 1.10 bid = 2.50 → 250 risked.
    const debit: OrderRequest = {
      instrument: C100,
      side: 'buy',
      type: 'market',
      timeInForce: 'day',
      orderClass: 'mleg',
      qty: '1',
      legs: [
        { instrument: C100, side: 'buy', ratioQty: '1' },
        { instrument: C105, side: 'sell', ratioQty: '1' },
      ],
    };
    expect(optionOrderRisk(fresh, debit, market, undefined)).to.include({
      strategy: 'call_debit_spread',
      premium: '250',
      maxLoss: '250',
      maxProfit: '250',
    });
  });

  it('a long calendar risks its debit; other cross-expiry shapes are not computed', () => {
    const far = option('call', 100, '2025-04-17');
    const calendar: OrderRequest = {
      instrument: far,
      side: 'buy',
      type: 'limit',
      timeInForce: 'day',
      orderClass: 'mleg',
      qty: '1',
      limitPrice: '1',
      legs: [
        { instrument: far, side: 'buy', ratioQty: '1' },
        { instrument: C100, side: 'sell', ratioQty: '1' },
      ],
    };
    expect(optionOrderRisk(fresh, calendar, market, undefined)).to.include({
      strategy: 'long_calendar',
      maxLoss: '100',
      maxLossUnbounded: false,
    });
    const short = {
      ...calendar,
      limitPrice: '-1',
      legs: calendar.legs?.map((l) => ({
        ...l,
        side: l.side === 'buy' ? ('sell' as const) : ('buy' as const),
      })),
    };
    expect(optionOrderRisk(fresh, short, market, undefined)).to.include({
      strategy: 'short_calendar',
      maxLoss: null,
      maxLossUnbounded: false,
    });
  });

  it('the part of an order that closes a position adds no risk', () => {
    const held: AccountState = {
      ...fresh,
      positions: {
        [C100.occSymbol]: {
          symbol: C100.occSymbol,
          instrument: C100,
          qty: '2',
          costBasis: '600',
          realizedPnl: '0',
        },
      },
    };
    const closing = optionOrderRisk(held, single('sell', C100, '2'), market, new Dec('3.4'));
    expect(closing).to.include({ closingContracts: '2', maxLoss: '0', premium: '0' });
    // Selling 3 closes 2 and opens 1 naked call.
    const flip = optionOrderRisk(held, single('sell', C100, '3'), market, new Dec('3.4'));
    expect(flip).to.include({ closingContracts: '2', maxLossUnbounded: true, premium: '-340' });
    expect(optionOrderRisk(fresh, single('buy', C100, '1'), market, undefined)?.maxLoss).to.equal(
      null,
    );
    const stock: OrderRequest = { ...single('buy', C100, '1'), instrument: equity('AAPL') };
    expect(optionOrderRisk(fresh, stock, market, new Dec('100'))).to.equal(undefined);
  });
});
