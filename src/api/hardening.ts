import cors from 'cors';
import { performance } from 'node:perf_hooks';
import type { NextFunction, RequestHandler, Response } from 'express';
import {
  ipKeyGenerator,
  MemoryStore,
  rateLimit,
  type ClientRateLimitInfo,
  type Options,
  type Store,
} from 'express-rate-limit';
import type { Logger } from 'pino';
import { ApiError } from './problem.ts';

/** Requests per window; see docs/security.md for the reasoning. */
export interface RateLimitSettings {
  readonly windowMs: number;
  /** Every request, per client IP. */
  readonly perIp: number;
  /** `/auth/*` requests, per client IP (login, register, refresh: guessing targets). */
  readonly auth: number;
  /** Authenticated requests, per user. */
  readonly perUser: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  windowMs: 60_000,
  perIp: 600,
  auth: 20,
  perUser: 300,
};

/** Makes a store for one limiter (Redis when `REDIS_URL` is set; memory when undefined). */
export type RateLimitStoreFactory = (prefix: string) => Store | undefined;

/** How long a `FailoverStore` counts locally after an attempt to go back to Redis failed. */
const RECOVERY_BACKOFF_MS = 1000;

export interface FailoverStoreOptions {
  /** Makes the shared store (again after an outage: a fresh one re-initializes cleanly). */
  readonly primary: () => Store;
  /** Whether the shared store can be tried now (the Redis client is connected). */
  readonly available: () => boolean;
  /** Longest a shared-store call may take before the local count answers (default 500 ms). */
  readonly timeoutMs?: number;
  /** Called once when an outage starts (the first failure) and once when it ends. */
  readonly onFailover?: (error: unknown) => void;
  readonly onRecover?: () => void;
}

/**
 * A rate-limit store that counts in the shared store (Redis) and, while that fails, in this
 * process: an outage neither opens the limits (fail open) nor refuses every request (fail
 * closed) — each replica keeps enforcing the limit on its own traffic, so the effective limit
 * is at most `replicas × limit` until Redis is back (docs/security.md). A call that fails or
 * takes longer than `timeoutMs` answers from the local count; while the shared store is not
 * `available` it is not tried at all, so an outage costs no latency. Once it is available
 * again, the next call initializes a fresh primary and counting moves back to it (a Redis that
 * is connected but does not answer is retried at most once a second).
 */
export class FailoverStore implements Store {
  readonly localKeys = false;
  readonly prefix: string | undefined;
  readonly #options: FailoverStoreOptions;
  readonly #timeoutMs: number;
  readonly #local = new MemoryStore();
  #primary: Store;
  #config: Options | undefined;
  #down = false;
  #recovering: Promise<boolean> | undefined;
  /** After a failed recovery, calls count locally until then (a hung Redis costs one wait). */
  #retryAt = 0;

  constructor(options: FailoverStoreOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 500;
    this.#primary = options.primary();
    this.prefix = this.#primary.prefix;
  }

  /** Whether counts currently go to the shared store. */
  get shared(): boolean {
    return !this.#down;
  }

