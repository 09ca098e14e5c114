/**
 * The composition root: the one place that turns a `Config` into running parts and knows how
 * to close them again. Layers never build their own dependencies; they receive them from here.
 *
 * What is wired today: the HTTP app with `/api/v1/health` and `/metrics`. Each `WIRE:` comment
 * below marks where a part of DESIGN.md section 1 plugs in when it lands.
 */
import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp, type RouteModule } from '../api/app.ts';
import type { HealthCheck } from '../api/health.ts';
import { createMetricsRegistry } from '../api/metrics.ts';
import type { Config } from '../config.ts';
import { openStorage } from '../eventstore/index.ts';
import { createReadSide } from '../projections/index.ts';
import { registerProjectionMetrics } from '../api/metrics.ts';
import { createSecurity } from '../api/security.ts';
import { AccountService } from '../commands/accounts.ts';
import {
  createEngineMetrics,
  ExecutionEngine,
  MemoryEngineStore,
  SqlEngineStore,
  type EngineStore,
} from '../engine/index.ts';
import type { Storage } from '../eventstore/index.ts';
import { createDefaultMarket } from '../market/index.ts';
import type { MarketData } from '../market/port.ts';
import type { PasswordHasher } from '../auth/passwords.ts';
import type { RateLimitSettings } from '../api/hardening.ts';

/** What a `serve` process runs: everything, only the HTTP API, or only the execution engine. */
export const ROLES = ['all', 'api', 'engine'] as const;
export type Role = (typeof ROLES)[number];

export interface ComposeOptions {
  readonly role: Role;
  readonly version: string;
  readonly logger: Logger;
  /** Opens the storage (default `openStorage(config)`); tests and benchmarks pass their own. */
  readonly openStorage?: (config: Config) => Promise<Storage>;
  /** The market (default: `createDefaultMarket` from the config); compose closes it. */
  readonly market?: MarketData;
  /** Password hashing (default argon2id with the production parameters). */
  readonly passwordHasher?: PasswordHasher;
  /** Rate-limit overrides (default `DEFAULT_RATE_LIMITS`). */
  readonly rateLimits?: Partial<RateLimitSettings>;
}

export interface Composition {
  /** The HTTP handler; every role serves it (an engine-only process still answers health probes). */
  readonly app: Express;
  /** Closes every resource opened by `compose`, newest first. Idempotent. */
  close(): Promise<void>;
}

/** Resources to close on shutdown, newest first, so dependents stop before what they use. */
class Closers {
  private readonly stack: { name: string; close: () => Promise<void> }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(name: string, close: () => Promise<void>): void {
    this.stack.push({ name, close });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, close } of this.stack.reverse()) {
        try {
          await close();
        } catch (error) {
          this.logger.error({ err: error, resource: name }, 'failed to close resource');
        }
      }
    })();
    return this.closing;
  }
}

export async function compose(config: Config, options: ComposeOptions): Promise<Composition> {
  const { logger, role } = options;
  const closers = new Closers(logger);
  const healthChecks: HealthCheck[] = [];
  const routes: RouteModule[] = [];
  const metrics = createMetricsRegistry();
  const servesApi = role === 'all' || role === 'api';
  const runsEngine = role === 'all' || role === 'engine';

  try {
    const storage = await (options.openStorage ?? openStorage)(config);
    closers.add('storage', () => storage.close());
    healthChecks.push({ name: 'eventstore', check: () => storage.eventStore.ping() });

    const { projections, readModels } = createReadSide(storage);
    await projections.prepare();
    registerProjectionMetrics(metrics, projections);
    if (runsEngine) {
      // Projection workers run beside the engine; API replicas only read the read models.
      await projections.start();
      closers.add('projections', () => projections.stop());
    }

    // Market data: the seeded simulated feed (MARKET_SEED) on a simulated clock that starts in
    // a regular session, or the wall clock (MARKET_CLOCK=real). Redis caching is still to come.
    const market =
      options.market ?? createDefaultMarket({ seed: config.marketSeed, clock: config.marketClock });
    closers.add('market', () => {
      market.close();
      return Promise.resolve();
    });
    healthChecks.push({
      name: 'market',
      check: () =>
        market.latestQuote('SPY') === undefined
          ? Promise.reject(new Error('no quote for SPY'))
          : Promise.resolve(),
    });
    // Trading commands for every interface and for the engine.
    const accounts = new AccountService({ store: storage.eventStore, market });

    // Users, tokens, audit trail and rate limits; routes mount `security.authenticated`.
    // (`storage.eventStore` is already hash-chained by `openStorage`.)
    const security = await createSecurity({
      config,
      eventStore: storage.eventStore,
      readModels,
      logger,
      ...(options.passwordHasher ? { hasher: options.passwordHasher } : {}),
      ...(options.rateLimits ? { limits: options.rateLimits } : {}),
    });
    closers.add('security', () => security.close());

    if (servesApi) {
      routes.push(...security.routes);
      // WIRE: feature routes under /api/v1, e.g. `routes.push(accountRoutes({ commands, queries }))`.
    }
    if (runsEngine) {
      // The execution engine behind its lease: a second engine process waits as a standby.
      const engine: ExecutionEngine = new ExecutionEngine({
        service: accounts,
        events: storage.eventStore,
        state: engineStoreFor(config, storage),
        metrics: createEngineMetrics(metrics, (): ExecutionEngine => engine),
        logger,
      });
      await engine.start();
      closers.add('engine', () => engine.stop());
      healthChecks.push({
        name: 'engine',
        check: () =>
          engine.leadership === 'stopped'
            ? Promise.reject(new Error('the execution engine is stopped'))
            : Promise.resolve(),
      });
    }

    logger.debug(
      { role, eventStore: config.eventStoreAdapter, servesApi, runsEngine },
      'composed application',
    );
    const app = createApp({
      version: options.version,
      healthChecks,
      metrics,
      routes,
      logger,
      corsOrigins: config.corsOrigins,
      rateLimit: security.rateLimit,
    });
    app.set('trust proxy', config.trustProxy);
    return { app, close: () => closers.close() };
  } catch (error) {
    await closers.close();
    throw error;
  }
}

/** Where the engine keeps its lease and checkpoint: beside the events it follows. */
function engineStoreFor(config: Config, storage: Storage): EngineStore {
  return config.eventStoreAdapter === 'memory'
    ? new MemoryEngineStore()
    : new SqlEngineStore(storage.database);
}
