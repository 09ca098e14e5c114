/** Codes of commands the user aggregate refuses; the command layer maps them to 4xx problems. */
export type UserErrorCode =
  | 'invalid_value'
  | 'weak_password'
  | 'user_already_registered'
  | 'user_not_found'
  | 'refresh_token_invalid'
  | 'api_key_not_found'
  | 'api_key_exists'
  | 'last_role'
  | 'invalid_account';

/** A typed error thrown by the user decider and its rules; nothing is written when it is thrown. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
    /** The offending input field, when one can be named. */
    readonly field?: string,
  ) {
    super(message);
  }
}
