import { expect } from 'chai';
import {
  buyingPower,
  evaluateOrder,
  fold,
  legsOf,
  type AccountEvent,
} from '../../../src/domain/account/index.ts';
import { given, market, place, quote, stateOf } from './spec-helper.ts';
import {
  EXPIRY_CLOSE,
  option,
  optionMarket,
  optionOrder,
  optionQuote,
  openedOptions,
  settle,
  spreadOrder,
} from './options-helper.ts';
import { orderById } from '../../../src/domain/account/order-lookup.ts';

const C100 = option('call', 100);
const C105 = option('call', 105);
const C110 = option('call', 110);
const P90 = option('put', 90);
const P95 = option('put', 95);

type Filled = Extract<AccountEvent, { type: 'OrderFilled' }>;
const fills = (events: readonly AccountEvent[]): Filled['data'][] =>
  events.flatMap((e) => (e.type === 'OrderFilled' ? [e.data] : []));

describe('options: multi-leg orders', () => {
  const open = [optionQuote(C105, '2', '2.1'), optionQuote(C110, '0.8', '0.9')];
  const sellCallSpread = spreadOrder(
    [
      ['sell', C105],
      ['buy', C110],
    ],
    '1',
    '-1',
    open,
  );

  it('a credit spread fills all legs at once, one OrderFilled per leg in one decision, at the net credit', () => {
    const outcome = given(openedOptions()).when(sellCallSpread);
    outcome.thenTypes(['OrderPlaced', 'OrderPlaced', 'OrderPlaced', 'OrderFilled', 'OrderFilled']);
    const [short, long] = fills(outcome.events);
    expect(short).to.include({
      orderId: 's1-l1',
      fillId: 's1-f.1',
      side: 'sell',
      price: '2',
      cashDelta: '200',
    });
    expect(long).to.include({
      orderId: 's1-l2',
      fillId: 's1-f.2',
      side: 'buy',
      price: '0.9',
      cashDelta: '-90',
    });
    // Each leg's fill records the quote of its own contract.
    expect(short?.quote?.symbol).to.equal(C105.occSymbol);
    expect(long?.quote?.symbol).to.equal(C110.occSymbol);
    const s = outcome.state;
    const parent = orderById(s, 's1');
    expect(parent).to.include({
      status: 'filled',
      orderClass: 'mleg',
      symbol: 'AAPL',
      strategy: 'call_credit_spread',
      filledQty: '1',
      filledNotional: '-1.1',
    });
    expect(orderById(s, 's1-l1')).to.include({
      status: 'filled',
      legRole: 'option_leg',
      positionIntent: 'sell_to_open',
    });
    expect(s.positions[C105.occSymbol]).to.include({ qty: '-1', costBasis: '-200' });
    expect(s.positions[C110.occSymbol]).to.include({ qty: '1', costBasis: '90' });
    expect(s.cash).to.equal('100110');
    // The spread's maximum loss (width 5 × 100 − credit 110 = 390) is held back from buying power.
    expect(buyingPower(s).toString()).to.equal('99610');
  });

  it('a credit spread opened and closed for a profit', () => {
    const history = given(openedOptions()).and(sellCallSpread);
    const close = spreadOrder(
      [
        ['buy', C105],
        ['sell', C110],
      ],
      '1',
      '0.5',
      [optionQuote(C105, '0.45', '0.5'), optionQuote(C110, '0.1', '0.15')],
      { orderId: 's2' },
    );
    const outcome = history.when(close);
    outcome.thenTypes(['OrderPlaced', 'OrderPlaced', 'OrderPlaced', 'OrderFilled', 'OrderFilled']);
    const [buyBack, sellLong] = fills(outcome.events);
    expect(buyBack).to.include({ price: '0.5', realizedPnl: '150' });
    expect(buyBack?.position).to.deep.equal({ qty: '0', costBasis: '0' });
    expect(sellLong?.realizedPnl).to.equal('-80');
    const s = outcome.state;
    expect(orderById(s, 's2-l1')?.positionIntent).to.equal('buy_to_close');
    expect(orderById(s, 's2-l2')?.positionIntent).to.equal('sell_to_close');
    expect(orderById(s, 's2')?.strategy).to.equal('call_debit_spread');
    expect(s.realizedPnl).to.equal('70');
    expect(s.cash).to.equal('100070');
    expect(Object.keys(s.positions)).to.deep.equal([]);
    expect(buyingPower(s).toString()).to.equal('100070');
  });

  it('a debit spread held to expiry out of the money loses exactly its maximum loss, the debit', () => {
    const debit = spreadOrder(
      [
        ['buy', C100],
        ['sell', C105],
      ],
      '2',
      '2',
      [optionQuote(C100, '2.9', '3'), optionQuote(C105, '1', '1.1')],
    );
    const h = given(openedOptions()).and(debit);
    const placed = fold(h.events);
    expect(orderById(placed, 's1')?.strategy).to.equal('call_debit_spread');
    expect(placed.cash).to.equal('99600');
    const expired = h.and(settle(C100, '95')).and(settle(C105, '95'));
    const s = fold(expired.events);
    expect(expired.events.slice(-2).map((e) => e.type)).to.deep.equal([
      'OptionExpired',
      'OptionExpired',
    ]);
    expect(s.realizedPnl).to.equal('-400');
    expect(s.cash).to.equal('99600');
    expect(Object.keys(s.positions)).to.deep.equal([]);
  });

  it('all-or-none: a spread one leg of which cannot fill stays open, then fills whole on a later quote', () => {
    const thin = [optionQuote(C105, '2', '2.1', 5), optionQuote(C110, '0.8', '0.9')];
    const order = spreadOrder(
      [
        ['sell', C105],
        ['buy', C110],
      ],
      '10',
      '-1',
      thin,
    );
    const placed = given(openedOptions()).when(order);
    placed.thenTypes(['OrderPlaced', 'OrderPlaced', 'OrderPlaced']);
    expect(orderById(placed.state, 's1')?.status).to.equal('new');
    expect(orderById(placed.state, 's1-l1')?.status).to.equal('held');
    // The open spread holds its maximum loss: 10 × (500 − 100 at the limit credit).
    expect(buyingPower(placed.state).toString()).to.equal('96000');
    const h = given(openedOptions(), placed.events);
    const deep = [optionQuote(C105, '2', '2.1', 40), optionQuote(C110, '0.8', '0.9', 40)];
    // The engine's view: the spread is fillable now, at the net price.
    const s = placed.state;
    const parent = orderById(s, 's1');
    if (parent === undefined) throw new Error('no parent');
    expect(evaluateOrder(parent, s.settings, optionMarket(thin), legsOf(s, parent))).to.deep.equal({
      action: 'none',
    });
    expect(evaluateOrder(parent, s.settings, optionMarket(deep), legsOf(s, parent))).to.deep.equal({
      action: 'fill',
      qty: '10',
      price: '-1.1',
    });
    const filled = h.when({
      type: 'FillOrder',
      data: { orderId: 's1', fillId: 's1.f0', market: optionMarket(deep) },
    });
    filled.thenTypes(['OrderFilled', 'OrderFilled']);
    expect(orderById(filled.state, 's1')?.status).to.equal('filled');
    expect(filled.state.positions[C105.occSymbol]?.qty).to.equal('-10');
    expect(filled.state.positions[C110.occSymbol]?.qty).to.equal('10');
  });

  it('a spread whose net price is worse than its limit rests, and the engine cannot fill it', () => {
    const order = spreadOrder(
      [
        ['sell', C105],
        ['buy', C110],
      ],
      '1',
      '-1.5',
      open,
    );
    const placed = given(openedOptions()).when(order);
    placed.thenTypes(['OrderPlaced', 'OrderPlaced', 'OrderPlaced']);
    given(openedOptions(), placed.events)
      .when({ type: 'FillOrder', data: { orderId: 's1', fillId: 'f', market: optionMarket(open) } })
      .thenThrows('order_not_fillable');
  });

  it('canceling the spread cancels its legs; a leg alone cannot be canceled; day spreads expire at the close', () => {
    const order = spreadOrder(
      [
        ['sell', C105],
        ['buy', C110],
      ],
      '1',
      '-1.5',
      open,
    );
    const h = given(openedOptions()).and(order);
    h.when({
      type: 'CancelOrder',
      data: { orderId: 's1-l1', at: '2025-03-03T15:01:00.000Z' },
    }).thenThrows('order_not_cancelable');
    h.when({
      type: 'CancelOrder',
      data: { orderId: 's1', at: '2025-03-03T15:01:00.000Z' },
    }).thenMatches([
      { type: 'OrderCanceled', data: { orderId: 's1', reason: 'user' } },
      { type: 'OrderCanceled', data: { orderId: 's1-l1', reason: 'parent_canceled' } },
      { type: 'OrderCanceled', data: { orderId: 's1-l2', reason: 'parent_canceled' } },
    ]);
    h.when({
      type: 'ExpireOrder',
      data: { orderId: 's1', market: market({ now: '2025-03-03T21:00:00.000Z', phase: 'post' }) },
    }).thenTypes(['OrderExpired', 'OrderCanceled', 'OrderCanceled']);
    h.when({
      type: 'ReplaceOrder',
      data: {
        orderId: 's1',
        newOrderId: 'n1',
        changes: { limitPrice: '1' },
        market: optionMarket(open),
      },
    }).thenThrows('order_not_replaceable');
    h.when({
      type: 'CancelAllOrders',
      data: { at: '2025-03-03T15:01:00.000Z', assetClass: 'us_equity' },
    }).thenNothing();
    h.when({
      type: 'CancelAllOrders',
      data: { at: '2025-03-03T15:01:00.000Z', assetClass: 'us_option' },
    }).thenTypes(['OrderCanceled', 'OrderCanceled', 'OrderCanceled']);
  });

  it('rejects malformed legs with a reason code', () => {
    const one = spreadOrder([['sell', C105]], '1', '-1', open);
    given(openedOptions()).when(one).thenRejects('invalid_legs');
    const same = spreadOrder(
      [
        ['sell', C105],
        ['buy', C105],
      ],
      '1',
      '-1',
      open,
    );
    given(openedOptions()).when(same).thenRejects('invalid_legs');
    const msft = {
      kind: 'option',
      occSymbol: 'MSFT  250321C00400000',
      underlying: 'MSFT',
      multiplier: 100,
    } as const;
    const mixed = spreadOrder(
      [
        ['sell', C105],
        ['buy', msft],
      ],
      '1',
      '-1',
      open,
    );
    given(openedOptions()).when(mixed).thenRejects('invalid_legs');
    const subPenny = spreadOrder(
      [
        ['sell', C105],
        ['buy', C110],
      ],
      '1',
      '-1.005',
      open,
    );
    given(openedOptions()).when(subPenny).thenRejects('invalid_tick_size');
    const noQuote = spreadOrder(
      [
        ['sell', C105],
        ['buy', C110],
      ],
      '1',
      '-1',
      [optionQuote(C105, '2', '2.1')],
    );
    given(openedOptions()).when(noQuote).thenRejects('no_quote');
    const wrongIntent = spreadOrder(
      [
        ['sell', C105],
        ['buy', C110],
      ],
      '1',
      '-1',
      open,
      { legs: [{ positionIntent: 'sell_to_close' }] },
    );
    given(openedOptions()).when(wrongIntent).thenRejects('position_intent_mismatch');
    const fractional = spreadOrder(
      [
        ['sell', C105],
        ['buy', C110],
      ],
      '1.5',
      '-1',
      open,
    );
    given(openedOptions()).when(fractional).thenRejects('invalid_quantity');
  });

  it('a level-1 account may not open a spread (it buys an option)', () => {
    given(openedOptions('100000', { optionsLevel: 1 }))
      .when(sellCallSpread)
      .thenRejects('options_level_insufficient');
  });
});

