/**
 * Named option strategies and what they can make or lose at expiry. Recognition looks at the
 * shape of a set of legs (rights, strikes, expirations, sides and ratios); the payoff
 * analysis evaluates the exact expiry payoff — a piecewise-linear function of the underlying
 * price — at its kinks, so maximum profit, maximum loss and breakevens are exact decimals.
 */
import { Dec } from '../decimal.ts';
import type { OptionRight } from './contract.ts';

/** Strategy names, stable (recorded on multi-leg orders, shown to agents). */
export type StrategyName =
  | 'long_call'
  | 'long_put'
  | 'short_call'
  | 'covered_call'
  | 'short_put'
  | 'call_debit_spread'
  | 'call_credit_spread'
  | 'put_debit_spread'
  | 'put_credit_spread'
  | 'long_straddle'
  | 'short_straddle'
  | 'long_strangle'
  | 'short_strangle'
  | 'iron_condor'
  | 'reverse_iron_condor'
  | 'iron_butterfly'
  | 'long_call_butterfly'
  | 'long_put_butterfly'
  | 'long_calendar'
  | 'short_calendar'
  | 'diagonal'
  | 'custom';

/** One leg's shape: `qty` signed (+ long, − short), in contracts (or ratio units). */
export interface LegShape {
  readonly right: OptionRight;
  readonly strike: Dec;
  readonly expiration: string;
  readonly qty: Dec;
}

/** Human names, for summaries. */
export const STRATEGY_LABELS: Readonly<Record<StrategyName, string>> = {
  long_call: 'long call',
  long_put: 'long put',
  short_call: 'short (naked) call',
  covered_call: 'covered call',
  short_put: 'short (cash-secured) put',
  call_debit_spread: 'call debit spread (bull call)',
  call_credit_spread: 'call credit spread (bear call)',
  put_debit_spread: 'put debit spread (bear put)',
  put_credit_spread: 'put credit spread (bull put)',
  long_straddle: 'long straddle',
  short_straddle: 'short straddle',
  long_strangle: 'long strangle',
  short_strangle: 'short strangle',
  iron_condor: 'iron condor',
  reverse_iron_condor: 'reverse iron condor',
  iron_butterfly: 'iron butterfly',
  long_call_butterfly: 'long call butterfly',
  long_put_butterfly: 'long put butterfly',
  long_calendar: 'long calendar spread',
  short_calendar: 'short calendar spread',
  diagonal: 'diagonal spread',
  custom: 'custom combination',
};

/** Strategies that are verticals: one long and one short of the same right and expiry. */
export const CREDIT_SPREADS: readonly StrategyName[] = ['call_credit_spread', 'put_credit_spread'];
export const DEBIT_SPREADS: readonly StrategyName[] = ['call_debit_spread', 'put_debit_spread'];

/**
 * Names the strategy a set of legs forms (`custom` when it is none of the known shapes).
 * `sharesPerContract` > 0 turns a lone short call covered by shares into a covered call.
 */
export function recognizeStrategy(
  legs: readonly LegShape[],
  coveredByShares = false,
): StrategyName {
  const live = legs.filter((l) => !l.qty.isZero());
  if (live.length === 0) return 'custom';
  const unit = live[0]?.qty.abs() ?? new Dec(1);
  const norm = live.map((l) => ({ ...l, n: l.qty.dividedBy(unit) }));
  const sameExpiry = norm.every((l) => l.expiration === norm[0]?.expiration);
  const calls = norm
    .filter((l) => l.right === 'call')
    .sort((a, b) => a.strike.comparedTo(b.strike));
  const puts = norm.filter((l) => l.right === 'put').sort((a, b) => a.strike.comparedTo(b.strike));
  const ones = norm.every((l) => l.n.abs().eq(1));

  if (norm.length === 1) {
    const [l] = norm;
    if (l === undefined) return 'custom';
    if (l.right === 'call')
      return l.n.gt(0) ? 'long_call' : coveredByShares ? 'covered_call' : 'short_call';
    return l.n.gt(0) ? 'long_put' : 'short_put';
  }
  if (norm.length === 2 && ones) {
    const [a, b] = norm;
    if (a === undefined || b === undefined) return 'custom';
    const opposite = a.n.isPositive() !== b.n.isPositive();
    if (a.right === b.right && opposite) {
      const [low, high] = a.strike.lte(b.strike) ? [a, b] : [b, a];
      if (sameExpiry && !low.strike.eq(high.strike)) {
        if (a.right === 'call') return low.n.gt(0) ? 'call_debit_spread' : 'call_credit_spread';
        return high.n.gt(0) ? 'put_debit_spread' : 'put_credit_spread';
      }
      if (!sameExpiry) {
        const [near, far] = a.expiration < b.expiration ? [a, b] : [b, a];
        if (!a.strike.eq(b.strike)) return 'diagonal';
        return far.n.gt(0) && near.n.lt(0) ? 'long_calendar' : 'short_calendar';
      }
    }
    if (a.right !== b.right && !opposite && sameExpiry) {
      const long = a.n.gt(0);
      if (a.strike.eq(b.strike)) return long ? 'long_straddle' : 'short_straddle';
      return long ? 'long_strangle' : 'short_strangle';
    }
  }
  if (norm.length === 3 && sameExpiry && (calls.length === 3 || puts.length === 3)) {
    const [lo, mid, hi] = calls.length === 3 ? calls : puts;
    if (
      lo !== undefined &&
      mid !== undefined &&
      hi !== undefined &&
      lo.n.eq(1) &&
      mid.n.eq(-2) &&
      hi.n.eq(1) &&
      mid.strike.minus(lo.strike).eq(hi.strike.minus(mid.strike)) &&
      lo.strike.lt(mid.strike)
    ) {
      return calls.length === 3 ? 'long_call_butterfly' : 'long_put_butterfly';
    }
  }
  if (norm.length === 4 && sameExpiry && ones && calls.length === 2 && puts.length === 2) {
    const [pLow, pHigh] = puts;
    const [cLow, cHigh] = calls;
    if (pLow && pHigh && cLow && cHigh && pHigh.strike.lte(cLow.strike)) {
      const short = pLow.n.gt(0) && pHigh.n.lt(0) && cLow.n.lt(0) && cHigh.n.gt(0);
      const long = pLow.n.lt(0) && pHigh.n.gt(0) && cLow.n.gt(0) && cHigh.n.lt(0);
      if (short) return pHigh.strike.eq(cLow.strike) ? 'iron_butterfly' : 'iron_condor';
      if (long && pHigh.strike.lt(cLow.strike)) return 'reverse_iron_condor';
    }
  }
  return 'custom';
}

