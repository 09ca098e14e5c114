/**
 * Process configuration, read once from the environment and validated with zod (DESIGN.md
 * section 5). A bad value stops start-up with a `ConfigError` whose message is one line naming
 * the variable and what is wrong; secrets are never echoed back.
 */
import { z } from 'zod';
import { DEFAULT_VACUUM_INTERVAL_MS } from './eventstore/sql/vacuum.ts';

export const EVENT_STORES = ['postgres', 'esdb', 'memory'] as const;
export const NODE_ENVS = ['development', 'test', 'production'] as const;
export const MARKET_FEEDS = ['simulated', 'replay'] as const;
export const MARKET_CLOCKS = ['simulated', 'real'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Shortest `JWT_SECRET` accepted: 32 characters (256 bits of ASCII entropy at best). */
export const MIN_JWT_SECRET_LENGTH = 32;

/** The event-store adapter the settings select: `postgres` without `DATABASE_URL` is PGlite. */
export type EventStoreAdapter = 'postgres' | 'pglite' | 'esdb' | 'memory';

export interface Config {
  /** `PORT`: HTTP port of `serve` (default 8080). */
  readonly port: number;
  /** `DATA_DIR`: local state such as the embedded PGlite database (default `./.data`). */
  readonly dataDir: string;
  /** `DATABASE_URL`: a `postgres://` URL; absent → the embedded PGlite database. */
  readonly databaseUrl: string | undefined;
  /** `EVENT_STORE` as set (default `postgres`). */
  readonly eventStore: (typeof EVENT_STORES)[number];
  /** The adapter `EVENT_STORE` and `DATABASE_URL` select together. */
  readonly eventStoreAdapter: EventStoreAdapter;
  /** `ESDB_CONNECTION_STRING`: required when `EVENT_STORE=esdb`. */
  readonly esdbConnectionString: string | undefined;
  /** `REDIS_URL`: market-data cache; absent → in-memory LRU. */
  readonly redisUrl: string | undefined;
  /** `JWT_SECRET`: required in production; otherwise generated once and kept in `DATA_DIR`. */
  readonly jwtSecret: string | undefined;
  /** `NODE_ENV` (default `development`). */
  readonly nodeEnv: (typeof NODE_ENVS)[number];
  /** `MARKET_FEED` (default `simulated`). */
  readonly marketFeed: (typeof MARKET_FEEDS)[number];
  /** `REPLAY_FROM`: first instant replayed; required when `MARKET_FEED=replay`. */
  readonly replayFrom: Date | undefined;
  /** `REPLAY_TO`: last instant replayed; absent → to the end of the stored history. */
  readonly replayTo: Date | undefined;
  /** `REPLAY_SPEED`: simulated seconds per wall-clock second (default 1). */
  readonly replaySpeed: number;
  /** `MARKET_SEED`: seed of the simulated feed (default 42). */
  readonly marketSeed: number;
  /** `MARKET_CLOCK`: `simulated` (default) or `real` wall-clock time. */
  readonly marketClock: (typeof MARKET_CLOCKS)[number];
  /**
   * `MARKET_START`: where the simulated clock starts (default: 10:00 New York on the latest
   * session day); e.g. a minute before an expiration's close, to watch options settle.
   */
  readonly marketStart: Date | undefined;
  /** `MARKET_SPEED`: simulated milliseconds per real millisecond (default 1; 60 = a minute a second). */
  readonly marketSpeed: number;
  /** `LOG_LEVEL` (default `info`). */
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** `CORS_ORIGINS`: comma-separated origins allowed cross-origin access (default none). */
  readonly corsOrigins: readonly string[];
  /** `TRUST_PROXY`: reverse-proxy hops in front of the server, for client IPs (default 0). */
  readonly trustProxy: number;
  /**
   * `READ_WAIT_MS`: the longest a read with `X-Min-Position` waits for the read models before
   * answering 503 `projection_lag` (default 2000).
   */
  readonly readWaitMs: number;
  /**
   * `PGLITE_VACUUM_MS`: how often embedded PGlite, which has no autovacuum, looks for tables to
   * vacuum and analyze (default 10000; 0 turns it off; ignored with `DATABASE_URL`).
   */
  readonly pgliteVacuumMs: number;
  /** `RISK_FREE_RATE`: continuously compounded rate options are priced with (default 0.04). */
  readonly riskFreeRate: number;
  /**
   * `DIVIDEND_YIELDS`: per-symbol continuous dividend yields for option pricing, e.g.
   * `AAPL=0.005,KO=0.029`, overriding the built-in defaults (docs/options.md).
   */
  readonly dividendYields: Readonly<Record<string, number>>;
}

/** One invalid variable. */
export interface ConfigIssue {
  readonly variable: string;
  /** What is wrong, starting with the variable name, e.g. `PORT must be an integer …`. */
  readonly message: string;
}

/** Thrown by `loadConfig`; `message` is a single line fit for stderr. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map((issue) => issue.message).join('; ')}`);
  }
}

/** Variables whose values may hold credentials: messages never repeat them verbatim. */
const SECRET_VARIABLES = new Set(['JWT_SECRET']);
const URL_VARIABLES = new Set(['DATABASE_URL', 'REDIS_URL', 'ESDB_CONNECTION_STRING']);

export const PORT_RULE = 'must be an integer between 1 and 65535';

/** A decimal integer in [min, max]; the rule text doubles as the error message. */
function integer(min: number, max: number, rule: string) {
  return z
    .string()
    .regex(/^\d+$/, { error: rule })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: rule }).max(max, { error: rule }));
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

