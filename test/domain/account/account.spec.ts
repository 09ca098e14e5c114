import { expect } from 'chai';
import {
  buyingPower,
  DEFAULT_SETTINGS,
  findOrderByClientOrderId,
  resolveSettings,
} from '../../../src/domain/account/index.ts';
import { given, market, opened, place, stateOf } from './spec-helper.ts';

const AT = '2025-03-03T15:00:00.000Z';

describe('account: opening, cash and settings', () => {
  it('opens an account with its initial cash as a deposit', () => {
    given()
      .when({
        type: 'OpenAccount',
        data: {
          accountId: 'acc-1',
          ownerId: 'owner-1',
          name: ' Alice ',
          initialCash: '25000.50',
          at: AT,
        },
      })
      .then([
        {
          type: 'AccountOpened',
          data: {
            accountId: 'acc-1',
            ownerId: 'owner-1',
            name: 'Alice',
            settings: DEFAULT_SETTINGS,
            at: AT,
          },
        },
        {
          type: 'CashDeposited',
          data: {
            amount: '25000.5',
            cashAfter: '25000.5',
            reason: 'initial',
            reference: null,
            at: AT,
          },
        },
      ]);
  });

  it('opens with zero cash without a deposit event', () => {
    given()
      .when({
        type: 'OpenAccount',
        data: { accountId: 'acc-1', ownerId: 'owner-1', name: 'A', initialCash: '0', at: AT },
      })
      .thenTypes(['AccountOpened']);
  });

  it('refuses to open an already open account', () => {
    given(opened())
      .when({
        type: 'OpenAccount',
        data: { accountId: 'acc-1', ownerId: 'owner-1', name: 'A', initialCash: '1', at: AT },
      })
      .thenThrows('account_already_open');
  });

  const badOpen: [
    string,
    string,
    string,
    'invalid_amount' | 'invalid_command' | 'invalid_value',
  ][] = [
    ['negative cash', 'acc-1', '-1', 'invalid_amount'],
    ['sub-cent cash', 'acc-1', '1.001', 'invalid_amount'],
    ['non-numeric cash', 'acc-1', 'lots', 'invalid_value'],
    ['an empty account id', '', '1', 'invalid_command'],
  ];
  for (const [what, accountId, cash, code] of badOpen) {
    it(`refuses to open with ${what}`, () => {
      given()
        .when({
          type: 'OpenAccount',
          data: { accountId, ownerId: 'owner-1', name: 'A', initialCash: cash, at: AT },
        })
        .thenThrows(code);
    });
  }

  it('refuses an empty name and out-of-range settings', () => {
    given()
      .when({
        type: 'OpenAccount',
        data: { accountId: 'a', ownerId: 'owner-1', name: '  ', initialCash: '1', at: AT },
      })
      .thenThrows('invalid_command');
    given()
      .when({
        type: 'OpenAccount',
        data: {
          accountId: 'a',
          ownerId: 'owner-1',
          name: 'A',
          initialCash: '1',
          settings: { marginMultiplier: '10' },
          at: AT,
        },
      })
      .thenThrows('invalid_value');
    given()
      .when({
        type: 'OpenAccount',
        data: {
          accountId: 'a',
          ownerId: 'owner-1',
          name: 'A',
          initialCash: '1',
          settings: {
            fillModel: {
              commission: { kind: 'per_share', perShare: '-1', minimum: null, maximum: null },
            },
          },
          at: AT,
        },
      })
      .thenThrows('invalid_value');
  });

  it('rejects every command but OpenAccount before the account is open', () => {
    given()
      .when({ type: 'Deposit', data: { amount: '10', at: AT } })
      .thenThrows('account_not_open');
    given().when(place()).thenThrows('account_not_open');
  });

  it('deposits whole cents and reports the balance after', () => {
    given(opened('1000'))
      .when({ type: 'Deposit', data: { amount: '250.25', reference: 'wire-1', at: AT } })
      .then([
        {
          type: 'CashDeposited',
          data: {
            amount: '250.25',
            cashAfter: '1250.25',
            reason: 'deposit',
            reference: 'wire-1',
            at: AT,
          },
        },
      ]);
  });

  for (const amount of ['0', '-5', '0.001']) {
    it(`refuses a deposit of ${amount}`, () => {
      given(opened())
        .when({ type: 'Deposit', data: { amount, at: AT } })
        .thenThrows('invalid_amount');
    });
  }

  it('withdraws up to cash less buying power reserved by open buy orders', () => {
    // A resting limit buy of 10 @ 90 reserves 900 of the 1000.
    const history = given(opened('1000')).and(place({ type: 'limit', limitPrice: '90' }));
    history.when({ type: 'Withdraw', data: { amount: '100', at: AT } }).then([
      {
        type: 'CashWithdrawn',
        data: { amount: '100', cashAfter: '900', reference: null, at: AT },
      },
    ]);
    history
      .when({ type: 'Withdraw', data: { amount: '100.01', at: AT } })
      .thenThrows('insufficient_funds');
  });

  it('a margin account may withdraw only what keeps buying power non-negative', () => {
    // 2 × 10000 − 9000 reserved = 11000 buying power; each dollar withdrawn costs two of it
    const h = given(opened('10000', { accountType: 'margin' })).and(
      place({ type: 'limit', limitPrice: '90', qty: '100' }, { fillId: null }),
    );
    h.when({ type: 'Withdraw', data: { amount: '5500.01', at: AT } }).thenThrows(
      'insufficient_funds',
    );
    h.when({ type: 'Withdraw', data: { amount: '5500', at: AT } }).thenTypes(['CashWithdrawn']);
  });

  it('borrowed cash cannot be withdrawn', () => {
    given(opened('10000', { accountType: 'margin' }))
      .and(place({ qty: '150' }))
      .when({ type: 'Withdraw', data: { amount: '0.01', at: AT } })
      .thenThrows('insufficient_funds');
  });

  const badSettings: [string, object][] = [
    ['a non-decimal buffer', { marketOrderBuffer: 'lots' }],
    ['zero participation', { fillModel: { maxParticipation: '0' } }],
    ['negative bps slippage', { fillModel: { slippage: { kind: 'fixed_bps', bps: '-1' } } }],
    [
      'a negative spread fraction',
      { fillModel: { slippage: { kind: 'spread_fraction', fraction: '-0.5' } } },
    ],
    [
      'negative impact',
      { fillModel: { slippage: { kind: 'volume_participation', impactBps: '-1' } } },
    ],
    [
      'a negative per-order commission',
      { fillModel: { commission: { kind: 'per_order', amount: '-1' } } },
    ],
    [
      'a negative TAF',
      {
        fillModel: { regulatoryFees: { secFeeRate: '0', tafPerShare: '-1', tafMaxPerTrade: '1' } },
      },
    ],
    ['a zero position limit', { limits: { maxPositionQty: '0' } }],
    ['a zero notional limit', { limits: { maxOrderNotional: '0' } }],
    ['a negative exposure limit', { limits: { maxGrossExposure: '-5' } }],
  ];
  for (const [what, settings] of badSettings) {
    it(`refuses settings with ${what}`, () => {
      given(opened())
        .when({ type: 'UpdateSettings', data: { settings, at: AT } })
        .thenThrows('invalid_value');
    });
  }

  it('resolveSettings previews merged, validated settings', () => {
    const s = resolveSettings(DEFAULT_SETTINGS, {
      fillModel: {
        commission: { kind: 'per_share', perShare: '0.005', minimum: '1', maximum: '5' },
      },
    });
    expect(s.fillModel.commission.kind).to.equal('per_share');
    expect(s.fillModel.regulatoryFees).to.deep.equal(DEFAULT_SETTINGS.fillModel.regulatoryFees);
    expect(resolveSettings(DEFAULT_SETTINGS, undefined)).to.equal(DEFAULT_SETTINGS);
  });

  it('updates settings and validates them', () => {
    const outcome = given(opened()).when({
      type: 'UpdateSettings',
      data: { settings: { accountType: 'margin', limits: { maxPositionQty: '100' } }, at: AT },
    });
    expect(outcome.state.settings.accountType).to.equal('margin');
    expect(outcome.state.settings.limits).to.deep.equal({
      ...DEFAULT_SETTINGS.limits,
      maxPositionQty: '100',
    });
    given(opened())
      .when({ type: 'UpdateSettings', data: { settings: { marketOrderBuffer: '1' }, at: AT } })
      .thenThrows('invalid_value');
  });

  it('does not switch to a cash account while short', () => {
    given(opened('100000', { accountType: 'margin' }))
      .and(place({ side: 'sell', qty: '10' }))
      .when({ type: 'UpdateSettings', data: { settings: { accountType: 'cash' }, at: AT } })
      .thenThrows('invalid_command');
  });

  it('resets the account: open orders canceled, positions and history of cash wiped', () => {
    const outcome = given(opened('10000'))
      .and(place({ qty: '5' }))
      .and(place({ type: 'limit', limitPrice: '50' }, { orderId: 'o2', fillId: 'f2' }))
      .when({ type: 'ResetAccount', data: { initialCash: '5000', at: AT } });
    expect(outcome.events.map((e) => e.type)).to.deep.equal(['OrderCanceled', 'AccountReset']);
    const s = outcome.state;
    expect(s.cash).to.equal('5000');
    expect(s.positions).to.deep.equal({});
    expect(s.orders).to.deep.equal({});
    expect(s.totalDeposits).to.equal('5000');
    expect(s.status).to.equal('open');
    // The account keeps its owner (and so its tenancy) across a reset.
    expect(s.ownerId).to.equal('owner-1');
    expect(s.accountId).to.equal('acc-1');
    expect(findOrderByClientOrderId(s, 'o1')).to.equal(undefined);
  });

  it('computes cash-account buying power as cash less reservations', () => {
    const s = stateOf(
      opened('10000'),
      given(opened('10000')).when(place({ type: 'limit', limitPrice: '95', qty: '20' })).events,
    );
    expect(buyingPower(s).toString()).to.equal('8100');
  });

  it('computes Reg-T margin buying power at 2x equity less exposure', () => {
    const s = stateOf(
      given(opened('10000', { accountType: 'margin' })).and(place({ qty: '100' })).events,
    );
    // cash 10000 − 10001 (bought at 100.01) ; equity at cost 10000 ; 2 × 10000 − 10001 = 9999
    expect(buyingPower(s).toString()).to.equal('9999');
    expect(market().phase).to.equal('regular');
  });
});