  init(config: Options): void {
    this.#config = config;
    this.#local.init(config);
    this.#initPrimary(this.#primary).catch((error: unknown) => {
      this.#fail(error);
    });
  }

  increment(key: string): Promise<ClientRateLimitInfo> {
    return this.#call(
      (store) => store.increment(key),
      () => this.#local.increment(key),
    );
  }

  decrement(key: string): Promise<void> {
    return this.#call(
      (store) => store.decrement(key),
      () => this.#local.decrement(key),
    );
  }

  resetKey(key: string): Promise<void> {
    return this.#call(
      (store) => store.resetKey(key),
      () => this.#local.resetKey(key),
    );
  }

  shutdown(): void {
    this.#local.shutdown();
  }

  async #initPrimary(store: Store): Promise<void> {
    if (this.#config) await this.#withTimeout(Promise.resolve(store.init?.(this.#config)));
  }

  async #call<T>(
    shared: (store: Store) => Promise<T> | T,
    local: () => Promise<T> | T,
  ): Promise<T> {
    if (!this.#options.available()) {
      this.#fail(new Error('the shared rate-limit store is not connected'));
      return local();
    }
    if (this.#down && (Date.now() < this.#retryAt || !(await this.#recover()))) return local();
    try {
      return await this.#withTimeout(Promise.resolve(shared(this.#primary)));
    } catch (error) {
      this.#fail(error);
      return local();
    }
  }

  #fail(error: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#options.onFailover?.(error);
  }

  /** One attempt at a time: a fresh primary, initialized, then counting moves back to it. */
  #recover(): Promise<boolean> {
    this.#recovering ??= (async () => {
      const fresh = this.#options.primary();
      await this.#initPrimary(fresh);
      this.#primary = fresh;
      this.#down = false;
      this.#options.onRecover?.();
      return true;
    })()
      .catch(() => {
        this.#retryAt = Date.now() + RECOVERY_BACKOFF_MS;
        return false;
      })
      .finally(() => {
        this.#recovering = undefined;
      });
    return this.#recovering;
  }

  #withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`rate-limit store did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    });
    // A late answer or failure of `work` after the timeout must not surface as unhandled.
    work.catch(() => undefined);
    return Promise.race([work, timeout]).finally(() => {
      clearTimeout(timer);
    });
  }
}

export interface RateLimiters {
  readonly perIp: RequestHandler;
  readonly auth: RequestHandler;
  readonly perUser: RequestHandler;
}

function limiter(
  name: string,
  limit: number,
  windowMs: number,
  key: (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => string,
  storeFactory: RateLimitStoreFactory | undefined,
): RequestHandler {
  const store = storeFactory?.(`rl:${name}:`);
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: key,
    ...(store ? { store } : {}),
    // 429 as problem+json with Retry-After in seconds.
    handler: (req, _res, next) => {
      const info = (req as { rateLimit?: { resetTime?: Date } }).rateLimit;
      const retry = info?.resetTime
        ? Math.max(1, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000))
        : Math.ceil(windowMs / 1000);
      next(
        new ApiError(429, 'rate_limited', 'Too Many Requests', {
          detail: `Rate limit exceeded; retry in ${retry} s`,
          headers: { 'Retry-After': String(retry) },
        }),
      );
    },
  });
}

/** The per-IP, `/auth/*` and per-user limiters. */
export function rateLimiters(
  settings: RateLimitSettings = DEFAULT_RATE_LIMITS,
  storeFactory?: RateLimitStoreFactory,
): RateLimiters {
  // express-rate-limit's IPv6 subnet key, worked out once per address (a large regex test).
  const keys = new Map<string, string>();
  const ip = (req: { ip?: string | undefined }): string => {
    const address = req.ip ?? 'unknown';
    let key = keys.get(address);
    if (key === undefined) {
      if (keys.size >= 10_000) keys.clear();
      key = ipKeyGenerator(address);
      keys.set(address, key);
    }
    return key;
  };
  return {
    perIp: limiter('ip', settings.perIp, settings.windowMs, ip, storeFactory),
    auth: limiter('auth', settings.auth, settings.windowMs, ip, storeFactory),
    perUser: limiter(
      'user',
      settings.perUser,
      settings.windowMs,
      (req, res) => {
        const principal = res.locals.principal as { userId?: string } | undefined;
        return principal?.userId ? `user:${principal.userId}` : `ip:${ip(req)}`;
      },
      storeFactory,
    ),
  };
}

/**
 * CORS for an allow-list of origins (`CORS_ORIGINS`): no list, no cross-origin access.
 * Credentials are not allowed — the API authenticates with bearer headers, not cookies.
 */
