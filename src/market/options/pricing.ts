/**
 * One option's simulated market: its Black–Scholes–Merton value from the underlying's quote
 * and the day's volatility surface, and a quote around it — bid floored and ask ceiled to the
 * option tick ($0.01 below $3, $0.05 above; the domain's grid), spreads wider for thinner names
 * and far from the money, displayed sizes in contracts, and the day's volume and open interest.
 * Randomness comes from (contract, underlying quote sequence) and (contract, day), so the
 * same quote comes out whether the contract is priced alone or in its chain.
 */
import { bsmInto, emptyGreeks, type Greeks } from '../../domain/options/bsm.ts';
import type { OptionContract } from '../../domain/options/contract.ts';
import type { Quote } from '../../domain/market.ts';
import { mix, Random } from '../simulated/random.ts';
import type { LiquidityTier } from '../simulated/universe.ts';
import { surfaceVol, type VolSurface } from './surface.ts';

const MS_PER_YEAR = 365 * 86_400_000;

/** A contract as listed: its value type plus what pricing it needs, computed once. */
export interface ListedContract {
  readonly contract: OptionContract;
  readonly isCall: boolean;
  readonly strike: number;
  /** Epoch ms of the expiration day's close. */
  readonly closeMs: number;
  /** Seeds the contract's quote sizes, volume and open interest. */
  readonly hash: number;
}

/** A priced contract: quote, model value, implied volatility and greeks. */
export interface PricedOption {
  readonly contract: OptionContract;
  /** Bid, ask and last in dollars per share (decimal strings), sizes in contracts. */
  readonly quote: Quote;
  /** The model value per share the quote is built around. */
  readonly theoreticalPrice: number;
  readonly impliedVolatility: number;
  readonly greeks: Greeks;
  /** Contracts traded today so far (simulated). */
  readonly volume: number;
  /** Open contracts at the start of the day (simulated). */
  readonly openInterest: number;
  /** Underlying price the contract was valued at (mid of its quote). */
  readonly underlyingPrice: number;
  /** Years to the expiration close (ACT/365). */
  readonly years: number;
}

/** Half-spread as a fraction of the value, by liquidity tier. */
const HALF_SPREAD: Record<LiquidityTier, number> = {
  etf: 0.012,
  mega: 0.018,
  large: 0.03,
  mid: 0.055,
  penny: 0.1,
};
/** Typical displayed size at the touch, in contracts. */
const BASE_SIZE: Record<LiquidityTier, number> = {
  etf: 400,
  mega: 250,
  large: 100,
  mid: 50,
  penny: 10,
};
/** Typical open interest of an at-the-money monthly, in contracts. */
const BASE_OPEN_INTEREST: Record<LiquidityTier, number> = {
  etf: 60_000,
  mega: 25_000,
  large: 6_000,
  mid: 3_000,
  penny: 200,
};

/** Everything that is the same for every contract of one underlying quote. */
export interface PricingContext {
  readonly underlying: Quote;
  /** Mid of the underlying quote. */
  readonly spot: number;
  readonly nowMs: number;
  readonly rate: number;
  readonly dividendYield: number;
  readonly surface: VolSurface;
  readonly tier: LiquidityTier;
  /** The New York day number (seeds open interest). */
  readonly day: number;
  /** Fraction of the regular session elapsed (0 before the open, 1 after the close). */
  readonly sessionElapsed: number;
}

/** Integer cents as a canonical decimal string (`205` → `"2.05"`, `200` → `"2"`). */
export function centsToString(cents: number): string {
  const whole = Math.floor(cents / 100);
  const frac = cents - whole * 100;
  if (frac === 0) return String(whole);
  return frac % 10 === 0 ? `${whole}.${frac / 10}` : `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/** Tick in cents for a price in dollars (the domain's option tick schedule). */
function tickCents(price: number): number {
  return price < 3 ? 1 : 5;
}

/** Prices one contract (allocates its result; `scratch` is reused for the greeks math). */
export function priceListed(
  listed: ListedContract,
  ctx: PricingContext,
  scratch: Greeks = emptyGreeks(),
): PricedOption {
  const years = (listed.closeMs - ctx.nowMs) / MS_PER_YEAR;
  const forward = ctx.spot * Math.exp((ctx.rate - ctx.dividendYield) * (years > 0 ? years : 0));
  const vol = surfaceVol(ctx.surface, listed.strike / forward, years);
  const g = bsmInto(
    scratch,
    listed.isCall,
    ctx.spot,
    listed.strike,
    years,
    ctx.rate,
    ctx.dividendYield,
    vol,
  );
  const theo = g.price;
  const rng = new Random(mix(listed.hash, ctx.underlying.seq));
  // Wider away from the money (in standard deviations) and for cheap contracts.
  const sd =
    Math.abs(Math.log(listed.strike / forward)) /
    (vol * Math.sqrt(years > 1 / 365 ? years : 1 / 365));
  let half =
    theo * HALF_SPREAD[ctx.tier] * (1 + 0.25 * (sd > 4 ? 4 : sd)) * (0.8 + 0.4 * rng.next());
  // Deep in the money the spread follows the stock's liquidity, not the premium.
  const cap = 0.004 * ctx.spot + 0.05;
  if (half > cap) half = cap;
  const tick = tickCents(theo);
  let bid = Math.floor(((theo - half) * 100) / tick + 1e-9) * tick;
  let ask = Math.ceil(((theo + half) * 100) / tick - 1e-9) * tick;
  if (bid < 0) bid = 0;
  if (ask <= bid) ask = bid + tick;
  // Quotes below $3 and at or above sit on different grids: keep the ask on its own.
  if (ask >= 300 && ask % 5 !== 0) ask = Math.ceil(ask / 5) * 5;
  if (bid >= 300 && bid % 5 !== 0) bid = Math.floor(bid / 5) * 5;
  const nearest = Math.round((theo * 100) / tick) * tick;
  const last = nearest < bid ? bid : nearest > ask ? ask : nearest;
  const depth = Math.exp(-0.6 * (sd > 6 ? 6 : sd));
  const size = (): number =>
    Math.max(1, Math.round(BASE_SIZE[ctx.tier] * depth * (0.3 + 1.2 * rng.next())));
  const day = new Random(mix(listed.hash, ctx.day));
  const term = years < 0.1 ? 0.6 : years < 0.5 ? 1 : 0.5;
  const openInterest = Math.round(
    BASE_OPEN_INTEREST[ctx.tier] * term * Math.exp(-0.5 * sd * sd) * (0.2 + 1.6 * day.next()),
  );
  const volume = Math.round(openInterest * 0.3 * ctx.sessionElapsed * (0.2 + 1.6 * day.next()));
  return {
    contract: listed.contract,
    quote: {
      symbol: listed.contract.symbol,
      bid: centsToString(bid),
      ask: centsToString(ask),
      bidSize: bid === 0 ? 0 : size(),
      askSize: size(),
      last: centsToString(last > 0 ? last : tick),
      time: ctx.underlying.time,
      seq: ctx.underlying.seq,
      source: ctx.underlying.source,
    },
    theoreticalPrice: theo,
    impliedVolatility: vol,
    greeks: { ...g },
    volume,
    openInterest,
    underlyingPrice: ctx.spot,
    years: years > 0 ? years : 0,
  };
}
