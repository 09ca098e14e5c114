import { Dec } from '../decimal.ts';
import { multiplierOf, type Instrument } from '../instrument.ts';
import { dec } from '../money.ts';
import type { Position } from './state.ts';

/** The effect of one trade on a position (average-cost method). */
export interface TradeEffect {
  readonly qty: Dec;
  readonly costBasis: Dec;
  /** Realized P&L of the closing part, gross of charges. */
  readonly realized: Dec;
}

/** Decimal places kept when basis is removed in proportion on a partial close. */
export const BASIS_DECIMALS = 9;

/**
 * Applies a signed trade (`+` buys, `−` sells) at `price` to a position. Opening trades add
 * `qty × price × multiplier` to the basis; closing trades remove basis in proportion to the
 * quantity closed (all of it when the position goes flat) and realize the difference to the
 * trade value; a trade through zero closes and then opens the rest the other way.
 *
 * Cash − basis is conserved by construction: whatever basis is removed is exactly what is
 * counted as realized against the cash received, which the ledger invariant relies on.
 */
export function applyTrade(
  position: Position | undefined,
  instrument: Instrument,
  signedQty: Dec,
  price: Dec,
): TradeEffect {
  const m = multiplierOf(instrument);
  let qty = position === undefined ? new Dec(0) : dec(position.qty);
  let basis = position === undefined ? new Dec(0) : dec(position.costBasis);
  let realized = new Dec(0);
  let rest = signedQty;

  if (!qty.isZero() && qty.isNegative() !== signedQty.isNegative()) {
    const closeQty = Dec.min(signedQty.abs(), qty.abs());
    const removed = closeQty.eq(qty.abs())
      ? basis
      : basis.times(closeQty).dividedBy(qty.abs()).toDecimalPlaces(BASIS_DECIMALS);
    const closedSigned = qty.isNegative() ? closeQty : closeQty.negated();
    realized = closedSigned.negated().times(price).times(m).minus(removed);
    basis = basis.minus(removed);
    qty = qty.plus(closedSigned);
    rest = signedQty.minus(closedSigned);
  }
  if (!rest.isZero()) {
    qty = qty.plus(rest);
    basis = basis.plus(rest.times(price).times(m));
  }
  return { qty, costBasis: basis, realized };
}
