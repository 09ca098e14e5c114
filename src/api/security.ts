import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import { AccessTokens } from '../auth/access-tokens.ts';
import { argon2Hasher, type PasswordHasher } from '../auth/passwords.ts';
import { resolveJwtSecret } from '../auth/secret.ts';
import { AuditTrail } from '../commands/audit-trail.ts';
import { withHashChain } from '../eventstore/hash-chain.ts';
import { UserService } from '../commands/users.ts';
import { PrincipalCache, watchUserStreams } from '../commands/principal-cache.ts';
import type { Cache } from '../cache/port.ts';
import { CoalescingRedisStore } from './rate-limit-store.ts';
import { closeRedisClient } from '../cache/redis.ts';
import type { Config } from '../config.ts';
import type { EventStore } from '../eventstore/port.ts';
import { AuditQueries } from '../projections/audit.ts';
import type { ReadModels } from '../projections/index.ts';
import { UserQueries } from '../projections/users.ts';
import type { RouteModule } from './app.ts';
import { auditRoutes } from './audit-routes.ts';
import { series } from './series.ts';
import { authRoutes } from './auth-routes.ts';
import { requireAuth } from './authenticate.ts';
import { CookieSessions } from './cookie-session.ts';
import {
  DEFAULT_RATE_LIMITS,
  FailoverStore,
  rateLimiters,
  redactingLogger,
  type RateLimitSettings,
  type RateLimitStoreFactory,
} from './hardening.ts';
import { meRoutes } from './me-routes.ts';

export interface SecurityOptions {
  readonly config: Pick<Config, 'jwtSecret' | 'dataDir' | 'redisUrl'>;
  /** The raw store; the security layer appends through its hash-chain decorator. */
  readonly eventStore: EventStore;
  readonly readModels: ReadModels;
  readonly logger: Logger;
  readonly limits?: Partial<RateLimitSettings>;
  /** Defaults to argon2id with the documented parameters (tests pass cheaper ones). */
  readonly hasher?: PasswordHasher;
  readonly tokens?: AccessTokens;
  /**
   * Prefix of every rate-limit key in Redis (default `opt:`): deployments, or test runs,
   * sharing one Redis keep their counts apart with different prefixes.
   */
  readonly rateLimitKeyPrefix?: string;
  /** How long start-up waits for Redis before counting per process (default 2000 ms). */
  readonly redisConnectTimeoutMs?: number;
  /** How long a Redis call may take before the local count answers (default 500 ms). */
  readonly redisCommandTimeoutMs?: number;
  /** The owner of an account (write side), so API keys can be bound to the user's accounts. */
  readonly accountOwner?: (accountId: string) => Promise<string | undefined>;
  /**
   * Mark session cookies `Secure` even on plain-HTTP requests (production, where TLS ends at a
   * proxy); otherwise they are `Secure` when the request came over HTTPS.
   */
  readonly secureCookies?: boolean;
  /**
   * The shared cache: a change to a user made here is published on it, and changes published
   * by other processes drop this process's cached principals (see `PrincipalCache`).
   */
  readonly cache?: Cache;
  /** How long an authenticated principal is reused (default 2000 ms; 0 turns caching off). */
  readonly principalTtlMs?: number;
}

/** The cache channel on which processes announce a changed user (the message is its id). */
export const USER_CHANGED_CHANNEL = 'user-changed';

/** What the HTTP layer needs from the security parts; later route modules reuse `authenticated`. */
export interface Security {
  readonly users: UserService;
  /** Cached `users.authenticate`, what `authenticated` uses. */
  readonly principals: PrincipalCache;
  readonly tokens: AccessTokens;
  /** The event store with the hash chain: every command service appends through it. */
  readonly eventStore: EventStore;
  readonly audit: AuditTrail;
  /** `requireAuth` + the per-user limiter: mount on every route that needs a caller. */
  readonly authenticated: readonly RequestHandler[];
  /** The per-IP limiter for `createApp({ rateLimit })`. */
  readonly rateLimit: RequestHandler;
  /** `/auth/*`, `/me*` and `/audit` route modules. */
  readonly routes: readonly RouteModule[];
  /**
   * Where rate limits count now: `memory` (no `REDIS_URL`: per process by configuration),
   * `redis` (shared by every replica), `local` (Redis unreachable: per process until it is back).
   */
  rateLimitCounting(): 'memory' | 'redis' | 'local';
  close(): Promise<void>;
}

/**
 * Builds users, tokens, the audit trail, rate limiters (Redis-backed when `REDIS_URL` is set,
 * so limits hold across replicas) and the auth routes.
 */
