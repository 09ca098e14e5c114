import { expect } from 'chai';
import fc from 'fast-check';
import {
  formatUnits,
  isValidQuotePrice,
  roundToTick,
  tickDecimals,
  tickSize,
  toTickUnits,
} from '../../src/market/ticks.ts';

describe('market/ticks: the Rule 612 tick grid', () => {
  it('uses cents at or above $1 and hundredths of a cent below', () => {
    expect(tickSize('1').toString()).to.equal('0.01');
    expect(tickSize('0.9999').toString()).to.equal('0.0001');
    expect(tickDecimals('250.5')).to.equal(2);
    expect(tickDecimals('0.5')).to.equal(4);
  });

  it('rounds with decimal arithmetic in the requested direction', () => {
    expect(roundToTick('189.425')).to.equal('189.43');
    expect(roundToTick('189.429', 'floor')).to.equal('189.42');
    expect(roundToTick('189.421', 'ceil')).to.equal('189.43');
    expect(roundToTick('0.123456')).to.equal('0.1235');
    expect(roundToTick('0.99996', 'ceil')).to.equal('1.00');
    expect(roundToTick('0.99996', 'floor')).to.equal('0.9999');
  });

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
