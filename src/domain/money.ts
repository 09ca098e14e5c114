import { Dec } from './decimal.ts';
import { DomainError } from './errors.ts';

/**
 * A decimal number written as a canonical string: no exponent, no leading `+`, no trailing
 * fractional zeros, no `-0` (e.g. `"12.5"`, `"0.0001"`, `"-3"`). Events and commands carry
 * these so they survive JSON unchanged; two equal amounts always have the same spelling.
 */
export type DecimalString = string;

const DECIMAL_PATTERN = /^-?(?:\d+\.?\d*|\.\d+)$/;

/**
 * Parses user or wire input into an exact decimal. Numbers are accepted because Alpaca
 * clients send both, but they go through their shortest string form so `0.1` stays `0.1`.
 */
export function parseDecimal(input: string | number, field = 'value'): Dec {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) {
      throw new DomainError('invalid_value', `${field} must be a finite number`, field);
    }
    text = String(input);
    if (/e/i.test(text)) {
      // Exponent forms (1e21, 1e-7) are legal JS but not legal wire decimals here.
      text = new Dec(input).toFixed();
    }
  } else {
    text = input.trim();
  }
  if (!DECIMAL_PATTERN.test(text)) {
    throw new DomainError(
      'invalid_value',
      `${field} must be a decimal number, got "${String(input)}"`,
      field,
    );
  }
  return new Dec(text);
}

/**
 * Decimals already read, by spelling. The same few strings (a settings rate, a price, a
 * quantity, the cash of an account) are read over and over by every decision; parsing one is
 * the expensive part of using it. Decimal instances are immutable, so one can be shared.
 */
const readDecimals = new Map<string, Dec>();
const READ_DECIMALS_MAX = 4096;

/** Reads a canonical decimal string from an event or state (trusted, but still checked). */
export function dec(value: DecimalString): Dec {
  const known = readDecimals.get(value);
  if (known !== undefined) return known;
  const parsed = parseDecimal(value);
  // A crude bound: starting over costs a few re-parses, never a wrong value.
  if (readDecimals.size >= READ_DECIMALS_MAX) readDecimals.clear();
  readDecimals.set(value, parsed);
  return parsed;
}

/** Canonical spelling of a decimal (see {@link DecimalString}). */
export function fmt(value: Dec): DecimalString {
  if (value.isZero()) return '0';
  return value.toFixed();
}

/** Number of digits after the decimal point once trailing zeros are dropped. */
export function decimalPlaces(value: Dec): number {
  return value.decimalPlaces();
}

const ZERO = new Dec(0);

/** Exact sum of canonical decimal strings. */
export function add(...values: readonly DecimalString[]): DecimalString {
  // Adding an exact "0" changes nothing (the sum is already rounded to the precision), and
  // fees and P&L are "0" on most fills: skip the decimal work for them.
  let acc: Dec | undefined;
  for (const v of values) {
    if (v === '0') continue;
    acc = (acc ?? ZERO).plus(dec(v));
  }
  return acc === undefined ? '0' : fmt(acc);
}

/** Exact difference `a − b`. */
export function sub(a: DecimalString, b: DecimalString): DecimalString {
  return fmt(dec(a).minus(dec(b)));
}

/** Exact product. */
export function mul(a: DecimalString, b: DecimalString): DecimalString {
  return fmt(dec(a).times(dec(b)));
}

/** Negation. */
export function neg(a: DecimalString): DecimalString {
  return fmt(dec(a).negated());
}

/** Three-way comparison of two decimal strings (−1, 0, 1). */
export function cmp(a: DecimalString, b: DecimalString): -1 | 0 | 1 {
  const c = dec(a).comparedTo(dec(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/** True when the string spells zero. */
export function isZero(a: DecimalString): boolean {
  return dec(a).isZero();
}

/** Normalises any decimal string (e.g. `"1.50"` → `"1.5"`). */
export function canonical(value: string | number, field = 'value'): DecimalString {
  return fmt(parseDecimal(value, field));
}

/** Maximum fractional digits a cash amount may have when it moves in or out of an account. */
export const CASH_DECIMALS = 2;

/** Maximum fractional digits of a share quantity (Alpaca accepts 9). */
export const QUANTITY_DECIMALS = 9;

/**
 * Parses a deposit/withdrawal amount: positive, whole cents. Cash that enters or leaves the
 * ledger is always in cents; only trading can create sub-cent cash (fractional shares).
 */
export function parseCashAmount(input: string | number, field = 'amount'): DecimalString {
  const value = parseDecimal(input, field);
  if (value.lte(0)) {
    throw new DomainError('invalid_amount', `${field} must be greater than zero`, field);
  }
  if (value.decimalPlaces() > CASH_DECIMALS) {
    throw new DomainError('invalid_amount', `${field} must be in whole cents`, field);
  }
  return fmt(value);
}

/** Parses a non-negative cash amount (e.g. an initial balance that may be zero). */
export function parseNonNegativeCash(input: string | number, field = 'amount'): DecimalString {
  const value = parseDecimal(input, field);
  if (value.isNegative() || value.decimalPlaces() > CASH_DECIMALS) {
    throw new DomainError('invalid_amount', `${field} must be zero or more, in whole cents`, field);
  }
  return fmt(value);
}

/** Rounds to cents, half-even (used for money that is presented or charged in cents). */
export function roundCents(value: Dec): Dec {
  return value.toDecimalPlaces(CASH_DECIMALS, Dec.ROUND_HALF_EVEN);
}

/** Rounds up to the next cent: regulators round fees against the payer. */
export function ceilCents(value: Dec): Dec {
  return value.toDecimalPlaces(CASH_DECIMALS, Dec.ROUND_CEIL);
}

/** The smaller of two decimals. */
export function minDec(a: Dec, b: Dec): Dec {
  return a.lte(b) ? a : b;
}

/** The larger of two decimals. */
export function maxDec(a: Dec, b: Dec): Dec {
  return a.gte(b) ? a : b;
}
