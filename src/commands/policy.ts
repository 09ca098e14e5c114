import type { ApiKeyScope, Role } from '../domain/user/roles.ts';

/**
 * Authorization, decided in the command layer so every interface (REST, MCP, CLI) gets the same
 * answer. Rules: traders trade their own accounts; viewers read their own; auditors read every
 * account, event stream and the audit log, read-only; admins manage users (and read like
 * auditors). A resource of another tenant is reported as not found, never as forbidden, so its
 * existence does not leak.
 */

/** Who is acting, as authenticated. */
export interface Principal {
  readonly userId: string;
  /** Current roles (loaded from the user stream, not trusted from a token). */
  readonly roles: readonly Role[];
  readonly via: 'access_token' | 'api_key' | 'cli' | 'system';
  /** API keys only: what the key may do. */
  readonly scopes?: readonly ApiKeyScope[];
  readonly keyId?: string;
  /** API keys only: the account the key is bound to (the account `/v2` acts on). */
  readonly accountId?: string;
}

export type Action =
  /** Read one's own profile. */
  | 'self.read'
  /** Change one's own profile. */
  | 'self.update'
  /** Change one's password, create or revoke API keys (never with an API key). */
  | 'self.credentials'
  /** Open an account for oneself. */
  | 'account.open'
  /** Place, replace or cancel orders, deposit, withdraw on an account. */
  | 'account.trade'
  /** Read an account, its orders, positions and fills. */
  | 'account.read'
  /** Read raw event streams. */
  | 'events.read'
  /** Query the audit log. */
  | 'audit.read'
  /** Create users, grant and revoke roles. */
  | 'users.manage';

/** The owner of the resource an action targets, when it has one. */
export interface Resource {
  readonly ownerId: string;
}

/** Refused by policy: `not_found` for another tenant's resource, `forbidden` otherwise. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly kind: 'not_found' | 'forbidden',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const READERS: readonly Role[] = ['auditor', 'admin'];

function has(principal: Principal, ...roles: Role[]): boolean {
  return principal.roles.some((role) => roles.includes(role));
}

function scoped(principal: Principal, scope: ApiKeyScope): boolean {
  if (principal.via !== 'api_key') return true;
  const scopes = principal.scopes ?? [];
  // A trading key can also read what it trades.
  return scopes.includes(scope) || (scope === 'read' && scopes.includes('trade'));
}

/** Whether `principal` may do `action` (on `resource`), with the reason when not. */
export function decideAccess(
  principal: Principal,
  action: Action,
  resource?: Resource,
): PolicyError | undefined {
  const owns = resource !== undefined && resource.ownerId === principal.userId;
  const forbidden = (why: string): PolicyError => new PolicyError('forbidden', 'forbidden', why);
  const hidden = (): PolicyError =>
    new PolicyError('not_found', 'not_found', 'The resource does not exist');
  switch (action) {
    case 'self.read':
      return scoped(principal, 'read') ? undefined : forbidden('The API key lacks the read scope');
    case 'self.update':
    case 'self.credentials':
      return principal.via === 'api_key'
        ? forbidden('API keys cannot change credentials or the profile; sign in with a password')
        : undefined;
    case 'account.open':
      if (!has(principal, 'trader')) return forbidden('Opening accounts needs the trader role');
      return scoped(principal, 'trade')
        ? undefined
        : forbidden('The API key lacks the trade scope');
    case 'account.trade':
      if (!owns) return has(principal, ...READERS) ? forbidden('Read-only access') : hidden();
      if (!has(principal, 'trader')) return forbidden('Trading needs the trader role');
      return scoped(principal, 'trade')
        ? undefined
        : forbidden('The API key lacks the trade scope');
    case 'account.read':
      if (!owns && !has(principal, ...READERS)) return hidden();
      return scoped(principal, 'read') ? undefined : forbidden('The API key lacks the read scope');
    case 'events.read':
    case 'audit.read':
      if (!has(principal, ...READERS)) return forbidden('Needs the auditor or admin role');
      return scoped(principal, 'read') ? undefined : forbidden('The API key lacks the read scope');
    case 'users.manage':
      if (!has(principal, 'admin')) return forbidden('Needs the admin role');
      return principal.via === 'api_key' ? forbidden('API keys cannot manage users') : undefined;
  }
}

/** Throws the `PolicyError` of `decideAccess`. */
export function authorize(principal: Principal, action: Action, resource?: Resource): void {
  const refusal = decideAccess(principal, action, resource);
  if (refusal) throw refusal;
}

/** The `actor` recorded on events: `user:{id}` or `apikey:{keyId}`. */
export function actorOf(principal: Principal): string {
  if (principal.via === 'api_key' && principal.keyId) return `apikey:${principal.keyId}`;
  if (principal.via === 'system') return 'system';
  return `user:${principal.userId}`;
}

/** The roles recorded on events and in the audit log. */
export function roleOf(principal: Principal): string {
  return principal.roles.join(',');
}

/** The principal of the CLI and of start-up tasks: an admin acting on the local machine. */
export const SYSTEM_PRINCIPAL: Principal = { userId: 'system', roles: ['admin'], via: 'system' };
