/**
 * A server for the live-update, market and metrics specs: the security routes, the market
 * routes and `GET /stream` on a loopback port, over an isolated PGlite schema, with the
 * account service writing through the same (hash-chained, instrumented) store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp, type RouteModule } from '../../src/api/app.ts';
import { LiveUpdates, type LiveUpdatesOptions } from '../../src/api/live.ts';
import { registerProjectionMetrics } from '../../src/api/metrics.ts';
import { createSecurity, type Security } from '../../src/api/security.ts';
import { startServer } from '../../src/api/server.ts';
import { marketRoutes } from '../../src/api/v1/market-routes.ts';
import { streamRoutes, type StreamRouteDeps } from '../../src/api/v1/stream-routes.ts';
import { AccountService, type CallContext } from '../../src/commands/accounts.ts';
import { SYSTEM_PRINCIPAL } from '../../src/commands/policy.ts';
import type { Role } from '../../src/domain/user/roles.ts';
import { instrumentEventStore } from '../../src/eventstore/instrumented.ts';
import { openPostgresDatabase } from '../../src/eventstore/database.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import {
  createDefaultMarket,
  SimulatedClock,
  type SimulatedMarket,
} from '../../src/market/index.ts';
import { call, PASSWORD, TEST_SECRET, testHasher } from '../auth/harness.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';
import { Kysely, PostgresDialect } from 'kysely';
import {
  ProjectionRunner,
  readModelProjections,
  type ReadModelDb,
} from '../../src/projections/index.ts';
import { migrateReadModels } from '../../src/projections/schema.ts';

/** Monday 2025-03-03, 10:00 New York: inside a regular session, so market orders fill. */
export const SESSION = new Date('2025-03-03T15:00:00.000Z');

export interface LiveHarness {
  /** `http://127.0.0.1:port/api/v1` */
  readonly url: string;
  /** `http://127.0.0.1:port` */
  readonly origin: string;
  readonly store: EventStore;
  readonly accounts: AccountService;
  readonly market: SimulatedMarket;
  readonly live: LiveUpdates;
  readonly security: Security;
  readonly metrics: Registry;
  /** The read models of this harness's schema. */
  readonly readModels: Kysely<ReadModelDb>;
  /** The read-model projections (not started; `catchUp()` applies what is stored). */
  readonly runner: ProjectionRunner<ReadModelDb>;
  /** Registers a user through the API (and grants `role` when given). */
  user(role?: Role): Promise<{ userId: string; access: string }>;
  close(): Promise<void>;
}

export interface LiveHarnessOptions {
  /** Run on the test PostgreSQL server (`postgresUrl(ctx)`) instead of the shared PGlite. */
  readonly postgres?: Mocha.Context;
  readonly live?: Partial<LiveUpdatesOptions>;
  readonly stream?: Partial<Omit<StreamRouteDeps, 'live' | 'authenticated'>>;
  /** Extra route modules (e.g. one that fails, for the metrics spec). */
  readonly routes?: readonly RouteModule[];
}

let users = 0;

