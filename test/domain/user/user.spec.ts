import { expect } from 'chai';
import {
  decide,
  fold,
  loginDelaySeconds,
  normalizeEmail,
  passwordProblem,
  UserError,
  type UserCommandUnion,
  type UserEvent,
} from '../../../src/domain/user/index.ts';

const AT = '2025-03-03T15:00:00.000Z';
const registered: UserEvent = {
  type: 'UserRegistered',
  data: {
    userId: 'u1',
    email: 'a@example.com',
    displayName: 'A',
    passwordHash: 'h',
    roles: ['trader'],
    at: AT,
  },
};
const issued = (familyId: string, tokenHash: string): UserEvent => ({
  type: 'RefreshTokenIssued',
  data: { familyId, tokenHash, expiresAt: '2025-04-01T00:00:00.000Z', at: AT },
});

/** given events / when command / then events or error. */
function given(events: UserEvent[]) {
  return {
    when: (command: UserCommandUnion) => ({
      then: (expected: UserEvent[]) => {
        expect(decide(command, fold(events))).to.deep.equal(expected);
      },
      thenThrows: (code: string) => {
        expect(() => decide(command, fold(events)))
          .to.throw(UserError)
          .with.property('code', code);
      },
    }),
  };
}

describe('domain: user', () => {
  it('registers once', () => {
    given([]).when({ type: 'RegisterUser', data: registered.data }).then([registered]);
    given([registered])
      .when({ type: 'RegisterUser', data: registered.data })
      .thenThrows('user_already_registered');
  });

  it('a login opens a refresh family and resets failures', () => {
    given([registered, { type: 'LoginFailed', data: { at: AT, consecutiveFailures: 1 } }])
      .when({
        type: 'Login',
        data: { familyId: 'f1', tokenHash: 't1', expiresAt: '2025-04-01T00:00:00.000Z', at: AT },
      })
      .then([{ type: 'LoginSucceeded', data: { at: AT } }, issued('f1', 't1')]);
  });

  it('counts consecutive failures', () => {
    given([registered, { type: 'LoginFailed', data: { at: AT, consecutiveFailures: 1 } }])
      .when({ type: 'RecordLoginFailure', data: { at: AT } })
      .then([{ type: 'LoginFailed', data: { at: AT, consecutiveFailures: 2 } }]);
  });

  it('rotates the current refresh token', () => {
    given([registered, issued('f1', 't1')])
      .when({
        type: 'RotateRefreshToken',
        data: {
          familyId: 'f1',
          presentedHash: 't1',
          tokenHash: 't2',
          expiresAt: '2025-04-01T00:00:00.000Z',
          at: AT,
        },
      })
      .then([issued('f1', 't2')]);
  });

  it('detects reuse of an exchanged token', () => {
    given([registered, issued('f1', 't1'), issued('f1', 't2')])
      .when({
        type: 'RotateRefreshToken',
        data: {
          familyId: 'f1',
          presentedHash: 't1',
          tokenHash: 't3',
          expiresAt: '2025-04-01T00:00:00.000Z',
          at: AT,
        },
      })
      .then([{ type: 'RefreshTokenReuseDetected', data: { familyId: 'f1', at: AT } }]);
  });

  it('refuses a revoked family, an unknown token and an expired one', () => {
    const rotate = (presentedHash: string, at = AT): UserCommandUnion => ({
      type: 'RotateRefreshToken',
      data: {
        familyId: 'f1',
        presentedHash,
        tokenHash: 'n',
        expiresAt: '2025-05-01T00:00:00.000Z',
        at,
      },
    });
    given([
      registered,
      issued('f1', 't1'),
      { type: 'RefreshFamilyRevoked', data: { familyId: 'f1', reason: 'logout', at: AT } },
    ])
      .when(rotate('t1'))
      .thenThrows('refresh_token_invalid');
    given([registered, issued('f1', 't1')])
      .when(rotate('other'))
      .thenThrows('refresh_token_invalid');
    given([registered, issued('f1', 't1')])
      .when(rotate('t1', '2025-04-02T00:00:00.000Z'))
      .thenThrows('refresh_token_invalid');
  });

  it('a password change revokes every open refresh family', () => {
    given([registered, issued('f1', 't1'), issued('f2', 'u1')])
      .when({ type: 'ChangePassword', data: { passwordHash: 'h2', at: AT } })
      .then([
        { type: 'PasswordChanged', data: { passwordHash: 'h2', at: AT } },
        {
          type: 'RefreshFamilyRevoked',
          data: { familyId: 'f1', reason: 'password_changed', at: AT },
        },
        {
          type: 'RefreshFamilyRevoked',
          data: { familyId: 'f2', reason: 'password_changed', at: AT },
        },
      ]);
  });

  it('grants roles once and keeps at least one', () => {
    given([registered])
      .when({ type: 'GrantRole', data: { role: 'admin', at: AT } })
      .then([{ type: 'RoleGranted', data: { role: 'admin', at: AT } }]);
    given([registered])
      .when({ type: 'GrantRole', data: { role: 'trader', at: AT } })
      .then([]);
    given([registered])
      .when({ type: 'RevokeRole', data: { role: 'trader', at: AT } })
      .thenThrows('last_role');
  });

  it('creates, and revokes once, an API key', () => {
    const created: UserEvent = {
      type: 'ApiKeyCreated',
      data: { keyId: 'k1', name: 'bot', secretHash: 's', scopes: ['read'], at: AT },
    };
    given([registered]).when({ type: 'CreateApiKey', data: created.data }).then([created]);
    given([registered, created])
      .when({ type: 'RevokeApiKey', data: { keyId: 'k1', at: AT } })
      .then([{ type: 'ApiKeyRevoked', data: { keyId: 'k1', at: AT } }]);
    given([registered])
      .when({ type: 'RevokeApiKey', data: { keyId: 'k1', at: AT } })
      .thenThrows('api_key_not_found');
  });

  it('refuses commands for an unregistered user', () => {
    given([])
      .when({ type: 'RecordLoginFailure', data: { at: AT } })
      .thenThrows('user_not_found');
  });

  describe('rules', () => {
    it('normalizes e-mail addresses', () => {
      expect(normalizeEmail('  Ada@Example.COM ')).to.equal('ada@example.com');
      expect(() => normalizeEmail('not-an-address')).to.throw(UserError);
    });

    it('states the password policy in words', () => {
      expect(passwordProblem('short')).to.equal(
        'password must be at least 12 characters long (got 5)',
      );
      expect(passwordProblem('aaaaaaaaaaaaaaa')).to.match(/repeat/);
      expect(passwordProblem('ada@example.com', 'ada@example.com')).to.match(/e-mail/);
      expect(passwordProblem(PASSWORD_OK)).to.equal(undefined);
    });

    it('backs off exponentially after three failures, capped at 15 minutes', () => {
      expect([0, 1, 2, 3, 4, 5, 6, 30].map(loginDelaySeconds)).to.deep.equal([
        0, 0, 0, 2, 4, 8, 16, 900,
      ]);
    });
  });
});

const PASSWORD_OK = 'correct horse battery staple';
