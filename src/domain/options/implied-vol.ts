/**
 * Implied volatility: the σ at which Black–Scholes–Merton reproduces a price. A safeguarded
 * Newton iteration: Newton steps on σ (the derivative is vega) while they stay inside a
 * bracket [lo, hi] known to contain the root, bisection when a step would leave it or vega
 * vanishes. The price is increasing in σ, so the bracket always shrinks and the solver always
 * ends. Puts are solved as calls through put–call parity (the out-of-the-money side is better
 * conditioned). A price outside the no-arbitrage bounds has no implied volatility: the solver
 * says which bound it breaks.
 */
import { priceBounds } from './bsm.ts';
import { INV_SQRT_2PI, normalCdfWith } from './normal.ts';

/** Why no implied volatility could be found. */
export type ImpliedVolatilityProblem =
  'invalid_input' | 'price_below_intrinsic' | 'price_above_maximum' | 'no_convergence';

/** Thrown by {@link impliedVolatility}: `code` says why, `field` names the input at fault. */
export class ImpliedVolatilityError extends Error {
  override readonly name = 'ImpliedVolatilityError';
  constructor(
    readonly code: ImpliedVolatilityProblem,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Inputs of a solve (fractions: 0.05 = 5 %). */
export interface ImpliedVolatilityInputs {
  readonly right: 'call' | 'put';
  readonly price: number;
  readonly spot: number;
  readonly strike: number;
  readonly years: number;
  readonly rate: number;
  readonly dividendYield?: number;
}

/** Largest volatility the solver reports (1000 %). */
export const MAX_VOLATILITY = 10;
const PRICE_TOLERANCE = 1e-12;
const VOL_TOLERANCE = 1e-12;
const MAX_ITERATIONS = 100;

/**
 * The implied volatility of a European option price. Throws {@link ImpliedVolatilityError}
 * for invalid inputs and prices outside the no-arbitrage bounds (below the discounted
 * intrinsic value, or at or above the discounted spot for calls / strike for puts).
 */
export function impliedVolatility(inputs: ImpliedVolatilityInputs): number {
  const q = inputs.dividendYield ?? 0;
  return solveImpliedVolatility(
    inputs.right === 'call',
    inputs.price,
    inputs.spot,
    inputs.strike,
    inputs.years,
    inputs.rate,
    q,
  );
}

/** {@link impliedVolatility} with positional arguments, for loops. */
export function solveImpliedVolatility(
  isCall: boolean,
  price: number,
  spot: number,
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
): number {
  check(price >= 0 && Number.isFinite(price), 'price', 'price must be a number ≥ 0');
  check(spot > 0 && Number.isFinite(spot), 'spot', 'spot must be a positive number');
  check(strike > 0 && Number.isFinite(strike), 'strike', 'strike must be a positive number');
  check(years > 0 && Number.isFinite(years), 'years', 'years must be a positive number');
  check(Number.isFinite(rate), 'rate', 'rate must be a number');
  check(Number.isFinite(dividendYield), 'dividend', 'dividend yield must be a number');
  const bounds = priceBounds(isCall, spot, strike, years, rate, dividendYield);
  const slack = 1e-12 * Math.max(1, spot, strike);
  if (price < bounds.lower - slack) {
    throw new ImpliedVolatilityError(
      'price_below_intrinsic',
      `price ${price} is below the no-arbitrage lower bound ${round(bounds.lower)} (the discounted intrinsic value): no volatility gives it`,
      'price',
    );
  }
  if (price >= bounds.upper - slack) {
    throw new ImpliedVolatilityError(
      'price_above_maximum',
      `price ${price} is at or above the no-arbitrage upper bound ${round(bounds.upper)} (the discounted ${isCall ? 'spot' : 'strike'}): no volatility gives it`,
      'price',
    );
  }
  const fwd = spot * Math.exp(-dividendYield * years);
  const kd = strike * Math.exp(-rate * years);
  // Solve on the call: c = p + F − K (parity), a better-conditioned target for ITM puts.
  const target = isCall ? price : price + fwd - kd;
  const timeValue = target - Math.max(0, fwd - kd);
  if (timeValue <= slack) return 0;
  const sqrtT = Math.sqrt(years);
  const logMoneyness = Math.log(fwd / kd);

  // Corrado–Miller start, clamped to a sensible range.
  const half = (fwd - kd) / 2;
  const a = target - half;
  const disc = a * a - ((fwd - kd) * (fwd - kd)) / Math.PI;
  let sigma =
    (Math.sqrt((2 * Math.PI) / years) * (a + Math.sqrt(disc > 0 ? disc : 0))) / (fwd + kd);
  if (!(sigma > 0.001) || !Number.isFinite(sigma)) sigma = 0.3;
  if (sigma > 5) sigma = 5;

  let lo = 0;
  let hi = MAX_VOLATILITY;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const volSqrtT = sigma * sqrtT;
    const d1 = logMoneyness / volSqrtT + 0.5 * volSqrtT;
    const d2 = d1 - volSqrtT;
    const e1 = Math.exp(-0.5 * d1 * d1);
    const e2 = e1 > 0 ? (e1 * fwd) / kd : Math.exp(-0.5 * d2 * d2);
    const value = fwd * normalCdfWith(d1, e1) - kd * normalCdfWith(d2, e2);
    const diff = value - target;
    if (Math.abs(diff) <= PRICE_TOLERANCE * Math.max(1, target)) return sigma;
    if (diff > 0) hi = sigma;
    else lo = sigma;
    const vega = fwd * INV_SQRT_2PI * e1 * sqrtT;
    let next = vega > 1e-300 ? sigma - diff / vega : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - sigma) <= VOL_TOLERANCE * Math.max(1, sigma)) return next;
    sigma = next;
  }
  if (hi - lo < 1e-8) return 0.5 * (lo + hi);
  throw new ImpliedVolatilityError(
    'no_convergence',
    `no implied volatility found within ${MAX_VOLATILITY * 100} %`,
    'price',
  );
}

function check(ok: boolean, field: string, message: string): asserts ok {
  if (!ok) throw new ImpliedVolatilityError('invalid_input', message, field);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
