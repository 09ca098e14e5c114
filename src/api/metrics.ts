import type { RequestHandler } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
