import type { RequestHandler } from 'express';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A registry with the process's default metrics (CPU, memory, event loop, GC). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

const HTTP_DURATION = 'http_request_duration_seconds';

/**
 * Observes every response in `http_request_duration_seconds{method,route,status_code}`.
 * `route` is the matched route pattern (`/api/v1/accounts/:id`), never the raw path, so label
 * cardinality stays bounded; unmatched requests are labelled `unmatched`.
 */
export function httpMetrics(registry: Registry): RequestHandler {
  const histogram =
    (registry.getSingleMetric(HTTP_DURATION) as Histogram | undefined) ??
    new Histogram({
      name: HTTP_DURATION,
      help: 'HTTP request duration in seconds by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    });
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.on('finish', () => {
      const routePath = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl}${routePath}` : 'unmatched';
      end({ method: req.method, route, status_code: String(res.statusCode) });
    });
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

/**
 * `projection_lag_events`, `projection_lag_seconds`, `projection_checkpoint` and
 * `projection_failures_total`, each by projection, read from the runner at scrape time.
 */
export function registerProjectionMetrics(
  registry: Registry,
  source: ProjectionStatusSource,
): void {
  const gauge = (name: string, help: string, collect?: () => Promise<void>) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'],
      registers: [registry],
      ...(collect ? { collect } : {}),
    });
  // One status read per scrape, by the first gauge (registered, so collected, first), feeds all four.
  const lagEvents = gauge(
    'projection_lag_events',
    'Events stored but not yet applied (capped at 10,000)',
    async () => {
      for (const s of await source.status()) {
        lagEvents.set({ projection: s.name }, s.eventsBehind);
        lagSeconds.set({ projection: s.name }, s.lagMs / 1000);
        checkpoint.set({ projection: s.name }, s.checkpoint);
        failures.set({ projection: s.name }, s.failures);
      }
    },
  );
  const lagSeconds = gauge('projection_lag_seconds', 'Age of the oldest event not yet applied');
  const checkpoint = gauge('projection_checkpoint', 'Global position of the last event applied');
  const failures = gauge(
    'projection_failures_total',
    'Batches that failed to apply and were retried',
  );
}
