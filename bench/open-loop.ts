/**
 * An open-loop load generator: requests are sent on a fixed schedule — one every
 * `1000 / rate` ms, whatever the answers do — over keep-alive connections, and each latency is
 * measured from the request's *scheduled* send time, so a stalled server is charged for every
 * request it delayed (no coordinated omission).
 *
 * autocannon's `overallRate` is not this: it gives each connection a budget per second that the
 * connection spends back to back at the start of the second, so 50 connections paced at
 * 200 requests/s send 200 requests at once every second and the latency it reports is the
 * queue of that burst.
 */
import http from 'node:http';

export interface OpenLoopRequest {
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OpenLoopResult {
  /** Every latency in ms, ascending (a failed request counts as `timeoutMs`). */
  readonly latencies: number[];
  readonly ok: number;
  readonly failed: number;
  /** Failed requests by cause: `status 503`, an error code such as `ECONNRESET`, or `timeout`. */
  readonly failures: Readonly<Record<string, number>>;
  /** Requests actually sent per second. */
  readonly rate: number;
}

/** GETs `next()` at `rate` requests/s for `seconds` against `url`, on at most `sockets` connections. */
export async function openLoop(
  url: string,
  rate: number,
  seconds: number,
  next: () => OpenLoopRequest,
  { sockets = 50, timeoutMs = 10_000 }: { sockets?: number; timeoutMs?: number } = {},
): Promise<OpenLoopResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const interval = 1000 / rate;
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  let sent = 0;
  let settled = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const settle = (scheduled: number, failure: string | undefined): void => {
      latencies.push(failure === undefined ? performance.now() - scheduled : timeoutMs);
      if (failure === undefined) ok += 1;
      else {
        failed += 1;
        failures[failure] = (failures[failure] ?? 0) + 1;
      }
      settled += 1;
      if (settled === total) resolve();
    };
    const send = (scheduled: number): void => {
      const { path, headers } = next();
      let answered = false;
      const once = (failure: string | undefined): void => {
        if (answered) return;
        answered = true;
        settle(scheduled, failure);
      };
      const request = http.get(
        { host: target.hostname, port: target.port, path, agent, headers, timeout: timeoutMs },
        (response) => {
          response.resume();
          response.once('end', () => {
            const status = response.statusCode ?? 0;
            once(status >= 200 && status < 300 ? undefined : `status ${String(status)}`);
          });
          response.once('error', (error: NodeJS.ErrnoException) => {
            once(error.code ?? error.message);
          });
        },
      );
      request.once('timeout', () => {
        request.destroy(new Error('timeout'));
      });
      request.once('error', (error: NodeJS.ErrnoException) => {
        once(error.code ?? error.message);
      });
    };
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && t0 + sent * interval <= now) {
        send(t0 + sent * interval);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
    };
    tick();
  });
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { latencies, ok, failed, failures, rate: total / Math.max(elapsed, seconds) };
}