export async function startLiveHarness(options: LiveHarnessOptions = {}): Promise<LiveHarness> {
  const schema = uniqueSchema('live');
  const database = options.postgres
    ? await openPostgresDatabase(await postgresUrl(options.postgres), 8)
    : await sharedPglite();
  const metrics = new Registry();
  const raw = options.postgres
    ? await openPostgresEventStore({ database, schema, pollMs: 20 })
    : await openPgliteEventStore({ database, schema });
  const root = new Kysely<ReadModelDb>({ dialect: new PostgresDialect({ pool: database.pool }) });
  await migrateReadModels(root as unknown as Kysely<unknown>, schema);
  const runner = new ProjectionRunner(raw, root, readModelProjections(), { schema });
  await runner.prepare();
  registerProjectionMetrics(metrics, runner);
  const logger = pino({ level: 'silent' });
  const security = await createSecurity({
    config: {
      jwtSecret: TEST_SECRET,
      dataDir: mkdtempSync(path.join(tmpdir(), 'opt-live-')),
      redisUrl: undefined,
    },
    eventStore: raw,
    readModels: root.withSchema(schema),
    logger,
    hasher: testHasher,
    limits: { perIp: 100_000, auth: 100_000, perUser: 100_000 },
  });
  // Trading writes through the hash chain, measured (as the composition wires it).
  const store = instrumentEventStore(security.eventStore, metrics);
  const market = createDefaultMarket({
    seed: 42,
    clock: new SimulatedClock({ start: SESSION, speed: 0 }),
    haltProbability: 0,
  });
  const accounts = new AccountService({ store, market });
  const live = new LiveUpdates({ store, idleMs: 0, logger, ...options.live });
  const app = createApp({
    version: 'test',
    metrics,
    routes: [
      ...security.routes,
      marketRoutes({ market, authenticated: security.authenticated }),
      streamRoutes({
        live,
        authenticated: security.authenticated,
        metrics,
        logger,
        ...options.stream,
      }),
      ...(options.routes ?? []),
    ],
    rateLimit: security.rateLimit,
    logger,
  });
  const server = await startServer(app, { port: 0, host: '127.0.0.1', gracePeriodMs: 100 });
  const url = `${server.url}/api/v1`;
  return {
    url,
    origin: server.url,
    store,
    accounts,
    market,
    live,
    security,
    metrics,
    runner,
    readModels: root.withSchema(schema),
    user: async (role) => {
      users += 1;
      const email = `live${users}.${process.pid}.${Date.now()}@example.com`;
      const res = await call(`${url}/auth/register`, 'POST', { email, password: PASSWORD });
      if (res.status !== 201)
        throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
      const userId = String(res.body.user_id);
      if (role) {
        await security.users.grantRole(SYSTEM_PRINCIPAL, userId, role, {
          source: 'test',
          correlationId: `grant-${userId}`,
        });
      }
      return { userId, access: String(res.body.access_token) };
    },
    close: async () => {
      await live.close();
      await server.close();
      await security.close();
      market.close();
      if (options.postgres) {
        await database.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await database.close();
      }
    },
  };
}

/** Who the specs trade as. */
export const TEST_CONTEXT: CallContext = { actor: 'test', source: 'test' };

/** One parsed Server-Sent Event. */
export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: Record<string, unknown>;
}

/**
 * A Server-Sent Events client over `fetch`: collects parsed events (comments are counted,
 * not returned) and answers them in order through `take`.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  /** The `Last-Event-ID` a reconnecting browser would send. */
  lastEventId: string | undefined;
  readonly #abort = new AbortController();
  #waiters: (() => void)[] = [];
  #ended = false;
  #taken = 0;

  private constructor(readonly response: Response) {}

  static async open(
    url: string,
    token: string,
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    const client = new SseClient(response);
    client.#abort.signal.addEventListener('abort', () => {
      abort.abort();
    });
    if (response.ok && response.body) void client.#read(response.body);
    return client;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let split = buffer.indexOf('\n\n');
        while (split >= 0) {
          this.#parse(buffer.slice(0, split));
          buffer = buffer.slice(split + 2);
          split = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      this.#ended = true;
      this.#wake();
    }
  }

  #parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments += 1;
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      fields += 1;
      if (name === 'event') event = value;
      else if (name === 'id') id = value;
      else if (name === 'data') data.push(value);
    }
    if (id !== undefined) this.lastEventId = id;
    if (fields === 0 || data.length === 0) return;
    this.events.push({ event, id, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Waits until `predicate` holds over the events received so far (default 5 s). */
  async until(
    predicate: (events: readonly SseEvent[]) => boolean,
    timeoutMs = 5000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.#ended) throw new Error(`stream ended; got ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for events; got ${JSON.stringify(this.events)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next `n` events after those already taken, waiting for them. */
  async take(n: number, timeoutMs = 5000): Promise<SseEvent[]> {
    const want = this.#taken + n;
    await this.until((events) => events.length >= want, timeoutMs);
    const out = this.events.slice(this.#taken, want);
    this.#taken = want;
    return out;
  }

  /** Waits until the server ends the stream. */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) {
      if (Date.now() > deadline) throw new Error('the stream is still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.#abort.abort();
  }
}

/** Polls `check` until it holds (default 5 s). */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
