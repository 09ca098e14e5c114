import { DomainError } from './errors.ts';

/**
 * Ids are generated outside the domain (UUIDs in practice) and arrive on commands, so the
 * decider stays deterministic. These checks only guard against empty or unprintable ids.
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Alpaca limits `client_order_id` to 128 characters. */
export const CLIENT_ORDER_ID_MAX = 128;

/** True for an id we accept for accounts, orders and fills. */
export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** Throws `invalid_command` naming the field when an id is malformed. */
export function assertId(value: string, field: string): string {
  if (!isValidId(value)) {
    throw new DomainError('invalid_command', `${field} is not a valid id: "${value}"`, field);
  }
  return value;
}

/** Client order ids are free text chosen by the client, but bounded and printable. */
export function isValidClientOrderId(value: string): boolean {
  return value.length > 0 && value.length <= CLIENT_ORDER_ID_MAX && /^[\x21-\x7e]+$/.test(value);
}

/** The account stream name: the account is the consistency boundary for trading. */
export function accountStream(accountId: string): string {
  return `account-${accountId}`;
}