describe('options: levels and collateral', () => {
  const c110 = optionQuote(C110, '0.8', '0.9');

  it('covered call without shares is rejected (level 1 allows only covered calls)', () => {
    given(openedOptions('100000', { optionsLevel: 1 }))
      .when(optionOrder('sell', C110, '1', '0.8', c110))
      .thenRejects('uncovered_call_not_allowed');
  });

  it('a covered call with the shares is accepted, holds nothing, and commits the shares', () => {
    const h = given(openedOptions('100000', { optionsLevel: 1 })).and(
      place({ qty: '100' }, { orderId: 'stock', fillId: 'sf' }),
    );
    const before = stateOf(h.events);
    const sold = h.when(optionOrder('sell', C110, '1', '0.8', c110));
    sold.thenTypes(['OrderPlaced', 'OrderFilled']);
    expect(orderById(sold.state, 'o1')?.positionIntent).to.equal('sell_to_open');
    expect(buyingPower(sold.state).toString()).to.equal(buyingPower(before).plus(80).toString());
    // The 100 shares now cover the call: they cannot be sold while it is open.
    given(h.events, sold.events)
      .when(place({ side: 'sell', qty: '100' }, { orderId: 'sell-stock', fillId: 'f9' }))
      .thenRejects('insufficient_position');
  });

  it('a level-2 account placing a naked call is rejected; level 3 holds the strike', () => {
    given(openedOptions())
      .when(optionOrder('sell', C110, '1', '0.8', c110))
      .thenRejects('uncovered_call_not_allowed');
    const naked = given(openedOptions('100000', { optionsLevel: 3 })).when(
      optionOrder('sell', C110, '1', '0.8', c110),
    );
    naked.thenTypes(['OrderPlaced', 'OrderFilled']);
    expect(buyingPower(naked.state).toString()).to.equal(String(100000 + 80 - 11000));
  });

  it('a level-1 account may not buy options; a level-2 account pays the premium in full', () => {
    given(openedOptions('100000', { optionsLevel: 1 }))
      .when(optionOrder('buy', C110, '1', '0.9', c110))
      .thenRejects('options_level_insufficient');
    const bought = given(openedOptions()).when(optionOrder('buy', C110, '2', '0.9', c110));
    expect(bought.state.cash).to.equal('99820');
    expect(buyingPower(bought.state).toString()).to.equal('99820');
  });

  it('a cash-secured put reserves the strike (premium counts toward it); beyond buying power it is rejected', () => {
    const p95 = optionQuote(P95, '1.5', '1.6');
    const sold = given(openedOptions()).when(optionOrder('sell', P95, '2', '1.5', p95));
    expect(sold.state.cash).to.equal('100300');
    expect(buyingPower(sold.state).toString()).to.equal(String(100300 - 19000));
    given(openedOptions('10000'))
      .when(optionOrder('sell', P95, '2', '1.5', p95))
      .thenRejects('insufficient_buying_power');
    // A resting cash-secured put holds strike − premium at its limit while open.
    const resting = given(openedOptions()).when(optionOrder('sell', P95, '1', '1.7', p95));
    resting.thenTypes(['OrderPlaced']);
    expect(orderById(resting.state, 'o1')?.collateral).to.equal('9330');
    expect(buyingPower(resting.state).toString()).to.equal('90670');
  });

  it('option limit prices respect the option tick ($0.05 at or above $3); expired contracts are refused', () => {
    const q = optionQuote(C100, '3.1', '3.2');
    given(openedOptions())
      .when(optionOrder('buy', C100, '1', '3.17', q))
      .thenRejects('invalid_tick_size');
    given(openedOptions())
      .when(optionOrder('buy', C100, '1', '3.15', q))
      .thenTypes(['OrderPlaced']);
    const old = option('call', 100, '2025-02-21');
    given(openedOptions())
      .when(optionOrder('buy', old, '1', '0.5', optionQuote(old, '0.4', '0.5')))
      .thenRejects('contract_expired');
  });

  it('closing never flips a position', () => {
    const q = optionQuote(C110, '0.8', '0.9');
    const h = given(openedOptions()).and(
      optionOrder('buy', C110, '1', '0.9', q, { orderId: 'b1' }),
    );
    h.when(optionOrder('sell', C110, '2', '0.8', q, { orderId: 'o2' })).thenRejects(
      'insufficient_position',
    );
    const short = given(openedOptions('100000', { optionsLevel: 3 })).and(
      optionOrder('sell', C110, '1', '0.8', q),
    );
    short
      .when(optionOrder('buy', C110, '2', '0.9', q, { orderId: 'o2' }))
      .thenRejects('position_intent_mismatch');
  });
});

