import { expect } from 'chai';
import fc from 'fast-check';
import {
  formatUnits,
  isValidQuotePrice,
  toTickUnits,
  unitsToNumber,
} from '../../src/market/ticks.ts';

describe('market/ticks: the Rule 612 tick grid', () => {
  it('accepts only positive prices on the grid written with the tick’s decimals', () => {
    expect(isValidQuotePrice('189.42')).to.equal(true);
    expect(isValidQuotePrice('0.0537')).to.equal(true);
    expect(isValidQuotePrice('189.425')).to.equal(false);
    expect(isValidQuotePrice('189.4')).to.equal(false);
    expect(isValidQuotePrice('0.05')).to.equal(false);
    expect(isValidQuotePrice('1.0000')).to.equal(false);
    expect(isValidQuotePrice('0.0000')).to.equal(false);
    expect(isValidQuotePrice('-1.00')).to.equal(false);
    expect(isValidQuotePrice('12')).to.equal(false);
  });

  it('formats integer units with the right decimals', () => {
    expect(formatUnits(1_894_200)).to.equal('189.42');
    expect(formatUnits(537)).to.equal('0.0537');
    expect(formatUnits(10_000)).to.equal('1.00');
    expect(formatUnits(1)).to.equal('0.0001');
  });

  it('reads grid prices as numbers exactly as Number(formatUnits(units)) does', () => {
    // Every sub-dollar grid point, then whole cents up to $10,000 and a random sample up to $100,000.
    for (let units = 1; units <= 10_000; units++)
      expect(unitsToNumber(units)).to.equal(Number(formatUnits(units)));
    for (let units = 10_000; units <= 100_000_000; units += 100)
      if (unitsToNumber(units) !== Number(formatUnits(units))) expect.fail(formatUnits(units));
    fc.assert(
      fc.property(fc.double({ min: 0.0001, max: 100_000, noNaN: true }), (price) => {
        for (const rounding of ['floor', 'nearest', 'ceil'] as const) {
          const units = toTickUnits(price, rounding);
          expect(unitsToNumber(units)).to.equal(Number(formatUnits(units)));
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('rounds any positive float onto a valid grid point, floor ≤ nearest ≤ ceil', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.0001, max: 5_000, noNaN: true }), (price) => {
        const floor = toTickUnits(price, 'floor');
        const nearest = toTickUnits(price, 'nearest');
        const ceil = toTickUnits(price, 'ceil');
        for (const units of [floor, nearest, ceil]) {
          expect(isValidQuotePrice(formatUnits(units)), formatUnits(units)).to.equal(true);
        }
        expect(floor).to.be.at.most(nearest);
        expect(nearest).to.be.at.most(ceil);
        // The floor is never above the price and the ceiling never below, up to float noise.
        expect(floor / 10_000).to.be.at.most(price + 1e-9);
        expect(ceil / 10_000).to.be.at.least(Math.min(price, 1e9) - 1e-9);
      }),
    );
  });
});
