/**
 * The whole application, composed as `serve` composes it, on a loopback port: embedded PGlite
 * (in memory, one per server) or a fresh PostgreSQL database. Cheap password hashing, generous
 * rate limits and, optionally, a market on a clock the test moves.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { startServer } from '../../src/api/server.ts';
import { compose, type Composition, type Role } from '../../src/app/compose.ts';
import { loadConfig } from '../../src/config.ts';
import { openPgliteDatabase } from '../../src/eventstore/database.ts';
import { withHashChain } from '../../src/eventstore/hash-chain.ts';
import type { Storage } from '../../src/eventstore/index.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import type { MarketData } from '../../src/market/port.ts';
import { testHasher, TEST_SECRET } from '../auth/harness.ts';
import { postgresUrl } from './services.ts';

export interface ApiServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** `origin` + `/api/v1` */
  readonly api: string;
  readonly composition: Composition;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  readonly role?: Role;
  /** A `postgres://` URL; absent → in-memory PGlite. */
  readonly databaseUrl?: string;
  readonly market?: MarketData;
  /** Extra environment (e.g. `READ_WAIT_MS`). */
  readonly env?: Readonly<Record<string, string>>;
}

/** In-memory PGlite storage with the hash-chained event store, as `openStorage` builds it. */
export async function memoryStorage(): Promise<Storage> {
  const database = await openPgliteDatabase('memory://');
  const eventStore = withHashChain(await openPgliteEventStore({ database }));
  return {
    eventStore,
    database,
    close: async () => {
      await eventStore.close();
      await database.close();
    },
  };
}

/** Composes the application and serves it on a free loopback port. */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const database = options.databaseUrl ?? 'pglite';
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-api-')),
    LOG_LEVEL: 'silent',
    ...(database === 'pglite' ? {} : { DATABASE_URL: database }),
    ...options.env,
  });
  const composition = await compose(config, {
    role: options.role ?? 'all',
    version: 'test',
    logger: pino({ level: 'silent' }),
    passwordHasher: testHasher,
    rateLimits: { perIp: 1_000_000, auth: 1_000_000, perUser: 1_000_000 },
    ...(database === 'pglite' ? { openStorage: memoryStorage } : {}),
    ...(options.market ? { market: options.market } : {}),
  });
  try {
    const server = await startServer(composition.app, {
      port: 0,
      host: '127.0.0.1',
      upgrade: composition.upgrade,
    });
    return {
      origin: server.url,
      api: `${server.url}/api/v1`,
      composition,
      close: async () => {
        await server.close();
        await composition.close();
      },
    };
  } catch (error) {
    await composition.close();
    throw error;
  }
}

/**
 * A PostgreSQL database of its own on the test server (`postgresUrl`), dropped by `drop`.
 * Skips the calling suite when no PostgreSQL is available (fails under `CI=true`).
 */
export async function freshPostgresDatabase(
  ctx: Mocha.Context,
): Promise<{ readonly url: string; drop(): Promise<void> }> {
  const base = await postgresUrl(ctx);
  const name = `opt_api_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
