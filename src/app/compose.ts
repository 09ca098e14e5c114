/**
 * The composition root: the one place that turns a `Config` into running parts and knows how
 * to close them again. Layers never build their own dependencies; they receive them from here.
 *
 * What is wired: storage, the read side, the market, security, the one AccountService,
 * TradingCommands and the `/api/v1` trading routes, the engine. Each `WIRE:` comment below
 * marks where a part of DESIGN.md section 1 plugs in when it lands.
 */
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { createApp, type RouteModule } from '../api/app.ts';
import type { HealthCheck } from '../api/health.ts';
import { createMetricsRegistry } from '../api/metrics.ts';
import type { Config } from '../config.ts';
import { openStorage } from '../eventstore/index.ts';
import { createReadSide } from '../projections/index.ts';
import { LiveUpdates } from '../api/live.ts';
import { marketRoutes } from '../api/v1/market-routes.ts';
import { streamRoutes } from '../api/v1/stream-routes.ts';
import { instrumentEventStore } from '../eventstore/instrumented.ts';
import { mcpHttpHandler } from '../mcp/http.ts';
import { registerAutovacuumMetrics, registerProjectionMetrics } from '../api/metrics.ts';
import { createSecurity, type Security } from '../api/security.ts';
import type { UpgradeRoute } from '../api/server.ts';
import { alpacaApi, STREAM_PATH } from '../api/v2/index.ts';
import { tradingRoutes } from '../api/v1/index.ts';
import { AccountEvents } from '../commands/account-events.ts';
import { TradingCommands } from '../commands/trading.ts';
import { MarketAnalysis } from '../commands/market-analysis.ts';
import { PortfolioRiskQueries } from '../commands/portfolio-risk.ts';
import { analysisRoutes } from '../api/v1/analysis-routes.ts';
import { riskRoutes } from '../api/v1/risk-routes.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { ProjectionRunner, ReadModelDb, ReadModels } from '../projections/index.ts';
import { SqlTradingQueries } from '../projections/trading-queries.ts';
import type { TradingQueries } from '../projections/trading-views.ts';
import { Histogram, type Registry } from 'prom-client';
import { AccountService } from '../commands/accounts.ts';
import {
  createEngineMetrics,
  ExecutionEngine,
  MemoryEngineStore,
  SqlEngineStore,
  type EngineStore,
} from '../engine/index.ts';
import type { Storage } from '../eventstore/index.ts';
import { createDefaultMarket, SimulatedMarket } from '../market/index.ts';
import type { ReferenceData } from '../market/reference.ts';
import { simulatedReferenceData } from '../market/simulated/reference/index.ts';
import {
  OPTION_CHAIN_KIND,
  OptionsMarket,
  optionsMarketOf,
  SharedOptionChains,
} from '../market/options/index.ts';
import { MarketReads } from '../market/cached-reads.ts';
import { OptionsDesk } from '../commands/options-desk.ts';
import { OptionQueries } from '../projections/option-queries.ts';
import { optionMarketRoutes } from '../api/v1/options-routes.ts';
import type { MarketData } from '../market/port.ts';
import type { PasswordHasher } from '../auth/passwords.ts';
import type { RateLimitSettings } from '../api/hardening.ts';
import { backtestRoutes } from '../api/v1/backtest-routes.ts';
import { BacktestService } from '../backtest/service.ts';
import { SqlBacktestResults } from '../projections/backtest-results.ts';
import { SqlBarStore } from '../history/sql-store.ts';
import { ReplayMarket } from '../market/replay/feed.ts';
import { openCache } from './cache.ts';
import { AppendAnnouncements, APPENDS_CHANNEL } from './append-announcements.ts';
import {
  publishQuotes,
  QUOTE_KIND,
  QUOTES_CHANNEL,
  SharedQuoteMarket,
} from '../market/shared-quotes.ts';
import {
  ACCOUNT_SNAPSHOT_KIND,
  AccountSnapshots,
  SNAPSHOT_PROJECTIONS,
} from '../projections/account-snapshots.ts';

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
  /** Reference data (default: the simulated market's own, from its seed). */
  readonly reference?: ReferenceData;
  /** Password hashing (default argon2id with the production parameters). */
  readonly passwordHasher?: PasswordHasher;
  /** Rate-limit overrides (default `DEFAULT_RATE_LIMITS`). */
  readonly rateLimits?: Partial<RateLimitSettings>;
  /** Prefix of the cache's Redis keys and channels (default `opt:`; tests isolate with it). */
  readonly cacheKeyPrefix?: string;
  /**
   * Announce appends on the cache's pub/sub and wake on other processes' announcements
   * (default true with Redis; benchmarks turn it off to measure the poll alone).
   */
  readonly announceAppends?: boolean;
}

