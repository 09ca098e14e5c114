import { expect } from 'chai';
import {
  analyzeExpirations,
  expectedMove,
  ivStanding,
  maxPain,
  putCallRatios,
  type ChainRow,
} from '../../src/analysis/options-chain.ts';

/**
 * Known answers worked out by hand on a small chain (one expiration, strikes 90/100/110, 100
 * shares per contract):
 *
 *   strike | call OI vol  bid–ask     IV  | put OI vol  bid–ask     IV
 *     90   |   100   10  12.00–12.40 .31 |   400  30   1.00–1.10  .36
 *    100   |   300   50   5.00–5.20  .30 |   200  60   3.90–4.10  .34
 *    110   |   500   40   0–0.05     .29 |   100  30   9.80–10.20 .33
 *
 * Volume: calls 10 + 50 + 40 = 100, puts 30 + 60 + 30 = 120 → put/call 1.2.
 * Open interest: calls 900, puts 700 → 700 / 900 = 0.7778.
 * Max pain, pain(S) = Σ call OI·max(0, S − K)·100 + Σ put OI·max(0, K − S)·100:
 *   S = 90:  calls 0;                          puts 200·10·100 + 100·20·100 = 400,000
 *   S = 100: calls 100·10·100 = 100,000;       puts 100·10·100 = 100,000   → 200,000
 *   S = 110: calls 100·20·100 + 300·10·100 = 500,000; puts 0                → 500,000
 *   → max pain 100, paying 200,000.
 * Expected move at spot 101, T = 0.25: the ATM strike is 100 (110's call has no bid);
 * straddle = 5.10 + 4.00 = 9.10 = 9.0099 % of 101; σ = (0.30 + 0.34) / 2 = 0.32;
 * one sigma = 101 × 0.32 × √0.25 = 16.16 = 16 % of 101.
 */
const EXP = '2026-01-16';
function row(
  right: 'call' | 'put',
  strike: number,
  openInterest: number,
  volume: number,
  bid: string,
  ask: string,
  impliedVolatility: number,
  expiration = EXP,
): ChainRow {
  return {
    expiration,
    right,
    strike,
    volume,
    openInterest,
    multiplier: 100,
    bid,
    ask,
    impliedVolatility,
    years: 0.25,
  };
}
const CHAIN: ChainRow[] = [
  row('call', 90, 100, 10, '12', '12.4', 0.31),
  row('put', 90, 400, 30, '1', '1.1', 0.36),
  row('call', 100, 300, 50, '5', '5.2', 0.3),
  row('put', 100, 200, 60, '3.9', '4.1', 0.34),
  row('call', 110, 500, 40, '0', '0.05', 0.29),
  row('put', 110, 100, 30, '9.8', '10.2', 0.33),
];

describe('options-chain analysis (known answers)', () => {
  it('computes put/call volume and open-interest ratios', () => {
    const r = putCallRatios(CHAIN);
    expect(r).to.include({ callVolume: 100, putVolume: 120, callOpenInterest: 900 });
    expect(r.putOpenInterest).to.equal(700);
    expect(r.volumeRatio).to.equal(1.2);
    expect(r.openInterestRatio).to.be.closeTo(0.7778, 1e-4);
  });

  it('answers null ratios when nothing was traded or held in calls', () => {
    const quiet = CHAIN.map((c) => ({ ...c, volume: 0 }));
    expect(putCallRatios(quiet).volumeRatio).to.equal(null);
    const putsOnly = CHAIN.filter((c) => c.right === 'put');
    expect(putCallRatios(putsOnly).openInterestRatio).to.equal(null);
  });

  it('finds max pain at the strike that pays holders least', () => {
    expect(maxPain(CHAIN)).to.deep.equal({ strike: 100, payout: 200_000 });
  });

  it('breaks a max-pain tie at the lowest strike, and has none without open interest', () => {
    // pain(95) = put 105: 10·10·100 = 10,000; pain(105) = call 95: 10·10·100 = 10,000.
    const tie = [row('call', 95, 10, 0, '1', '1.1', 0.3), row('put', 105, 10, 0, '1', '1.1', 0.3)];
    expect(maxPain(tie)).to.deep.equal({ strike: 95, payout: 10_000 });
    expect(maxPain(CHAIN.map((c) => ({ ...c, openInterest: 0 })))).to.equal(null);
  });

  it('prices the expected move from the ATM straddle and from spot × IV × √T', () => {
    const move = expectedMove(CHAIN, 101);
    expect(move).to.not.equal(null);
    expect(move?.atmStrike).to.equal(100);
    expect(move?.straddle).to.equal('9.1');
    expect(move?.straddlePercent).to.be.closeTo(9.0099, 1e-4);
    expect(move?.atmImpliedVolatility).to.be.closeTo(0.32, 1e-12);
    expect(move?.oneSigmaMove).to.be.closeTo(16.16, 1e-9);
    expect(move?.oneSigmaPercent).to.be.closeTo(16, 1e-9);
  });

  it('takes the lower strike when the spot sits halfway, skipping one-sided quotes', () => {
    // Spot 105: 100 and 110 are equally near; 100 wins. At 109 the 110 call has no bid: 100.
    expect(expectedMove(CHAIN, 105)?.atmStrike).to.equal(100);
    expect(expectedMove(CHAIN, 109)?.atmStrike).to.equal(100);
    expect(expectedMove([row('call', 100, 1, 1, '5', '5.2', 0.3)], 100)).to.equal(null);
  });

  it('ranks IV now against its history', () => {
    // Range 0.20–0.40: rank (0.33 − 0.20) / 0.20 = 65; below 0.33: 0.20, 0.25, 0.30 = 3 of 5.
    const s = ivStanding(0.33, [0.2, 0.25, 0.3, 0.35, 0.4]);
    expect(s?.rank).to.be.closeTo(65, 1e-9);
    expect(s?.percentile).to.equal(60);
    expect(s).to.include({ low: 0.2, high: 0.4, sessions: 5 });
    expect(ivStanding(0.5, [0.2, 0.4])).to.include({ rank: 100, percentile: 100 });
    expect(ivStanding(0.1, [0.2, 0.4])).to.include({ rank: 0, percentile: 0 });
    expect(ivStanding(0.3, [0.3, 0.3])?.rank).to.equal(50);
    expect(ivStanding(0.3, [])).to.equal(null);
  });

  it('analyses each expiration on its own', () => {
    const later = '2026-02-20';
    const rows = [
      ...CHAIN,
      row('call', 100, 50, 5, '7', '7.2', 0.3, later),
      row('put', 100, 150, 20, '6', '6.2', 0.32, later),
    ];
    const [first, second] = analyzeExpirations(rows, 101);
    expect(first?.expiration).to.equal(EXP);
    expect(first?.maxPain?.strike).to.equal(100);
    expect(first?.volumeRatio).to.equal(1.2);
    // The later expiration alone: 20 / 5 = 4 by volume, 150 / 50 = 3 by open interest.
    expect(second?.expiration).to.equal(later);
    expect(second?.volumeRatio).to.equal(4);
    expect(second?.openInterestRatio).to.equal(3);
    expect(second?.expectedMove?.straddle).to.equal('13.2');
  });
});
