import type { ApiKeyScope, Role } from './roles.ts';

export interface UserEventOf<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

export type UserRegistered = UserEventOf<
  'UserRegistered',
  {
    readonly userId: string;
    readonly email: string;
    readonly displayName: string;
    readonly passwordHash: string;
    readonly roles: readonly Role[];
    readonly at: string;
  }
>;
export type LoginSucceeded = UserEventOf<'LoginSucceeded', { readonly at: string }>;
export type LoginFailed = UserEventOf<
  'LoginFailed',
  { readonly at: string; readonly consecutiveFailures: number }
>;
export type RefreshTokenIssued = UserEventOf<
  'RefreshTokenIssued',
  {
    readonly familyId: string;
    readonly tokenHash: string;
    readonly expiresAt: string;
    readonly at: string;
  }
>;
/** A refresh token already exchanged was presented again: the family is revoked. */
export type RefreshTokenReuseDetected = UserEventOf<
  'RefreshTokenReuseDetected',
  { readonly familyId: string; readonly at: string }
>;
export type RefreshFamilyRevoked = UserEventOf<
  'RefreshFamilyRevoked',
  {
    readonly familyId: string;
    readonly reason: 'logout' | 'reuse' | 'password_changed';
    readonly at: string;
  }
>;
export type PasswordChanged = UserEventOf<
  'PasswordChanged',
  { readonly passwordHash: string; readonly at: string }
>;
export type ProfileUpdated = UserEventOf<
  'ProfileUpdated',
  { readonly displayName: string; readonly at: string }
>;
export type RoleGranted = UserEventOf<'RoleGranted', { readonly role: Role; readonly at: string }>;
export type RoleRevoked = UserEventOf<'RoleRevoked', { readonly role: Role; readonly at: string }>;
export type ApiKeyCreated = UserEventOf<
  'ApiKeyCreated',
  {
    readonly keyId: string;
    readonly name: string;
    readonly secretHash: string;
    readonly scopes: readonly ApiKeyScope[];
    /** The account the key is bound to (`/v2` acts on it); absent for keys without one. */
    readonly accountId?: string;
    readonly at: string;
  }
>;
export type ApiKeyRevoked = UserEventOf<
  'ApiKeyRevoked',
  { readonly keyId: string; readonly at: string }
>;

export type UserEvent =
  | UserRegistered
  | LoginSucceeded
  | LoginFailed
  | RefreshTokenIssued
  | RefreshTokenReuseDetected
  | RefreshFamilyRevoked
  | PasswordChanged
  | ProfileUpdated
  | RoleGranted
  | RoleRevoked
  | ApiKeyCreated
  | ApiKeyRevoked;

/** Event types of the user stream (projections filter on them). */
export const USER_EVENT_TYPES: readonly UserEvent['type'][] = [
  'UserRegistered',
  'LoginSucceeded',
  'LoginFailed',
  'RefreshTokenIssued',
  'RefreshTokenReuseDetected',
  'RefreshFamilyRevoked',
  'PasswordChanged',
  'ProfileUpdated',
  'RoleGranted',
  'RoleRevoked',
  'ApiKeyCreated',
  'ApiKeyRevoked',
];