function urlWithProtocols(protocols: readonly string[], what: string) {
  const rule = `must be ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')})`;
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: rule },
  );
}

/** `scheme://host[:port]` with nothing after it, as browsers send in `Origin`. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO-8601 date or date-time with offset naming a real calendar day (no 2024-02-30). */
function isIsoInstant(value: string): boolean {
  const match = ISO_INSTANT.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const instant = z
  .string()
  .refine(isIsoInstant, {
    error: 'must be an ISO-8601 date (2024-01-31) or date-time with offset (2024-01-31T14:30:00Z)',
  })
  .transform((value) => new Date(value));

const envSchema = z
  .object({
    PORT: integer(1, 65535, PORT_RULE).default(8080),
    DATA_DIR: z.string().default('./.data'),
    DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:'], 'a PostgreSQL').optional(),
    EVENT_STORE: oneOf(EVENT_STORES).default('postgres'),
    ESDB_CONNECTION_STRING: urlWithProtocols(
      ['esdb:', 'esdb+discover:', 'kurrentdb:', 'kurrentdb+discover:', 'kdb:', 'kdb+discover:'],
      'an EventStoreDB',
    ).optional(),
    REDIS_URL: urlWithProtocols(['redis:', 'rediss:'], 'a Redis').optional(),
    JWT_SECRET: z
      .string()
      .min(MIN_JWT_SECRET_LENGTH, {
        error: `must be at least ${MIN_JWT_SECRET_LENGTH} characters long`,
      })
      .optional(),
    NODE_ENV: oneOf(NODE_ENVS).default('development'),
    MARKET_FEED: oneOf(MARKET_FEEDS).default('simulated'),
    REPLAY_FROM: instant.optional(),
    REPLAY_TO: instant.optional(),
    REPLAY_SPEED: z
      .string()
      .regex(/^\d+(\.\d+)?$/, { error: 'must be a positive number' })
      .transform(Number)
      .pipe(z.number().positive({ error: 'must be a positive number' }))
      .default(1),
    MARKET_SEED: integer(
      0,
      Number.MAX_SAFE_INTEGER,
      'must be a non-negative integer (at most 2^53 - 1)',
    ).default(42),
    MARKET_CLOCK: oneOf(MARKET_CLOCKS).default('simulated'),
    MARKET_START: instant.optional(),
    MARKET_SPEED: z
      .string()
      .regex(/^\d+(\.\d+)?$/, { error: 'must be a positive number (1 = real time)' })
      .transform(Number)
      .pipe(
        z
          .number()
          .positive({ error: 'must be a positive number (1 = real time)' })
          .max(3600, { error: 'must be at most 3600 (an hour a second)' }),
      )
      .default(1),
    LOG_LEVEL: oneOf(LOG_LEVELS).default('info'),
    CORS_ORIGINS: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin.length > 0),
      )
      .pipe(
        z.array(
          z.string().refine(isOrigin, {
            error: 'must be a comma-separated list of origins such as https://app.example.com',
          }),
        ),
      )
      .default([]),
    TRUST_PROXY: integer(0, 10, 'must be an integer between 0 and 10').default(0),
    READ_WAIT_MS: integer(
      0,
      60_000,
      'must be an integer between 0 and 60000 (milliseconds)',
    ).default(2000),
    PGLITE_VACUUM_MS: integer(
      0,
      3_600_000,
      'must be an integer between 0 and 3600000 (milliseconds; 0 turns it off)',
    ).default(DEFAULT_VACUUM_INTERVAL_MS),
    RISK_FREE_RATE: z
      .string()
      .regex(/^-?\d+(\.\d+)?$/, { error: 'must be a decimal fraction such as 0.04 (4 %)' })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(-0.1, { error: 'must be between -0.1 and 0.5' })
          .max(0.5, { error: 'must be between -0.1 and 0.5' }),
      )
      .default(0.04),
    DIVIDEND_YIELDS: z
      .string()
      .transform((value, ctx) => {
        const out: Record<string, number> = {};
        for (const part of value
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p.length > 0)) {
          const m = /^([A-Za-z][A-Za-z.]{0,6})=(\d+(\.\d+)?)$/.exec(part);
          const yieldValue = m === null ? Number.NaN : Number(m[2]);
          if (m === null || !(yieldValue >= 0 && yieldValue < 1)) {
            ctx.addIssue({
              code: 'custom',
              message: `must be SYMBOL=yield pairs separated by commas, yields between 0 and 1, e.g. AAPL=0.005,KO=0.029 (bad entry "${part}")`,
            });
            return z.NEVER;
          }
          out[(m[1] ?? '').toUpperCase()] = yieldValue;
        }
        return out;
      })
      .default({}),
  })
  .superRefine((env, ctx) => {
    if (env.EVENT_STORE === 'esdb' && env.ESDB_CONNECTION_STRING === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ESDB_CONNECTION_STRING'],
        message: 'is required when EVENT_STORE=esdb',
      });
    }
    if (env.NODE_ENV === 'production' && env.JWT_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: `is required when NODE_ENV=production (at least ${MIN_JWT_SECRET_LENGTH} characters)`,
      });
    }
    if (env.MARKET_FEED === 'replay' && env.REPLAY_FROM === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPLAY_FROM'],
        message: 'is required when MARKET_FEED=replay',
      });
    }
    if (env.REPLAY_FROM && env.REPLAY_TO && env.REPLAY_TO <= env.REPLAY_FROM) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPLAY_TO'],
        message: 'must be later than REPLAY_FROM',
      });
    }
  });

