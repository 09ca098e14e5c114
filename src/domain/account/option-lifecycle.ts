/**
 * How option positions end other than by trading: early exercise by the holder (American
 * style), and at the close of the expiration day automatic exercise of long positions in the
 * money by at least $0.01, assignment of short ones the same way, and expiry of the rest at
 * zero. Exercise and assignment deliver 100 shares per contract at the strike: the option is
 * closed at its intrinsic value and the shares trade at the underlying price, so the cash that
 * moves is exactly the strike × shares, and the P&L splits into the option's and the shares'.
 */
import { Dec } from '../decimal.ts';
import { DomainError } from '../errors.ts';
import { equity, type OptionInstrument } from '../instrument.ts';
import { dec, fmt, parseDecimal } from '../money.ts';
import {
  contractOf,
  intrinsicValue,
  isExpiredAt,
  type OptionContract,
} from '../options/contract.ts';
import { EventBatch, type Decision } from './batch.ts';
import type { ExerciseOption, SettleExpiredOption } from './commands.ts';
import type { AccountEvent, OptionSettlementData } from './events.ts';
import { positionRequirement } from './option-exposure.ts';
import { applyTrade } from './position.ts';
import { optionsLevelOf } from './settings.ts';
import { availableToSell, buyingPower, type AccountState, type Position } from './state.ts';

/** An option in the money by at least this much per share is exercised (and assigned) at expiry. */
export const AUTO_EXERCISE_THRESHOLD = new Dec('0.01');

function optionPosition(
  state: AccountState,
  symbol: string,
): {
  readonly position: Position;
  readonly instrument: OptionInstrument;
  readonly contract: OptionContract;
} {
  const position = state.positions[symbol];
  if (position === undefined || position.instrument.kind !== 'option') {
    throw new DomainError('position_not_found', `no option position in ${symbol}`, 'symbol');
  }
  const contract = contractOf(position.instrument);
  if (contract === undefined) {
    throw new DomainError('invalid_command', `${symbol} is not an OCC option symbol`, 'symbol');
  }
  return { position, instrument: position.instrument, contract };
}

/**
 * The settlement of `qty` contracts of a position at underlying price `price`: `deliver`
 * false closes them at zero (expired worthless).
 */
function settlement(
  state: AccountState,
  held: ReturnType<typeof optionPosition>,
  qty: Dec,
  price: Dec,
  deliver: boolean,
  reason: OptionSettlementData['reason'],
  at: string,
): OptionSettlementData {
  const { position, instrument, contract } = held;
  const long = dec(position.qty).isPositive();
  const m = contract.multiplier;
  const intrinsic = intrinsicValue(contract, price);
  // Delivering transfers S − K (calls) or K − S (puts) per share: negative when a holder
  // exercises out of the money, which destroys that much value.
  const strike = dec(contract.strike);
  const exerciseValue = contract.right === 'call' ? price.minus(strike) : strike.minus(price);
  const closePrice = deliver ? exerciseValue : new Dec(0);
  const option = applyTrade(position, instrument, long ? qty.negated() : qty, closePrice);
  let shares: OptionSettlementData['shares'] = null;
  let cash = new Dec(0);
  let sharesRealized = new Dec(0);
  if (deliver) {
    // A call delivers shares to its holder, a put takes them; the writer does the opposite.
    const receives = (contract.right === 'call') === long;
    const signed = qty.times(m).times(receives ? 1 : -1);
    const stockSymbol = contract.underlying;
    const stock = applyTrade(state.positions[stockSymbol], equity(stockSymbol), signed, price);
    cash = signed.times(dec(contract.strike)).negated();
    sharesRealized = stock.realized;
    shares = {
      symbol: stockSymbol,
      qty: fmt(signed),
      price: fmt(price),
      realizedPnl: fmt(stock.realized),
      position: { qty: fmt(stock.qty), costBasis: fmt(stock.costBasis) },
    };
  }
  return {
    symbol: contract.symbol,
    underlying: contract.underlying,
    right: contract.right,
    strike: contract.strike,
    expiration: contract.expiration,
    multiplier: m,
    qty: fmt(qty),
    underlyingPrice: fmt(price),
    intrinsicValue: fmt(intrinsic),
    reason,
    optionRealizedPnl: fmt(option.realized),
    position: { qty: fmt(option.qty), costBasis: fmt(option.costBasis) },
    shares,
    cashDelta: fmt(cash),
    realizedPnl: fmt(option.realized.plus(sharesRealized)),
    at,
  };
}

