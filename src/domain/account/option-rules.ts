/**
 * Pre-trade checks of option orders, single-leg and multi-leg alike, like a broker's options
 * approval levels (`settings.optionsLevel`):
 *
 * 1. each leg's contract is valid and not expired; whether it opens or closes follows from the
 *    position (and must match a `positionIntent` given); closing never sells more than is held
 *    and never flips a position;
 * 2. buying to open needs level 2; leaving more short calls uncovered (neither by shares nor
 *    by long calls) than before needs level 3;
 * 3. buying power: long premium is paid in full, and short legs add the collateral the
 *    collateral rules require (a cash-secured put its strike, a spread its width, a covered
 *    call nothing), both computed with every open option order as if it filled. What the order
 *    holds back while open — premium plus added collateral, less what it frees, never below
 *    zero — is recorded on it as `collateral` per unit.
 */
import { Dec } from '../decimal.ts';
import { estimateCommission, touchPrice } from '../fill-model.ts';
import type { OptionInstrument } from '../instrument.ts';
import type { MarketContext, Quote } from '../market.ts';
import { dec } from '../money.ts';
import { optionRequirement } from '../options/collateral.ts';
import { contractOf, isExpiredAt, type OptionContract } from '../options/contract.ts';
import { isValidOptionTick } from '../options/listing.ts';
import { optionExposures, sharesFree, workingRequirement } from './option-exposure.ts';
import type { OrderSide, PositionIntent } from './order.ts';
import { priceOrReject, reject } from './rules.ts';
import { optionsLevelOf, type AccountSettings } from './settings.ts';
import {
  availableToSell,
  buyingPower,
  grossExposure,
  isOpenBuyOn,
  positionQty,
  type AccountState,
} from './state.ts';

/** One leg of an option order as the checks see it. */
export interface OptionLegInput {
  readonly instrument: OptionInstrument;
  readonly side: OrderSide;
  /** Contracts for the whole order. */
  readonly qty: Dec;
  readonly positionIntent?: PositionIntent;
}

/** A checked leg. */
export interface CheckedLeg extends OptionLegInput {
  readonly contract: OptionContract;
  readonly positionIntent: PositionIntent;
}

/** The outcome of the checks. */
export interface OptionCheck {
  readonly legs: readonly CheckedLeg[];
  /** Dollars held back per unit of the order's quantity while it is open (cents, rounded up). */
  readonly collateral: Dec;
}

/** Parses an option limit price: positive, on the option tick grid ($0.01 below $3, $0.05 above). */
export function optionPriceOrReject(input: string): Dec {
  return priceOrReject(input, isValidOptionTick);
}

/**
 * The per-share price an option order is expected to trade at, debit positive: the limit when
 * there is one, else the touch with the account's market-order buffer against the trader
 * (buys at the ask plus the buffer, sells at the bid less it).
 */
export function estimatedLegPrice(side: OrderSide, quote: Quote, settings: AccountSettings): Dec {
  const buffer = dec(settings.marketOrderBuffer);
  const touch = touchPrice(side, quote);
  return side === 'buy' ? touch.times(buffer.plus(1)) : touch.times(new Dec(1).minus(buffer));
}

/** Opening or closing, from the position; rejects over-closing and flips. */
function intentOf(
  state: AccountState,
  leg: OptionLegInput,
  excludeOrderId: string | undefined,
): PositionIntent {
  const symbol = leg.instrument.occSymbol;
  const position = positionQty(state, symbol);
  if (leg.side === 'sell') {
    if (position.lte(0)) return 'sell_to_open';
    if (leg.qty.lte(availableToSell(state, symbol, excludeOrderId))) return 'sell_to_close';
    return reject('insufficient_position');
  }
  if (position.gte(0)) return 'buy_to_open';
  const closing = Object.values(state.orders)
    .filter((o) => o.id !== excludeOrderId && o.parentId !== excludeOrderId)
    .filter((o) => isOpenBuyOn(o, symbol))
    .reduce((s, o) => s.plus(dec(o.qty).minus(dec(o.filledQty))), new Dec(0));
  if (leg.qty.lte(position.abs().minus(closing))) return 'buy_to_close';
  return reject('position_intent_mismatch');
}