export async function createSecurity(options: SecurityOptions): Promise<Security> {
  const { config } = options;
  const logger = redactingLogger(options.logger);
  const eventStore = withHashChain(options.eventStore);
  const secret = resolveJwtSecret(config);
  const tokens = options.tokens ?? new AccessTokens({ secrets: [secret] });
  const sessions = new CookieSessions({
    secret,
    ...(options.secureCookies === undefined ? {} : { alwaysSecure: options.secureCookies }),
  });
  const audit = new AuditTrail(eventStore);
  const userQueries = new UserQueries(options.readModels);
  const lastStamp = new Map<string, number>();
  // ─── principal cache: a user's entries go as soon as its stream changes ──────────────────
  const ttlMs = options.principalTtlMs ?? 2000;
  const principals: PrincipalCache = new PrincipalCache({
    authenticate: (bearer) => users.authenticate(bearer),
    ttlMs,
    ...(ttlMs === 0 ? { maxEntries: 1 } : {}),
  });
  const shared = options.cache?.adapter === 'redis' ? options.cache : undefined;
  const userChanged = (userId: string): void => {
    principals.forgetUser(userId);
    shared?.publish(USER_CHANGED_CHANNEL, userId).catch((error: unknown) => {
      logger.warn(
        { err: error },
        'could not announce a user change; other processes wait for the TTL',
      );
    });
  };
  let unsubscribe: (() => Promise<void>) | undefined;
  if (shared) {
    unsubscribe = await shared.subscribe(USER_CHANGED_CHANNEL, (userId) => {
      principals.forgetUser(userId);
    });
    // Messages published while this process was away are lost: start over.
    shared.onStateChange(() => {
      principals.forgetAll();
    });
  }
  // ─────────────────────────────────────────────────────────────────────────────────────────
  const users = new UserService({
    store: watchUserStreams(eventStore, userChanged),
    hasher: options.hasher ?? argon2Hasher(),
    tokens,
    audit,
    ...(options.accountOwner === undefined ? {} : { accountOwner: options.accountOwner }),
    onApiKeyUsed: (userId, keyId, at) => {
      // At most one write per key and minute; failures only cost the timestamp.
      const previous = lastStamp.get(keyId) ?? 0;
      if (at.getTime() - previous < 60_000) return;
      lastStamp.set(keyId, at.getTime());
      userQueries.touchApiKey(userId, keyId, at).catch((error: unknown) => {
        logger.warn({ err: error, keyId }, 'could not record API key use');
      });
    },
  });

  let storeFactory: RateLimitStoreFactory | undefined;
  let closeRedis: () => Promise<void> = () => Promise.resolve();
  let counting: () => 'memory' | 'redis' | 'local' = () => 'memory';
  if (config.redisUrl !== undefined) {
    const redis = await connectRateLimitRedis(config.redisUrl, logger, {
      connectTimeoutMs: options.redisConnectTimeoutMs ?? 2000,
    });
    const keyPrefix = options.rateLimitKeyPrefix ?? 'opt:';
    storeFactory = (prefix) =>
      new FailoverStore({
        primary: () =>
          new CoalescingRedisStore({
            sendCommand: (args) => redis.client.sendCommand(args),
            prefix: `${keyPrefix}${prefix}`,
          }),
        available: () => redis.client.isReady,
        ...(options.redisCommandTimeoutMs === undefined
          ? {}
          : { timeoutMs: options.redisCommandTimeoutMs }),
        onFailover: (error) => {
          logger.warn(
            { err: error, limiter: prefix },
            'rate limits count per process until Redis answers again',
          );
        },
        onRecover: () => {
          logger.info({ limiter: prefix }, 'rate limits count in Redis again');
        },
      });
    closeRedis = () => redis.close();
    counting = () => (redis.client.isReady ? 'redis' : 'local');
  }
  const limiters = rateLimiters({ ...DEFAULT_RATE_LIMITS, ...options.limits }, storeFactory);
  // One router layer for the pair (see `series`).
  const authenticated = [
    series([
      requireAuth(
        (bearer) => (ttlMs === 0 ? users.authenticate(bearer) : principals.authenticate(bearer)),
        sessions,
      ),
      limiters.perUser,
    ]),
  ];
  const routes: RouteModule[] = [
    authRoutes({ users, limit: limiters.auth, sessions }),
    meRoutes({ users, authenticated }),
    auditRoutes({ audit: new AuditQueries(options.readModels), authenticated }),
  ];
  return {
    users,
    principals,
    tokens,
    eventStore,
    audit,
    authenticated,
    rateLimit: limiters.perIp,
    routes,
    rateLimitCounting: () => counting(),
    close: async () => {
      await unsubscribe?.();
      await closeRedis();
    },
  };
}

function createRateLimitClient(url: string, connectTimeoutMs: number) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      // Always retry (the default gives up after a socket timeout): 50 ms doubling to 2 s.
      reconnectStrategy: (retries) => Math.min(2 ** retries * 50, 2000) + Math.random() * 100,
    },
  });
}

/**
 * The Redis client behind the rate limiters. Start-up waits at most `connectTimeoutMs` for it,
 * then goes on (the limiters count per process meanwhile) while the client keeps reconnecting.
 * Commands fail at once while disconnected (no offline queue), so an outage never holds a
 * request; errors are logged once per outage, never thrown.
 */
async function connectRateLimitRedis(
  url: string,
  logger: Logger,
  options: { connectTimeoutMs: number },
): Promise<{ client: ReturnType<typeof createRateLimitClient>; close(): Promise<void> }> {
  const client = createRateLimitClient(url, options.connectTimeoutMs);
  let failing = false;
  client.on('error', (error: unknown) => {
    if (failing) return;
    failing = true;
    logger.warn({ err: error }, 'rate-limit Redis unavailable; reconnecting');
  });
  client.on('ready', () => {
    if (failing) logger.info('rate-limit Redis connected again');
    failing = false;
  });
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, options.connectTimeoutMs);
  });
  const ready = await Promise.race([connected, gaveUp]);
  clearTimeout(timer);
  if (!ready) {
    logger.warn('rate-limit Redis not reachable at start; counting per process until it is');
  }
  return {
    client,
    close: async () => {
      await closeRedisClient(client);
      await connected;
    },
  };
}
