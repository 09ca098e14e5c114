/**
 * US equity tick sizes (Reg NMS Rule 612): quotes at $1.00 or more move in whole cents,
 * quotes below $1.00 in hundredths of a cent.
 *
 * The simulator works in integer "units" of $0.0001 so rounding to the grid is exact and
 * cheap. Decimal tick rules (size, rounding) live in `src/domain/price.ts`.
 */
import { Dec } from '../domain/decimal.ts';
import { isValidTick } from '../domain/price.ts';

/** Units per dollar: one unit is $0.0001, the sub-dollar tick. */
export const UNITS_PER_DOLLAR = 10_000;
const CENT_UNITS = 100;

/** How to move a float price that is off the grid. */
export type TickRounding = 'floor' | 'ceil' | 'nearest';

/**
 * True when a decimal price string is positive, on its tick grid (the domain's rule), and
 * written with the tick's number of decimals, as the feed publishes it.
 */
export function isValidQuotePrice(price: string): boolean {
  if (!/^\d+\.\d+$/.test(price)) return false;
  const value = new Dec(price);
  if (value.lte(0) || !isValidTick(value)) return false;
  const decimals = price.length - price.indexOf('.') - 1;
  return decimals === (value.gte(1) ? 2 : 4);
}

/**
 * A float price rounded to the tick grid, as integer units of $0.0001 (never below one unit).
 * Floats are fine here: the simulated path is a model, and the record is the rounded value.
 */
export function toTickUnits(price: number, rounding: TickRounding): number {
  // Spelled out per mode: this runs for every simulated minute and quote.
  const scaled = price * UNITS_PER_DOLLAR;
  let units: number;
  if (rounding === 'floor') {
    units = Math.floor(scaled + 1e-7);
    if (units >= UNITS_PER_DOLLAR) units = Math.floor(scaled / CENT_UNITS + 1e-9) * CENT_UNITS;
  } else if (rounding === 'ceil') {
    units = Math.ceil(scaled - 1e-7);
    if (units >= UNITS_PER_DOLLAR) units = Math.ceil(scaled / CENT_UNITS - 1e-9) * CENT_UNITS;
  } else {
    units = Math.round(scaled);
    if (units >= UNITS_PER_DOLLAR) units = Math.round(scaled / CENT_UNITS) * CENT_UNITS;
  }
  return units < UNITS_PER_DOLLAR ? Math.max(1, units) : Math.max(UNITS_PER_DOLLAR, units);
}

/** The tick, in units, that applies at a price given in units. */
export function tickUnitsAt(units: number): number {
  return units >= UNITS_PER_DOLLAR ? CENT_UNITS : 1;
}

/** Formats integer units as a price string with the tick's decimals ("189.42", "0.0537"). */
export function formatUnits(units: number): string {
  const dollars = Math.floor(units / UNITS_PER_DOLLAR);
  const fraction = units - dollars * UNITS_PER_DOLLAR;
  if (units >= UNITS_PER_DOLLAR) {
    return `${dollars}.${String(Math.floor(fraction / CENT_UNITS)).padStart(2, '0')}`;
  }
  return `${dollars}.${String(fraction).padStart(4, '0')}`;
}

/**
 * The float a grid price in units reads as: exactly `Number(formatUnits(units))` for every
 * `toTickUnits` result (both are the correctly rounded value of units / 10,000, and at or
 * above a dollar the units are whole cents, so `formatUnits` drops nothing), without the
 * string.
 */
export function unitsToNumber(units: number): number {
  return units / UNITS_PER_DOLLAR;
}
