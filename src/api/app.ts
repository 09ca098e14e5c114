/**
 * The HTTP application: security headers, request ids, JSON bodies, metrics, `/api/v1` routes
 * and problem+json errors. Routes arrive through `deps.routes`, so this file stays the same as
 * features are added.
 */
import express, {
  Router,
  type ErrorRequestHandler,
  type Express,
  type RequestHandler,
} from 'express';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { commandErrors } from './errors.ts';
import { corsAllowList, REDACTED_LOG_PATHS, requestTimeout } from './hardening.ts';
import { healthRouter, type HealthCheck } from './health.ts';
import { httpMetrics } from './metrics.ts';
import { API_PREFIX, DOCS_PATH, docsRouter, OPENAPI_PATH, openApiDocument } from './openapi.ts';
import { errorHandler, notFoundHandler } from './problem.ts';
import { requestId } from './request-id.ts';
import { securityHeaders } from './security-headers.ts';
import { series } from './series.ts';
// Side effect: documents the routes that predate the OpenAPI registry.
import './v1/system-docs.ts';

export { API_PREFIX } from './openapi.ts';

/** A request whose JSON body was parsed; `rawBody` keeps the exact text (exact decimals). */
export interface RawBodyRequest {
  rawBody?: Buffer;
}

/** Adds routes to the `/api/v1` router (e.g. `router.use('/accounts', accountsRouter(deps))`). */
export type RouteModule = (api: Router) => void;

export interface AppDeps {
  /** Reported by `/api/v1/health`. */
  readonly version: string;
  /** Dependencies `/api/v1/health` probes; a failing one answers 503 `degraded`. */
  readonly healthChecks?: readonly HealthCheck[];
  /** Milliseconds a health check may take before it counts as failed (default 2000). */
  readonly healthTimeoutMs?: number;
  /** Served at `GET /metrics`; HTTP request metrics are registered on it. */
  readonly metrics: Registry;
  /** Feature routes mounted under `/api/v1`, in order. */
  readonly routes?: readonly RouteModule[];
  /** Request logger; silent when absent. */
  readonly logger?: Logger;
  /** Largest accepted JSON body, in body-parser notation (default `100kb`). */
  readonly jsonLimit?: string;
  /** Clock in milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /** Origins allowed cross-origin access (`CORS_ORIGINS`); none when empty or absent. */
  readonly corsOrigins?: readonly string[];
  /** The per-IP rate limiter applied to every request (see `hardening.ts`). */
  readonly rateLimit?: RequestHandler;
  /** Milliseconds a request may take before a 503 `request_timeout` (default 30000). */
  readonly requestTimeoutMs?: number;
  /**
   * Handlers mounted at the server root beside `/api/v1` (MCP at `/mcp`, Alpaca's `/v2` and
   * its error handler), in order.
   */
  readonly mounts?: readonly {
    readonly path: string;
    readonly handler: RequestHandler | ErrorRequestHandler;
  }[];
}

const CLIENT_IP = Symbol('clientIp');

/**
 * express works `req.ip` out again on every read (the socket address and `X-Forwarded-For`
 * through the `trust proxy` rules); the rate limiters, their checks and the audit read it several
 * times a request. The first answer is kept on the request.
 */
function rememberClientIp(app: Express): void {
  const descriptor = Object.getOwnPropertyDescriptor(express.request, 'ip');
  if (descriptor?.get === undefined) return;
  // An accessor, applied to each request below with that request as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const { get } = descriptor;
  Object.defineProperty(app.request, 'ip', {
    configurable: true,
    enumerable: true,
    get(this: { [CLIENT_IP]?: unknown }): unknown {
      if (!(CLIENT_IP in this)) this[CLIENT_IP] = Reflect.apply(get, this, []);
      return this[CLIENT_IP];
    },
  });
}

/** Builds the express application; it opens no sockets (see `server.ts`). */
export function createApp(deps: AppDeps): Express {
  // Credentials never reach the log, whatever a handler passes to it.
  const logger = (deps.logger ?? pino({ level: 'silent' })).child(
    {},
    { redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } },
  );
  const now = deps.now ?? Date.now;
  const healthChecks = deps.healthChecks ?? [];
  const names = healthChecks.map((check) => check.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`Duplicate health check name "${duplicate}"`);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  rememberClientIp(app);
  // The global middlewares run as one router layer (see `series`).
  const global: RequestHandler[] = [securityHeaders(), requestId(), httpMetrics(app, deps.metrics)];
  // Request lines only when they are logged (LOG_LEVEL at info or below).
  if (logger.isLevelEnabled('info')) {
    global.push((req, res, next) => {
      const started = now();
      res.on('finish', () => {
        logger.info(
          {
            requestId: res.locals.requestId as unknown,
            method: req.method,
            // The path only: a query string may carry a credential (e.g. an EventSource token).
            url: req.originalUrl.split('?')[0],
            status: res.statusCode,
            ms: now() - started,
          },
          'request',
        );
      });
      next();
    });
  }
  global.push(corsAllowList(deps.corsOrigins ?? []));
  global.push(requestTimeout(deps.requestTimeoutMs ?? 30_000));
  if (deps.rateLimit) global.push(deps.rateLimit);
  global.push(
    express.json({
      limit: deps.jsonLimit ?? '100kb',
      // Kept so routes can read numbers exactly as sent (`1.10` is not a double): see
      // `src/api/v1/decimal-json.ts`.
      verify: (req, _res, buf) => {
        (req as RawBodyRequest).rawBody = buf;
      },
    }),
  );
  app.use(series(global));

  app.get('/metrics', async (_req, res) => {
    const body = await deps.metrics.metrics();
    res.setHeader('Content-Type', deps.metrics.contentType);
    res.send(body);
  });

  // Mounted at its prefix, so other requests never enter it.
  app.use(DOCS_PATH, docsRouter());

  const api = Router();
  api.get(OPENAPI_PATH.slice(API_PREFIX.length), (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache').json(openApiDocument({ version: deps.version }));
  });
  api.use(
    '/health',
    healthRouter({
      version: deps.version,
      checks: healthChecks,
      timeoutMs: deps.healthTimeoutMs ?? 2000,
      now,
      startedAt: now(),
    }),
  );
  for (const mount of deps.routes ?? []) mount(api);
  api.use(commandErrors);
  app.use(API_PREFIX, api);
  for (const { path, handler } of deps.mounts ?? []) app.use(path, handler);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
