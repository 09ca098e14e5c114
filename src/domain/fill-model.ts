import { Dec } from './decimal.ts';
import { ceilCents, dec, maxDec, minDec, roundCents, type DecimalString } from './money.ts';
import { roundToTick } from './price.ts';
import type { Quote } from './market.ts';

/**
 * How far a simulated execution lands from the touch (ask for buys, bid for sells).
 * - `fixed_bps`: a constant fraction of the touch price.
 * - `spread_fraction`: a fraction of the quoted spread (0.5 = pay half the spread again).
 * - `volume_participation`: impact grows with the share of displayed size taken,
 *   `impactBps × fillQty / displayedSize` of the touch price.
 */
export type SlippageModel =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed_bps'; readonly bps: DecimalString }
  | { readonly kind: 'spread_fraction'; readonly fraction: DecimalString }
  | { readonly kind: 'volume_participation'; readonly impactBps: DecimalString };

/**
 * Broker commission. `per_share` (per contract for options) is charged cumulatively per order
 * so an order's minimum and maximum apply once, however many partial fills it has.
 */
export type CommissionModel =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'per_share';
      readonly perShare: DecimalString;
      readonly minimum: DecimalString | null;
      readonly maximum: DecimalString | null;
    }
  | { readonly kind: 'per_order'; readonly amount: DecimalString };

/**
 * Regulatory transaction fees charged on sells only. Rates change yearly; set them to 0 to
 * switch a fee off. Both fees are rounded up to the cent, as the regulators bill them.
 */
export interface RegulatoryFees {
  /** SEC Section 31 fee per dollar of sale proceeds. */
  readonly secFeeRate: DecimalString;
  /** FINRA Trading Activity Fee per share (or contract) sold. */
  readonly tafPerShare: DecimalString;
  /** Cap of the TAF per trade (we treat one order as one trade). */
  readonly tafMaxPerTrade: DecimalString;
}

/** Everything that turns a quote into a fill; recorded on each `OrderFilled`. */
export interface FillModel {
  readonly slippage: SlippageModel;
  readonly commission: CommissionModel;
  readonly regulatoryFees: RegulatoryFees;
  /**
   * Largest fraction of the displayed size at the touch one fill may take (1 = all of it).
   * The rest of the order waits for later quotes: our partial-fill rule.
   */
  readonly maxParticipation: DecimalString;
}

/**
 * Alpaca-like defaults: no commission; the SEC fee at $27.80 per million (the 2024-05-22
 * rate) and the FINRA TAF at $0.000166 per share capped at $8.30, both on sells; no slippage;
 * fills may take the whole displayed size.
 */
export const DEFAULT_FILL_MODEL: FillModel = {
  slippage: { kind: 'none' },
  commission: { kind: 'none' },
  regulatoryFees: { secFeeRate: '0.0000278', tafPerShare: '0.000166', tafMaxPerTrade: '8.3' },
  maxParticipation: '1',
};

/** A fee schedule that charges nothing; handy for tests and for frictionless backtests. */
export const NO_FEES: RegulatoryFees = { secFeeRate: '0', tafPerShare: '0', tafMaxPerTrade: '0' };

/** The price an order meets at the touch: ask for buys, bid for sells. */
export function touchPrice(side: 'buy' | 'sell', quote: Quote): Dec {
  return dec(side === 'buy' ? quote.ask : quote.bid);
}

/** Shares displayed at the touch the order meets. */
export function touchSize(side: 'buy' | 'sell', quote: Quote): Dec {
  return new Dec(side === 'buy' ? quote.askSize : quote.bidSize);
}

/** Per-unit slippage (always ≥ 0; the caller applies it against the trader). */
export function slippagePerUnit(
  model: SlippageModel,
  side: 'buy' | 'sell',
  quote: Quote,
  fillQty: Dec,
): Dec {
  const base = touchPrice(side, quote);
  switch (model.kind) {
    case 'none':
      return new Dec(0);
    case 'fixed_bps':
      return base.times(dec(model.bps)).dividedBy(10_000);
    case 'spread_fraction':
      return maxDec(new Dec(0), dec(quote.ask).minus(dec(quote.bid))).times(dec(model.fraction));
    case 'volume_participation': {
      const size = touchSize(side, quote);
      if (size.lte(0)) return new Dec(0);
      return base.times(dec(model.impactBps)).dividedBy(10_000).times(fillQty).dividedBy(size);
    }
  }
}