export function corsAllowList(origins: readonly string[]): RequestHandler {
  const allowList = cors({
    origin: (origin, callback) => {
      callback(null, origin !== undefined && origins.includes(origin));
    },
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    // The MCP headers let browser-based MCP clients (e.g. the Inspector UI) use `/mcp`.
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-Request-Id',
      'X-Min-Position',
      'Last-Event-ID',
      'Mcp-Session-Id',
      'Mcp-Protocol-Version',
    ],
    exposedHeaders: [
      'Mcp-Session-Id',
      'X-Request-Id',
      'X-Event-Position',
      'Retry-After',
      'RateLimit',
      'RateLimit-Policy',
    ],
    maxAge: 600,
  });
  // No `Origin`: not a cross-origin browser request. `cors` would ask the allow-list about
  // `undefined`, be told no, and continue without a header; this skips straight to that.
  return (req, res, next) => {
    if (req.headers.origin === undefined) {
      next();
      return;
    }
    allowList(req, res, next);
  };
}

/**
 * Answers 503 `request_timeout` when a handler has not responded within `ms` (a slow database
 * or a stuck dependency must not hold connections forever). Streaming routes opt out by
 * setting `res.locals.noTimeout` before the timer fires.
 *
 * One timer serves every request in flight: all wait the same `ms`, so the requests in
 * arrival order are also in deadline order, and the timer is set for the oldest one only (no
 * timer and no closures per request).
 */
export function requestTimeout(ms: number): RequestHandler {
  const waiting = new Map<Response, { readonly deadline: number; readonly next: NextFunction }>();
  let timer: NodeJS.Timeout | undefined;

  // A timer already set is for a deadline no later than any request since: nothing to do.
  const schedule = (): void => {
    if (timer !== undefined) return;
    const oldest = waiting.values().next();
    if (oldest.done === true) return;
    timer = setTimeout(expire, Math.max(0, oldest.value.deadline - performance.now()));
    timer.unref();
  };
  function expire(): void {
    timer = undefined;
    const now = performance.now();
    for (const [res, { deadline, next }] of waiting) {
      if (deadline > now) break;
      waiting.delete(res);
      if (res.headersSent || res.locals.noTimeout === true) continue;
      next(
        new ApiError(503, 'request_timeout', 'Service Unavailable', {
          detail: `The request did not complete within ${ms} ms`,
          headers: { 'Retry-After': '1' },
        }),
      );
    }
    schedule();
  }
  // `this` is the response (an event listener).
  function answered(this: Response): void {
    waiting.delete(this);
  }

  return (_req, res, next) => {
    waiting.set(res, { deadline: performance.now() + ms, next });
    res.on('finish', answered);
    res.on('close', answered);
    schedule();
    next();
  };
}

/**
 * Names whose values are credentials wherever they sit in a log object: request headers
 * (including Alpaca's secret-key header), auth bodies, and stored hashes.
 */
const SECRET_LOG_FIELDS = [
  'authorization',
  'cookie',
  'apca-api-secret-key',
  'password',
  'current_password',
  'new_password',
  'refresh_token',
  'access_token',
  'token',
  'key',
  'secret',
  'passwordHash',
  'secretHash',
] as const;

function logPath(parent: string, field: string): string {
  const step = /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`;
  return parent === '' ? step.replace(/^\./, '') : `${parent}${step}`;
}

/**
 * Log paths pino redacts: each secret field at the top of a log object and one or two levels
 * down (`{ password }`, `{ body: { password } }`, `{ req: { headers: { authorization } } }`),
 * whatever a handler passes to the logger. Deeper nesting is not covered: log identifiers, not
 * request objects.
 */
export const REDACTED_LOG_PATHS: string[] = SECRET_LOG_FIELDS.flatMap((field) => [
  logPath('', field),
  logPath('*', field),
  logPath('*.*', field),
]);

/** A child of `logger` that censors `REDACTED_LOG_PATHS`. */
export function redactingLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } });
}
