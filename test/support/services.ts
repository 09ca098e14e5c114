/**
 * Real PostgreSQL and Redis for tests, found or started once per test run and cleaned up by the
 * root `afterAll` hook (`hooks.ts`).
 *
 * Where each comes from, first that works:
 *   1. `DATABASE_URL` / `REDIS_URL` when set (that server only: a misconfigured URL is reported,
 *      not silently replaced by another server);
 *   2. the shared server on 127.0.0.1:5432 (user postgres) / 127.0.0.1:6379;
 *   3. a throwaway server the harness starts itself (initdb + pg_ctl / redis-server) on a random
 *      high loopback port, when the binaries are installed.
 * When none works the calling suite is skipped — except with `CI=true`, where a missing service
 * is a failure, never a skip.
 *
 * Shared servers are never stopped or flushed: PostgreSQL tests get a database of their own
 * (`opt_test_<pid>_<random>`, dropped at the end), Redis tests must prefix every key with
 * `redisKeyPrefix()` (those keys are deleted at the end).
 *
 * Usage: `before(async function () { url = await postgresUrl(this); })`.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { RespError, redisCommands } from './resp.ts';

const execFileAsync = promisify(execFile);

/** Identifies this test run in database names and Redis keys. */
const RUN_ID = `${process.pid}_${randomBytes(4).toString('hex')}`;

const SHARED_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const SHARED_REDIS = 'redis://127.0.0.1:6379';

type Provision = { readonly url: string } | { readonly unavailable: string };

/** Clean-up work for `stopServices`, run newest first. */
const cleanups: { name: string; run: () => Promise<void> }[] = [];
/** Last-resort synchronous stops if the process exits without `stopServices` (a crash). */
const exitStops = new Set<() => void>();
process.on('exit', () => {
  for (const stop of exitStops) {
    try {
      stop();
    } catch {
      // The process is exiting anyway; nothing more can be done.
    }
  }
});

let postgres: Promise<Provision> | undefined;
let redis: Promise<Provision> | undefined;

/**
 * URL of a PostgreSQL database created for this test run (the same one for every caller).
 * Skips the calling test or suite when no PostgreSQL can be had; throws instead when `CI=true`.
 */
export async function postgresUrl(ctx: Mocha.Context): Promise<string> {
  postgres ??= providePostgres();
  return urlOrSkip(ctx, 'PostgreSQL', await postgres);
}

/**
 * URL of a Redis server for this run. Keys must start with `redisKeyPrefix()`; never FLUSHDB or
 * FLUSHALL — the server may be shared. Skips when no Redis can be had; throws when `CI=true`.
 */
export async function redisUrl(ctx: Mocha.Context): Promise<string> {
  redis ??= provideRedis();
  return urlOrSkip(ctx, 'Redis', await redis);
}

/** The key prefix this run owns on the Redis server (`opt_test:<pid>_<random>:`). */
export function redisKeyPrefix(): string {
  return `opt_test:${RUN_ID}:`;
}

/** Drops what the run created and stops the servers it started. Called by the root hook. */
export async function stopServices(): Promise<void> {
  const failures: string[] = [];
  for (const { name, run } of cleanups.splice(0).reverse()) {
    try {
      await run();
    } catch (error) {
      failures.push(`${name}: ${errorMessage(error)}`);
    }
  }
  postgres = undefined;
  redis = undefined;
  if (failures.length > 0) throw new Error(`Test services clean-up failed: ${failures.join('; ')}`);
}

const warned = new Set<string>();