/**
 * How much of `remaining` one quote can fill: capped by displayed size × participation.
 * Displayed sizes are whole shares, so the cap is too; a fractional remainder below the cap
 * fills whole.
 */
export function fillableQty(remaining: Dec, displayedSize: Dec, maxParticipation: Dec): Dec {
  const cap = displayedSize.times(maxParticipation).floor();
  return maxDec(new Dec(0), minDec(remaining, cap));
}

/** The price of one execution and how it was derived. */
export interface ExecutionPrice {
  /** The touch price before slippage. */
  readonly base: Dec;
  /** Slippage per unit actually applied (after tick rounding and limit clamping). */
  readonly slippage: Dec;
  readonly price: Dec;
}

/**
 * Prices an execution at the touch plus slippage, rounded onto the tick grid against the
 * trader and never through the limit. Undefined when the order is not marketable (touch
 * worse than the limit) or there is no price on that side of the book.
 */
export function executionPrice(
  side: 'buy' | 'sell',
  quote: Quote,
  fillQty: Dec,
  slippage: SlippageModel,
  limit: Dec | null,
): ExecutionPrice | undefined {
  const base = touchPrice(side, quote);
  if (base.lte(0)) return undefined;
  if (limit !== null && (side === 'buy' ? base.gt(limit) : base.lt(limit))) return undefined;
  const slip = slippagePerUnit(slippage, side, quote, fillQty);
  let price =
    side === 'buy' ? roundToTick(base.plus(slip), 'up') : roundToTick(base.minus(slip), 'down');
  if (price.lte(0)) price = base;
  if (limit !== null) price = side === 'buy' ? minDec(price, limit) : maxDec(price, limit);
  return { base, slippage: price.minus(base).abs(), price };
}

/** Commission owed for an order that has filled `cumQty` units in total so far. */
export function cumulativeCommission(model: CommissionModel, cumQty: Dec): Dec {
  if (cumQty.lte(0)) return new Dec(0);
  switch (model.kind) {
    case 'none':
      return new Dec(0);
    case 'per_order':
      return dec(model.amount);
    case 'per_share': {
      let c = cumQty.times(dec(model.perShare));
      if (model.minimum !== null) c = maxDec(c, dec(model.minimum));
      if (model.maximum !== null) c = minDec(c, dec(model.maximum));
      return roundCents(c);
    }
  }
}

/** Regulatory fees owed for an order's sales so far (zero for buys). */
export function cumulativeRegulatoryFees(
  fees: RegulatoryFees,
  side: 'buy' | 'sell',
  cumQty: Dec,
  cumNotional: Dec,
): { readonly sec: Dec; readonly taf: Dec } {
  if (side === 'buy' || cumQty.lte(0)) return { sec: new Dec(0), taf: new Dec(0) };
  const sec = ceilCents(cumNotional.times(dec(fees.secFeeRate)));
  const taf = minDec(ceilCents(cumQty.times(dec(fees.tafPerShare))), dec(fees.tafMaxPerTrade));
  return { sec, taf };
}

/** Charges on one fill. */
export interface FillCharges {
  readonly commission: Dec;
  readonly secFee: Dec;
  readonly taf: Dec;
}

/**
 * Charges for one fill as the difference of the order's cumulative charges after and before
 * it, so the sum over partial fills equals the charge for the whole order, in whole cents.
 * `notional` values are in dollars (qty × price × multiplier).
 */
export function fillCharges(
  model: FillModel,
  side: 'buy' | 'sell',
  before: { readonly qty: Dec; readonly notional: Dec },
  after: { readonly qty: Dec; readonly notional: Dec },
): FillCharges {
  const c0 = cumulativeCommission(model.commission, before.qty);
  const c1 = cumulativeCommission(model.commission, after.qty);
  const f0 = cumulativeRegulatoryFees(model.regulatoryFees, side, before.qty, before.notional);
  const f1 = cumulativeRegulatoryFees(model.regulatoryFees, side, after.qty, after.notional);
  return {
    commission: c1.minus(c0),
    secFee: f1.sec.minus(f0.sec),
    taf: f1.taf.minus(f0.taf),
  };
}

/** Commission a whole order of `qty` would pay; used for buying-power checks and reservations. */
export function estimateCommission(model: CommissionModel, qty: Dec): Dec {
  return cumulativeCommission(model, qty);
}
