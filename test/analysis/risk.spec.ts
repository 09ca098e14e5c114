import { expect } from 'chai';
import {
  computePortfolioRisk,
  dailyReturns,
  historicalVar,
  parametricVar,
  type RiskInput,
} from '../../src/analysis/risk.ts';

/**
 * Known answers computed independently of the implementation: by hand below (the arithmetic
 * is written out) and with plain loops in `reference*`, never with simple-statistics.
 * Method: Jorion, "Value at Risk" (3rd ed., 2007) — historical simulation revalues today's
 * positions on past returns (ch. 10); the delta-normal VaR is z_α √(Vᵀ Σ V) (ch. 7, eq. 7.3);
 * a T-day VaR is the 1-day VaR × √T (ch. 5).
 */
const A = [100, 102, 99, 101, 98, 100];
const B = [50, 50.5, 50, 51, 50, 50.25];
const DATES = ['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-12'];

// Long $10,000 of A, short $5,000 of B. Returns:
//   A: +2%, −2.9412%, +2.0202%, −2.9703%, +2.0408%
//   B: +1%, −0.9901%, +2%, −1.9608%, +0.5%
// P&L_t = 10,000 r_A − 5,000 r_B: 150, −244.6127, 102.0202, −198.9905, 179.0816.
// Sorted: −244.6127, −198.9905, 102.0202, 150, 179.0816. The 5 % quantile sits at index
// (5 − 1) × 0.05 = 0.2: −244.6127 + 0.2 × (−198.9905 + 244.6127) = −235.4882 → VaR 235.49;
// the one loss at or beyond it is 244.61 (expected shortfall).
const HAND_VAR_95 = 235.4882;
const HAND_ES_95 = 244.6127;

function input(overrides: Partial<RiskInput> = {}): RiskInput {
  return {
    positions: [
      { symbol: 'A', marketValue: 10_000, sector: 'Tech' },
      { symbol: 'B', marketValue: -5_000, sector: 'Energy' },
    ],
    history: { dates: DATES, closes: { A, B }, benchmark: A },
    equity: 20_000,
    ...overrides,
  };
}

/** Sample covariance by the textbook formula. */
function referenceCov(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += ((x[i] ?? 0) - mx) * ((y[i] ?? 0) - my);
  return s / (x.length - 1);
}

function referenceReturns(closes: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < closes.length; i++) out.push((closes[i] ?? 0) / (closes[i - 1] ?? 1) - 1);
  return out;
}