function urlOrSkip(ctx: Mocha.Context, service: string, provision: Provision): string {
  if ('url' in provision) return provision.url;
  if (process.env.CI === 'true') {
    throw new Error(
      `${service} is required when CI=true but unavailable: ${provision.unavailable}`,
    );
  }
  if (!warned.has(service)) {
    warned.add(service);
    process.stderr.write(
      `[test services] ${service} unavailable, skipping the tests that need it: ${provision.unavailable}\n`,
    );
  }
  ctx.skip();
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A URL fit for a log line: the password masked. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

// ─── PostgreSQL ────────────────────────────────────────────────────────────────────────────────

async function pgProblem(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    // Connection errors such as ECONNREFUSED can arrive as an AggregateError with no message.
    const code = (error as { code?: unknown }).code;
    return errorMessage(error) || (typeof code === 'string' ? code : 'unknown error');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function providePostgres(): Promise<Provision> {
  const explicit = process.env.DATABASE_URL;
  if (explicit) {
    const problem = await pgProblem(explicit);
    if (problem) return { unavailable: `DATABASE_URL (${redact(explicit)}): ${problem}` };
    return createTestDatabase(explicit);
  }
  const sharedProblem = await pgProblem(SHARED_POSTGRES);
  if (!sharedProblem) return createTestDatabase(SHARED_POSTGRES);
  const bin = postgresBinDir();
  if (!bin) {
    return {
      unavailable: `127.0.0.1:5432 does not answer (${sharedProblem}) and initdb/pg_ctl are not installed`,
    };
  }
  try {
    const cluster = await startPostgresCluster(bin);
    cleanups.push({ name: `stop throwaway PostgreSQL at ${cluster.url}`, run: cluster.stop });
    return await createTestDatabase(cluster.url);
  } catch (error) {
    return {
      unavailable: `127.0.0.1:5432 does not answer (${sharedProblem}) and a throwaway cluster did not start: ${errorMessage(error)}`,
    };
  }
}

/** Creates `opt_test_<run>` on the server of `adminUrl` and registers its drop. */
async function createTestDatabase(adminUrl: string): Promise<Provision> {
  const name = `opt_test_${RUN_ID}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  cleanups.push({
    name: `drop database ${name}`,
    run: async () => {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString() };
}

/** A directory holding both `initdb` and `pg_ctl`, newest major version first. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // pg_config is optional.
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(root, version, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  return candidates.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  );
}

/** A port nothing listens on right now, in the high range where nothing is configured. */
async function freeHighPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => {
        resolve(false);
      });
      server.listen(port, '127.0.0.1', () => {
        resolve(true);
      });
    });
    if (free) {
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      return port;
    }
  }
  throw new Error('found no free port');
}

interface Runner {
  /** Runs a binary, as user postgres when this process is root (PostgreSQL refuses root). */
  readonly run: (file: string, args: readonly string[]) => Promise<void>;
  readonly runSync: (file: string, args: readonly string[]) => void;
}

function postgresRunner(): Runner {
  const asRoot = process.getuid?.() === 0;
  const wrap = (file: string, args: readonly string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, [...args]];
  return {
    run: async (file, args) => {
      const [command, argv] = wrap(file, args);
      await execFileAsync(command, argv, { timeout: 60_000 });
    },
    runSync: (file, args) => {
      const [command, argv] = wrap(file, args);
      execFileSync(command, argv, { stdio: 'ignore', timeout: 30_000 });
    },
  };
}

/** A server the harness started; `stop` also removes its files. */
export interface ThrowawayServer {
  /** Admin URL (PostgreSQL: database `postgres`, user `postgres`, trust auth). */
  readonly url: string;
  readonly stop: () => Promise<void>;
}

/**
 * Starts a throwaway PostgreSQL cluster from the binaries in `bin`: a temp directory, loopback
 * only, a random high port, fsync off; run as user `postgres` when this process is root.
 */
export async function startPostgresCluster(bin: string): Promise<ThrowawayServer> {
  const runner = postgresRunner();
  const dir = await mkdtemp(join(tmpdir(), 'opt-pg-'));
  const data = join(dir, 'data');
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      await chown(dir, uid, gid);
      await mkdir(data, { mode: 0o700 });
      await chown(data, uid, gid);
    }
    await runner.run(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    const pgCtl = join(bin, 'pg_ctl');
    const port = await freeHighPort();
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
    ].join(' ');
    await runner.run(pgCtl, [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    const stopSync = (): void => {
      runner.runSync(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    };
    exitStops.add(stopSync);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        exitStops.delete(stopSync);
        await runner.run(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
        await removeDir();
      },
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

// ─── Redis ─────────────────────────────────────────────────────────────────────────────────────

async function redisProblem(url: string): Promise<string | undefined> {
  try {
    const [reply] = await redisCommands(url, [['PING']]);
    if (reply === 'PONG') return undefined;
    return reply instanceof RespError ? reply.message : `PING answered ${JSON.stringify(reply)}`;
  } catch (error) {
    return errorMessage(error);
  }
}

async function provideRedis(): Promise<Provision> {
  const explicit = process.env.REDIS_URL;
  if (explicit) {
    const problem = await redisProblem(explicit);
    if (problem) return { unavailable: `REDIS_URL (${redact(explicit)}): ${problem}` };
    return useRedis(explicit);
  }
  const sharedProblem = await redisProblem(SHARED_REDIS);
  if (!sharedProblem) return useRedis(SHARED_REDIS);
  const binary = redisServerBinary();
  if (!binary) {
    return {
      unavailable: `127.0.0.1:6379 does not answer (${sharedProblem}) and redis-server is not installed`,
    };
  }
  try {
    const server = await startRedisServer(binary);
    cleanups.push({ name: `stop throwaway redis-server at ${server.url}`, run: server.stop });
    return useRedis(server.url);
  } catch (error) {
    return {
      unavailable: `127.0.0.1:6379 does not answer (${sharedProblem}) and a throwaway redis-server did not start: ${errorMessage(error)}`,
    };
  }
}

/** Registers deletion of this run's keys (only those: the server may be shared). */
function useRedis(url: string): Provision {
  cleanups.push({
    name: 'delete test keys from Redis',
    run: async () => {
      let cursor = '0';
      do {
        const [reply] = await redisCommands(url, [
          ['SCAN', cursor, 'MATCH', `${redisKeyPrefix()}*`, 'COUNT', '1000'],
        ]);
        if (!Array.isArray(reply)) throw new Error(`unexpected SCAN reply ${String(reply)}`);
        const [next, keys] = reply;
        cursor = String(next);
        if (Array.isArray(keys) && keys.length > 0) {
          await redisCommands(url, [['UNLINK', ...keys.map(String)]]);
        }
      } while (cursor !== '0');
    },
  });
  return { url };
}

/** `redis-server` on the PATH, if any. */
export function redisServerBinary(): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'redis-server'))
    .find((file) => existsSync(file));
}

/**
 * Starts a throwaway `redis-server` child on loopback and a random high port (or `port`, to
 * start one again where a stopped one listened), no persistence.
 */
export async function startRedisServer(binary: string, port?: number): Promise<ThrowawayServer> {
  port ??= await freeHighPort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const stopSync = (): void => {
    child.kill('SIGKILL');
  };
  exitStops.add(stopSync);
  const stop = async (): Promise<void> => {
    exitStops.delete(stopSync);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = `redis://127.0.0.1:${port}`;
  let problem: string | undefined = 'not started';
  for (let attempt = 0; attempt < 100 && problem; attempt += 1) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
    problem = await redisProblem(url);
  }
  if (problem) {
    await stop();
    throw new Error(`redis-server on port ${port}: ${problem}`);
  }
  return { url, stop };
}
