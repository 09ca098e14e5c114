/**
 * The simulated implied-volatility surface: deterministic from `MARKET_SEED`, the underlying
 * and the New York date. Each underlying gets a long-run level near its model volatility, a
 * near-term level above or below it (backwardation or contango) that decays into the long run
 * with a seeded time constant, a put skew (steeper for index ETFs) and a smile; each day shifts
 * the whole surface by a few percent. Volatility is quoted against moneyness in units of
 * √T (`ln(K/F)/√T`), so the smile keeps its shape across expirations.
 */
import { Random } from '../simulated/random.ts';
import { dayNumber } from '../time-zone.ts';
import type { UnderlyingProfile } from './parameters.ts';

/** The surface of one underlying on one day. */
export interface VolSurface {
  /** Long-run at-the-money volatility. */
  readonly longRun: number;
  /** At-the-money volatility of an expiration today. */
  readonly shortRun: number;
  /** Years over which the near term decays into the long run. */
  readonly decay: number;
  /** Slope of volatility in moneyness (negative: puts richer). */
  readonly skew: number;
  /** Curvature in moneyness. */
  readonly smile: number;
}

/** Lowest and highest volatility the surface quotes. */
export const MIN_VOL = 0.03;
export const MAX_VOL = 4;

/** The surface of `profile` on the New York date `date`. */
export function volSurface(seed: number, profile: UnderlyingProfile, date: string): VolSurface {
  const base = Random.for(seed, profile.symbol, 'iv-surface', 0);
  const longRun = profile.volatility * (0.9 + 0.2 * base.next());
  const shortRun = longRun * (0.85 + 0.4 * base.next());
  const decay = 0.15 + 0.35 * base.next();
  const etf = profile.tier === 'etf';
  const skew = -(0.08 + 0.14 * base.next()) * (etf ? 1.6 : 1);
  const smile = 0.04 + 0.08 * base.next();
  const day = Random.for(seed, profile.symbol, 'iv-day', dayNumber(date));
  const shift = 1 + 0.06 * (day.next() - 0.5);
  return { longRun: longRun * shift, shortRun: shortRun * shift, decay, skew, smile };
}

/** At-the-money volatility for `years` to expiration. */
export function atmVol(surface: VolSurface, years: number): number {
  return surface.longRun + (surface.shortRun - surface.longRun) * Math.exp(-years / surface.decay);
}

/** Implied volatility at strike/forward ratio `k = K / F` and `years` to expiration. */
export function surfaceVol(surface: VolSurface, k: number, years: number): number {
  const t = years > 1 / 365 ? years : 1 / 365;
  const x = Math.log(k) / Math.sqrt(t);
  const clipped = x < -3 ? -3 : x > 3 ? 3 : x;
  const factor = 1 + surface.skew * clipped + surface.smile * clipped * clipped;
  const vol = atmVol(surface, years) * (factor > 0.5 ? factor : 0.5);
  return vol < MIN_VOL ? MIN_VOL : vol > MAX_VOL ? MAX_VOL : vol;
}
