import { expect } from 'chai';
import fc from 'fast-check';
import { add, canonical, cmp, mul, neg, sub } from '../../src/domain/money.ts';
import { roundToTick, isValidTick } from '../../src/domain/price.ts';
import { Dec } from '../../src/domain/decimal.ts';

/** Cents as an exact decimal string, built from an integer so no float is involved. */
const centsString = (cents: bigint): string => {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return canonical(`${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`);
};
const cents = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });
const decimal = fc
  .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 9 }))
  .map(([units, scale]) =>
    canonical(new Dec(units.toString()).dividedBy(new Dec(10).pow(scale)).toFixed()),
  );

describe('money arithmetic (properties)', () => {
  it('a + b − b = a exactly', () => {
    fc.assert(fc.property(decimal, decimal, (a, b) => sub(add(a, b), b) === a));
  });

  it('sums of random cents equal the integer sum of cents', () => {
    fc.assert(
      fc.property(fc.array(cents, { maxLength: 200 }), (xs) => {
        const expected = xs.reduce((s, x) => s + x, 0n);
        return add(...xs.map(centsString)) === centsString(expected);
      }),
    );
  });

  it('addition is commutative and associative; negation is its inverse', () => {
    fc.assert(
      fc.property(decimal, decimal, decimal, (a, b, c) => {
        expect(add(a, b)).to.equal(add(b, a));
        expect(add(add(a, b), c)).to.equal(add(a, add(b, c)));
        expect(add(a, neg(a))).to.equal('0');
      }),
    );
  });

  it('multiplication of cents by whole quantities is exact', () => {
    fc.assert(
      fc.property(
        cents,
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        (c, q) => mul(centsString(c), q.toString()) === centsString(c * q),
      ),
    );
  });

  it('canonical spelling is stable and comparison agrees with subtraction', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(canonical(a)).to.equal(a);
        const diff = new Dec(sub(a, b));
        expect(cmp(a, b)).to.equal(diff.isZero() ? 0 : diff.isNegative() ? -1 : 1);
      }),
    );
  });

  it('rounding to the tick always lands on a valid tick, in the asked direction', () => {
    const price = fc
      .bigInt({ min: 1n, max: 10n ** 12n })
      .map((n) => new Dec(n.toString()).dividedBy(1_000_000));
    fc.assert(
      fc.property(price, (p) => {
        const up = roundToTick(p, 'up');
        const down = roundToTick(p, 'down');
        expect(isValidTick(up) && isValidTick(down)).to.equal(true);
        expect(up.gte(p) && down.lte(p)).to.equal(true);
      }),
    );
  });
});
