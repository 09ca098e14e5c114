import { Router } from 'express';

/** A dependency the service needs (event store, read-model database, cache…). */
export interface HealthCheck {
  /** Key in the health document's `checks`, e.g. `eventstore`. */
  readonly name: string;
  /** Resolves when the dependency answers; rejects (with a reason) when it does not. */
  readonly check: () => Promise<void>;
}

export interface CheckResult {
  readonly status: 'ok' | 'error';
  readonly latency_ms: number;
  readonly error?: string;
}

export interface HealthDocument {
  readonly status: 'ok' | 'degraded';
  readonly version: string;
  readonly uptime_s: number;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface HealthOptions {
  readonly version: string;
  readonly checks: readonly HealthCheck[];
  /** A check that has not answered within this many milliseconds counts as failed. */
  readonly timeoutMs: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now: () => number;
  readonly startedAt: number;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

async function runCheck(check: HealthCheck, options: HealthOptions): Promise<CheckResult> {
  const started = options.now();
  try {
    // A check that throws synchronously is as failed as one that rejects.
    await withTimeout(Promise.resolve().then(check.check), options.timeoutMs);
    return { status: 'ok', latency_ms: options.now() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'error', latency_ms: options.now() - started, error: message };
  }
}

/** Runs every check concurrently and summarises them; any failure makes the service degraded. */
export async function checkHealth(options: HealthOptions): Promise<HealthDocument> {
  const entries = await Promise.all(
    options.checks.map(async (check) => [check.name, await runCheck(check, options)] as const),
  );
  const results = entries.map(([, result]) => result);
  const checks = Object.fromEntries(entries);
  return {
    status: results.every((result) => result.status === 'ok') ? 'ok' : 'degraded',
    version: options.version,
    uptime_s: Math.floor((options.now() - options.startedAt) / 1000),
    checks,
  };
}

/**
 * `GET /health`: 200 `{ status: 'ok', version, uptime_s, checks }` when every dependency answers,
 * 503 with `status: 'degraded'` and the failing check's error otherwise. Never cached. Mount it
 * at `/health`, so other requests never enter it.
 */
export function healthRouter(options: HealthOptions): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const health = await checkHealth(options);
    res
      .status(health.status === 'ok' ? 200 : 503)
      .setHeader('Cache-Control', 'no-store')
      .json(health);
  });
  return router;
}
