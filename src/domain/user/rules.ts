import { UserError } from './errors.ts';

/**
 * Pure rules of the user aggregate that callers apply before building a command: email
 * normalization, the password policy and the login back-off schedule.
 */

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,63}$/;

/**
 * Trims and lower-cases an address (NFC first). The local part is lower-cased too: providers
 * that distinguish case are vanishingly rare and treating `Bob@x` and `bob@x` as two accounts
 * invites takeover confusion. Throws `invalid_value` naming `email` when it is not an address.
 */
export function normalizeEmail(raw: string): string {
  const email = raw.normalize('NFC').trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new UserError('invalid_value', 'email must be a valid e-mail address', 'email');
  }
  return email;
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Password policy (NIST SP 800-63B): 12 to 256 characters, not only one repeated character,
 * not the e-mail address. No composition rules — length is what matters.
 * Returns the problem in words, or undefined when the password is acceptable.
 */
export function passwordProblem(password: string, email?: string): string | undefined {
  const length = Array.from(password).length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `password must be at least ${PASSWORD_MIN_LENGTH} characters long (got ${length})`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `password must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  }
  if (new Set(password).size <= 2) return 'password must not repeat one or two characters';
  if (email !== undefined && password.trim().toLowerCase() === email.toLowerCase()) {
    return 'password must not be the e-mail address';
  }
  return undefined;
}

/** Throws `weak_password` naming `password` when the policy refuses it. */
export function assertPasswordPolicy(password: string, email?: string): void {
  const problem = passwordProblem(password, email);
  if (problem !== undefined) throw new UserError('weak_password', problem, 'password');
}

/** Failed logins allowed before the back-off starts. */
export const FREE_LOGIN_FAILURES = 3;
/** Longest wait the back-off imposes. */
export const MAX_LOGIN_DELAY_SECONDS = 900;

/**
 * Seconds to wait after the last failure before the next attempt is considered:
 * 0 for the first three failures, then 2, 4, 8 … seconds, capped at 15 minutes.
 */
export function loginDelaySeconds(consecutiveFailures: number): number {
  const over = consecutiveFailures - FREE_LOGIN_FAILURES;
  if (over < 0) return 0;
  return Math.min(MAX_LOGIN_DELAY_SECONDS, 2 ** (over + 1));
}

/** Seconds until a login may be tried again (0 = now), from the failure count and time. */
export function loginRetryAfter(
  consecutiveFailures: number,
  lastFailureAt: string | undefined,
  now: string,
): number {
  if (lastFailureAt === undefined) return 0;
  const until = Date.parse(lastFailureAt) + loginDelaySeconds(consecutiveFailures) * 1000;
  return Math.max(0, Math.ceil((until - Date.parse(now)) / 1000));
}
