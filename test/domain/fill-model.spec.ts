import { expect } from 'chai';
import { Dec } from '../../src/domain/decimal.ts';
import {
  cumulativeCommission,
  cumulativeRegulatoryFees,
  DEFAULT_FILL_MODEL,
  executionPrice,
  fillableQty,
  fillCharges,
  NO_FEES,
  slippagePerUnit,
  type CommissionModel,
} from '../../src/domain/fill-model.ts';
import { quote } from './account/spec-helper.ts';

const d = (s: string): Dec => new Dec(s);

describe('fill model', () => {
  const q = quote({ bid: '99.9', ask: '100.1', bidSize: 200, askSize: 300 });

  it('slippage: none, fixed bps, spread fraction and volume participation', () => {
    expect(slippagePerUnit({ kind: 'none' }, 'buy', q, d('10')).toString()).to.equal('0');
    expect(
      slippagePerUnit({ kind: 'fixed_bps', bps: '10' }, 'buy', q, d('10')).toString(),
    ).to.equal('0.1001');
    expect(
      slippagePerUnit({ kind: 'spread_fraction', fraction: '0.5' }, 'sell', q, d('10')).toString(),
    ).to.equal('0.1');
    // 100.1 × 20 bps × 150 / 300
    expect(
      slippagePerUnit(
        { kind: 'volume_participation', impactBps: '20' },
        'buy',
        q,
        d('150'),
      ).toString(),
    ).to.equal('0.1001');
    expect(
      slippagePerUnit(
        { kind: 'volume_participation', impactBps: '20' },
        'buy',
        quote({ askSize: 0 }),
        d('1'),
      ).toString(),
    ).to.equal('0');
  });

  it('prices against the trader on the tick grid and never through the limit', () => {
    const bps = { kind: 'fixed_bps', bps: '10' } as const;
    expect(executionPrice('buy', q, d('1'), bps, null)?.price.toString()).to.equal('100.21');
    expect(executionPrice('sell', q, d('1'), bps, null)?.price.toString()).to.equal('99.8');
    expect(executionPrice('buy', q, d('1'), bps, d('100.15'))?.price.toString()).to.equal('100.15');
    expect(executionPrice('sell', q, d('1'), bps, d('99.85'))?.price.toString()).to.equal('99.85');
    expect(executionPrice('buy', q, d('1'), bps, d('100'))).to.equal(undefined);
    expect(executionPrice('sell', quote({ bid: '0' }), d('1'), bps, null)).to.equal(undefined);
  });

  it('fills at most displayed size × participation, in whole shares', () => {
    expect(fillableQty(d('1000'), d('300'), d('1')).toString()).to.equal('300');
    expect(fillableQty(d('1000'), d('301'), d('0.5')).toString()).to.equal('150');
    expect(fillableQty(d('0.25'), d('300'), d('1')).toString()).to.equal('0.25');
    expect(fillableQty(d('10'), d('0'), d('1')).toString()).to.equal('0');
  });

  describe('commission', () => {
    const perShare: CommissionModel = {
      kind: 'per_share',
      perShare: '0.005',
      minimum: '1',
      maximum: '5',
    };
    const table: [CommissionModel, string, string][] = [
      [{ kind: 'none' }, '100', '0'],
      [{ kind: 'per_order', amount: '4.95' }, '1', '4.95'],
      [perShare, '10', '1'],
      [perShare, '500', '2.5'],
      [perShare, '5000', '5'],
      [perShare, '0', '0'],
    ];
    for (const [model, qty, expected] of table) {
      it(`${model.kind} on ${qty} shares costs ${expected}`, () => {
        expect(cumulativeCommission(model, d(qty)).toString()).to.equal(expected);
      });
    }

    it('charges the minimum once across partial fills', () => {
      const model = { ...DEFAULT_FILL_MODEL, commission: perShare, regulatoryFees: NO_FEES };
      const first = fillCharges(
        model,
        'buy',
        { qty: d('0'), notional: d('0') },
        { qty: d('100'), notional: d('10000') },
      );
      const second = fillCharges(
        model,
        'buy',
        { qty: d('100'), notional: d('10000') },
        { qty: d('400'), notional: d('40000') },
      );
      expect(first.commission.toString()).to.equal('1');
      expect(second.commission.toString()).to.equal('1');
    });
  });

  describe('regulatory fees (Alpaca-like defaults)', () => {
    const fees = DEFAULT_FILL_MODEL.regulatoryFees;
    it('charges nothing on buys', () => {
      const f = cumulativeRegulatoryFees(fees, 'buy', d('100'), d('10000'));
      expect([f.sec.toString(), f.taf.toString()]).to.deep.equal(['0', '0']);
    });

    it('rounds the SEC fee and TAF up to the cent, and caps the TAF per trade', () => {
      const small = cumulativeRegulatoryFees(fees, 'sell', d('1'), d('10'));
      expect([small.sec.toString(), small.taf.toString()]).to.deep.equal(['0.01', '0.01']);
      const big = cumulativeRegulatoryFees(fees, 'sell', d('100000'), d('1000000'));
      expect([big.sec.toString(), big.taf.toString()]).to.deep.equal(['27.8', '8.3']);
    });
  });
});
