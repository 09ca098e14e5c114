/**
 * Every way a tool call can fail, as a message a model can act on: a stable `code`, the
 * argument at fault when there is one, and the fix. Tools return these as `isError: true`
 * results; nothing here is a protocol error.
 */
import { PolicyError } from '../commands/policy.ts';
import { DomainError } from '../domain/errors.ts';
import { REJECTION_MESSAGES, type RejectionReason } from '../domain/rejections.ts';
import { UserError } from '../domain/user/errors.ts';
import { UnknownSymbolError } from '../market/port.ts';
import { ProjectionTimeout } from '../projections/runner.ts';
import { InvalidCursor } from '../projections/trading-views.ts';
import { ToolInputError } from './args.ts';

/** A refused or failed tool call. */
export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** A tool was called before the venue finished starting, or after it failed to start. */
export class VenueNotReady extends Error {
  override readonly name = 'VenueNotReady';
}

/** Domain field names → the argument names of the tools. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  orderId: 'order_id',
  qty: 'quantity',
  limitPrice: 'limit_price',
  stopPrice: 'stop_price',
  trail: 'trail_percent',
  trailPrice: 'trail_amount',
  trailPercent: 'trail_percent',
  timeInForce: 'time_in_force',
  clientOrderId: 'client_order_id',
  extendedHours: 'extended_hours',
  accountId: 'account_id',
};

function argumentName(field: string | undefined): string | undefined {
  return field === undefined ? undefined : (FIELD_NAMES[field] ?? field);
}

/**
 * The argument an order rejection is about and what to do instead. Reasons about the order
 * as written (input) are answered before anything is written; the others are recorded
 * business rejections.
 */
export const REJECTION_ADVICE: Readonly<
  Partial<Record<RejectionReason, { readonly field?: string; readonly fix: string }>>
> = {
  invalid_symbol: { field: 'symbol', fix: 'Pass a US stock ticker such as "AAPL".' },
  unknown_symbol: {
    field: 'symbol',
    fix: 'This venue lists a fixed universe of simulated stocks; get_quote tells whether a ticker is listed.',
  },
  asset_not_tradable: { field: 'symbol', fix: 'Choose another symbol.' },
  instrument_not_supported: { fix: 'Use a stock ticker with these stock tools.' },
  invalid_quantity: { field: 'quantity', fix: 'Pass a positive number of shares.' },
  fractional_not_allowed: {
    field: 'quantity',
    fix: 'Use a whole number of shares, or a market order with time_in_force "day" on a fractionable stock.',
  },
  invalid_price: { fix: 'Pass every price the order type needs as a positive number.' },
  invalid_tick_size: {
    fix: 'Round limit_price / stop_price to whole cents (2 decimals) at or above $1.00, or to at most 4 decimals below $1.00.',
  },
  invalid_trail: {
    fix: 'Pass exactly one of trail_percent (between 0 and 100) or trail_amount (dollars).',
  },
  invalid_time_in_force: {
    field: 'time_in_force',
    fix: 'Use "day" or "gtc" for this order (ioc/fok need a market or limit order; opg/cls only market or limit).',
  },
  invalid_extended_hours: {
    field: 'extended_hours',
    fix: 'Extended hours need a limit order with time_in_force "day"; drop extended_hours otherwise.',
  },
  invalid_order_class: { fix: 'Check the order class and its legs.' },
  invalid_bracket_prices: {
    fix: 'Put the take-profit beyond the entry and the stop-loss on the other side.',
  },
  market_closed: {
    fix: 'Wait for the session (market_hours gives the next open), or use a limit order with extended_hours during pre/post-market.',
  },
  auction_closed: { field: 'time_in_force', fix: 'Use "day" or wait for the next auction.' },
  symbol_halted: { field: 'symbol', fix: 'Wait until trading resumes, or cancel and retry later.' },
  no_quote: { field: 'symbol', fix: 'Retry in a moment; get_quote shows whether a quote exists.' },
  insufficient_buying_power: {
    field: 'quantity',
    fix: 'Buy fewer shares or cancel open orders that reserve buying power (account_info shows buying power).',
  },
  insufficient_position: {
    field: 'quantity',
    fix: 'Sell at most the shares you hold that are not already reserved by other open sell orders (see positions and open_stock_orders).',
  },
  short_not_allowed: { field: 'quantity', fix: 'Sell at most the shares you hold.' },
  not_easy_to_borrow: {
    field: 'symbol',
    fix: 'Short another symbol or sell only shares you hold.',
  },
  position_limit_exceeded: { field: 'quantity', fix: 'Trade a smaller quantity.' },
  order_notional_limit_exceeded: { field: 'quantity', fix: 'Trade a smaller quantity.' },
  exposure_limit_exceeded: {
    field: 'quantity',
    fix: 'Trade a smaller quantity or reduce positions.',
  },
  duplicate_client_order_id: {
    field: 'client_order_id',
    fix: 'Use a new client_order_id for a new order.',
  },
  fok_not_fillable: {
    field: 'quantity',
    fix: 'Use a smaller quantity, or time_in_force "day" to accept partial fills.',
  },
};

