/**
 * What short option positions hold back from buying power, like a broker's strategy-based
 * requirements — but valued at strikes, never at marks, because the decider sees no portfolio
 * of prices (the same reason positions are valued at cost):
 *
 * - a short call covered by 100 shares of the underlying per contract holds nothing (the shares
 *   are committed: they cannot be sold while the call is open);
 * - a short option paired with a long option of the same right, underlying and an expiration
 *   no earlier (a vertical, diagonal or calendar) holds the spread's width — the most it can
 *   lose at expiry beyond the premium already in cash: `max(0, K_long − K_short)` for calls,
 *   `max(0, K_short − K_long)` for puts, × the multiplier;
 * - any other short option holds its strike × multiplier: a cash-secured put, and for calls
 *   (allowed only at options level 3) the same strike-based stand-in for Reg-T's
 *   20 %-of-underlying rule.
 *
 * Longs are paired with shorts by sorting both by strike (calls ascending, puts descending:
 * optimal for these convex costs when every pair is allowed). Shares cover short calls in the
 * cheaper of two greedy orders: after the pairing (to the pieces that still cost the most), or
 * before it (to the lowest strikes).
 */
import { Dec } from '../decimal.ts';
import type { OptionRight } from './contract.ts';

/** One option holding (or a holding as if an order filled), signed: + long, − short. */
export interface OptionExposure {
  readonly underlying: string;
  readonly right: OptionRight;
  readonly strike: Dec;
  /** `YYYY-MM-DD`. */
  readonly expiration: string;
  /** Contracts, signed. */
  readonly qty: Dec;
  readonly multiplier: number;
}

/** The requirement of a set of holdings. */
export interface Requirement {
  /** Dollars held back from buying power. */
  readonly total: Dec;
  /** Short call contracts covered neither by shares nor by a long call (naked). */
  readonly uncoveredCalls: Dec;
  /** Shares per underlying committed to covering short calls. */
  readonly sharesCommitted: ReadonlyMap<string, Dec>;
}

interface Chunk {
  readonly strike: Dec;
  readonly expiration: string;
  readonly multiplier: number;
  qty: Dec;
}

/** A short option's piece with its cost per contract. */
interface Piece {
  readonly short: Chunk;
  qty: Dec;
  /** Requirement per contract: the spread width when paired, the strike when naked. */
  perContract: Dec;
  paired: boolean;
}

const ZERO = new Dec(0);

/**
 * The requirement of `holdings` given the shares held per underlying (`shares(underlying)`,
 * long shares only count). Pure and deterministic.
 */
export function optionRequirement(
  holdings: readonly OptionExposure[],
  shares: (underlying: string) => Dec,
): Requirement {
  let total = ZERO;
  let uncovered = ZERO;
  const committed = new Map<string, Dec>();
  const underlyings = [...new Set(holdings.map((h) => h.underlying))].sort();
  for (const underlying of underlyings) {
    const mine = holdings.filter((h) => h.underlying === underlying && !h.qty.isZero());
    const callHoldings = mine.filter((h) => h.right === 'call');
    const held = shares(underlying);
    const available = held.gt(0) ? held : ZERO;
    // Two greedy orders, the cheaper wins: pair first and cover what is left with shares, or
    // cover the lowest strikes with shares first and pair the rest.
    const a = sharesAfterPairing(callHoldings, available);
    const b = sharesFirst(callHoldings, available);
    const calls = b.cost.lt(a.cost) ? b : a;
    const puts = pairShorts(
      mine.filter((h) => h.right === 'put'),
      'put',
    );
    if (calls.shares.gt(0)) committed.set(underlying, calls.shares);
    total = total.plus(calls.cost).plus(costOf(puts));
    for (const piece of calls.pieces) if (!piece.paired) uncovered = uncovered.plus(piece.qty);
  }
  return { total, uncoveredCalls: uncovered, sharesCommitted: committed };
}

/** The short calls' pieces, what they cost, and the shares they use. */
interface CallCover {
  readonly pieces: readonly Piece[];
  readonly cost: Dec;
  readonly shares: Dec;
}

function costOf(pieces: readonly Piece[]): Dec {
  return pieces.reduce(
    (sum, p) => sum.plus(p.qty.times(p.perContract).times(p.short.multiplier)),
    ZERO,
  );
}