/**
 * The composed parts, for interfaces built beside the REST routes (MCP, SSE) and for tests:
 * one of each per process.
 */
export interface Parts {
  readonly config: Config;
  /** The hash-chained event store every writer appends through. */
  readonly eventStore: EventStore;
  readonly market: MarketData;
  /** The one AccountService (the engine uses it too). */
  readonly accounts: AccountService;
  /** Authorized trading and reads for every interface. */
  readonly trading: TradingCommands;
  readonly queries: TradingQueries;
  /** The raw account streams, for auditors and owners. */
  readonly accountEvents: AccountEvents;
  /** Option chains, contracts and option positions with greeks (REST, MCP). */
  readonly options: OptionsDesk;
  /** The projection runner: `waitForPosition` gives read-your-writes. */
  readonly projections: ProjectionRunner<ReadModelDb>;
  readonly readModels: ReadModels;
  readonly security: Security;
  readonly metrics: Registry;
  /** Backtest jobs (processes that serve the API). */
  readonly backtests?: BacktestService;
  /** Corporate actions, ratings, earnings, depth and news; undefined for a feed without them. */
  readonly reference: ReferenceData | undefined;
  /** Indicators, the scanner and reference-data reads. */
  readonly analysis: MarketAnalysis;
  /** Portfolio risk and risk-limit settings. */
  readonly risk: PortfolioRiskQueries;
}

export interface Composition {
  /** The HTTP handler; every role serves it (an engine-only process still answers health probes). */
  readonly app: Express;
  /** HTTP upgrades: Alpaca's `trade_updates` WebSocket at `/stream` (pass to `startServer`). */
  readonly upgrade: UpgradeRoute;
  readonly parts: Parts;
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
  const mounts: { path: string; handler: RequestHandler | ErrorRequestHandler }[] = [];
  const upgrades = new Map<string, UpgradeRoute>();
  const metrics = createMetricsRegistry();
  const servesApi = role === 'all' || role === 'api';
  const runsEngine = role === 'all' || role === 'engine';
  let backtests: BacktestService | undefined;

