/**
 * Machine-readable reasons an order is rejected (`OrderRejected.reason`). Stable: clients and
 * agents branch on them, so add new codes rather than renaming old ones.
 */
export const REJECTION_MESSAGES = {
  invalid_symbol: 'The symbol is not a valid instrument symbol.',
  unknown_symbol: 'The symbol is not known to this venue.',
  asset_not_tradable: 'The asset is not tradable.',
  instrument_not_supported: 'This instrument cannot be traded with the requested order.',
  invalid_quantity: 'The quantity must be a positive number.',
  fractional_not_allowed:
    'Fractional quantities are only allowed for market day orders on fractionable assets.',
  invalid_price: 'A required price is missing or not a positive number.',
  invalid_tick_size: 'The price has too many decimal places (2 at or above $1.00, 4 below $1.00).',
  invalid_trail: 'Exactly one of trail_price or trail_percent (between 0 and 100) is required.',
  invalid_time_in_force: 'The time in force is not allowed for this order type or class.',
  invalid_extended_hours: 'Extended-hours orders must be limit orders with time in force day.',
  invalid_order_class: 'The order class legs are missing or inconsistent.',
  invalid_bracket_prices:
    'Take-profit must be beyond the entry price and stop-loss on the other side of it.',
  market_closed: 'The market is closed for this order.',
  auction_closed: 'The auction for this time in force is no longer accepting orders.',
  symbol_halted: 'Trading in the symbol is halted.',
  no_quote: 'No quote is available to price this order.',
  insufficient_buying_power: 'The order exceeds the available buying power.',
  insufficient_position: 'The order sells more than the position available to sell.',
  short_not_allowed: 'Short selling is not allowed for this account.',
  not_easy_to_borrow: 'The symbol is not easy to borrow; no locate is available for a short sale.',
  position_limit_exceeded: 'The order would exceed the account position limit.',
  order_notional_limit_exceeded: 'The order value exceeds the account per-order limit.',
  exposure_limit_exceeded: 'The order would exceed the account gross exposure limit.',
  position_percent_limit_exceeded:
    'The position after the order would exceed the account limit in percent of equity.',
  net_exposure_limit_exceeded: 'The order would exceed the account net exposure limit.',
  daily_loss_limit_reached:
    'The account reached its daily loss limit: opening orders are refused for the rest of the trading day.',
  pattern_day_trader:
    'The order would be a 4th day trade within five sessions in a margin account with less than $25,000 equity (pattern-day-trader rule).',
  duplicate_client_order_id: 'The client_order_id has already been used by this account.',
  fok_not_fillable: 'A fill-or-kill order could not be filled completely at once.',
  // Options.
  options_level_insufficient:
    'The account options level does not allow this trade (level 1: covered calls and cash-secured puts; 2: also long calls and puts and defined-risk spreads; 3: also uncovered calls).',
  uncovered_call_not_allowed:
    'A short call must be covered by 100 shares per contract or by a long call of the same underlying expiring no earlier; uncovered calls need options level 3.',
  invalid_legs:
    'A multi-leg order needs 2 to 4 option legs on one underlying, each a different contract with a whole, positive ratio.',
  contract_expired: 'The option contract has expired.',
  position_intent_mismatch:
    'The order would open where it says close (or close where it says open), or close and open in one order; close the position first.',
} as const satisfies Record<string, string>;

/** A machine-readable order rejection reason. */
export type RejectionReason = keyof typeof REJECTION_MESSAGES;

/** All rejection reasons, for schemas and documentation. */
export const REJECTION_REASONS = Object.keys(REJECTION_MESSAGES) as readonly RejectionReason[];

/** The human message for a reason (shown to people and agents beside the code). */
export function rejectionMessage(reason: RejectionReason): string {
  return REJECTION_MESSAGES[reason];
}