/**
 * Runs the checks for an order of `unitQty` units whose legs trade `legs` (contracts for the
 * whole order) at `netPrice` per share per unit (debit positive). `commissionInCollateral`
 * folds the legs' commission into the collateral (multi-leg parents, whose legs pay it).
 */
export function checkOptionOrder(
  legsIn: readonly OptionLegInput[],
  unitQty: Dec,
  netPrice: Dec,
  state: AccountState,
  market: MarketContext,
  options: { readonly excludeOrderId?: string; readonly commissionInCollateral?: boolean } = {},
): OptionCheck {
  const { excludeOrderId } = options;
  const settings = state.settings;
  const legs: CheckedLeg[] = legsIn.map((leg) => {
    const contract = contractOf(leg.instrument);
    if (contract === undefined) return reject('invalid_symbol');
    if (isExpiredAt(contract, market.now, market.sessionClose)) return reject('contract_expired');
    const inferred = intentOf(state, leg, excludeOrderId);
    if (leg.positionIntent !== undefined && leg.positionIntent !== inferred) {
      return reject('position_intent_mismatch');
    }
    return { ...leg, contract, positionIntent: inferred };
  });

  const level = optionsLevelOf(settings);
  if (level < 2 && legs.some((l) => l.positionIntent === 'buy_to_open')) {
    reject('options_level_insufficient');
  }
  const before = workingRequirement(state, excludeOrderId);
  const after = optionRequirement(
    [
      ...optionExposures(state, true, excludeOrderId),
      ...legs.map((l) => ({
        underlying: l.contract.underlying,
        right: l.contract.right,
        strike: dec(l.contract.strike),
        expiration: l.contract.expiration,
        qty: l.side === 'buy' ? l.qty : l.qty.negated(),
        multiplier: l.contract.multiplier,
      })),
    ],
    (u) => sharesFree(state, u, excludeOrderId),
  );
  if (level < 3 && after.uncoveredCalls.gt(before.uncoveredCalls)) {
    reject('uncovered_call_not_allowed');
  }

  const multiplier = legs[0]?.contract.multiplier ?? 100;
  const cost = netPrice.times(multiplier).times(unitQty);
  const held = after.total.minus(before.total).plus(cost);
  const commission = legs.reduce(
    (sum, l) => sum.plus(estimateCommission(settings.fillModel.commission, l.qty)),
    new Dec(0),
  );
  const holds = held.isNegative() ? new Dec(0) : held;
  if (holds.plus(commission).gt(buyingPower(state, excludeOrderId))) {
    reject('insufficient_buying_power');
  }

  const limits = settings.limits;
  if (limits.maxOrderNotional !== null && cost.abs().gt(dec(limits.maxOrderNotional))) {
    reject('order_notional_limit_exceeded');
  }
  if (limits.maxPositionQty !== null) {
    for (const l of legs) {
      const pos = positionQty(state, l.instrument.occSymbol);
      const next = pos.plus(l.side === 'buy' ? l.qty : l.qty.negated());
      if (next.abs().gt(dec(limits.maxPositionQty)) && next.abs().gt(pos.abs())) {
        reject('position_limit_exceeded');
      }
    }
  }
  const opens = legs.some((l) => l.positionIntent.endsWith('open'));
  if (limits.maxGrossExposure !== null && opens) {
    if (grossExposure(state).plus(cost.abs()).gt(dec(limits.maxGrossExposure))) {
      reject('exposure_limit_exceeded');
    }
  }
  const total = options.commissionInCollateral === true ? holds.plus(commission) : holds;
  return {
    legs,
    collateral: total.dividedBy(unitQty).toDecimalPlaces(2, Dec.ROUND_CEIL),
  };
}
