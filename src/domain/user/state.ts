import type { ApiKeyScope, Role } from './roles.ts';

export interface RefreshFamily {
  /** Hash of the one token of the family that may be exchanged next. */
  readonly currentHash: string;
  /** Hashes already exchanged: presenting one again is reuse. */
  readonly usedHashes: readonly string[];
  readonly expiresAt: string;
  readonly revoked: boolean;
}

export interface ApiKey {
  readonly keyId: string;
  readonly name: string;
  readonly secretHash: string;
  readonly scopes: readonly ApiKeyScope[];
  /** The account the key is bound to, if any. */
  readonly accountId: string | undefined;
  readonly createdAt: string;
  readonly revokedAt: string | undefined;
}

export interface RegisteredUser {
  readonly status: 'registered';
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly passwordChangedAt: string;
  readonly roles: readonly Role[];
  readonly createdAt: string;
  readonly consecutiveFailures: number;
  readonly lastFailureAt: string | undefined;
  readonly lastLoginAt: string | undefined;
  readonly families: ReadonlyMap<string, RefreshFamily>;
  readonly apiKeys: ReadonlyMap<string, ApiKey>;
}

export type UserState = { readonly status: 'none' } | RegisteredUser;

export function initialState(): UserState {
  return { status: 'none' };
}
