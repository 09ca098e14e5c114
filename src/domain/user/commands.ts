import type { ApiKeyScope, Role } from './roles.ts';

/** Emmett-style command: a `type` tag and data. Hashes and ids are made outside the decider. */
export interface UserCommand<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

export type RegisterUser = UserCommand<
  'RegisterUser',
  {
    readonly userId: string;
    /** Already normalized (`normalizeEmail`) and reserved by the caller. */
    readonly email: string;
    readonly displayName: string;
    /** argon2id PHC string; the password policy was checked before hashing. */
    readonly passwordHash: string;
    readonly roles: readonly Role[];
    readonly at: string;
  }
>;

/** A correct password was presented: resets the failure count and opens a refresh family. */
export type Login = UserCommand<
  'Login',
  {
    readonly familyId: string;
    readonly tokenHash: string;
    readonly expiresAt: string;
    readonly at: string;
  }
>;

export type RecordLoginFailure = UserCommand<'RecordLoginFailure', { readonly at: string }>;

/** Exchanges a refresh token for a new one in the same family. */
export type RotateRefreshToken = UserCommand<
  'RotateRefreshToken',
  {
    readonly familyId: string;
    /** sha-256 of the presented token. */
    readonly presentedHash: string;
    readonly tokenHash: string;
    readonly expiresAt: string;
    readonly at: string;
  }
>;

export type Logout = UserCommand<'Logout', { readonly familyId: string; readonly at: string }>;

export type ChangePassword = UserCommand<
  'ChangePassword',
  { readonly passwordHash: string; readonly at: string }
>;

export type UpdateProfile = UserCommand<
  'UpdateProfile',
  { readonly displayName: string; readonly at: string }
>;

export type GrantRole = UserCommand<'GrantRole', { readonly role: Role; readonly at: string }>;
export type RevokeRole = UserCommand<'RevokeRole', { readonly role: Role; readonly at: string }>;

export type CreateApiKey = UserCommand<
  'CreateApiKey',
  {
    readonly keyId: string;
    readonly name: string;
    /** sha-256 of the key's secret part (the secret is 256 random bits; see docs/security.md). */
    readonly secretHash: string;
    readonly scopes: readonly ApiKeyScope[];
    /** The account the key acts on by default (`/v2`); the caller checked it is the user's. */
    readonly accountId?: string;
    readonly at: string;
  }
>;

export type RevokeApiKey = UserCommand<
  'RevokeApiKey',
  { readonly keyId: string; readonly at: string }
>;

export type UserCommandUnion =
  | RegisterUser
  | Login
  | RecordLoginFailure
  | RotateRefreshToken
  | Logout
  | ChangePassword
  | UpdateProfile
  | GrantRole
  | RevokeRole
  | CreateApiKey
  | RevokeApiKey;
