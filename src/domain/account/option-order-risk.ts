/**
 * What an option order can lose (and make) at expiry, for the pre-trade risk of a preview:
 * the payoff of the contracts the order opens, after the premium it pays or receives, exact
 * decimals from `payoffProfile`.
 *
 * - Long call or put: the premium paid.
 * - Short put: strike × multiplier × contracts − premium received (the underlying at zero).
 * - Short call: unbounded, unless the account's free shares cover it (a covered call): then the
 *   shares' value at the mark down to zero, less the premium.
 * - Multi-leg (`mleg`): the legs' combined payoff at the net price (a vertical loses at most
 *   width × 100 × units − credit, or the debit); across expirations only a long calendar's
 *   loss (its debit) is known before the first expiry.
 * - The part of a single-leg order that closes an existing position adds no option risk (its
 *   result is realized at the fill); only the opening part is analysed.
 */
import { Dec } from '../decimal.ts';
import type { MarketContext, Quote } from '../market.ts';
import { dec, fmt, type DecimalString } from '../money.ts';
import { contractOf } from '../options/contract.ts';
import {
  payoffProfile,
  recognizeStrategy,
  STRATEGY_LABELS,
  type PayoffLeg,
  type StrategyName,
} from '../options/strategy.ts';
import type { OrderRequest } from './commands.ts';
import { sharesFree } from './option-exposure.ts';
import type { AccountState } from './state.ts';

/** The expiry risk of an option order. */
export interface OptionOrderRisk {
  readonly strategy: StrategyName;
  readonly label: string;
  /** Contracts the order opens (per leg for multi-leg, signed: + long, − short). */
  readonly openingContracts: readonly { readonly symbol: string; readonly qty: DecimalString }[];
  /** Premium of the opening part: positive paid, negative received; null without a price. */
  readonly premium: DecimalString | null;
  /** Worst loss at expiry (a positive amount); null when unbounded or not known. */
  readonly maxLoss: DecimalString | null;
  /** True when the loss has no limit (a naked short call, or legs short more calls than long). */
  readonly maxLossUnbounded: boolean;
  readonly maxProfit: DecimalString | null;
  readonly maxProfitUnbounded: boolean;
  readonly breakevens: readonly DecimalString[];
  /** Contracts of a single-leg order that close an existing position (no new risk). */
  readonly closingContracts: DecimalString;
  /** One sentence a reader (or a model) can repeat. */
  readonly explanation: string;
}

interface Leg {
  readonly symbol: string;
  readonly right: 'call' | 'put';
  readonly strike: Dec;
  readonly expiration: string;
  /** Signed contracts. */
  readonly qty: Dec;
  readonly multiplier: number;
  readonly underlying: string;
}

const money = (d: Dec): DecimalString => fmt(d.toDecimalPlaces(2));

function midOf(quote: Quote | undefined): Dec | undefined {
  if (quote === undefined) return undefined;
  const bid = dec(quote.bid);
  const ask = dec(quote.ask);
  if (bid.gt(0) && ask.gt(0)) return bid.plus(ask).dividedBy(2);
  const last = dec(quote.last);
  return last.gt(0) ? last : undefined;
}

/** The touch a leg would trade at: the ask to buy, the bid to sell. */
export function legTouch(quote: Quote | undefined, side: 'buy' | 'sell'): Dec | undefined {
  if (quote === undefined) return undefined;
  const price = dec(side === 'buy' ? quote.ask : quote.bid);
  return price.gt(0) ? price : undefined;
}

/**
 * The expiry risk of `request` against `state` when it trades options (undefined for a stock
 * order). `price` is the single-leg order's assumed price per share; a multi-leg order's net
 * comes from its limit, else from the legs' touches in `market.optionQuotes`.
 */
