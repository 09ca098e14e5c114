/**
 * Black–Scholes–Merton prices and greeks of European options on a stock paying a continuous
 * dividend yield q (Merton 1973). Floats on purpose: these are analytics (marks, greeks,
 * implied volatility), never prices of record — an order's price is always an exact decimal.
 *
 * The hot path {@link bsmInto} writes into a caller-owned {@link Greeks} record and allocates
 * nothing, so a chain of thousands of contracts is priced in a tight loop: one log, one square
 * root, three exponentials and two cumulative normals per contract (the density at d2 follows
 * from the one at d1: φ(d2) = φ(d1)·S·e^(−qT) / (K·e^(−rT))).
 *
 * Units: `theta` is per year and `thetaPerDay` per calendar day (÷ 365); `vega` is per
 * volatility point (per 1 % of σ) and `rho` per percentage point of the rate; `delta` per
 * share and `gamma` per share per dollar.
 */
import { INV_SQRT_2PI, normalCdfWith } from './normal.ts';

/** Calendar days per year for `thetaPerDay`. */
export const DAYS_PER_YEAR = 365;

/** The inputs of one valuation. Rates, yields and volatility are fractions (0.05 = 5 %). */
export interface BsmInputs {
  readonly right: 'call' | 'put';
  /** Underlying price. */
  readonly spot: number;
  readonly strike: number;
  /** Years to expiration. */
  readonly years: number;
  /** Continuously compounded risk-free rate. */
  readonly rate: number;
  /** Continuous dividend yield. */
  readonly dividendYield?: number;
  /** Annualised volatility. */
  readonly volatility: number;
}

/** A price with its greeks. A mutable record so loops can reuse one. */
export interface Greeks {
  price: number;
  delta: number;
  gamma: number;
  /** Per year. */
  theta: number;
  /** Per calendar day. */
  thetaPerDay: number;
  /** Per volatility point (1 % of σ). */
  vega: number;
  /** Per percentage point of the risk-free rate. */
  rho: number;
}

/** A fresh record to pass to {@link bsmInto}. */
export function emptyGreeks(): Greeks {
  return { price: 0, delta: 0, gamma: 0, theta: 0, thetaPerDay: 0, vega: 0, rho: 0 };
}

/**
 * Prices a European option and its greeks into `out` (and returns it). `isCall` 1/true for a
 * call. At or after expiry (`years ≤ 0`) or with zero volatility the option is worth its
 * (forward) intrinsic value and the greeks are those of that payoff.
 */
export function bsmInto(
  out: Greeks,
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
  volatility: number,
): Greeks {
  if (!(years > 0) || !(volatility > 0))
    return intrinsicInto(out, isCall, spot, strike, years, rate, dividendYield);
  const sqrtT = Math.sqrt(years);
  const volSqrtT = volatility * sqrtT;
  const dq = Math.exp(-dividendYield * years);
  const dr = Math.exp(-rate * years);
  const fwd = spot * dq;
  const kd = strike * dr;
  const d1 =
    (Math.log(spot / strike) + (rate - dividendYield + 0.5 * volatility * volatility) * years) /
    volSqrtT;
  const d2 = d1 - volSqrtT;
  const e1 = Math.exp(-0.5 * d1 * d1);
  // φ(d2)·√(2π) = e1 · fwd / kd; recomputed directly when e1 underflowed.
  const e2 = e1 > 0 ? (e1 * fwd) / kd : Math.exp(-0.5 * d2 * d2);
  const n1 = normalCdfWith(d1, e1);
  const n2 = normalCdfWith(d2, e2);
  const pdf1 = INV_SQRT_2PI * e1;
  const gammaV = (dq * pdf1) / (spot * volSqrtT);
  const vega = fwd * pdf1 * sqrtT;
  const decay = -(fwd * pdf1 * volatility) / (2 * sqrtT);
  let theta: number;
  if (isCall) {
    out.price = fwd * n1 - kd * n2;
    out.delta = dq * n1;
    theta = decay - rate * kd * n2 + dividendYield * fwd * n1;
    out.rho = (kd * years * n2) / 100;
  } else {
    // N(−x) = 1 − N(x)
    out.price = kd * (1 - n2) - fwd * (1 - n1);
    out.delta = dq * (n1 - 1);
    theta = decay + rate * kd * (1 - n2) - dividendYield * fwd * (1 - n1);
    out.rho = (-kd * years * (1 - n2)) / 100;
  }
  out.gamma = gammaV;
  out.theta = theta;
  out.thetaPerDay = theta / DAYS_PER_YEAR;
  out.vega = vega / 100;
  return out;
}

function intrinsicInto(
  out: Greeks,
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
): Greeks {
  const t = years > 0 ? years : 0;
  const fwd = spot * Math.exp(-dividendYield * t);
  const kd = strike * Math.exp(-rate * t);
  const value = isCall ? fwd - kd : kd - fwd;
  const itm = value > 0;
  out.price = itm ? value : 0;
  out.delta = itm ? (isCall ? 1 : -1) * Math.exp(-dividendYield * t) : 0;
  out.gamma = 0;
  out.vega = 0;
  out.rho = itm ? ((isCall ? 1 : -1) * kd * t) / 100 : 0;
  // The forward intrinsic value still accretes with the rates before expiry.
  const theta =
    itm && t > 0
      ? isCall
        ? -rate * kd + dividendYield * fwd
        : rate * kd - dividendYield * fwd
      : 0;
  out.theta = theta;
  out.thetaPerDay = theta / DAYS_PER_YEAR;
  return out;
}

/** Price and greeks of one option (allocates the result; use {@link bsmInto} in loops). */
export function bsm(inputs: BsmInputs): Greeks {
  return bsmInto(
    emptyGreeks(),
    inputs.right === 'call',
    inputs.spot,
    inputs.strike,
    inputs.years,
    inputs.rate,
    inputs.dividendYield ?? 0,
    inputs.volatility,
  );
}

/** The price alone (cheaper than the greeks: no density terms). */
export function bsmPrice(
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
  volatility: number,
): number {
  const fwd = spot * Math.exp(-dividendYield * (years > 0 ? years : 0));
  const kd = strike * Math.exp(-rate * (years > 0 ? years : 0));
  if (!(years > 0) || !(volatility > 0)) {
    const v = isCall ? fwd - kd : kd - fwd;
    return v > 0 ? v : 0;
  }
  const volSqrtT = volatility * Math.sqrt(years);
  const d1 = (Math.log(fwd / kd) + 0.5 * volSqrtT * volSqrtT) / volSqrtT;
  const d2 = d1 - volSqrtT;
  const e1 = Math.exp(-0.5 * d1 * d1);
  const e2 = e1 > 0 ? (e1 * fwd) / kd : Math.exp(-0.5 * d2 * d2);
  const n1 = normalCdfWith(d1, e1);
  const n2 = normalCdfWith(d2, e2);
  return isCall ? fwd * n1 - kd * n2 : kd * (1 - n2) - fwd * (1 - n1);
}

/** No-arbitrage bounds of a European option price: [lower, upper]. */
export function priceBounds(
  isCall: boolean,
  spot: number,
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
): { readonly lower: number; readonly upper: number } {
  const t = years > 0 ? years : 0;
  const fwd = spot * Math.exp(-dividendYield * t);
  const kd = strike * Math.exp(-rate * t);
  return isCall
    ? { lower: Math.max(0, fwd - kd), upper: fwd }
    : { lower: Math.max(0, kd - fwd), upper: kd };
}
