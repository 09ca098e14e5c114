import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

/**
 * Observes every response:
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
 */
export function httpMetrics(registry: Registry): RequestHandler {
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
  return (req, res, next) => {
    const end = histogram.startTimer();
    inFlight.inc();
    // The route pattern is only complete while the route runs: a router restores `baseUrl`
    // when the request leaves it (an error answered by the app's handler, for instance).
    let matched: string | undefined;
    let route: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set: (value: unknown) => {
        route = value;
        const path = (value as { path?: unknown } | undefined)?.path;
        matched = typeof path === 'string' ? `${req.baseUrl}${path}` : undefined;
      },
    });
    // Problem documents carry a stable `code`; remember it for the error counter.
    let code: string | undefined;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 400 && typeof body === 'object' && body !== null) {
        const value = (body as { code?: unknown }).code;
        if (typeof value === 'string') code = value.slice(0, 64);
      }
      return json(body);
    };
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      inFlight.dec();
      const labels = {
        method: req.method,
        route: matched ?? 'unmatched',
        status_code: String(res.statusCode),
      };
      end(labels);
      if (res.statusCode >= 400) errors.inc({ ...labels, code: code ?? 'unknown' });
    };
    res.on('finish', finish);
    // A client that goes away before the answer (or an event stream it closes) never `finish`es.
    res.on('close', finish);
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