const VARIABLES = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];

/** How a bad value is shown in a message: verbatim, except credentials. */
function describeValue(variable: string, value: string): string {
  if (SECRET_VARIABLES.has(variable)) return `got ${value.length} characters`;
  if (URL_VARIABLES.has(variable)) {
    try {
      const url = new URL(value);
      if (url.password) url.password = '***';
      return `got "${url.toString()}"`;
    } catch {
      return 'got a value that is not a URL';
    }
  }
  return `got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`;
}

/**
 * Reads and validates the configuration. Empty variables count as unset, so `PORT=` falls back
 * to the default the way an absent `PORT` does.
 * @throws ConfigError naming every invalid variable, on one line.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const variable of VARIABLES) {
    const value = env[variable];
    if (value !== undefined && value !== '') raw[variable] = value;
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue): ConfigIssue => {
      const variable = String(issue.path[0] ?? 'environment');
      const value = raw[variable];
      const got = value === undefined ? '' : ` (${describeValue(variable, value)})`;
      return { variable, message: `${variable} ${issue.message}${got}` };
    });
    throw new ConfigError(issues);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    eventStore: e.EVENT_STORE,
    eventStoreAdapter:
      e.EVENT_STORE === 'postgres' && e.DATABASE_URL === undefined ? 'pglite' : e.EVENT_STORE,
    esdbConnectionString: e.ESDB_CONNECTION_STRING,
    redisUrl: e.REDIS_URL,
    jwtSecret: e.JWT_SECRET,
    nodeEnv: e.NODE_ENV,
    marketFeed: e.MARKET_FEED,
    replayFrom: e.REPLAY_FROM,
    replayTo: e.REPLAY_TO,
    replaySpeed: e.REPLAY_SPEED,
    marketSeed: e.MARKET_SEED,
    marketClock: e.MARKET_CLOCK,
    marketStart: e.MARKET_START,
    marketSpeed: e.MARKET_SPEED,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    readWaitMs: e.READ_WAIT_MS,
    pgliteVacuumMs: e.PGLITE_VACUUM_MS,
    riskFreeRate: e.RISK_FREE_RATE,
    dividendYields: e.DIVIDEND_YIELDS,
  };
}

/**
 * Validates a port given outside the environment (e.g. `serve --port`) with the rule `PORT`
 * follows; `undefined` when invalid (the rule text is `PORT_RULE`).
 */
export function parsePort(value: string): number | undefined {
  const parsed = integer(1, 65535, PORT_RULE).safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
