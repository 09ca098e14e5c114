import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.ts';
import { createSecurity, type Security } from '../../src/api/security.ts';
import { startServer } from '../../src/api/server.ts';
import type { RateLimitSettings } from '../../src/api/hardening.ts';
import { argon2Hasher } from '../../src/auth/passwords.ts';
import type { SqlDatabase } from '../../src/eventstore/database.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import {
  ProjectionRunner,
  readModelProjections,
  type ReadModelDb,
} from '../../src/projections/index.ts';
import { migrateReadModels } from '../../src/projections/schema.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

/** Cheap argon2id for tests (the production parameters are in `ARGON2_PARAMS`). */
export const testHasher = argon2Hasher({ memoryCost: 1024, timeCost: 1 });
export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface AuthHarness {
  readonly url: string;
  readonly security: Security;
  readonly store: EventStore;
  readonly db: Kysely<ReadModelDb>;
  readonly runner: ProjectionRunner<ReadModelDb>;
  readonly schema: string;
  readonly database: SqlDatabase;
  close(): Promise<void>;
}

export interface AuthHarnessOptions {
  limits?: Partial<RateLimitSettings>;
  logger?: Logger;
  redisUrl?: string;
  /** Rate-limit keys in Redis start with this (tests use `redisKeyPrefix()` + something). */
  rateLimitKeyPrefix?: string;
  redisConnectTimeoutMs?: number;
  redisCommandTimeoutMs?: number;
  /** Serve a second replica of this harness: same event store and read models, own app. */
  replicaOf?: AuthHarness;
  /** Session cookies `Secure` even over HTTP (as in production). */
  secureCookies?: boolean;
}

/**
 * The security routes served on a loopback port over an isolated PGlite schema: event store,
 * read models with RLS, projections (caught up by `runner.catchUp()`). With `replicaOf`, another
 * app process in miniature over the same storage: its own `createSecurity`, rate limiters and
 * Redis client.
 */
export async function startAuthHarness(options: AuthHarnessOptions = {}): Promise<AuthHarness> {
  const shared = options.replicaOf ?? (await openAuthStorage());
  const { store, db, runner, schema, database } = shared;
  const logger = options.logger ?? pino({ level: 'silent' });
  const security = await createSecurity({
    config: {
      jwtSecret: TEST_SECRET,
      dataDir: mkdtempSync(path.join(tmpdir(), 'opt-auth-')),
      redisUrl: options.redisUrl,
    },
    eventStore: store,
    readModels: db,
    logger,
    hasher: testHasher,
    ...(options.secureCookies === undefined ? {} : { secureCookies: options.secureCookies }),
    limits: { perIp: 10_000, auth: 10_000, perUser: 10_000, ...options.limits },
    ...(options.rateLimitKeyPrefix === undefined
      ? {}
      : { rateLimitKeyPrefix: options.rateLimitKeyPrefix }),
    ...(options.redisConnectTimeoutMs === undefined
      ? {}
      : { redisConnectTimeoutMs: options.redisConnectTimeoutMs }),
    ...(options.redisCommandTimeoutMs === undefined
      ? {}
      : { redisCommandTimeoutMs: options.redisCommandTimeoutMs }),
  });
  const app = createApp({
    version: 'test',
    metrics: new Registry(),
    routes: security.routes,
    rateLimit: security.rateLimit,
    logger,
  });
  const server = await startServer(app, { port: 0, host: '127.0.0.1' });
  return {
    url: `${server.url}/api/v1`,
    security,
    store,
    db,
    runner,
    schema,
    database,
    close: async () => {
      await server.close();
      await security.close();
    },
  };
}

async function openAuthStorage(): Promise<
  Pick<AuthHarness, 'store' | 'db' | 'runner' | 'schema' | 'database'>
> {
  const database = await sharedPglite();
  const schema = uniqueSchema('auth');
  const store = await openPgliteEventStore({ database, schema });
  const root = new Kysely<ReadModelDb>({ dialect: new PostgresDialect({ pool: database.pool }) });
  await migrateReadModels(root as unknown as Kysely<unknown>, schema);
  const db = root.withSchema(schema);
  const runner = new ProjectionRunner(store, root, readModelProjections(), { schema });
  await runner.prepare();
  return { store, db, runner, schema, database };
}

export interface Json {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** A JSON request; `token` goes in `Authorization: Bearer`. */
export async function call(
  url: string,
  method: string,
  body?: unknown,
  token?: string,
): Promise<Json> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

export const PASSWORD = 'correct horse battery staple';

/** Registers a user through the API and answers its tokens. */
export async function registerUser(
  h: AuthHarness,
  email: string,
): Promise<{ userId: string; access: string; refresh: string }> {
  const res = await call(`${h.url}/auth/register`, 'POST', { email, password: PASSWORD });
  if (res.status !== 201)
    throw new Error(`register ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    userId: String(res.body.user_id),
    access: String(res.body.access_token),
    refresh: String(res.body.refresh_token),
  };
}
