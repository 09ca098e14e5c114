import { performance } from 'node:perf_hooks';
import type { Express, RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { VacuumTotals } from '../eventstore/sql/vacuum.ts';

/** A registry with the process's default metrics (CPU, memory, event loop, GC). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

const HTTP_DURATION = 'http_request_duration_seconds';
const HTTP_ERRORS = 'http_errors_total';
const HTTP_IN_FLIGHT = 'http_requests_in_flight';

/** A metric already on `registry` under `name`, or a new one from `create`. */
function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Per-request state of `httpMetrics`, kept on the request and response objects. */
const STARTED = Symbol('metrics.started');
const MATCHED = Symbol('metrics.matched');
const ROUTE = Symbol('metrics.route');
const PROBLEM_CODE = Symbol('metrics.problemCode');
const OBSERVED = Symbol('metrics.observed');

interface MeteredRequest {
  baseUrl: string;
  method: string;
  [ROUTE]?: unknown;
  [MATCHED]?: string | undefined;
}

interface MeteredResponse {
  statusCode: number;
  req: MeteredRequest;
  [STARTED]?: number;
  [PROBLEM_CODE]?: string;
  [OBSERVED]?: boolean;
}

/**
 * Observes every response of `app` (the returned middleware starts the clock):
 * - `http_request_duration_seconds{method,route,status_code}` — latency; its `_count` is the
 *   request rate (`rate(http_request_duration_seconds_count[1m])`);
 * - `http_errors_total{method,route,status_code,code}` — every 4xx/5xx answer, with the
 *   problem document's stable `code` (`unknown` when the body carried none), so error rates
 *   can be split by cause;
 * - `http_requests_in_flight` — requests started and not yet answered (long-lived streams
 *   included).
 *
 * `route` is the matched route pattern (`/api/v1/accounts/:id`), never the raw path, so label
 * cardinality stays bounded; unmatched requests are labelled `unmatched`.
 *
 * The hooks sit on the application's request and response prototypes, set up once: a setter
 * for `req.route` (the pattern is only complete while the route runs, since a router restores
 * `baseUrl` when the request leaves it) and a `res.json` that notes a problem's `code`. So a
 * request costs no per-request property definitions or closures, and each label set's
 * histogram child is looked up once and kept.
 */
export function httpMetrics(app: Express, registry: Registry): RequestHandler {
  const histogram = reuse(
    registry,
    HTTP_DURATION,
    () =>
      new Histogram({
        name: HTTP_DURATION,
        help: 'HTTP request duration in seconds by method, route pattern and status code',
        labelNames: ['method', 'route', 'status_code'],
        registers: [registry],
      }),
  );
  const errors = reuse(
    registry,
    HTTP_ERRORS,
    () =>
      new Counter({
        name: HTTP_ERRORS,
        help: 'HTTP responses with status >= 400 by method, route pattern, status and problem code',
        labelNames: ['method', 'route', 'status_code', 'code'],
        registers: [registry],
      }),
  );
  const inFlight = reuse(
    registry,
    HTTP_IN_FLIGHT,
    () =>
      new Gauge({
        name: HTTP_IN_FLIGHT,
        help: 'HTTP requests being handled (including open event streams)',
        registers: [registry],
      }),
  );
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>();

  Object.defineProperty(app.request, 'route', {
    configurable: true,
    enumerable: true,
    get(this: MeteredRequest): unknown {
      return this[ROUTE];
    },
    set(this: MeteredRequest, value: unknown) {
      this[ROUTE] = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      // A router's `/` route under a mount path is the mount path itself (`/api/v1/health`).
      if (typeof path !== 'string') this[MATCHED] = undefined;
      else if (path === '/' && this.baseUrl !== '') this[MATCHED] = this.baseUrl;
      else this[MATCHED] = `${this.baseUrl}${path}`;
    },
  });
  // Problem documents carry a stable `code`; remember it for the error counter.
  const response = app.response as unknown as { json: (this: unknown, body: unknown) => unknown };
  const json = response.json;
  response.json = function (this: MeteredResponse, body: unknown): unknown {
    if (this.statusCode >= 400 && typeof body === 'object' && body !== null) {
      const value = (body as { code?: unknown }).code;
      if (typeof value === 'string') this[PROBLEM_CODE] = value.slice(0, 64);
    }
    return json.call(this, body);
  } as (this: unknown, body: unknown) => unknown;

  // One listener for `finish` and `close` (a client that goes away before the answer, or an
  // event stream it closes, never `finish`es); `this` is the response.
  function observe(this: MeteredResponse): void {
    if (this[OBSERVED] === true) return;
    this[OBSERVED] = true;
    inFlight.dec();
    const req = this.req;
    const route = req[MATCHED] ?? 'unmatched';
    const status = String(this.statusCode);
    const key = `${req.method} ${status} ${route}`;
    let child = children.get(key);
    if (child === undefined) {
      child = histogram.labels({ method: req.method, route, status_code: status });
      children.set(key, child);
    }
    child.observe((performance.now() - (this[STARTED] ?? 0)) / 1000);
    if (this.statusCode >= 400) {
      errors.inc({
        method: req.method,
        route,
        status_code: status,
        code: this[PROBLEM_CODE] ?? 'unknown',
      });
    }
  }

  return (_req, res, next) => {
    (res as unknown as MeteredResponse)[STARTED] = performance.now();
    inFlight.inc();
    res.on('finish', observe);
    res.on('close', observe);
    next();
  };
}

/** What the projection gauges read; implemented by `ProjectionRunner`. */
export interface ProjectionStatusSource {
  status(): Promise<
    readonly {
      name: string;
      checkpoint: number;
      eventsBehind: number;
      lagMs: number;
      failures: number;
    }[]
  >;
}

type ProjectionStatusRow = Awaited<ReturnType<ProjectionStatusSource['status']>>[number];

/**
 * `projection_lag_events`, `projection_lag_seconds`, `projection_checkpoint` and
 * `projection_failures_total`, each by projection, read from the runner at scrape time.
 */
export function registerProjectionMetrics(
  registry: Registry,
  source: ProjectionStatusSource,
): void {
  // prom-client collects every metric of a scrape concurrently: the four gauges share one
  // status read per scrape instead of each reading (or one setting the others too late).
  let pending: Promise<readonly ProjectionStatusRow[]> | undefined;
  const statuses = () => {
    pending ??= source.status().finally(() => {
      setImmediate(() => {
        pending = undefined;
      });
    });
    return pending;
  };
  const gauge = (name: string, help: string, value: (s: ProjectionStatusRow) => number): Gauge =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await statuses()) this.set({ projection: s.name }, value(s));
      },
    });
  gauge(
    'projection_lag_events',
    'Events stored but not yet applied (capped at 10,000)',
    (s) => s.eventsBehind,
  );
  gauge('projection_lag_seconds', 'Age of the oldest event not yet applied', (s) => s.lagMs / 1000);
  gauge('projection_checkpoint', 'Global position of the last event applied', (s) => s.checkpoint);
  gauge(
    'projection_failures_total',
    'Batches that failed to apply and were retried',
    (s) => s.failures,
  );
}

/** What `registerAutovacuumMetrics` reads (`EmbeddedAutovacuum`). */
export interface AutovacuumTotalsSource {
  readonly totals: VacuumTotals;
}

const AUTOVACUUM_COUNTERS: readonly (readonly [keyof VacuumTotals, string])[] = [
  ['rounds', 'Rounds of the embedded autovacuum'],
  ['vacuums', 'Tables vacuumed by the embedded autovacuum'],
  ['analyzes', 'Tables analyzed by the embedded autovacuum'],
  [
    'seconds',
    'Wall time of the embedded autovacuum rounds, waiting for the database session included',
  ],
  ['failures', 'Rounds of the embedded autovacuum that failed'],
];

/**
 * Embedded PGlite's autovacuum (`src/eventstore/sql/vacuum.ts`) as counters
 * `pglite_autovacuum_{rounds,vacuums,analyzes,seconds,failures}_total`.
 */
export function registerAutovacuumMetrics(
  registry: Registry,
  source: AutovacuumTotalsSource,
): void {
  for (const [key, help] of AUTOVACUUM_COUNTERS) {
    new Counter({
      name: `pglite_autovacuum_${key}_total`,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(source.totals[key]);
      },
    });
  }
}