export function optionOrderRisk(
  state: AccountState,
  request: OrderRequest,
  market: MarketContext,
  price: Dec | undefined,
): OptionOrderRisk | undefined {
  const units = dec(request.qty);
  const legRequests = request.legs ?? [];
  const legs: Leg[] = [];
  let premium: Dec | undefined;
  let closing = new Dec(0);
  if (legRequests.length > 0) {
    let net: Dec | undefined = new Dec(0);
    for (const l of legRequests) {
      const c = contractOf(l.instrument);
      if (c === undefined) return undefined;
      const qty = dec(l.ratioQty).times(units);
      legs.push({
        symbol: c.symbol,
        right: c.right,
        strike: dec(c.strike),
        expiration: c.expiration,
        qty: l.side === 'buy' ? qty : qty.negated(),
        multiplier: c.multiplier,
        underlying: c.underlying,
      });
      const touch = legTouch(market.optionQuotes?.[c.symbol], l.side);
      net =
        net === undefined || touch === undefined
          ? undefined
          : net.plus(
              touch
                .times(qty)
                .times(c.multiplier)
                .times(l.side === 'buy' ? 1 : -1),
            );
    }
    const multiplier = legs[0]?.multiplier ?? 100;
    premium =
      request.limitPrice !== undefined
        ? dec(request.limitPrice).times(units).times(multiplier)
        : net;
  } else {
    if (request.instrument.kind !== 'option') return undefined;
    const c = contractOf(request.instrument);
    if (c === undefined) return undefined;
    const held = dec(state.positions[c.symbol]?.qty ?? '0');
    const closable =
      (request.side === 'buy' && held.lt(0)) || (request.side === 'sell' && held.gt(0))
        ? held.abs()
        : new Dec(0);
    closing = Dec.min(closable, units);
    const opening = units.minus(closing);
    if (opening.gt(0)) {
      legs.push({
        symbol: c.symbol,
        right: c.right,
        strike: dec(c.strike),
        expiration: c.expiration,
        qty: request.side === 'buy' ? opening : opening.negated(),
        multiplier: c.multiplier,
        underlying: c.underlying,
      });
    }
    premium =
      price === undefined
        ? undefined
        : price
            .times(opening)
            .times(c.multiplier)
            .times(request.side === 'buy' ? 1 : -1);
  }

  const opening = legs.map((l) => ({ symbol: l.symbol, qty: fmt(l.qty) }));
  const base = {
    openingContracts: opening,
    premium: premium === undefined ? null : money(premium),
    closingContracts: fmt(closing),
  };
  const [first] = legs;
  if (first === undefined) {
    return {
      ...base,
      strategy: 'custom',
      label: 'closing order',
      maxLoss: '0',
      maxLossUnbounded: false,
      maxProfit: '0',
      maxProfitUnbounded: false,
      breakevens: [],
      explanation: `The order closes ${fmt(closing)} contract(s) already held: it adds no option risk (its profit or loss is realized at the fill).`,
    };
  }

  // A lone short call is covered when the free shares cover every contract.
  const coverShares =
    legs.length === 1 && first.right === 'call' && first.qty.lt(0)
      ? first.qty.abs().times(first.multiplier)
      : new Dec(0);
  const covered = coverShares.gt(0) && sharesFree(state, first.underlying).gte(coverShares);
  const strategy = recognizeStrategy(
    legs.map((l) => ({ right: l.right, strike: l.strike, expiration: l.expiration, qty: l.qty })),
    covered,
  );
  const label = STRATEGY_LABELS[strategy];
  const partly = closing.gt(0)
    ? ` (${fmt(closing)} of the contracts close a position and add no risk)`
    : '';

  if (premium === undefined) {
    return {
      ...base,
      strategy,
      label,
      maxLoss: null,
      maxLossUnbounded: false,
      maxProfit: null,
      maxProfitUnbounded: false,
      breakevens: [],
      explanation: `No quote or limit prices the premium of this ${label}, so its maximum loss is not known.`,
    };
  }

  if (!legs.every((l) => l.expiration === first.expiration)) {
    const known = strategy === 'long_calendar' && premium.gt(0);
    return {
      ...base,
      strategy,
      label,
      maxLoss: known ? money(premium) : null,
      maxLossUnbounded: false,
      maxProfit: null,
      maxProfitUnbounded: false,
      breakevens: [],
      explanation: known
        ? `A ${label} can lose at most its debit, ${money(premium)}.`
        : `The legs of this ${label} expire on different dates: its loss depends on the later legs' value at the first expiry and is not computed here.`,
    };
  }

  const underlyingPrice = covered ? midOf(market.underlyingQuote) : undefined;
  if (covered && underlyingPrice === undefined) {
    return {
      ...base,
      strategy,
      label,
      maxLoss: null,
      maxLossUnbounded: false,
      maxProfit: null,
      maxProfitUnbounded: false,
      breakevens: [],
      explanation: `No quote of ${first.underlying} values the shares covering this ${label}.`,
    };
  }
  const payoffLegs: PayoffLeg[] = legs.map((l) => ({
    right: l.right,
    strike: l.strike,
    qty: l.qty,
    multiplier: l.multiplier,
  }));
  const shareValue =
    underlyingPrice === undefined ? new Dec(0) : underlyingPrice.times(coverShares);
  const profile = payoffProfile(
    payoffLegs,
    premium.plus(shareValue),
    covered ? coverShares : new Dec(0),
  );
  const maxLoss = profile.maxLoss === null ? null : money(profile.maxLoss);
  const maxProfit = profile.maxProfit === null ? null : money(profile.maxProfit);
  const explanation =
    maxLoss === null
      ? `UNLIMITED LOSS: this ${label} loses more the higher ${first.underlying} rises, without limit${partly}.`
      : covered
        ? `This covered call can lose at most ${maxLoss}: the ${fmt(coverShares)} covering shares falling from ${fmt(underlyingPrice?.toDecimalPlaces(4) ?? new Dec(0))} to zero, less the premium${partly}.`
        : `This ${label} can lose at most ${maxLoss} at expiry${premium.gt(0) ? ` (the premium paid is ${money(premium)})` : ''}${partly}.`;
  return {
    ...base,
    strategy,
    label,
    maxLoss,
    maxLossUnbounded: maxLoss === null,
    maxProfit,
    maxProfitUnbounded: maxProfit === null,
    breakevens: profile.breakevens.map((b) => fmt(b.toDecimalPlaces(2))),
    explanation,
  };
}
