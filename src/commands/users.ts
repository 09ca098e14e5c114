import { randomUUID } from 'node:crypto';
import type { AccessTokens } from '../auth/access-tokens.ts';
import {
  newApiKey,
  newRefreshToken,
  parseApiKey,
  parseRefreshToken,
  REFRESH_TOKEN_TTL_SECONDS,
  splitApiKey,
  safeEqualHex,
  sha256,
} from '../auth/opaque-tokens.ts';
import type { PasswordHasher } from '../auth/passwords.ts';
import {
  decide,
  evolve,
  initialState,
  loginRetryAfter,
  normalizeEmail,
  passwordProblem,
  userStream,
  UserError,
  type ApiKeyScope,
  type RegisteredUser,
  type Role,
  type UserCommandUnion,
  type UserEvent,
  type UserState,
} from '../domain/user/index.ts';
import { WrongExpectedVersion, type EventStore } from '../eventstore/port.ts';
import type { AttemptContext, AuditTrail } from './audit-trail.ts';
import { CommandHandler, type Decider } from './handler.ts';
import { actorOf, authorize, PolicyError, roleOf, type Principal } from './policy.ts';

export const userDecider: Decider<UserCommandUnion, UserEvent, UserState> = {
  initialState,
  decide,
  evolve,
};

/** Authentication failed; `code` tells clients what to do, never which part was wrong. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: 'invalid_credentials' | 'login_throttled' | 'invalid_token' | 'email_taken',
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly userId: string;
}

export interface Profile {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly createdAt: string;
  readonly lastLoginAt: string | undefined;
  readonly apiKeys: readonly {
    readonly id: string;
    readonly name: string;
    readonly scopes: readonly ApiKeyScope[];
    readonly accountId: string | undefined;
    readonly createdAt: string;
    readonly revokedAt: string | undefined;
  }[];
}

/** A new API key as created: the secret appears here only (see `createApiKey`). */
export interface CreatedApiKey {
  readonly id: string;
  /** The bearer form, `{keyId}.{secret}`. */
  readonly key: string;
  /** The public half (Alpaca's `APCA-API-KEY-ID`): `optk_{userId}.{id}`. */
  readonly keyId: string;
  /** The secret half (Alpaca's `APCA-API-SECRET-KEY`). */
  readonly secret: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly accountId: string | undefined;
  readonly createdAt: string;
}

/** Who is calling, for anonymous operations (register, login, refresh). */
export type CallContext = Omit<AttemptContext, 'actor' | 'role'>;

export interface UserServiceDeps {
  readonly store: EventStore;
  readonly hasher: PasswordHasher;
  readonly tokens: AccessTokens;
  readonly audit: AuditTrail;
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Called after an API key authenticated (the API stamps `last_used_at`). */
  readonly onApiKeyUsed?: (userId: string, keyId: string, at: Date) => void;
  /**
   * The owner of an account per the write side (undefined when it does not exist), so a key
   * is bound only to one of its user's accounts. Without it, keys cannot be bound.
   */
  readonly accountOwner?: (accountId: string) => Promise<string | undefined>;
}

/** The `email-{sha256}` stream that reserves an address for one user (written with no_stream). */
export function emailStream(email: string): string {
  return `email-${sha256(email)}`;
}

/**
 * Users: registration, login with back-off, token refresh with reuse detection, logout,
 * password change, profile, roles and API keys — the commands behind `/auth/*`, `/me` and
 * `paper-trading users`.
 */
export class UserService {
  readonly handler: CommandHandler<UserCommandUnion, UserEvent, UserState>;
  readonly #now: () => Date;
  readonly #newId: () => string;
  /** Failures per unknown e-mail, so the back-off answers the same whether the user exists. */
  readonly #unknownFailures = new Map<string, { count: number; at: string }>();

  constructor(private readonly deps: UserServiceDeps) {
    this.handler = new CommandHandler(deps.store, userDecider, { streamId: userStream });
    this.#now = deps.now ?? (() => new Date());
    this.#newId = deps.newId ?? randomUUID;
  }