/** Pairs calls with longs, then covers the costliest remaining pieces with shares. */
function sharesAfterPairing(calls: readonly OptionExposure[], available: Dec): CallCover {
  const pieces = pairShorts(calls, 'call');
  let units = available;
  let used = ZERO;
  const byCost = [...pieces].sort((x, y) => y.perContract.comparedTo(x.perContract));
  for (const piece of byCost) {
    if (piece.perContract.isZero()) continue;
    const coverable = units.dividedToIntegerBy(piece.short.multiplier);
    if (coverable.lte(0)) break;
    const take = Dec.min(coverable, piece.qty);
    const sharesUsed = take.times(piece.short.multiplier);
    units = units.minus(sharesUsed);
    used = used.plus(sharesUsed);
    if (take.eq(piece.qty)) {
      piece.perContract = ZERO;
      piece.paired = true;
    } else {
      // Split: the covered part costs nothing, the rest keeps its cost.
      pieces.push({ short: piece.short, qty: take, perContract: ZERO, paired: true });
      piece.qty = piece.qty.minus(take);
    }
  }
  return { pieces, cost: costOf(pieces), shares: used };
}

/** Covers the lowest-strike short calls with shares, then pairs the rest with longs. */
function sharesFirst(calls: readonly OptionExposure[], available: Dec): CallCover {
  let units = available;
  let used = ZERO;
  const covered: Piece[] = [];
  const rest: OptionExposure[] = [];
  const shorts = calls
    .filter((h) => h.qty.isNegative())
    .sort((x, y) => x.strike.comparedTo(y.strike));
  for (const h of shorts) {
    const coverable = Dec.min(units.dividedToIntegerBy(h.multiplier), h.qty.abs());
    if (coverable.gt(0)) {
      const chunk: Chunk = {
        strike: h.strike,
        expiration: h.expiration,
        multiplier: h.multiplier,
        qty: coverable,
      };
      covered.push({ short: chunk, qty: coverable, perContract: ZERO, paired: true });
      units = units.minus(coverable.times(h.multiplier));
      used = used.plus(coverable.times(h.multiplier));
    }
    const left = h.qty.abs().minus(coverable);
    if (left.gt(0)) rest.push({ ...h, qty: left.negated() });
  }
  const pieces = [
    ...covered,
    ...pairShorts([...rest, ...calls.filter((h) => h.qty.isPositive())], 'call'),
  ];
  return { pieces, cost: costOf(pieces), shares: used };
}

/** Pairs the shorts of one right with the longs, cheapest pairs first (sorted by strike). */
function pairShorts(holdings: readonly OptionExposure[], right: OptionRight): Piece[] {
  const chunk = (h: OptionExposure): Chunk => ({
    strike: h.strike,
    expiration: h.expiration,
    multiplier: h.multiplier,
    qty: h.qty.abs(),
  });
  // Calls pair low strikes first, puts high strikes first: each short then meets the long
  // that costs it least, which is the sorted matching these convex costs make optimal.
  const sign = right === 'call' ? 1 : -1;
  const byStrike = (a: Chunk, b: Chunk): number =>
    sign * a.strike.comparedTo(b.strike) ||
    (a.expiration < b.expiration ? -1 : a.expiration > b.expiration ? 1 : 0);
  const shorts = holdings
    .filter((h) => h.qty.isNegative())
    .map(chunk)
    .sort(byStrike);
  const longs = holdings
    .filter((h) => h.qty.isPositive())
    .map(chunk)
    .sort(byStrike);
  const pieces: Piece[] = [];
  for (const short of shorts) {
    let rest = short.qty;
    for (const long of longs) {
      if (rest.isZero()) break;
      if (long.qty.isZero() || long.expiration < short.expiration) continue;
      if (long.multiplier !== short.multiplier) continue;
      const take = Dec.min(rest, long.qty);
      const width =
        right === 'call' ? long.strike.minus(short.strike) : short.strike.minus(long.strike);
      const perContract = Dec.min(width.isNegative() ? ZERO : width, short.strike);
      pieces.push({ short, qty: take, perContract, paired: true });
      long.qty = long.qty.minus(take);
      rest = rest.minus(take);
    }
    if (rest.gt(0)) pieces.push({ short, qty: rest, perContract: short.strike, paired: false });
  }
  return pieces;
}
