import { expect } from 'chai';
import fc from 'fast-check';
import {
  bsm,
  bsmInto,
  bsmPrice,
  emptyGreeks,
  impliedVolatility,
  ImpliedVolatilityError,
  normalCdf,
  normalPdf,
  priceBounds,
  solveImpliedVolatility,
} from '../../../src/domain/options/index.ts';

const close = (actual: number, expected: number, tolerance: number): void => {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).to.be.at.most(tolerance);
};

describe('options pricing: the normal distribution', () => {
  it('matches tabulated values of N(x) to 1e-15 (Abramowitz & Stegun, table 26.1)', () => {
    close(normalCdf(0), 0.5, 1e-16);
    close(normalCdf(1), 0.8413447460685429, 1e-15);
    close(normalCdf(-1.96), 0.024997895148220435, 1e-15);
    close(normalCdf(2), 0.9772498680518208, 1e-15);
    close(normalCdf(-3), 0.0013498980316301, 1e-15);
    close(normalCdf(-8), 6.22096057427178e-16, 1e-20);
    expect(normalCdf(-40)).to.equal(0);
    expect(normalCdf(40)).to.equal(1);
    close(normalPdf(0), 0.3989422804014327, 1e-16);
  });

  it('is symmetric: N(x) + N(−x) = 1', () => {
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (x) => {
        close(normalCdf(x) + normalCdf(-x), 1, 1e-14);
      }),
    );
  });
});

describe('options pricing: Black–Scholes–Merton known answers', () => {
  it('Hull, Options, Futures, and Other Derivatives, Example 15.6: S=42, K=40, r=10 %, σ=20 %, T=0.5 → call 4.76, put 0.81', () => {
    const call = bsm({
      right: 'call',
      spot: 42,
      strike: 40,
      rate: 0.1,
      volatility: 0.2,
      years: 0.5,
    });
    const put = bsm({ right: 'put', spot: 42, strike: 40, rate: 0.1, volatility: 0.2, years: 0.5 });
    expect(call.price.toFixed(2)).to.equal('4.76');
    expect(put.price.toFixed(2)).to.equal('0.81');
  });

  it('Hull, chapter 19 (The Greek Letters), the running example: S=49, K=50, r=5 %, σ=20 %, T=20 weeks → price 2.40, Δ 0.522, Γ 0.066, Θ −4.31 a year (−0.0118 a day), vega 12.1 (0.121 a point), ρ 8.91 (0.0891 a point)', () => {
    const g = bsm({
      right: 'call',
      spot: 49,
      strike: 50,
      rate: 0.05,
      volatility: 0.2,
      years: 20 / 52,
    });
    expect(g.price.toFixed(2)).to.equal('2.40');
    expect(g.delta.toFixed(3)).to.equal('0.522');
    expect(g.gamma.toFixed(3)).to.equal('0.066');
    expect(g.theta.toFixed(2)).to.equal('-4.31');
    expect(g.thetaPerDay.toFixed(4)).to.equal('-0.0118');
    expect(g.vega.toFixed(3)).to.equal('0.121');
    expect(g.rho.toFixed(4)).to.equal('0.0891');
  });

  it('Haug, The Complete Guide to Option Pricing Formulas (2nd ed.), §1.1.3 Merton (1973): S=100, K=95, T=0.5, r=10 %, q=5 %, σ=20 % → put 2.4648', () => {
    const put = bsm({
      right: 'put',
      spot: 100,
      strike: 95,
      years: 0.5,
      rate: 0.1,
      dividendYield: 0.05,
      volatility: 0.2,
    });
    expect(put.price.toFixed(4)).to.equal('2.4648');
  });

  it('Hull, Example 17.1 (index option with a dividend yield): S=930, K=900, r=8 %, q=3 %, σ=20 %, T=2 months → call 51.83', () => {
    const call = bsm({
      right: 'call',
      spot: 930,
      strike: 900,
      years: 2 / 12,
      rate: 0.08,
      dividendYield: 0.03,
      volatility: 0.2,
    });
    expect(call.price.toFixed(2)).to.equal('51.83');
  });

  it('Haug, §2.1.1 delta of a futures option (cost of carry 0, i.e. q = r): S=105, K=100, T=0.5, r=10 %, σ=36 % → call Δ 0.5946, put Δ −0.3566', () => {
    const args = {
      spot: 105,
      strike: 100,
      years: 0.5,
      rate: 0.1,
      dividendYield: 0.1,
      volatility: 0.36,
    };
    expect(bsm({ right: 'call', ...args }).delta.toFixed(4)).to.equal('0.5946');
    expect(bsm({ right: 'put', ...args }).delta.toFixed(4)).to.equal('-0.3566');
  });

  it('at expiry or with zero volatility an option is worth its (forward) intrinsic value', () => {
    expect(
      bsm({ right: 'call', spot: 110, strike: 100, rate: 0.05, volatility: 0.3, years: 0 }).price,
    ).to.equal(10);
    expect(
      bsm({ right: 'put', spot: 110, strike: 100, rate: 0.05, volatility: 0.3, years: 0 }).price,
    ).to.equal(0);
    const g = bsm({ right: 'call', spot: 110, strike: 100, rate: 0.05, volatility: 0, years: 1 });
    close(g.price, 110 - 100 * Math.exp(-0.05), 1e-12);
    expect(g.delta).to.equal(1);
    expect(g.gamma).to.equal(0);
    expect(bsmPrice(false, 90, 100, 0, 0.05, 0, 0.3)).to.equal(10);
  });

  it('the price-only path agrees with the greeks path', () => {
    fc.assert(
      fc.property(inputs(), (i) => {
        const full = bsmInto(emptyGreeks(), i.call, i.spot, i.strike, i.years, i.rate, i.q, i.vol);
        close(
          bsmPrice(i.call, i.spot, i.strike, i.years, i.rate, i.q, i.vol),
          full.price,
          1e-9 * i.spot,
        );
      }),
    );
  });
});