/** A leg for the payoff: signed contracts × multiplier shares of exposure. */
export interface PayoffLeg {
  readonly right: OptionRight;
  readonly strike: Dec;
  /** Signed contracts. */
  readonly qty: Dec;
  readonly multiplier: number;
}

/** What a set of same-expiry legs can make or lose at expiry, in dollars. */
export interface PayoffProfile {
  /** Null when unlimited. */
  readonly maxProfit: Dec | null;
  /** A positive amount; null when unlimited. */
  readonly maxLoss: Dec | null;
  /** Underlying prices at expiry where the profit is zero, ascending. */
  readonly breakevens: readonly Dec[];
}

/**
 * The expiry payoff profile of option legs (and optionally shares) after paying `cost`
 * (dollars paid for the legs; negative for a net credit received, plus what the shares
 * cost). Assumes every leg expires together; the profit at S is
 * `Σ qty × multiplier × intrinsic(S) + shares × S − cost`.
 */
export function payoffProfile(
  legs: readonly PayoffLeg[],
  cost: Dec,
  shares: Dec = new Dec(0),
): PayoffProfile {
  const profit = (s: Dec): Dec => {
    let sum = shares.times(s).minus(cost);
    for (const l of legs) {
      const intrinsic = l.right === 'call' ? s.minus(l.strike) : l.strike.minus(s);
      if (intrinsic.gt(0)) sum = sum.plus(l.qty.times(l.multiplier).times(intrinsic));
    }
    return sum;
  };
  const kinks = [...new Set(legs.map((l) => l.strike.toString()))]
    .map((k) => new Dec(k))
    .sort((a, b) => a.comparedTo(b));
  const points = [new Dec(0), ...kinks];
  const values = points.map(profit);
  // Slope beyond the last strike: calls and shares keep paying.
  const slope = legs
    .filter((l) => l.right === 'call')
    .reduce((s, l) => s.plus(l.qty.times(l.multiplier)), shares);
  let max: Dec | null = values.reduce((m, v) => (v.gt(m) ? v : m));
  let min: Dec | null = values.reduce((m, v) => (v.lt(m) ? v : m));
  if (slope.gt(0)) max = null;
  if (slope.lt(0)) min = null;
  const breakevens: Dec[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    const va = values[i];
    const vb = values[i + 1];
    if (a === undefined || b === undefined || va === undefined || vb === undefined) continue;
    if (va.isZero() && i > 0) breakevens.push(a);
    if (va.isZero() || vb.isZero() || va.isNegative() === vb.isNegative()) continue;
    breakevens.push(a.plus(b.minus(a).times(va.negated()).dividedBy(vb.minus(va))));
  }
  const lastPoint = points.at(-1);
  const lastValue = values.at(-1);
  if (lastPoint !== undefined && lastValue !== undefined) {
    if (lastValue.isZero() && points.length > 1) breakevens.push(lastPoint);
    else if (!slope.isZero() && lastValue.isNegative() === slope.isPositive()) {
      breakevens.push(lastPoint.plus(lastValue.negated().dividedBy(slope)));
    }
  }
  return {
    maxProfit: max,
    maxLoss: min === null ? null : min.isNegative() ? min.negated() : new Dec(0),
    breakevens: breakevens.map((b) => b.toDecimalPlaces(4)),
  };
}
