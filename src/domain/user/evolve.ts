import type { UserEvent } from './events.ts';
import { initialState, type RefreshFamily, type RegisteredUser, type UserState } from './state.ts';

/** Folds one event into the user state. */
export function evolve(state: UserState, event: UserEvent): UserState {
  if (event.type === 'UserRegistered') {
    const d = event.data;
    return {
      status: 'registered',
      userId: d.userId,
      email: d.email,
      displayName: d.displayName,
      passwordHash: d.passwordHash,
      passwordChangedAt: d.at,
      roles: d.roles,
      createdAt: d.at,
      consecutiveFailures: 0,
      lastFailureAt: undefined,
      lastLoginAt: undefined,
      families: new Map(),
      apiKeys: new Map(),
    };
  }
  if (state.status !== 'registered') return state;
  return evolveRegistered(state, event);
}

function withFamily(
  user: RegisteredUser,
  familyId: string,
  update: (family: RefreshFamily | undefined) => RefreshFamily | undefined,
): RegisteredUser {
  const next = update(user.families.get(familyId));
  if (next === undefined) return user;
  const families = new Map(user.families);
  families.set(familyId, next);
  return { ...user, families };
}

function evolveRegistered(user: RegisteredUser, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return user;
    case 'LoginSucceeded':
      return {
        ...user,
        consecutiveFailures: 0,
        lastFailureAt: undefined,
        lastLoginAt: event.data.at,
      };
    case 'LoginFailed':
      return {
        ...user,
        consecutiveFailures: event.data.consecutiveFailures,
        lastFailureAt: event.data.at,
      };
    case 'RefreshTokenIssued': {
      const { familyId, tokenHash, expiresAt } = event.data;
      return withFamily(user, familyId, (family) => ({
        currentHash: tokenHash,
        usedHashes: family ? [...family.usedHashes, family.currentHash] : [],
        expiresAt,
        revoked: false,
      }));
    }
    case 'RefreshTokenReuseDetected':
    case 'RefreshFamilyRevoked':
      return withFamily(user, event.data.familyId, (family) =>
        family ? { ...family, revoked: true } : undefined,
      );
    case 'PasswordChanged':
      return {
        ...user,
        passwordHash: event.data.passwordHash,
        passwordChangedAt: event.data.at,
      };
    case 'ProfileUpdated':
      return { ...user, displayName: event.data.displayName };
    case 'RoleGranted':
      return { ...user, roles: [...user.roles, event.data.role] };
    case 'RoleRevoked':
      return { ...user, roles: user.roles.filter((role) => role !== event.data.role) };
    case 'ApiKeyCreated': {
      const { keyId, name, secretHash, scopes, accountId, at } = event.data;
      const apiKeys = new Map(user.apiKeys);
      apiKeys.set(keyId, {
        keyId,
        name,
        secretHash,
        scopes,
        accountId,
        createdAt: at,
        revokedAt: undefined,
      });
      return { ...user, apiKeys };
    }
    case 'ApiKeyRevoked': {
      const key = user.apiKeys.get(event.data.keyId);
      if (!key) return user;
      const apiKeys = new Map(user.apiKeys);
      apiKeys.set(key.keyId, { ...key, revokedAt: event.data.at });
      return { ...user, apiKeys };
    }
  }
}

/** State after a sequence of events. */
export function fold(events: readonly UserEvent[], from: UserState = initialState()): UserState {
  return events.reduce(evolve, from);
}