/** Realistic option inputs. */
function inputs() {
  return fc
    .record({
      call: fc.boolean(),
      spot: fc.double({ min: 1, max: 2000, noNaN: true }),
      moneyness: fc.double({ min: 0.5, max: 1.5, noNaN: true }),
      years: fc.double({ min: 1 / 365, max: 3, noNaN: true }),
      rate: fc.double({ min: -0.01, max: 0.1, noNaN: true }),
      q: fc.double({ min: 0, max: 0.08, noNaN: true }),
      vol: fc.double({ min: 0.05, max: 1.5, noNaN: true }),
    })
    .map((r) => ({ ...r, strike: r.spot * r.moneyness }));
}

describe('options pricing: properties', () => {
  it('put–call parity: C − P = S·e^(−qT) − K·e^(−rT)', () => {
    fc.assert(
      fc.property(inputs(), (i) => {
        const c = bsmPrice(true, i.spot, i.strike, i.years, i.rate, i.q, i.vol);
        const p = bsmPrice(false, i.spot, i.strike, i.years, i.rate, i.q, i.vol);
        const parity = i.spot * Math.exp(-i.q * i.years) - i.strike * Math.exp(-i.rate * i.years);
        close(c - p, parity, 1e-10 * Math.max(i.spot, i.strike));
      }),
    );
  });

  it('prices stay within the no-arbitrage bounds', () => {
    fc.assert(
      fc.property(inputs(), (i) => {
        const price = bsmPrice(i.call, i.spot, i.strike, i.years, i.rate, i.q, i.vol);
        const { lower, upper } = priceBounds(i.call, i.spot, i.strike, i.years, i.rate, i.q);
        const slack = 1e-9 * Math.max(i.spot, i.strike);
        expect(price).to.be.at.least(lower - slack);
        expect(price).to.be.at.most(upper + slack);
      }),
    );
  });

  it('greeks match central finite differences of the price', () => {
    fc.assert(
      fc.property(inputs(), (i) => {
        const g = bsmInto(emptyGreeks(), i.call, i.spot, i.strike, i.years, i.rate, i.q, i.vol);
        const price = (s: number, t: number, r: number, v: number): number =>
          bsmPrice(i.call, s, i.strike, t, r, i.q, v);
        // A step small against the width of the distribution (S·σ·√T), so the truncation
        // error of the second difference stays below the tolerance even a day from expiry.
        const hs = i.spot * Math.min(1e-4, 1e-3 * i.vol * Math.sqrt(i.years));
        const delta =
          (price(i.spot + hs, i.years, i.rate, i.vol) -
            price(i.spot - hs, i.years, i.rate, i.vol)) /
          (2 * hs);
        const gamma =
          (price(i.spot + hs, i.years, i.rate, i.vol) -
            2 * price(i.spot, i.years, i.rate, i.vol) +
            price(i.spot - hs, i.years, i.rate, i.vol)) /
          (hs * hs);
        const hv = 1e-5;
        const vega =
          (price(i.spot, i.years, i.rate, i.vol + hv) -
            price(i.spot, i.years, i.rate, i.vol - hv)) /
          (2 * hv) /
          100;
        const hr = 1e-6;
        const rho =
          (price(i.spot, i.years, i.rate + hr, i.vol) -
            price(i.spot, i.years, i.rate - hr, i.vol)) /
          (2 * hr) /
          100;
        const ht = Math.min(1e-5, i.years / 10);
        // Theta is the change as time passes: minus the derivative in time to expiry.
        const theta =
          -(
            price(i.spot, i.years + ht, i.rate, i.vol) - price(i.spot, i.years - ht, i.rate, i.vol)
          ) /
          (2 * ht);
        const scale = Math.max(1, i.spot);
        close(g.delta, delta, 1e-5);
        close(g.gamma, gamma, 1e-3 * Math.max(1, Math.abs(gamma)) + 1e-6 / scale);
        close(g.vega, vega, 1e-6 * scale);
        close(g.rho, rho, 1e-6 * scale);
        close(g.theta, theta, 1e-4 * scale);
        close(g.thetaPerDay * 365, g.theta, 1e-9 * scale);
      }),
    );
  });

  it('implied volatility round trip: σ → price → σ', () => {
    fc.assert(
      fc.property(inputs(), (i) => {
        const price = bsmPrice(i.call, i.spot, i.strike, i.years, i.rate, i.q, i.vol);
        const { lower } = priceBounds(i.call, i.spot, i.strike, i.years, i.rate, i.q);
        const vega = bsmInto(
          emptyGreeks(),
          i.call,
          i.spot,
          i.strike,
          i.years,
          i.rate,
          i.q,
          i.vol,
        ).vega;
        // Only where the price still carries the volatility (time value and vega not lost in rounding).
        fc.pre(price - lower > 1e-7 * i.spot && vega > 1e-6 * i.spot);
        const solved = solveImpliedVolatility(
          i.call,
          price,
          i.spot,
          i.strike,
          i.years,
          i.rate,
          i.q,
        );
        close(solved, i.vol, 1e-6);
      }),
    );
  });
});

