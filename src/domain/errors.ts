/**
 * Codes for commands that are invalid for the account itself (not business rejections of an
 * order, which are `OrderRejected` events). The command layer maps these to 4xx problems.
 */
export type DomainErrorCode =
  | 'invalid_value'
  | 'invalid_amount'
  | 'invalid_command'
  | 'account_already_open'
  | 'account_not_open'
  | 'insufficient_funds'
  | 'order_not_found'
  | 'duplicate_order_id'
  | 'duplicate_client_order_id'
  | 'order_not_cancelable'
  | 'order_not_replaceable'
  | 'order_not_fillable'
  | 'order_not_triggerable'
  | 'order_not_expirable'
  | 'water_mark_not_applicable'
  | 'quote_symbol_mismatch'
  | 'invalid_replace'
  | 'corporate_action_not_applicable'
  | 'position_not_found'
  | 'option_not_exercisable'
  | 'option_not_expired';

/** A typed error thrown by deciders and value parsers; `code` is stable and machine-readable. */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The offending input field, when one can be named (for validation problems). */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Narrowing helper for callers that catch `unknown`. */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