describe('options: exercise, assignment and expiry', () => {
  it('assignment of a short put creates 100 shares and debits the strike', () => {
    const p95 = optionQuote(P95, '1.5', '1.6');
    const h = given(openedOptions()).and(optionOrder('sell', P95, '1', '1.5', p95));
    const assigned = h.when(settle(P95, '90'));
    assigned.thenMatches([
      {
        type: 'OptionAssigned',
        data: {
          symbol: P95.occSymbol,
          qty: '1',
          underlyingPrice: '90',
          intrinsicValue: '5',
          reason: 'expiration',
          optionRealizedPnl: '-350',
          position: { qty: '0', costBasis: '0' },
          shares: {
            symbol: 'AAPL',
            qty: '100',
            price: '90',
            position: { qty: '100', costBasis: '9000' },
          },
          cashDelta: '-9500',
          realizedPnl: '-350',
        },
      },
    ]);
    const s = assigned.state;
    expect(s.positions.AAPL).to.include({ qty: '100', costBasis: '9000' });
    expect(s.positions[P95.occSymbol]).to.equal(undefined);
    expect(s.cash).to.equal(String(100000 + 150 - 9500));
  });

  it('a long call in the money by at least $0.01 is exercised at expiry: shares in, strike out', () => {
    const c100 = optionQuote(C100, '2.9', '3');
    const h = given(openedOptions()).and(optionOrder('buy', C100, '1', '3', c100));
    h.when(settle(C100, '110')).thenMatches([
      {
        type: 'OptionExercised',
        data: {
          intrinsicValue: '10',
          optionRealizedPnl: '700',
          shares: { qty: '100', price: '110', position: { qty: '100', costBasis: '11000' } },
          cashDelta: '-10000',
        },
      },
    ]);
    // A cent in the money is still exercised; less than a cent is not.
    h.when(settle(C100, '100.01')).thenTypes(['OptionExercised']);
    h.when(settle(C100, '100.009')).thenTypes(['OptionExpired']);
  });

  it('a long call may be exercised early (American), priced at the underlying last trade', () => {
    const c100 = optionQuote(C100, '2.9', '3');
    const h = given(openedOptions()).and(optionOrder('buy', C100, '2', '3', c100));
    const exercised = h.when({
      type: 'ExerciseOption',
      data: {
        symbol: C100.occSymbol,
        qty: '1',
        market: market({ underlyingQuote: quote({ last: '104' }) }),
      },
    });
    exercised.thenMatches([
      {
        type: 'OptionExercised',
        data: {
          reason: 'early_exercise',
          qty: '1',
          underlyingPrice: '104',
          position: { qty: '1', costBasis: '300' },
          cashDelta: '-10000',
        },
      },
    ]);
    h.when({
      type: 'ExerciseOption',
      data: { symbol: C100.occSymbol, qty: '3', market: market({ underlyingQuote: quote() }) },
    }).thenThrows('option_not_exercisable');
    h.when({
      type: 'ExerciseOption',
      data: { symbol: C110.occSymbol, market: market({ underlyingQuote: quote() }) },
    }).thenThrows('position_not_found');
  });

  it('below level 3 a long put may not be exercised with the shares that cover a short call', () => {
    const coveredCallAndPut = (level: 1 | 2 | 3) =>
      given(openedOptions('100000', { optionsLevel: level }))
        .and(place({ qty: '100' }, { orderId: 'stock', fillId: 'sf' }))
        .and(
          optionOrder('sell', C110, '1', '0.8', optionQuote(C110, '0.8', '0.9'), { orderId: 'c' }),
        )
        .and(
          optionOrder('buy', P95, '1', '0.5', optionQuote(P95, '0.45', '0.5'), { orderId: 'p' }),
        );
    const exercisePut = {
      type: 'ExerciseOption' as const,
      data: {
        symbol: P95.occSymbol,
        market: market({ underlyingQuote: quote({ last: '90' }) }),
      },
    };
    coveredCallAndPut(2).when(exercisePut).thenThrows('option_not_exercisable');
    const level3 = coveredCallAndPut(3).when(exercisePut);
    level3.thenMatches([
      {
        type: 'OptionExercised',
        data: { reason: 'early_exercise', qty: '1', shares: { qty: '-100' }, cashDelta: '9500' },
      },
    ]);
    expect(level3.state.positions.AAPL).to.equal(undefined);
  });

  it('a short position cannot be exercised by its writer; a position cannot settle before it expires', () => {
    const q = optionQuote(C110, '0.8', '0.9');
    const h = given(openedOptions('100000', { optionsLevel: 3 })).and(
      optionOrder('sell', C110, '1', '0.8', q),
    );
    h.when({
      type: 'ExerciseOption',
      data: { symbol: C110.occSymbol, market: market({ underlyingQuote: quote() }) },
    }).thenThrows('option_not_exercisable');
    h.when({
      type: 'SettleExpiredOption',
      data: {
        symbol: C110.occSymbol,
        underlyingPrice: '100',
        sessionDate: '2025-03-20',
        sessionClose: '2025-03-20T20:00:00.000Z',
        at: '2025-03-20T20:00:01.000Z',
      },
    }).thenThrows('option_not_expired');
    h.when({
      type: 'SettleExpiredOption',
      data: {
        symbol: C110.occSymbol,
        underlyingPrice: '100',
        sessionDate: '2025-03-21',
        sessionClose: EXPIRY_CLOSE,
        at: '2025-03-21T19:00:00.000Z',
      },
    }).thenThrows('option_not_expired');
  });

  it('a worthless option expires and is closed at zero', () => {
    const p90 = optionQuote(P90, '0.45', '0.5');
    const h = given(openedOptions()).and(optionOrder('buy', P90, '3', '0.5', p90));
    const expired = h.when(settle(P90, '100'));
    expired.thenMatches([
      {
        type: 'OptionExpired',
        data: {
          qty: '3',
          intrinsicValue: '0',
          shares: null,
          cashDelta: '0',
          optionRealizedPnl: '-150',
        },
      },
    ]);
    expect(expired.state.positions[P90.occSymbol]).to.equal(undefined);
    expect(expired.state.cash).to.equal('99850');
    expect(expired.state.realizedPnl).to.equal('-150');
  });

  it('a covered call assigned delivers the shares it covered', () => {
    const h = given(openedOptions())
      .and(place({ qty: '100' }, { orderId: 'stock', fillId: 'sf' }))
      .and(optionOrder('sell', C110, '1', '0.8', optionQuote(C110, '0.8', '0.9')));
    const assigned = h.when(settle(C110, '120'));
    assigned.thenMatches([
      {
        type: 'OptionAssigned',
        data: {
          shares: { qty: '-100', price: '120', position: { qty: '0', costBasis: '0' } },
          cashDelta: '11000',
        },
      },
    ]);
    expect(assigned.state.positions.AAPL).to.equal(undefined);
  });
});
