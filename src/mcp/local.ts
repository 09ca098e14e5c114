/**
 * Who `paper-trading mcp` (stdio) acts for. Without `PAPER_TRADING_API_KEY`: the local
 * trader, a user created on first run (`local-trader@paper-trading.local`, a random password
 * nobody is told — it signs in only through this local process) with a default account of
 * 100,000 USD. Both live in the configured store (PGlite in `DATA_DIR`, or `DATABASE_URL`),
 * so later runs find them again: creating them is idempotent, and the account id is derived
 * from the user id so two first runs cannot open two accounts. With the variable set: the
 * owner of that API key, with its scopes, and no default account unless the owner has
 * exactly one.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AccountService } from '../commands/accounts.ts';
import type { Principal } from '../commands/policy.ts';
import { AuthError, type UserService } from '../commands/users.ts';
import { DomainError } from '../domain/errors.ts';
import type { McpIdentity } from './session.ts';

export const LOCAL_TRADER_EMAIL = 'local-trader@paper-trading.local';
export const LOCAL_ACCOUNT_NAME = 'Local paper account';
export const LOCAL_INITIAL_CASH = '100000';

export interface LocalIdentityDeps {
  readonly users: Pick<UserService, 'findUserIdByEmail' | 'register' | 'authenticate'>;
  readonly accounts: Pick<AccountService, 'load' | 'openAccount'>;
}

/** A UUID (version 5 layout) derived from a name: the same name always gives the same id. */
export function derivedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The default account id of a local user. */
export function localAccountId(userId: string): string {
  return derivedUuid(`open-paper-trading:local-default-account:${userId}`);
}

const SYSTEM = { actor: 'system', source: 'mcp' as const };

async function localUserId(users: LocalIdentityDeps['users']): Promise<string> {
  const found = await users.findUserIdByEmail(LOCAL_TRADER_EMAIL);
  if (found !== undefined) return found;
  try {
    const created = await users.register(
      {
        email: LOCAL_TRADER_EMAIL,
        password: randomBytes(32).toString('base64url'),
        displayName: 'Local trader',
        roles: ['trader'],
      },
      { ...SYSTEM, role: 'system', correlationId: randomUUID() },
    );
    return created.userId;
  } catch (error) {
    // Another process registered it first.
    if (error instanceof AuthError && error.code === 'email_taken') {
      const userId = await users.findUserIdByEmail(LOCAL_TRADER_EMAIL);
      if (userId !== undefined) return userId;
    }
    throw error;
  }
}

/** The local trader and its default account, created when missing. */
export async function localIdentity(deps: LocalIdentityDeps): Promise<McpIdentity> {
  const userId = await localUserId(deps.users);
  const accountId = localAccountId(userId);
  const { state } = await deps.accounts.load(accountId);
  if (state.status === 'none') {
    try {
      await deps.accounts.openAccount(
        {
          accountId,
          ownerId: userId,
          name: LOCAL_ACCOUNT_NAME,
          initialCash: LOCAL_INITIAL_CASH,
        },
        { ...SYSTEM, correlationId: randomUUID() },
      );
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'account_already_open')) throw error;
    }
  }
  const principal: Principal = { userId, roles: ['trader'], via: 'cli' };
  return {
    principal,
    defaultAccountId: accountId,
    description: `the local trader (${LOCAL_TRADER_EMAIL})`,
  };
}

/** The owner of an API key; throws a message naming the variable when it is not valid. */
export async function apiKeyIdentity(
  deps: Pick<LocalIdentityDeps, 'users'>,
  apiKey: string,
): Promise<McpIdentity> {
  const principal = await deps.users.authenticate(apiKey.trim());
  if (principal === undefined) {
    throw new Error(
      'PAPER_TRADING_API_KEY is not a valid API key here: it is mistyped, revoked, or was issued by a server with another DATA_DIR / DATABASE_URL',
    );
  }
  return {
    principal,
    description: `user ${principal.userId} with API key ${principal.keyId ?? ''}`.trim(),
  };
}
