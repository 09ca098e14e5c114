import { Decimal } from 'decimal.js';

/**
 * The domain's own decimal constructor. A dedicated clone so that no other module's global
 * Decimal configuration can change how money is rounded here. Forty significant digits leave
 * ample headroom for prices × quantities × multipliers; banker's rounding avoids a systematic
 * bias when a value must be rounded (e.g. cost basis removed on a partial close).
 */
export const Dec = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -60,
  toExpPos: 60,
});

/** An instance of {@link Dec}. */
export type Dec = Decimal;
