import { expect } from 'chai';
import { Dec } from '../../../src/domain/decimal.ts';
import {
  optionRequirement,
  payoffProfile,
  recognizeStrategy,
  type LegShape,
  type OptionExposure,
} from '../../../src/domain/options/index.ts';

const d = (x: string | number): Dec => new Dec(x);
const leg = (
  right: 'call' | 'put',
  strike: number,
  qty: number,
  expiration = '2026-01-16',
): LegShape => ({
  right,
  strike: d(strike),
  qty: d(qty),
  expiration,
});
const exposure = (
  right: 'call' | 'put',
  strike: number,
  qty: number,
  expiration = '2026-01-16',
): OptionExposure => ({
  underlying: 'AAPL',
  right,
  strike: d(strike),
  qty: d(qty),
  expiration,
  multiplier: 100,
});
const noShares = (): Dec => d(0);

describe('options: strategy recognition', () => {
  it('names singles, verticals, straddles, strangles, condors, butterflies and calendars', () => {
    expect(recognizeStrategy([leg('call', 100, 1)])).to.equal('long_call');
    expect(recognizeStrategy([leg('call', 100, -1)])).to.equal('short_call');
    expect(recognizeStrategy([leg('call', 100, -1)], true)).to.equal('covered_call');
    expect(recognizeStrategy([leg('put', 100, -2)])).to.equal('short_put');
    expect(recognizeStrategy([leg('call', 100, 1), leg('call', 105, -1)])).to.equal(
      'call_debit_spread',
    );
    expect(recognizeStrategy([leg('call', 100, -1), leg('call', 105, 1)])).to.equal(
      'call_credit_spread',
    );
    expect(recognizeStrategy([leg('put', 100, 1), leg('put', 95, -1)])).to.equal(
      'put_debit_spread',
    );
    expect(recognizeStrategy([leg('put', 100, -3), leg('put', 95, 3)])).to.equal(
      'put_credit_spread',
    );
    expect(recognizeStrategy([leg('call', 100, 1), leg('put', 100, 1)])).to.equal('long_straddle');
    expect(recognizeStrategy([leg('call', 105, -1), leg('put', 95, -1)])).to.equal(
      'short_strangle',
    );
    expect(
      recognizeStrategy([
        leg('put', 90, 1),
        leg('put', 95, -1),
        leg('call', 105, -1),
        leg('call', 110, 1),
      ]),
    ).to.equal('iron_condor');
    expect(
      recognizeStrategy([
        leg('put', 90, 1),
        leg('put', 100, -1),
        leg('call', 100, -1),
        leg('call', 110, 1),
      ]),
    ).to.equal('iron_butterfly');
    expect(
      recognizeStrategy([
        leg('put', 90, -1),
        leg('put', 95, 1),
        leg('call', 105, 1),
        leg('call', 110, -1),
      ]),
    ).to.equal('reverse_iron_condor');
    expect(
      recognizeStrategy([leg('call', 95, 1), leg('call', 100, -2), leg('call', 105, 1)]),
    ).to.equal('long_call_butterfly');
    expect(
      recognizeStrategy([leg('call', 100, -1, '2025-12-19'), leg('call', 100, 1, '2026-01-16')]),
    ).to.equal('long_calendar');
    expect(
      recognizeStrategy([leg('call', 100, -1, '2025-12-19'), leg('call', 105, 1, '2026-01-16')]),
    ).to.equal('diagonal');
    expect(recognizeStrategy([leg('call', 100, 1), leg('call', 105, -2)])).to.equal('custom');
    expect(recognizeStrategy([])).to.equal('custom');
  });
});

