import cors from 'cors';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
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
  const ip = (req: { ip?: string | undefined }): string => ipKeyGenerator(req.ip ?? 'unknown');
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
  return cors({
    origin: (origin, callback) => {
      callback(null, origin !== undefined && origins.includes(origin));
    },
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-Min-Position'],
    exposedHeaders: [
      'X-Request-Id',
      'X-Event-Position',
      'Retry-After',
      'RateLimit',
      'RateLimit-Policy',
    ],
    maxAge: 600,
  });
}

/**
 * Answers 503 `request_timeout` when a handler has not responded within `ms` (a slow database
 * or a stuck dependency must not hold connections forever). Streaming routes opt out by
 * setting `res.locals.noTimeout` before the timer fires.
 */
export function requestTimeout(ms: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent || res.locals.noTimeout === true) return;
      next(
        new ApiError(503, 'request_timeout', 'Service Unavailable', {
          detail: `The request did not complete within ${ms} ms`,
          headers: { 'Retry-After': '1' },
        }),
      );
    }, ms);
    timer.unref();
    res.on('finish', () => {
      clearTimeout(timer);
    });
    res.on('close', () => {
      clearTimeout(timer);
    });
    next();
  };
}

/** Log paths pino redacts: credentials in headers and in auth bodies, wherever logged. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'current_password',
  'new_password',
  'refresh_token',
  'access_token',
  'token',
  'key',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.key',
  '*.passwordHash',
  '*.secretHash',
];