/**
 * Early exercise of long contracts, priced at the underlying's last trade. A call needs the
 * cash for the strike (buying power must stay non-negative); a put needs the shares it sells,
 * or a margin account that may short.
 */
export function exerciseOption(d: ExerciseOption['data'], state: AccountState): Decision {
  const held = optionPosition(state, d.symbol);
  const { position, contract } = held;
  if (!dec(position.qty).isPositive()) {
    throw new DomainError(
      'option_not_exercisable',
      `the position in ${d.symbol} is short: only the holder of a long option can exercise it`,
      'symbol',
    );
  }
  const quote = d.market.underlyingQuote;
  if (quote === undefined || quote.symbol !== contract.underlying || !dec(quote.last).gt(0)) {
    throw new DomainError(
      'invalid_command',
      `no price for ${contract.underlying} to exercise against`,
      'market.underlyingQuote',
    );
  }
  if (isExpiredAt(contract, d.market.now, d.market.sessionClose)) {
    throw new DomainError('option_not_exercisable', `${d.symbol} has expired`, 'symbol');
  }
  const available = availableToSell(state, d.symbol);
  let qty = available;
  if (d.qty !== undefined) {
    qty = parseDecimal(d.qty, 'qty');
    if (!qty.isInteger() || qty.lte(0)) {
      throw new DomainError('invalid_value', 'qty must be a whole number of contracts', 'qty');
    }
  }
  if (qty.lte(0) || qty.gt(available)) {
    throw new DomainError(
      'option_not_exercisable',
      `only ${fmt(available)} contracts of ${d.symbol} can be exercised (the rest are promised to open sell orders)`,
      'qty',
    );
  }
  const price = dec(quote.last);
  const data = settlement(state, held, qty, price, true, 'early_exercise', d.market.now);
  const batch = EventBatch.of(state, [{ type: 'OptionExercised', data }]);
  if (contract.right === 'put') {
    const shares = state.positions[contract.underlying];
    const owned = shares === undefined ? new Dec(0) : dec(shares.qty);
    const shortable = state.settings.accountType === 'margin' && state.settings.shortingEnabled;
    if (owned.lt(qty.times(contract.multiplier)) && !shortable) {
      throw new DomainError(
        'option_not_exercisable',
        `exercising ${fmt(qty)} puts sells ${fmt(qty.times(contract.multiplier))} shares of ${contract.underlying}: hold them first`,
        'qty',
      );
    }
  }
  if (
    optionsLevelOf(state.settings) < 3 &&
    positionRequirement(batch.state).uncoveredCalls.gt(positionRequirement(state).uncoveredCalls)
  ) {
    throw new DomainError(
      'option_not_exercisable',
      `exercising ${fmt(qty)} ${d.symbol} would deliver shares that cover a short call, leaving it uncovered: uncovered calls need options level 3 (close the short call first)`,
      'qty',
    );
  }
  if (buyingPower(batch.state).isNegative()) {
    throw new DomainError(
      'insufficient_funds',
      `exercising costs ${fmt(dec(data.cashDelta).negated())} and the buying power does not cover it`,
      'qty',
    );
  }
  return batch;
}

/**
 * Settles an expired position after the close of its expiration day at the day's closing
 * price: long in the money by ≥ $0.01 → `OptionExercised`, short → `OptionAssigned`, otherwise
 * `OptionExpired` (closed at zero). Refused before the contract has expired.
 */
export function settleExpiredOption(d: SettleExpiredOption['data'], state: AccountState): Decision {
  const held = optionPosition(state, d.symbol);
  const { position, contract } = held;
  if (contract.expiration > d.sessionDate || Date.parse(d.at) < Date.parse(d.sessionClose)) {
    throw new DomainError(
      'option_not_expired',
      `${d.symbol} expires at the close of ${contract.expiration}`,
      'symbol',
    );
  }
  const price = parseDecimal(d.underlyingPrice, 'underlyingPrice');
  if (!price.gt(0)) {
    throw new DomainError('invalid_value', 'underlyingPrice must be positive', 'underlyingPrice');
  }
  const long = dec(position.qty).isPositive();
  const qty = dec(position.qty).abs();
  const inTheMoney = intrinsicValue(contract, price).gte(AUTO_EXERCISE_THRESHOLD);
  const data = settlement(state, held, qty, price, inTheMoney, 'expiration', d.at);
  const event: AccountEvent = !inTheMoney
    ? { type: 'OptionExpired', data }
    : long
      ? { type: 'OptionExercised', data }
      : { type: 'OptionAssigned', data };
  return EventBatch.of(state, [event]);
}
