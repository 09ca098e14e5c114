import { expect } from 'chai';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createApp, type AppDeps } from '../../src/api/app.ts';
import { createMetricsRegistry } from '../../src/api/metrics.ts';
import { ApiError } from '../../src/api/problem.ts';
import { startServer, type RunningServer } from '../../src/api/server.ts';

describe('api app', () => {
  const servers: RunningServer[] = [];

  /** Serves `createApp` on a free loopback port; closed after each test. */
  async function serve(deps: Partial<AppDeps> = {}): Promise<string> {
    const app = createApp({ version: '9.9.9', metrics: new Registry(), ...deps });
    const server = await startServer(app, { port: 0, host: '127.0.0.1' });
    servers.push(server);
    return server.url;
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  describe('GET /api/v1/health', () => {
    it('answers ok with version, uptime and no checks', async () => {
      const base = await serve();
      const res = await fetch(`${base}/api/v1/health`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.deep.include({ status: 'ok', version: '9.9.9', checks: {} });
      expect(body.uptime_s).to.be.a('number').and.at.least(0);
    });

    it('counts uptime in whole seconds from the app start', async () => {
      let now = 1_000_000;
      const base = await serve({ now: () => now });
      now += 61_500;
      const body = (await (await fetch(`${base}/api/v1/health`)).json()) as { uptime_s: number };
      expect(body.uptime_s).to.equal(61);
    });

    it('reports each passing check', async () => {
      const base = await serve({
        healthChecks: [
          { name: 'eventstore', check: () => Promise.resolve() },
          { name: 'cache', check: () => Promise.resolve() },
        ],
      });
      const res = await fetch(`${base}/api/v1/health`);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as {
        status: string;
        checks: Record<string, { status: string; latency_ms: number }>;
      };
      expect(body.status).to.equal('ok');
      expect(Object.keys(body.checks)).to.deep.equal(['eventstore', 'cache']);
      expect(body.checks.eventstore?.status).to.equal('ok');
      expect(body.checks.eventstore?.latency_ms).to.be.a('number');
    });

    it('is degraded with 503 when a check fails, and names the failure', async () => {
      const base = await serve({
        healthChecks: [
          { name: 'eventstore', check: () => Promise.resolve() },
          { name: 'readmodels', check: () => Promise.reject(new Error('connection refused')) },
        ],
      });
      const res = await fetch(`${base}/api/v1/health`);
      expect(res.status).to.equal(503);
      const body = (await res.json()) as {
        status: string;
        checks: Record<string, { status: string; error?: string }>;
      };
      expect(body.status).to.equal('degraded');
      expect(body.checks.eventstore?.status).to.equal('ok');
      expect(body.checks.readmodels).to.deep.include({
        status: 'error',
        error: 'connection refused',
      });
    });

    it('counts a check that throws synchronously as failed', async () => {
      const base = await serve({
        healthChecks: [
          {
            name: 'broken',
            check: () => {
              throw new Error('not configured');
            },
          },
        ],
      });
      const res = await fetch(`${base}/api/v1/health`);
      expect(res.status).to.equal(503);
      const body = (await res.json()) as { checks: Record<string, { error?: string }> };
      expect(body.checks.broken?.error).to.equal('not configured');
    });

    it('counts a check that never answers as failed after the timeout', async () => {
      const base = await serve({
        healthTimeoutMs: 20,
        healthChecks: [{ name: 'stuck', check: () => new Promise<void>(() => undefined) }],
      });
      const res = await fetch(`${base}/api/v1/health`);
      expect(res.status).to.equal(503);
      const body = (await res.json()) as { checks: Record<string, { error?: string }> };
      expect(body.checks.stuck?.error).to.equal('no answer within 20 ms');
    });

    it('refuses two checks with one name', () => {
      const check = { name: 'eventstore', check: () => Promise.resolve() };
      expect(() =>
        createApp({ version: '1', metrics: new Registry(), healthChecks: [check, check] }),
      ).to.throw('Duplicate health check name "eventstore"');
    });
  });

  describe('GET /metrics', () => {
    it('serves default process metrics and HTTP metrics by route pattern', async () => {
      const base = await serve({ metrics: createMetricsRegistry() });
      await fetch(`${base}/api/v1/health`);
      await fetch(`${base}/no/such/route`);
      const res = await fetch(`${base}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/plain/);
      const text = await res.text();
      expect(text).to.include('process_cpu_user_seconds_total');
      expect(text).to.include('nodejs_eventloop_lag_seconds');
      expect(text).to.match(
        /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/health",status_code="200"\} 1/,
      );
      expect(text).to.match(
        /http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/,
      );
    });

    it('can share one registry between two apps', async () => {
      const metrics = new Registry();
      await serve({ metrics });
      const base = await serve({ metrics });
      expect((await fetch(`${base}/metrics`)).status).to.equal(200);
    });
  });

  describe('errors', () => {
    it('answers an unknown route with a 404 problem', async () => {
      const base = await serve();
      const res = await fetch(`${base}/api/v1/nope?x=1`);
      expect(res.status).to.equal(404);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.deep.include({
        type: 'about:blank',
        status: 404,
        code: 'not_found',
        title: 'Not Found',
        detail: 'No route for GET /api/v1/nope',
        instance: '/api/v1/nope?x=1',
      });
      expect(body.request_id).to.equal(res.headers.get('x-request-id'));
    });

    it('answers malformed JSON with 400 malformed_json', async () => {
      const base = await serve();
      const res = await fetch(`${base}/api/v1/health`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"side":',
      });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { code: string }).code).to.equal('malformed_json');
    });

    it('answers an oversized body with 413 payload_too_large', async () => {
      const base = await serve({ jsonLimit: '1kb' });
      const res = await fetch(`${base}/api/v1/health`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(2048) }),
      });
      expect(res.status).to.equal(413);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).to.equal('payload_too_large');
    });

    describe('from route modules', () => {
      const Order = z.object({ symbol: z.string().min(1), qty: z.number().positive() });

      async function serveRoutes(): Promise<string> {
        return serve({
          routes: [
            (api) => {
              api.post('/orders', (req, res) => {
                const order = Order.parse(req.body);
                res.status(201).json(order);
              });
              api.get('/accounts/:id', (req) => {
                throw new ApiError(404, 'account_not_found', 'Account Not Found', {
                  detail: `No account ${req.params.id}`,
                  extensions: { account_id: req.params.id },
                  headers: { 'Retry-After': '5' },
                });
              });
              api.get('/boom', () => Promise.reject(new Error('secret internals')));
            },
          ],
        });
      }

      it('mounts routes under /api/v1 and parses JSON bodies', async () => {
        const base = await serveRoutes();
        const res = await fetch(`${base}/api/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ symbol: 'AAPL', qty: 5 }),
        });
        expect(res.status).to.equal(201);
        expect(await res.json()).to.deep.equal({ symbol: 'AAPL', qty: 5 });
      });

      it('turns a ZodError into 422 validation_failed naming each field', async () => {
        const base = await serveRoutes();
        const res = await fetch(`${base}/api/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ symbol: '', qty: -1 }),
        });
        expect(res.status).to.equal(422);
        const body = (await res.json()) as { code: string; errors: { field: string }[] };
        expect(body.code).to.equal('validation_failed');
        expect(body.errors.map((e) => e.field)).to.deep.equal(['symbol', 'qty']);
      });

      it('turns an ApiError into its problem, extensions and headers', async () => {
        const base = await serveRoutes();
        const res = await fetch(`${base}/api/v1/accounts/42`);
        expect(res.status).to.equal(404);
        expect(res.headers.get('retry-after')).to.equal('5');
        expect(await res.json()).to.deep.include({
          status: 404,
          code: 'account_not_found',
          title: 'Account Not Found',
          detail: 'No account 42',
          account_id: '42',
        });
      });

      it('answers an unexpected error with 500 internal_error and hides its message', async () => {
        const base = await serveRoutes();
        const res = await fetch(`${base}/api/v1/boom`);
        expect(res.status).to.equal(500);
        const text = await res.text();
        expect(text).not.to.include('secret internals');
        expect((JSON.parse(text) as { code: string }).code).to.equal('internal_error');
      });
    });
  });

  describe('headers', () => {
    it('sets security headers and hides the framework', async () => {
      const base = await serve();
      const res = await fetch(`${base}/api/v1/health`);
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('content-security-policy')).to.be.a('string');
      expect(res.headers.has('x-powered-by')).to.be.false;
    });

    it('echoes an acceptable X-Request-Id and replaces an unacceptable one', async () => {
      const base = await serve();
      const kept = await fetch(`${base}/api/v1/health`, { headers: { 'x-request-id': 'abc-123' } });
      expect(kept.headers.get('x-request-id')).to.equal('abc-123');
      const replaced = await fetch(`${base}/api/v1/health`, {
        headers: { 'x-request-id': 'bad id\twith spaces' },
      });
      expect(replaced.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      const fresh = await fetch(`${base}/api/v1/health`);
      expect(fresh.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      expect(fresh.headers.get('x-request-id')).not.to.equal(replaced.headers.get('x-request-id'));
    });
  });

  describe('CORS', () => {
    const origin = 'https://dashboard.example';

    it('grants a listed origin, preflight included, and nothing to others or to no origin', async () => {
      const base = await serve({ corsOrigins: [origin] });
      const listed = await fetch(`${base}/api/v1/health`, { headers: { origin } });
      expect(listed.headers.get('access-control-allow-origin')).to.equal(origin);
      expect(listed.headers.get('access-control-expose-headers')).to.include('X-Event-Position');
      const preflight = await fetch(`${base}/api/v1/health`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-methods')).to.include('POST');
      expect(preflight.headers.get('access-control-max-age')).to.equal('600');
      const other = await fetch(`${base}/api/v1/health`, {
        headers: { origin: 'https://evil.example' },
      });
      expect(other.status).to.equal(200);
      expect(other.headers.get('access-control-allow-origin')).to.equal(null);
      const none = await fetch(`${base}/api/v1/health`);
      expect(none.status).to.equal(200);
      expect(none.headers.get('access-control-allow-origin')).to.equal(null);
    });
  });

  describe('request timeout', () => {
    /** A server whose `/slow/:ms` answers after `ms` and `/stream/:ms` opts out first. */
    function slowRoutes(): Partial<AppDeps> {
      return {
        requestTimeoutMs: 80,
        routes: [
          (api) => {
            api.get('/never', () => undefined);
            api.get('/slow/:ms', (req, res) => {
              setTimeout(() => {
                // A late handler finds the timeout answered already.
                if (!res.headersSent) res.json({ ok: true });
              }, Number(req.params.ms));
            });
            api.get('/stream/:ms', (req, res) => {
              res.locals.noTimeout = true;
              setTimeout(() => res.json({ streamed: true }), Number(req.params.ms));
            });
          },
        ],
      };
    }

    it('answers 503 request_timeout with Retry-After when a handler never responds', async () => {
      const base = await serve(slowRoutes());
      const started = Date.now();
      const res = await fetch(`${base}/api/v1/never`);
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).to.equal('1');
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).to.equal('request_timeout');
      expect(body.detail).to.equal('The request did not complete within 80 ms');
      expect(Date.now() - started).to.be.at.least(75);
    });

    it('times out each late request of a crowd in turn and leaves the prompt ones alone', async () => {
      const base = await serve(slowRoutes());
      const get = async (path: string): Promise<number> => (await fetch(`${base}${path}`)).status;
      const statuses = await Promise.all([
        get('/api/v1/never'),
        get('/api/v1/slow/10'),
        get('/api/v1/slow/300'),
        get('/api/v1/stream/200'),
        get('/api/v1/never'),
        get('/api/v1/slow/20'),
      ]);
      expect(statuses).to.deep.equal([503, 200, 503, 200, 503, 200]);
      // Requests that arrive after the first ones expired are timed from their own start.
      const later = await Promise.all([get('/api/v1/slow/40'), get('/api/v1/never')]);
      expect(later).to.deep.equal([200, 503]);
    });
  });
});