describe('options: payoff at expiry', () => {
  it('call credit spread 100/105 for a 1.20 credit: max profit 120, max loss 380, breakeven 101.20', () => {
    const p = payoffProfile(
      [
        { right: 'call', strike: d(100), qty: d(-1), multiplier: 100 },
        { right: 'call', strike: d(105), qty: d(1), multiplier: 100 },
      ],
      d(-120),
    );
    expect(p.maxProfit?.toString()).to.equal('120');
    expect(p.maxLoss?.toString()).to.equal('380');
    expect(p.breakevens.map(String)).to.deep.equal(['101.2']);
  });

  it('long call: unlimited profit, premium at risk; short call: unlimited loss', () => {
    const long = payoffProfile(
      [{ right: 'call', strike: d(100), qty: d(1), multiplier: 100 }],
      d(250),
    );
    expect(long.maxProfit).to.equal(null);
    expect(long.maxLoss?.toString()).to.equal('250');
    expect(long.breakevens.map(String)).to.deep.equal(['102.5']);
    const short = payoffProfile(
      [{ right: 'call', strike: d(100), qty: d(-1), multiplier: 100 }],
      d(-250),
    );
    expect(short.maxLoss).to.equal(null);
    expect(short.maxProfit?.toString()).to.equal('250');
  });

  it('iron condor 90/95/105/110 for 1.50: profit 150 between the short strikes, loss 350 beyond', () => {
    const p = payoffProfile(
      [
        { right: 'put', strike: d(90), qty: d(1), multiplier: 100 },
        { right: 'put', strike: d(95), qty: d(-1), multiplier: 100 },
        { right: 'call', strike: d(105), qty: d(-1), multiplier: 100 },
        { right: 'call', strike: d(110), qty: d(1), multiplier: 100 },
      ],
      d(-150),
    );
    expect(p.maxProfit?.toString()).to.equal('150');
    expect(p.maxLoss?.toString()).to.equal('350');
    expect(p.breakevens.map(String)).to.deep.equal(['93.5', '106.5']);
  });

  it('covered call: shares cap the loss at the stock going to zero', () => {
    const p = payoffProfile(
      [{ right: 'call', strike: d(110), qty: d(-1), multiplier: 100 }],
      d(10000 - 300),
      d(100),
    );
    expect(p.maxProfit?.toString()).to.equal('1300');
    expect(p.maxLoss?.toString()).to.equal('9700');
    expect(p.breakevens.map(String)).to.deep.equal(['97']);
  });
});

describe('options: collateral (buying power held by short options)', () => {
  it('a lone short put is cash-secured: strike × 100', () => {
    const r = optionRequirement([exposure('put', 250, -2)], noShares);
    expect(r.total.toString()).to.equal('50000');
    expect(r.uncoveredCalls.toString()).to.equal('0');
  });

  it('a short call covered by shares holds nothing but commits the shares', () => {
    const r = optionRequirement([exposure('call', 280, -2)], () => d(250));
    expect(r.total.toString()).to.equal('0');
    expect(r.uncoveredCalls.toString()).to.equal('0');
    expect(r.sharesCommitted.get('AAPL')?.toString()).to.equal('200');
  });

  it('without enough shares the rest of the calls are naked (strike × 100)', () => {
    const r = optionRequirement([exposure('call', 280, -2)], () => d(150));
    expect(r.uncoveredCalls.toString()).to.equal('1');
    expect(r.total.toString()).to.equal('28000');
  });

  it('a credit spread holds its width; a debit spread nothing', () => {
    const credit = optionRequirement(
      [exposure('call', 280, -1), exposure('call', 285, 1)],
      noShares,
    );
    expect(credit.total.toString()).to.equal('500');
    expect(credit.uncoveredCalls.toString()).to.equal('0');
    const debit = optionRequirement(
      [exposure('call', 280, 1), exposure('call', 285, -1)],
      noShares,
    );
    expect(debit.total.toString()).to.equal('0');
    const put = optionRequirement([exposure('put', 250, -1), exposure('put', 245, 1)], noShares);
    expect(put.total.toString()).to.equal('500');
  });

  it('pairs each short with the long that costs it least (sorted matching)', () => {
    const calls = optionRequirement(
      [
        exposure('call', 100, -1),
        exposure('call', 110, -1),
        exposure('call', 105, 1),
        exposure('call', 115, 1),
      ],
      noShares,
    );
    expect(calls.total.toString()).to.equal('1000');
    const puts = optionRequirement(
      [exposure('put', 100, -1), exposure('put', 95, 1), exposure('put', 105, 1)],
      noShares,
    );
    expect(puts.total.toString()).to.equal('0');
  });

  it('a long that expires before the short does not cover it (calendar the wrong way round)', () => {
    const r = optionRequirement(
      [exposure('call', 100, -1, '2026-01-16'), exposure('call', 100, 1, '2025-12-19')],
      noShares,
    );
    expect(r.uncoveredCalls.toString()).to.equal('1');
    const calendar = optionRequirement(
      [exposure('call', 100, -1, '2025-12-19'), exposure('call', 100, 1, '2026-01-16')],
      noShares,
    );
    expect(calendar.total.toString()).to.equal('0');
  });

  it('shares go to the calls that would cost most', () => {
    const r = optionRequirement(
      [exposure('call', 100, -1), exposure('call', 120, -1), exposure('call', 125, 1)],
      () => d(100),
    );
    // The 120 pairs with the 125 (width 5); the 100 would be naked (10,000) so the shares cover it.
    expect(r.total.toString()).to.equal('500');
    expect(r.uncoveredCalls.toString()).to.equal('0');
  });
});