  try {
    const storage = await (
      options.openStorage ??
      ((c: Config) =>
        openStorage(c, {
          onVacuumError: (error) => {
            logger.warn({ err: error }, 'PGlite autovacuum round failed');
          },
        }))
    )(config);
    closers.add('storage', () => storage.close());
    healthChecks.push({ name: 'eventstore', check: () => storage.eventStore.ping() });

    // The cache (`src/cache`): Redis with REDIS_URL, else process memory. Account snapshots
    // are served from it where the projections invalidate them: in the process that runs
    // them, or through Redis from another one (`openCache` says which).
    const cache = await openCache(config, {
      role,
      logger,
      registry: metrics,
      ...(options.cacheKeyPrefix === undefined ? {} : { keyPrefix: options.cacheKeyPrefix }),
    });
    closers.add('cache', () => cache.close());
    // Degraded, not down: every read falls back to its source while the cache is away.
    healthChecks.push({
      name: 'cache',
      check: () =>
        cache.shared.state() === 'up'
          ? Promise.resolve()
          : Promise.reject(new Error('the cache (Redis) is unreachable; reading from the sources')),
    });
    const { projections, readModels, snapshotVersions } = createReadSide(storage, {
      ...(cache.snapshots ? { cache: cache.snapshots } : {}),
      onCacheError: cache.onError,
    });
    await projections.prepare();
    registerProjectionMetrics(metrics, projections);
    if (storage.database.autovacuum)
      registerAutovacuumMetrics(metrics, storage.database.autovacuum);
    if (runsEngine) {
      // Projection workers run beside the engine; API replicas only read the read models.
      await projections.start();
      closers.add('projections', () => projections.stop());
    }

    // Historical bars (ADR 0008): the replay feed plays them, the bars route and backtests read them.
    const bars = new SqlBarStore(storage.database);
    await bars.migrate();

    // Market data: the seeded simulated feed (MARKET_SEED) on a simulated clock that starts in
    // a regular session (MARKET_START, MARKET_SPEED), or the wall clock (MARKET_CLOCK=real);
    // MARKET_FEED=replay plays stored history from REPLAY_FROM at REPLAY_SPEED.
    const feed =
      options.market ??
      (config.marketFeed === 'replay' && config.replayFrom !== undefined
        ? await ReplayMarket.open({
            source: bars,
            from: config.replayFrom,
            ...(config.replayTo === undefined ? {} : { to: config.replayTo }),
            speed: config.replaySpeed,
          })
        : createDefaultMarket({
            seed: config.marketSeed,
            clock: config.marketClock,
            ...(config.marketStart === undefined ? {} : { start: config.marketStart }),
            speed: config.marketSpeed,
          }));
    // Listed options on top of the feed: chains priced from its quotes (RISK_FREE_RATE,
    // DIVIDEND_YIELDS); option symbols are then quoted like any other.
    const local =
      optionsMarketOf(feed) ??
      new OptionsMarket(feed, {
        seed: config.marketSeed,
        riskFreeRate: config.riskFreeRate,
        dividendYields: config.dividendYields,
      });
    // With Redis the feed's quotes are shared: the engine role publishes them, api replicas
    // read them (and fall back to their own feed for a symbol without a fresh shared quote).
    // An api replica prices options from the shared quotes too, so every replica prices the
    // same chain for the same underlying quote — and finds it in the shared cache.
    let optionsMarket: OptionsMarket = local;
    if (cache.shared.adapter === 'redis') {
      if (role === 'api') {
        const shared = await SharedQuoteMarket.open(local.inner, cache.shared, {
          counter: {
            read: (hit) => {
              cache.metrics.read(QUOTE_KIND.name, hit);
            },
            lag: (seconds) => {
              cache.metrics.pubsubLag(QUOTES_CHANNEL, seconds);
            },
          },
        });
        optionsMarket = local.over(shared);
      } else {
        const stop = publishQuotes(local, cache.shared, cache.onError);
        closers.add('quote publishing', () => {
          stop();
          return Promise.resolve();
        });
      }
    }
    const market: MarketData = optionsMarket;
    // Option chains, the asset list and the calendar through the cache (per-kind TTLs,
    // single-flight loads; chains keyed by the underlying quote they are priced from).
    const chains = new SharedOptionChains(optionsMarket, {
      cache: cache.shared,
      onError: cache.onError,
      onLocalHit: () => {
        cache.metrics.read(OPTION_CHAIN_KIND.name, true);
      },
    });
    const marketReads = new MarketReads(market, cache.shared, cache.onError);
    closers.add('market', () => {
      market.close();
      return Promise.resolve();
    });
    // A replay lists only the symbols it has history for: probe SPY when listed, else the first.
    const probe = market.asset('SPY') === undefined ? (market.assets()[0]?.symbol ?? 'SPY') : 'SPY';
    healthChecks.push({
      name: 'market',
      check: () =>
        market.latestQuote(probe) === undefined
          ? Promise.reject(new Error(`no quote for ${probe}`))
          : Promise.resolve(),
    });
    // Users, tokens, audit trail and rate limits; routes mount `security.authenticated`.
    // `security.eventStore` is the hash-chained store (`openStorage` already chains it; the
    // decorator is idempotent): every writer appends through it.
    const security = await createSecurity({
      config,
      eventStore: storage.eventStore,
      readModels,
      logger,
      secureCookies: config.nodeEnv === 'production',
      ...(options.passwordHasher ? { hasher: options.passwordHasher } : {}),
      ...(options.rateLimits ? { limits: options.rateLimits } : {}),
      // API keys may be bound to an account of their user (the account `/v2` acts on); the
      // trading commands are built below, after security, and only called at request time.
      accountOwner: (accountId) => trading.ownerOf(accountId),
      cache: cache.shared,
    });
    closers.add('security', () => security.close());
    // Append latency (`eventstore_append_duration_seconds`) of every trading write, over the hash chain.
    let eventStore = instrumentEventStore(security.eventStore, metrics);
    // With Redis every append is announced on pub/sub, and announcements of other processes
    // wake this process's subscriptions (live updates, engine, projections) at once; the
    // store's poll stays the fallback, so a lost message only costs latency
    // (`append-announcements.ts`).
    if (cache.shared.adapter === 'redis' && options.announceAppends !== false) {
      const announcements = new AppendAnnouncements(cache.shared, cache.onError);
      eventStore = announcements.announcing(eventStore);
      await announcements.listen((_position, lagSeconds) => {
        cache.metrics.pubsubLag(APPENDS_CHANNEL, lagSeconds);
        storage.eventStore.wake?.();
      });
      closers.add('append announcements', () => announcements.close());
    }

    // Reference data (analysis, corporate actions) from the simulated feed's seed; depth reads
    // the quotes the process serves.
    const reference =
      options.reference ??
      (feed instanceof SimulatedMarket ? simulatedReferenceData(feed, market) : undefined);

    // The one AccountService of the process: REST, MCP and the engine share its state cache
    // and its per-stream serialization.
    const accounts = new AccountService({ store: eventStore, market });
    const queries = new SqlTradingQueries(readModels, market, {
      ...(snapshotVersions
        ? {
            snapshots: (load) =>
              new AccountSnapshots({
                versions: snapshotVersions,
                load,
                appliedPosition: () => projections.appliedPosition(SNAPSHOT_PROJECTIONS),
                onError: cache.onError,
                onStale: () => {
                  cache.metrics.stale(ACCOUNT_SNAPSHOT_KIND.name);
                },
              }),
          }
        : {}),
    });
    const trading = new TradingCommands({ accounts, market, audit: security.audit, queries });
    const accountEvents = new AccountEvents({ accounts, store: eventStore });
    // Analysis and risk: indicators, the scanner, reference data, portfolio risk and limits.
    const analysis = new MarketAnalysis(market, reference);
    // Chains and contracts come from the options market (on an api replica: priced from the
    // shared quotes of the underlyings, the engine's).
    const optionsDesk = new OptionsDesk({
      trading,
      queries: new OptionQueries(readModels),
      market: optionsMarket,
      chains,
    });
    const risk = new PortfolioRiskQueries({ trading, market, analysis, options: optionsDesk });

    if (servesApi) {
      routes.push(...security.routes);
      routes.push(
        tradingRoutes({
          trading,
          events: accountEvents,
          market,
          authenticated: security.authenticated,
          waiter: projections,
          readWaitMs: config.readWaitMs,
          options: optionsDesk,
        }),
      );
      // Backtest jobs on worker threads (docs/backtesting.md).
      // Finished results go to the read-model schema (`backtest_results`): they survive restarts.
      const jobs = new BacktestService({
        store: eventStore,
        bars,
        results: new SqlBacktestResults(readModels),
      });
      backtests = jobs;
      closers.add('backtests', () => jobs.close());
      routes.push(backtestRoutes({ backtests: jobs, authenticated: security.authenticated }));
      routes.push(
        marketRoutes({
          market,
          authenticated: security.authenticated,
          history: bars,
          reads: marketReads,
        }),
      );
      routes.push(analysisRoutes({ analysis, authenticated: security.authenticated }));
      routes.push(
        riskRoutes({
          risk,
          authenticated: security.authenticated,
          waiter: projections,
          readWaitMs: config.readWaitMs,
        }),
      );
      routes.push(optionMarketRoutes({ desk: optionsDesk, authenticated: security.authenticated }));
      // Live updates: one `$all` follower for every SSE client of this process.
      const followed = liveDelayHistogram(metrics);
      const live = new LiveUpdates({
        store: eventStore,
        logger,
        onFollowed: (seconds) => {
          followed.observe(seconds);
        },
      });
      closers.add('live updates', () => live.close());
      routes.push(streamRoutes({ live, authenticated: security.authenticated, metrics, logger }));
      // Alpaca's trading API at `/v2` and its `trade_updates` WebSocket at `/stream`, for
      // unmodified Alpaca SDK bots (docs/alpaca.md); the same commands, reads and live updates.
      const alpaca = alpacaApi({
        trading,
        market,
        options: optionsDesk.market,
        reads: marketReads,
        authenticated: security.authenticated,
        authenticate: (bearer) => security.users.authenticate(bearer),
        waiter: projections,
        readWaitMs: config.readWaitMs,
        live,
        logger,
      });
      closers.add('alpaca stream', () => alpaca.close());
      mounts.push({ path: '/v2', handler: alpaca.router }, { path: '/v2', handler: alpaca.errors });
      upgrades.set(STREAM_PATH, {
        handle: (req, socket, head) => {
          alpaca.stream.handleUpgrade(req, socket, head);
        },
        closeConnections: () => {
          alpaca.stream.closeConnections();
        },
      });
      // MCP over Streamable HTTP at `/mcp`: the same tools as `paper-trading mcp` (stdio), for
      // the caller of the bearer token (access token or API key).
      const mcp = mcpHttpHandler({
        deps: {
          trading,
          market,
          analysis,
          risk,
          projections,
          accountEvents,
          eventStore,
          options: optionsDesk,
          version: options.version,
          clock: config.marketClock,
          healthChecks,
          logger,
          readTimeoutMs: config.readWaitMs,
          backtests,
        },
        authenticated: security.authenticated,
        allowedOrigins: config.corsOrigins,
        logger,
      });
      closers.add('mcp sessions', () => mcp.close());
      mounts.push({ path: '/mcp', handler: mcp.router });
    }
    if (runsEngine) {
      // The execution engine behind its lease: a second engine process waits as a standby.
      const engine: ExecutionEngine = new ExecutionEngine({
        service: accounts,
        events: eventStore,
        state: engineStoreFor(config, storage),
        metrics: createEngineMetrics(metrics, (): ExecutionEngine => engine),
        logger,
        ...(reference === undefined ? {} : { corporateActions: reference.corporateActions }),
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
      mounts,
      logger,
      corsOrigins: config.corsOrigins,
      rateLimit: security.rateLimit,
    });
    app.set('trust proxy', config.trustProxy);
    return {
      app,
      upgrade: routeUpgrades(upgrades),
      parts: {
        config,
        eventStore,
        market,
        accounts,
        trading,
        queries,
        accountEvents,
        options: optionsDesk,
        projections,
        readModels,
        security,
        metrics,
        ...(backtests === undefined ? {} : { backtests }),
        reference,
        analysis,
        risk,
      },
      close: () => closers.close(),
    };
  } catch (error) {
    await closers.close();
    throw error;
  }
}

/** `live_update_delay_seconds`: from an account event's commit to this process's live hub. */
function liveDelayHistogram(registry: Registry): Histogram {
  return new Histogram({
    name: 'live_update_delay_seconds',
    help: 'Seconds from an account event being committed to the live-update hub of this process rendering it (SSE, trade_updates)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}

/** Upgrades by path; any other path is refused with 404. */
function routeUpgrades(routes: ReadonlyMap<string, UpgradeRoute>): UpgradeRoute {
  return {
    handle: (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const target = routes.get(path);
      if (target) target.handle(req, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    },
    closeConnections: () => {
      for (const route of routes.values()) route.closeConnections();
    },
  };
}

/** Where the engine keeps its lease and checkpoint: beside the events it follows. */
function engineStoreFor(config: Config, storage: Storage): EngineStore {
  return config.eventStoreAdapter === 'memory'
    ? new MemoryEngineStore()
    : new SqlEngineStore(storage.database);
}
