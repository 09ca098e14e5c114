import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { RedisStore } from 'rate-limit-redis';
import { createClient } from 'redis';
import { AccessTokens } from '../auth/access-tokens.ts';
import { argon2Hasher, type PasswordHasher } from '../auth/passwords.ts';
import { resolveJwtSecret } from '../auth/secret.ts';
import { AuditTrail } from '../commands/audit-trail.ts';
import { withHashChain } from '../eventstore/hash-chain.ts';
import { UserService } from '../commands/users.ts';
import type { Config } from '../config.ts';
import type { EventStore } from '../eventstore/port.ts';
import { AuditQueries } from '../projections/audit.ts';
import type { ReadModels } from '../projections/index.ts';
import { UserQueries } from '../projections/users.ts';
import type { RouteModule } from './app.ts';
import { auditRoutes } from './audit-routes.ts';
import { authRoutes } from './auth-routes.ts';
import { requireAuth } from './authenticate.ts';
import {
  DEFAULT_RATE_LIMITS,
  rateLimiters,
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
}

/** What the HTTP layer needs from the security parts; later route modules reuse `authenticated`. */
export interface Security {
  readonly users: UserService;
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
  close(): Promise<void>;
}

/**
 * Builds users, tokens, the audit trail, rate limiters (Redis-backed when `REDIS_URL` is set,
 * so limits hold across replicas) and the auth routes.
 */
export async function createSecurity(options: SecurityOptions): Promise<Security> {
  const { config, logger } = options;
  const eventStore = withHashChain(options.eventStore);
  const tokens = options.tokens ?? new AccessTokens({ secrets: [resolveJwtSecret(config)] });
  const audit = new AuditTrail(eventStore);
  const userQueries = new UserQueries(options.readModels);
  const lastStamp = new Map<string, number>();
  const users = new UserService({
    store: eventStore,
    hasher: options.hasher ?? argon2Hasher(),
    tokens,
    audit,
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
  if (config.redisUrl !== undefined) {
    const client = createClient({ url: config.redisUrl });
    client.on('error', (error: unknown) => {
      logger.warn({ err: error }, 'rate-limit redis error');
    });
    await client.connect();
    storeFactory = (prefix) =>
      new RedisStore({
        sendCommand: (...args: string[]) => client.sendCommand(args),
        prefix: `opt:${prefix}`,
      });
    closeRedis = async () => {
      await client.quit();
    };
  }
  const limiters = rateLimiters({ ...DEFAULT_RATE_LIMITS, ...options.limits }, storeFactory);
  const authenticated = [requireAuth((bearer) => users.authenticate(bearer)), limiters.perUser];
  const routes: RouteModule[] = [
    authRoutes({ users, limit: limiters.auth }),
    meRoutes({ users, authenticated }),
    auditRoutes({ audit: new AuditQueries(options.readModels), authenticated }),
  ];
  return {
    users,
    tokens,
    eventStore,
    audit,
    authenticated,
    rateLimit: limiters.perIp,
    routes,
    close: closeRedis,
  };
}