  /**
   * Registers a user: checks the password policy, reserves the e-mail address, hashes the
   * password and appends `UserRegistered`. Throws `UserError` (422) or `AuthError('email_taken')`.
   */
  async register(
    input: { email: string; password: string; displayName?: string; roles?: readonly Role[] },
    context: CallContext & { actor?: string; role?: string },
  ): Promise<{ userId: string; email: string }> {
    const email = normalizeEmail(input.email);
    const problem = passwordProblem(input.password, email);
    if (problem !== undefined) throw new UserError('weak_password', problem, 'password');
    const displayName = (input.displayName ?? email.split('@')[0] ?? email).trim().slice(0, 100);
    const passwordHash = await this.deps.hasher.hash(input.password);
    const userId = this.#newId();
    const metadata = this.#metadata({
      ...context,
      actor: context.actor ?? `user:${userId}`,
      role: context.role ?? '',
    });
    try {
      await this.deps.store.append(
        emailStream(email),
        [{ type: 'EmailReserved', data: { userId }, metadata }],
        { expectedRevision: 'no_stream' },
      );
    } catch (error) {
      if (error instanceof WrongExpectedVersion) {
        throw new AuthError('email_taken', 'An account with this e-mail address already exists');
      }
      throw error;
    }
    const at = this.#now().toISOString();
    await this.handler.handle(
      userId,
      {
        type: 'RegisterUser',
        data: {
          userId,
          email,
          displayName: displayName || email,
          passwordHash,
          roles: input.roles ?? ['trader'],
          at,
        },
      },
      metadata,
    );
    return { userId, email };
  }

  /** The user id an e-mail address is reserved for. */
  async findUserIdByEmail(rawEmail: string): Promise<string | undefined> {
    let email: string;
    try {
      email = normalizeEmail(rawEmail);
    } catch {
      return undefined;
    }
    const [reserved] = await this.deps.store.readStream(emailStream(email), { maxCount: 1 });
    const userId = (reserved?.data as { userId?: unknown } | undefined)?.userId;
    return typeof userId === 'string' ? userId : undefined;
  }

  /**
   * Password login. An unknown e-mail and a wrong password get the same `invalid_credentials`
   * after the same work (an argon2 verification either way); after three consecutive failures
   * the back-off answers `login_throttled` with a retry delay, for unknown addresses too.
   */
  async login(
    input: { email: string; password: string },
    context: CallContext,
  ): Promise<TokenPair> {
    const now = this.#now();
    const at = now.toISOString();
    const userId = await this.findUserIdByEmail(input.email);
    const user = userId === undefined ? undefined : await this.#registered(userId);
    const emailKey = sha256(input.email.trim().toLowerCase());
    const anonymous = { ...context, actor: 'anonymous', role: '' };
    if (!user) {
      const failures = this.#unknownFailures.get(emailKey);
      const wait = failures ? loginRetryAfter(failures.count, failures.at, at) : 0;
      if (wait > 0) throw this.#throttled(wait);
      await this.deps.hasher.verifyDummy(input.password);
      this.#rememberUnknownFailure(emailKey, at);
      await this.deps.audit.rejected(anonymous, { command: 'Login', code: 'invalid_credentials' });
      throw invalidCredentials();
    }
    const wait = loginRetryAfter(user.consecutiveFailures, user.lastFailureAt, at);
    if (wait > 0) throw this.#throttled(wait);
    const ok = await this.deps.hasher.verify(user.passwordHash, input.password);
    const metadata = this.#metadata({
      ...context,
      actor: `user:${user.userId}`,
      role: user.roles.join(','),
    });
    if (!ok) {
      await this.handler.handle(
        user.userId,
        { type: 'RecordLoginFailure', data: { at } },
        metadata,
      );
      throw invalidCredentials();
    }
    return this.#issue(user, metadata, this.#newId());
  }

  /**
   * Exchanges a refresh token for a new pair. A token already exchanged revokes its whole
   * family (someone else holds a copy) and answers `invalid_token`.
   */
  async refresh(refreshToken: string, context: CallContext): Promise<TokenPair> {
    const parsed = parseRefreshToken(refreshToken);
    const user = parsed ? await this.#registered(parsed.userId) : undefined;
    if (!parsed || !user) throw invalidToken();
    const next = newRefreshToken(user.userId, parsed.familyId);
    const at = this.#now();
    const metadata = this.#metadata({
      ...context,
      actor: `user:${user.userId}`,
      role: user.roles.join(','),
    });
    try {
      const result = await this.handler.handle(
        user.userId,
        {
          type: 'RotateRefreshToken',
          data: {
            familyId: parsed.familyId,
            presentedHash: parsed.hash,
            tokenHash: next.hash,
            expiresAt: new Date(at.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000).toISOString(),
            at: at.toISOString(),
          },
        },
        metadata,
      );
      if (result.events.some((e) => e.type === 'RefreshTokenReuseDetected')) throw invalidToken();
    } catch (error) {
      if (error instanceof UserError) {
        await this.deps.audit.rejected(
          { ...context, actor: `user:${user.userId}`, role: user.roles.join(',') },
          { command: 'RotateRefreshToken', target: userStream(user.userId), code: error.code },
        );
        throw invalidToken();
      }
      throw error;
    }
    return this.#pair(user, next.token);
  }

  /** Revokes the refresh token's family. Unknown or malformed tokens are ignored. */
  async logout(refreshToken: string, context: CallContext): Promise<void> {
    const parsed = parseRefreshToken(refreshToken);
    const user = parsed ? await this.#registered(parsed.userId) : undefined;
    if (!parsed || !user) return;
    const family = user.families.get(parsed.familyId);
    const known =
      family && (family.currentHash === parsed.hash || family.usedHashes.includes(parsed.hash));
    if (!known) return;
    await this.handler.handle(
      user.userId,
      { type: 'Logout', data: { familyId: parsed.familyId, at: this.#now().toISOString() } },
      this.#metadata({ ...context, actor: `user:${user.userId}`, role: user.roles.join(',') }),
    );
  }

  /**
   * Resolves a bearer credential (access token or API key) to the principal, with the user's
   * current roles. Undefined for anything invalid, expired, revoked or issued before the last
   * password change.
   */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    const apiKey = parseApiKey(bearer);
    if (apiKey) {
      const user = await this.#registered(apiKey.userId);
      const key = user?.apiKeys.get(apiKey.keyId);
      if (!user || !key || key.revokedAt !== undefined) return undefined;
      if (!safeEqualHex(key.secretHash, apiKey.secretHash)) return undefined;
      this.deps.onApiKeyUsed?.(user.userId, key.keyId, this.#now());
      return {
        userId: user.userId,
        roles: user.roles,
        via: 'api_key',
        scopes: key.scopes,
        keyId: key.keyId,
        ...(key.accountId === undefined ? {} : { accountId: key.accountId }),
      };
    }
    const claims = await this.deps.tokens.verify(bearer);
    if (!claims) return undefined;
    const user = await this.#registered(claims.sub);
    if (!user) return undefined;
    if (claims.iat < Math.floor(Date.parse(user.passwordChangedAt) / 1000)) return undefined;
    return { userId: user.userId, roles: user.roles, via: 'access_token' };
  }

  /** The caller's own profile, from the user stream (always current). */
  async profile(principal: Principal): Promise<Profile> {
    authorize(principal, 'self.read');
    const user = await this.#registered(principal.userId);
    if (!user) throw new PolicyError('not_found', 'not_found', 'The user does not exist');
    return toProfile(user);
  }

  async updateProfile(
    principal: Principal,
    patch: { displayName: string },
    context: CallContext,
  ): Promise<Profile> {
    return this.#audited(principal, context, 'UpdateProfile', async (metadata) => {
      authorize(principal, 'self.update');
      const result = await this.handler.handle(
        principal.userId,
        {
          type: 'UpdateProfile',
          data: { displayName: patch.displayName, at: this.#now().toISOString() },
        },
        metadata,
      );
      return toProfile(result.state as RegisteredUser);
    });
  }

  /**
   * Changes the password after checking the current one; every refresh-token family is revoked
   * and access tokens issued before now stop working. Returns a fresh token pair.
   */
  async changePassword(
    principal: Principal,
    input: { currentPassword: string; newPassword: string },
    context: CallContext,
  ): Promise<TokenPair> {
    return this.#audited(principal, context, 'ChangePassword', async (metadata) => {
      authorize(principal, 'self.credentials');
      const user = await this.#registered(principal.userId);
      if (!user) throw new PolicyError('not_found', 'not_found', 'The user does not exist');
      if (!(await this.deps.hasher.verify(user.passwordHash, input.currentPassword))) {
        throw new UserError('invalid_value', 'current_password is not correct', 'current_password');
      }
      const problem = passwordProblem(input.newPassword, user.email);
      if (problem !== undefined) throw new UserError('weak_password', problem, 'new_password');
      const passwordHash = await this.deps.hasher.hash(input.newPassword);
      // Tokens are stamped in whole seconds: start the new session in the next second so it
      // outlives the "issued before the change" check while every older token fails it.
      const at = new Date(Math.floor(this.#now().getTime() / 1000) * 1000);
      const result = await this.handler.handle(
        user.userId,
        { type: 'ChangePassword', data: { passwordHash, at: at.toISOString() } },
        metadata,
      );
      return this.#issue(result.state as RegisteredUser, metadata, this.#newId());
    });
  }

  /**
   * Creates an API key; the secret is in the result only, never stored. `accountId` binds the
   * key to one of the caller's accounts (the account `/v2` acts on); another user's or an
   * unknown account is refused (`account_not_found`) and nothing is written.
   */
  async createApiKey(
    principal: Principal,
    input: { name: string; scopes: readonly ApiKeyScope[]; accountId?: string },
    context: CallContext,
  ): Promise<CreatedApiKey> {
    return this.#audited(principal, context, 'CreateApiKey', async (metadata) => {
      authorize(principal, 'self.credentials');
      const { accountId } = input;
      if (accountId !== undefined) {
        const owner = await this.deps.accountOwner?.(accountId);
        if (owner !== principal.userId) {
          throw new UserError(
            'invalid_account',
            `account_id ${accountId} is not one of your accounts`,
            'account_id',
          );
        }
      }
      const keyId = this.#newId();
      const secret = newApiKey(principal.userId, keyId);
      const at = this.#now().toISOString();
      const result = await this.handler.handle(
        principal.userId,
        {
          type: 'CreateApiKey',
          data: {
            keyId,
            name: input.name,
            secretHash: secret.secretHash,
            scopes: input.scopes,
            ...(accountId === undefined ? {} : { accountId }),
            at,
          },
        },
        metadata,
      );
      const created = (result.state as RegisteredUser).apiKeys.get(keyId);
      const { keyId: publicId, secret: secretPart } = splitApiKey(secret.token);
      return {
        id: keyId,
        key: secret.token,
        keyId: publicId,
        secret: secretPart,
        name: created?.name ?? input.name,
        scopes: created?.scopes ?? input.scopes,
        accountId,
        createdAt: at,
      };
    });
  }

  /** Revokes one of the caller's keys; another user's key id answers not found. */
  async revokeApiKey(principal: Principal, keyId: string, context: CallContext): Promise<void> {
    await this.#audited(principal, context, 'RevokeApiKey', async (metadata) => {
      authorize(principal, 'self.credentials');
      const user = await this.#registered(principal.userId);
      if (!user?.apiKeys.has(keyId)) {
        throw new PolicyError('not_found', 'api_key_not_found', 'API key not found');
      }
      await this.handler.handle(
        principal.userId,
        { type: 'RevokeApiKey', data: { keyId, at: this.#now().toISOString() } },
        metadata,
      );
    });
  }

  /** Grants a role (admins only; the CLI acts as the system admin). */
  async grantRole(
    principal: Principal,
    userId: string,
    role: Role,
    context: CallContext,
  ): Promise<void> {
    await this.#audited(principal, context, 'GrantRole', async (metadata) => {
      authorize(principal, 'users.manage');
      if (!(await this.#registered(userId))) {
        throw new PolicyError('not_found', 'user_not_found', 'User not found');
      }
      await this.handler.handle(
        userId,
        { type: 'GrantRole', data: { role, at: this.#now().toISOString() } },
        metadata,
      );
    });
  }

  async revokeRole(
    principal: Principal,
    userId: string,
    role: Role,
    context: CallContext,
  ): Promise<void> {
    await this.#audited(principal, context, 'RevokeRole', async (metadata) => {
      authorize(principal, 'users.manage');
      if (!(await this.#registered(userId))) {
        throw new PolicyError('not_found', 'user_not_found', 'User not found');
      }
      await this.handler.handle(
        userId,
        { type: 'RevokeRole', data: { role, at: this.#now().toISOString() } },
        metadata,
      );
    });
  }

  /**
   * Runs a command of an authenticated principal; a policy refusal or a decider rejection is
   * recorded in the audit trail before it propagates (accepted commands are audited through
   * their events).
   */
  async #audited<T>(
    principal: Principal,
    context: CallContext,
    command: string,
    work: (metadata: ReturnType<UserService['metadataFor']>) => Promise<T>,
  ): Promise<T> {
    const attempt: AttemptContext = {
      ...context,
      actor: actorOf(principal),
      role: roleOf(principal),
    };
    try {
      return await work(this.#metadata(attempt));
    } catch (error) {
      const target = userStream(principal.userId);
      if (error instanceof PolicyError) {
        await this.deps.audit.refused(attempt, {
          command,
          target,
          code: error.code,
          detail: error.message,
        });
      } else if (error instanceof UserError) {
        await this.deps.audit.rejected(attempt, { command, target, code: error.code });
      }
      throw error;
    }
  }

  /** Event metadata of an attempt (exposed for other command services). */
  metadataFor(context: AttemptContext) {
    return this.#metadata(context);
  }

  #metadata(context: AttemptContext) {
    return {
      actor: context.actor,
      source: context.source,
      correlationId: context.correlationId,
      role: context.role,
      ...(context.ip === undefined ? {} : { ip: context.ip }),
    };
  }

  async #issue(
    user: RegisteredUser,
    metadata: ReturnType<UserService['metadataFor']>,
    familyId: string,
  ): Promise<TokenPair> {
    const refresh = newRefreshToken(user.userId, familyId);
    const at = this.#now();
    const result = await this.handler.handle(
      user.userId,
      {
        type: 'Login',
        data: {
          familyId,
          tokenHash: refresh.hash,
          expiresAt: new Date(at.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000).toISOString(),
          at: at.toISOString(),
        },
      },
      metadata,
    );
    return this.#pair(result.state as RegisteredUser, refresh.token);
  }

  #pair(user: RegisteredUser, refreshToken: string): TokenPair {
    return {
      accessToken: this.deps.tokens.issue(user.userId, user.roles, this.#newId()),
      refreshToken,
      expiresIn: this.deps.tokens.ttlSeconds,
      userId: user.userId,
    };
  }

  async #registered(userId: string): Promise<RegisteredUser | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(userId)) return undefined;
    const { state } = await this.handler.load(userId);
    return state.status === 'registered' ? state : undefined;
  }

  #throttled(seconds: number): AuthError {
    return new AuthError(
      'login_throttled',
      `Too many failed logins; retry in ${seconds} s`,
      seconds,
    );
  }

  #rememberUnknownFailure(key: string, at: string): void {
    const count = (this.#unknownFailures.get(key)?.count ?? 0) + 1;
    this.#unknownFailures.delete(key);
    this.#unknownFailures.set(key, { count, at });
    if (this.#unknownFailures.size > 10_000) {
      const oldest = this.#unknownFailures.keys().next();
      if (!oldest.done) this.#unknownFailures.delete(oldest.value);
    }
  }
}

function invalidCredentials(): AuthError {
  return new AuthError('invalid_credentials', 'The e-mail address or password is not correct');
}

function invalidToken(): AuthError {
  return new AuthError('invalid_token', 'The token is invalid, expired or revoked');
}

function toProfile(user: RegisteredUser): Profile {
  return {
    id: user.userId,
    email: user.email,
    displayName: user.displayName,
    roles: user.roles,
    createdAt: user.createdAt,
    lastLoginAt: user.lastLoginAt,
    apiKeys: [...user.apiKeys.values()].map((k) => ({
      id: k.keyId,
      name: k.name,
      scopes: k.scopes,
      accountId: k.accountId,
      createdAt: k.createdAt,
      revokedAt: k.revokedAt,
    })),
  };
}