describe('analysis/risk: portfolio value at risk and risk metrics', () => {
  it('historical VaR and expected shortfall match the hand computation', () => {
    const risk = computePortfolioRisk(input());
    const h95 = risk.historical.find((f) => f.confidence === 0.95 && f.horizonDays === 1);
    expect(h95?.valueAtRisk).to.be.closeTo(HAND_VAR_95, 1e-3);
    expect(h95?.expectedShortfall).to.be.closeTo(HAND_ES_95, 1e-3);
    // 99 %: index 0.04 → −244.6127 + 0.04 × 45.6222 = −242.7878.
    const h99 = risk.historical.find((f) => f.confidence === 0.99 && f.horizonDays === 1);
    expect(h99?.valueAtRisk).to.be.closeTo(242.7878, 1e-3);
    // Ten days: × √10.
    const h95x10 = risk.historical.find((f) => f.confidence === 0.95 && f.horizonDays === 10);
    expect(h95x10?.valueAtRisk).to.be.closeTo(HAND_VAR_95 * Math.sqrt(10), 1e-2);
    expect(risk.observations).to.equal(5);
  });

  it('parametric VaR is z √(Vᵀ Σ V) with the sample covariance, ES σ φ(z) / (1 − α)', () => {
    const rA = referenceReturns(A);
    const rB = referenceReturns(B);
    const v = [10_000, -5_000];
    const cov = [
      [referenceCov(rA, rA), referenceCov(rA, rB)],
      [referenceCov(rB, rA), referenceCov(rB, rB)],
    ];
    let variance = 0;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) variance += (v[i] ?? 0) * (cov[i]?.[j] ?? 0) * (v[j] ?? 0);
    const sigma = Math.sqrt(variance);
    const risk = computePortfolioRisk(input());
    // z_0.95 = 1.644854, z_0.99 = 2.326348 (standard normal quantiles).
    const p95 = risk.parametric.find((f) => f.confidence === 0.95 && f.horizonDays === 1);
    const p99 = risk.parametric.find((f) => f.confidence === 0.99 && f.horizonDays === 1);
    expect(p95?.valueAtRisk).to.be.closeTo(1.644854 * sigma, 1e-3);
    expect(p99?.valueAtRisk).to.be.closeTo(2.326348 * sigma, 1e-3);
    // φ(1.644854) = 0.103136: ES_95 = σ × 0.103136 / 0.05 = 2.06271 σ.
    expect(p95?.expectedShortfall).to.be.closeTo(2.06271 * sigma, 1e-2);
    const p99x10 = risk.parametric.find((f) => f.confidence === 0.99 && f.horizonDays === 10);
    expect(p99x10?.valueAtRisk).to.be.closeTo(2.326348 * sigma * Math.sqrt(10), 1e-2);
  });

  it('a textbook single position: $1,000,000 with a 1 % daily σ has a 95 % VaR of $16,449', () => {
    // Jorion ch. 1's normal VaR, α σ W: 1.645 × 0.01 × 1,000,000.
    expect(parametricVar(10_000, 0.95).valueAtRisk).to.be.closeTo(16_448.54, 0.01);
    expect(parametricVar(10_000, 0.99).valueAtRisk).to.be.closeTo(23_263.48, 0.01);
    // Historical: 100 P&Ls −1 … −100 (shuffled) → the 5 % quantile at index 4.95 between −96 and −95.
    const pnl = Array.from({ length: 100 }, (_, i) => -((i * 37) % 100) - 1);
    const h = historicalVar(pnl, 0.95);
    expect(h.valueAtRisk).to.be.closeTo(95.05, 1e-9);
    // Losses at or beyond 95.05: 96 … 100, mean 98.
    expect(h.expectedShortfall).to.be.closeTo(98, 1e-9);
  });

  it('volatility, beta, correlations, concentration and sectors', () => {
    const risk = computePortfolioRisk(input());
    const rA = referenceReturns(A);
    const rB = referenceReturns(B);
    const pnl = rA.map((a, i) => 10_000 * a - 5_000 * (rB[i] ?? 0));
    const sd = Math.sqrt(referenceCov(pnl, pnl));
    expect(risk.dailyPnlStdDev).to.be.closeTo(sd, 1e-9);
    expect(risk.volatility).to.be.closeTo((sd / 20_000) * Math.sqrt(252), 1e-12);
    // Benchmark = A: beta = cov(P&L/equity, r_A) / var(r_A).
    expect(risk.beta).to.be.closeTo(
      referenceCov(
        pnl.map((x) => x / 20_000),
        rA,
      ) / referenceCov(rA, rA),
      1e-12,
    );
    const corr = referenceCov(rA, rB) / Math.sqrt(referenceCov(rA, rA) * referenceCov(rB, rB));
    expect(risk.correlation.symbols).to.deep.equal(['A', 'B']);
    expect(risk.correlation.matrix[0]?.[0]).to.equal(1);
    expect(risk.correlation.matrix[0]?.[1]).to.be.closeTo(corr, 1e-12);
    // Weights 2/3 and 1/3 of gross 15,000: HHI = 4/9 + 1/9 = 5/9.
    expect(risk.herfindahl).to.be.closeTo(5 / 9, 1e-12);
    expect(risk.effectivePositions).to.be.closeTo(1.8, 1e-12);
    expect(risk.largestWeight).to.be.closeTo(2 / 3, 1e-12);
    expect(risk).to.deep.include({
      longValue: 10_000,
      shortValue: -5_000,
      grossExposure: 15_000,
      netExposure: 5_000,
    });
    expect(risk.sectors).to.deep.equal([
      { sector: 'Tech', long: 10_000, short: 0, net: 10_000, gross: 10_000, weight: 0.5 },
      { sector: 'Energy', long: 0, short: -5_000, net: -5_000, gross: 5_000, weight: -0.25 },
    ]);
    expect(dailyReturns([1, 2, 1])).to.deep.equal([1, -0.5]);
  });

  it('says what it could not compute instead of inventing it', () => {
    const missing = computePortfolioRisk(
      input({ positions: [{ symbol: 'C', marketValue: 1_000, sector: 'X' }] }),
    );
    expect(missing.historical).to.deep.equal([]);
    expect(missing.volatility).to.equal(null);
    expect(missing.beta).to.equal(null);
    expect(missing.warnings[0]).to.match(/^C: no price history/);
    expect(missing.herfindahl).to.equal(1);
    const empty = computePortfolioRisk(input({ positions: [] }));
    expect(empty).to.deep.include({ grossExposure: 0, herfindahl: null, largestWeight: null });
  });
});
