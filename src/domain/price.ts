import { Dec } from './decimal.ts';
import { DomainError } from './errors.ts';
import { fmt, parseDecimal, QUANTITY_DECIMALS, type DecimalString } from './money.ts';

/**
 * US equity tick sizes (Reg NMS Rule 612): quotes and orders at or above $1.00 may not be
 * finer than a penny; below $1.00 the minimum increment is $0.0001.
 */
export function tickSize(price: Dec): Dec {
  return price.gte(1) ? new Dec('0.01') : new Dec('0.0001');
}

/** True when `price` respects the tick size for its own level. */
export function isValidTick(price: Dec): boolean {
  return price.mod(tickSize(price)).isZero();
}

/**
 * Rounds a computed price (slippage, trailing stop) onto the tick grid. `up`/`down` let the
 * caller round against the trader (fills) so simulated executions never look better than a
 * real venue would give.
 */
export function roundToTick(price: Dec, direction: 'up' | 'down' | 'nearest'): Dec {
  const mode =
    direction === 'up'
      ? Dec.ROUND_CEIL
      : direction === 'down'
        ? Dec.ROUND_FLOOR
        : Dec.ROUND_HALF_EVEN;
  const tick = tickSize(price);
  const rounded = price.dividedBy(tick).toDecimalPlaces(0, mode).times(tick);
  // Crossing $1 changes the grid; re-round once on the grid of the result.
  const finalTick = tickSize(rounded);
  return finalTick.eq(tick)
    ? rounded
    : rounded.dividedBy(finalTick).toDecimalPlaces(0, mode).times(finalTick);
}

/** Parses a strictly positive price; tick validity is checked separately so it gets its own reason. */
export function parsePrice(input: string | number, field = 'price'): DecimalString {
  const value = parseDecimal(input, field);
  if (value.lte(0)) {
    throw new DomainError('invalid_value', `${field} must be greater than zero`, field);
  }
  return fmt(value);
}

/** Parses a strictly positive quantity with at most nine fractional digits. */
export function parseQuantity(input: string | number, field = 'qty'): DecimalString {
  const value = parseDecimal(input, field);
  if (value.lte(0)) {
    throw new DomainError('invalid_value', `${field} must be greater than zero`, field);
  }
  if (value.decimalPlaces() > QUANTITY_DECIMALS) {
    throw new DomainError(
      'invalid_value',
      `${field} may have at most ${QUANTITY_DECIMALS} decimal places`,
      field,
    );
  }
  return fmt(value);
}

/** True when a quantity is a whole number of shares or contracts. */
export function isWholeQuantity(qty: Dec): boolean {
  return qty.isInteger();
}
