import type { UserCommandUnion } from './commands.ts';
import { UserError } from './errors.ts';
import type { UserEvent } from './events.ts';
import type { RegisteredUser, UserState } from './state.ts';

function registered(state: UserState): RegisteredUser {
  if (state.status !== 'registered') throw new UserError('user_not_found', 'User not found');
  return state;
}

/**
 * The user decider: registration, logins and their failures, refresh-token families with
 * reuse detection, password changes, profile, roles and API keys. Pure: hashes, ids and times
 * arrive on the command.
 */
export function decide(command: UserCommandUnion, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'RegisterUser': {
      if (state.status === 'registered') {
        throw new UserError('user_already_registered', 'The user is already registered');
      }
      if (command.data.roles.length === 0) {
        throw new UserError('invalid_value', 'A user needs at least one role', 'roles');
      }
      return [
        { type: 'UserRegistered', data: { ...command.data, roles: [...command.data.roles] } },
      ];
    }
    case 'Login': {
      registered(state);
      const { familyId, tokenHash, expiresAt, at } = command.data;
      return [
        { type: 'LoginSucceeded', data: { at } },
        { type: 'RefreshTokenIssued', data: { familyId, tokenHash, expiresAt, at } },
      ];
    }
    case 'RecordLoginFailure': {
      const user = registered(state);
      return [
        {
          type: 'LoginFailed',
          data: { at: command.data.at, consecutiveFailures: user.consecutiveFailures + 1 },
        },
      ];
    }
    case 'RotateRefreshToken': {
      const user = registered(state);
      const { familyId, presentedHash, tokenHash, expiresAt, at } = command.data;
      const family = user.families.get(familyId);
      if (family === undefined || family.revoked) {
        throw new UserError('refresh_token_invalid', 'The refresh token is not valid');
      }
      if (family.usedHashes.includes(presentedHash)) {
        // Someone holds a token that was already exchanged: revoke the whole family.
        return [{ type: 'RefreshTokenReuseDetected', data: { familyId, at } }];
      }
      if (family.currentHash !== presentedHash || Date.parse(family.expiresAt) <= Date.parse(at)) {
        throw new UserError('refresh_token_invalid', 'The refresh token is not valid');
      }
      return [{ type: 'RefreshTokenIssued', data: { familyId, tokenHash, expiresAt, at } }];
    }
    case 'Logout': {
      const user = registered(state);
      const family = user.families.get(command.data.familyId);
      if (family === undefined || family.revoked) return [];
      return [
        {
          type: 'RefreshFamilyRevoked',
          data: { familyId: command.data.familyId, reason: 'logout', at: command.data.at },
        },
      ];
    }
    case 'ChangePassword': {
      const user = registered(state);
      const { passwordHash, at } = command.data;
      const revocations: UserEvent[] = [...user.families]
        .filter(([, family]) => !family.revoked)
        .map(([familyId]) => ({
          type: 'RefreshFamilyRevoked',
          data: { familyId, reason: 'password_changed', at },
        }));
      return [{ type: 'PasswordChanged', data: { passwordHash, at } }, ...revocations];
    }
    case 'UpdateProfile': {
      const user = registered(state);
      const displayName = command.data.displayName.trim();
      if (displayName.length === 0 || displayName.length > 100) {
        throw new UserError(
          'invalid_value',
          'display_name must be 1 to 100 characters',
          'display_name',
        );
      }
      if (displayName === user.displayName) return [];
      return [{ type: 'ProfileUpdated', data: { displayName, at: command.data.at } }];
    }
    case 'GrantRole': {
      const user = registered(state);
      if (user.roles.includes(command.data.role)) return [];
      return [{ type: 'RoleGranted', data: command.data }];
    }
    case 'RevokeRole': {
      const user = registered(state);
      if (!user.roles.includes(command.data.role)) return [];
      if (user.roles.length === 1) {
        throw new UserError('last_role', 'A user keeps at least one role', 'role');
      }
      return [{ type: 'RoleRevoked', data: command.data }];
    }
    case 'CreateApiKey': {
      const user = registered(state);
      const { keyId, name, scopes } = command.data;
      if (user.apiKeys.has(keyId)) throw new UserError('api_key_exists', 'The key id is taken');
      if (name.trim().length === 0 || name.length > 100) {
        throw new UserError('invalid_value', 'name must be 1 to 100 characters', 'name');
      }
      if (scopes.length === 0) {
        throw new UserError('invalid_value', 'An API key needs at least one scope', 'scopes');
      }
      return [
        {
          type: 'ApiKeyCreated',
          data: { ...command.data, name: name.trim(), scopes: [...new Set(scopes)] },
        },
      ];
    }
    case 'RevokeApiKey': {
      const user = registered(state);
      const key = user.apiKeys.get(command.data.keyId);
      if (key === undefined) throw new UserError('api_key_not_found', 'API key not found');
      if (key.revokedAt !== undefined) return [];
      return [{ type: 'ApiKeyRevoked', data: command.data }];
    }
  }
}