/** Rejections about the order as written: refused before anything is written. */
export const INPUT_REJECTIONS: ReadonlySet<RejectionReason> = new Set<RejectionReason>([
  'invalid_symbol',
  'unknown_symbol',
  'instrument_not_supported',
  'invalid_quantity',
  'fractional_not_allowed',
  'invalid_price',
  'invalid_tick_size',
  'invalid_trail',
  'invalid_time_in_force',
  'invalid_extended_hours',
  'invalid_order_class',
  'invalid_bracket_prices',
]);

/** The failure a rejection reason stands for. */
export function rejectionFailure(reason: RejectionReason): ToolFailure {
  const advice = REJECTION_ADVICE[reason];
  return new ToolFailure(reason, REJECTION_MESSAGES[reason], advice?.field, advice?.fix);
}

const DOMAIN_FIXES: Readonly<Record<string, string>> = {
  order_not_found: 'Check order_id: stock_orders lists your orders and their ids.',
  order_not_cancelable:
    'The order is already filled, canceled, expired or replaced; stock_orders shows its status.',
  order_not_replaceable:
    'Only open orders can be replaced; stock_orders shows its status. Place a new order instead.',
  invalid_replace:
    'Change at least one of quantity, limit_price, stop_price, trail or time_in_force.',
  account_not_open: 'account_info lists the accounts you can use.',
  insufficient_funds: 'account_info shows the cash available.',
};

/** Turns anything thrown by a tool into a `ToolFailure`; `undefined` for unexpected errors. */
export function toFailure(error: unknown): ToolFailure | undefined {
  if (error instanceof ToolFailure) return error;
  if (error instanceof ToolInputError) {
    return new ToolFailure(error.code, error.message, error.field, error.fix);
  }
  if (error instanceof PolicyError) {
    if (error.kind === 'not_found') {
      // Every tool is scoped to an account: a hidden resource is the account, unless the
      // command layer named an order or a position.
      if (error.code.startsWith('order')) {
        return new ToolFailure(error.code, error.message, 'order_id', DOMAIN_FIXES.order_not_found);
      }
      if (error.code.startsWith('position')) {
        return new ToolFailure(
          error.code,
          error.message,
          'symbol',
          'positions lists what you hold.',
        );
      }
      return new ToolFailure(
        'account_not_found',
        'The account does not exist or is not yours',
        'account_id',
        'Omit account_id to use your default account; account_info lists your accounts.',
      );
    }
    return new ToolFailure(
      error.code,
      error.message,
      undefined,
      'Your credentials do not allow this: trading needs the trader role and, with an API key, the trade scope.',
    );
  }
  if (error instanceof DomainError) {
    return new ToolFailure(
      error.code,
      error.message,
      argumentName(error.field),
      DOMAIN_FIXES[error.code],
    );
  }
  if (error instanceof UserError) {
    return new ToolFailure(error.code, error.message, argumentName(error.field));
  }
  if (error instanceof UnknownSymbolError) {
    return new ToolFailure(
      'unknown_symbol',
      `${error.symbol} is not listed on this venue`,
      'symbol',
      REJECTION_ADVICE.unknown_symbol?.fix,
    );
  }
  if (error instanceof InvalidCursor) {
    return new ToolFailure(
      error.code,
      error.message,
      'cursor',
      'Omit cursor to start from the first page.',
    );
  }
  if (error instanceof VenueNotReady) {
    return new ToolFailure('venue_not_ready', error.message, undefined, 'Retry in a few seconds.');
  }
  if (error instanceof ProjectionTimeout) {
    return new ToolFailure(
      error.code,
      'The read models are still catching up with recent changes',
      undefined,
      'Retry in a few seconds.',
    );
  }
  return undefined;
}

/** The text of an error result: what went wrong, the argument, the fix. */
export function failureText(failure: ToolFailure, marketNote: string): string {
  const about =
    failure.field === undefined || failure.message.includes(`"${failure.field}"`)
      ? ''
      : ` in argument "${failure.field}"`;
  const parts = [sentence(`Error (${failure.code})${about}: ${failure.message}`)];
  if (failure.fix !== undefined) parts.push(sentence(`Fix: ${failure.fix}`));
  if (failure.code !== 'internal_error') parts.push('Nothing was changed.');
  if (marketNote !== '') parts.push(marketNote);
  return parts.join(' ');
}

/** Ends a phrase with a full stop unless it already ends a sentence. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