describe('options pricing: implied volatility', () => {
  it('Hull, §15.11 Implied volatilities: a call worth 1.875 with S=21, K=20, r=10 %, T=0.25 has σ ≈ 23.5 %', () => {
    const iv = impliedVolatility({
      right: 'call',
      price: 1.875,
      spot: 21,
      strike: 20,
      rate: 0.1,
      years: 0.25,
    });
    expect(iv.toFixed(3)).to.equal('0.235');
  });

  it('solves puts and calls alike, dividend yield included', () => {
    const args = { spot: 100, strike: 95, years: 0.5, rate: 0.1, dividendYield: 0.05 };
    const put = bsm({ right: 'put', volatility: 0.2, ...args }).price;
    close(impliedVolatility({ right: 'put', price: put, ...args }), 0.2, 1e-10);
  });

  it('answers a clear error when the price breaks the no-arbitrage bounds', () => {
    const base = { right: 'call' as const, spot: 21, strike: 20, rate: 0.1, years: 0.25 };
    const failure = (price: number): ImpliedVolatilityError => {
      try {
        impliedVolatility({ ...base, price });
      } catch (error) {
        if (error instanceof ImpliedVolatilityError) return error;
        throw error;
      }
      throw new Error('expected an ImpliedVolatilityError');
    };
    // Below the discounted intrinsic value 21 − 20·e^(−0.025) = 1.4938.
    expect(failure(1.4).code).to.equal('price_below_intrinsic');
    expect(failure(1.4).message).to.match(/lower bound 1\.4938/);
    // A call is never worth the stock itself.
    expect(failure(21).code).to.equal('price_above_maximum');
    expect(failure(-1).code).to.equal('invalid_input');
    expect(() => impliedVolatility({ ...base, price: 2, years: 0 })).to.throw(
      ImpliedVolatilityError,
      /years/,
    );
    expect(() => impliedVolatility({ ...base, price: 2, spot: Number.NaN })).to.throw(
      ImpliedVolatilityError,
      /spot/,
    );
  });

  it('reports zero when the price is exactly the lower bound (no time value left)', () => {
    const lower = 21 - 20 * Math.exp(-0.1 * 0.25);
    expect(
      impliedVolatility({
        right: 'call',
        price: lower,
        spot: 21,
        strike: 20,
        rate: 0.1,
        years: 0.25,
      }),
    ).to.equal(0);
  });
});
