/**
 * Valuation of projected holdings at market prices: pure arithmetic on exact decimals, shared
 * by the account, position and portfolio-history queries. Ratios (unrealized P&L %, change
 * today, profit/loss %) are the only inexact figures: they are rounded half-even to
 * `RATIO_DECIMALS` places. Everything else is exact.
 */
import { Dec } from '../domain/decimal.ts';
import { multiplierOf, type Instrument } from '../domain/instrument.ts';
import type { Quote } from '../domain/market.ts';
import { dec, fmt, type DecimalString } from '../domain/money.ts';

/** Decimal places of a ratio (`"0.0125"` = 1.25 %). */
export const RATIO_DECIMALS = 10;

/**
 * The price a holding is marked at: the quote's mid when both sides are quoted, else its last
 * trade; undefined without a usable quote.
 */
export function markPrice(quote: Quote | undefined): Dec | undefined {
  if (quote === undefined) return undefined;
  const bid = new Dec(quote.bid);
  const ask = new Dec(quote.ask);
  if (bid.gt(0) && ask.gt(0)) return bid.plus(ask).dividedBy(2);
  const last = new Dec(quote.last);
  return last.gt(0) ? last : undefined;
}

/** `a / b` rounded to `RATIO_DECIMALS`; undefined when b is zero. */
export function ratio(a: Dec, b: Dec): DecimalString | undefined {
  if (b.isZero()) return undefined;
  return fmt(a.dividedBy(b).toDecimalPlaces(RATIO_DECIMALS));
}

/** A holding to value: signed quantity and signed cost basis. */
export interface ValuedHolding {
  readonly instrument: Instrument;
  readonly qty: DecimalString;
  readonly costBasis: DecimalString;
}

/** Signed market value qty × price × multiplier, or the cost basis when there is no price. */
export function valueAt(holding: ValuedHolding, price: Dec | undefined): Dec {
  if (price === undefined) return dec(holding.costBasis);
  return dec(holding.qty).times(price).times(multiplierOf(holding.instrument));
}

/**
 * Cash plus every holding valued at its price (`prices[i]` for `holdings[i]`; at cost when
 * the price is unknown).
 */
export function equityOf(
  cash: DecimalString,
  holdings: readonly ValuedHolding[],
  prices: readonly (Dec | undefined)[],
): Dec {
  return holdings.reduce((sum, h, i) => sum.plus(valueAt(h, prices[i])), dec(cash));
}
