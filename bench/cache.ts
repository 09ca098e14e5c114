/**
 * Cache benchmark (issue 12) → `bench/results/cache.json`:
 *
 * - `get_quote_p95_ms_memory`: `GET /market/quotes/{symbol}` at a steady `PACED_RATE`
 *   requests/s (open loop, `open-loop.ts`) against `serve --role all` without Redis (embedded
 *   PGlite); `get_quote_saturated_*`: the same as fast as 50 connections go (closed loop);
 * - `get_quote_p95_ms_redis` and `quote_hit_ratio`: the same against an `api` replica whose
 *   quotes come from an `engine` process through Redis (one scratch PostgreSQL database, a
 *   redis-server this benchmark starts on a free port); the ratio is the replica's own
 *   `cache_hit_ratio{kind="quote"}` after the run;
 * - `success_rate_during_redis_outage`: 2xx share of GET quote and GET positions on that
 *   replica while its redis-server is stopped for 2 s and started again;
 * - `quote_fanout_per_s`: quotes delivered per second to 100 subscribers spread over two
 *   Redis connections (two replicas' `SharedQuoteMarket` fan-out path), ticks of every listed
 *   symbol published as fast as Redis takes them;
 * - `live_fill_delay_*_ms`: from placing an order on api replica A to its `fill` on an SSE
 *   stream held on replica B, B woken by append announcements over Redis pub/sub (`announced`)
 *   or only polling the event store (`polled`, `BENCH_ANNOUNCE=off`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Request as CannonRequest } from 'autocannon';
import { RedisCache } from '../src/cache/redis.ts';
import { QUOTES_CHANNEL } from '../src/market/shared-quotes.ts';
import { DEFAULT_UNIVERSE } from '../src/market/index.ts';
import { expectOk, json, load, startChild, succeeded } from './api.ts';
import { openLoop, type OpenLoopResult } from './open-loop.ts';
import { percentile, report, round } from './report.ts';
import { scratchDatabase } from './support.ts';

const PASSWORD = 'benchmark passphrase that is long';
const SYMBOLS = ['AAPL', 'MSFT', 'SPY', 'NVDA', 'AMZN', 'TSLA', 'QQQ', 'META'];
/** GET quote requests per second of the paced (open-loop) runs: the headline latency. */
const PACED_RATE = Number(process.env.BENCH_QUOTE_RATE ?? 1000);
/** Orders of the live-delay run. */
const LIVE_ORDERS = 40;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** A redis-server child on loopback, no persistence; `stop` ends it. */
async function redisServer(port: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = await RedisCache.connect({ url, connectTimeoutMs: 200 });
    const up = probe.state() === 'up';
    await probe.close();
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Registers a user and opens an account holding a position; answers its token and id. */
async function trader(api: string): Promise<{ token: string; account: string }> {
  const email = `cache-bench.${Date.now()}@example.com`;
  await expectOk('register', json(`${api}/auth/register`, 'POST', { email, password: PASSWORD }));
  const login = await expectOk(
    'login',
    json(`${api}/auth/login`, 'POST', { email, password: PASSWORD }),
  );
  const token = String(login.access_token);
  const opened = await expectOk(
    'open account',
    json(`${api}/accounts`, 'POST', { name: 'bench', initial_cash: '1000000' }, token),
  );
  const account = String(opened.id);
  await expectOk(
    'seed order',
    json(
      `${api}/accounts/${account}/orders`,
      'POST',
      { symbol: 'AAPL', qty: '5', side: 'buy', type: 'market', time_in_force: 'day' },
      token,
    ),
  );
  return { token, account };
}

function quoteRequests(
  token: string,
): () => CannonRequest & { path: string; headers: Record<string, string> } {
  let i = 0;
  return () => ({
    method: 'GET',
    path: `/api/v1/market/quotes/${SYMBOLS[i++ % SYMBOLS.length] ?? 'AAPL'}`,
    headers: { authorization: `Bearer ${token}` },
  });
}

/** The causes of failed paced requests, for the note (empty when none failed). */
function pacedFailures(redis: OpenLoopResult, memory: OpenLoopResult): string {
  const list = (r: OpenLoopResult): string =>
    Object.entries(r.failures)
      .map(([cause, n]) => `${cause} × ${String(n)}`)
      .join(', ');
  const parts = [
    redis.failed > 0 ? `Redis: ${list(redis)}` : '',
    memory.failed > 0 ? `memory: ${list(memory)}` : '',
  ].filter((p) => p !== '');
  return parts.length === 0
    ? ''
    : `; failed paced requests (each counted at the timeout): ${parts.join('; ')}`;
}

/** Mean of `cache_pubsub_lag_seconds{channel}` as the server reports it. */
async function pubsubLag(url: string, channel: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string): number => {
    const match = new RegExp(
      `^cache_pubsub_lag_seconds_${name}\\{channel="${channel}"\\} ([0-9.e+-]+)$`,
      'm',
    ).exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };
  return value('sum') / value('count');
}

/** `cache_hit_ratio{kind}` as the server reports it. */
async function hitRatio(url: string, kind: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^cache_hit_ratio\\{kind="${kind}"\\} ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/** An SSE stream of `/api/v1/stream` that reports when each order's `fill` arrives. */
async function fillStream(url: string, token: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/api/v1/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!response.body) throw new Error('no stream body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let buffer = '';
  const pump = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      buffer += chunk.value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const at = performance.now();
        if (block.includes('event: ready')) markReady();
        if (!block.includes('event: fill')) continue;
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        const orderId =
          data === undefined
            ? undefined
            : (JSON.parse(data.slice(6)) as { order_id?: string }).order_id;
        if (orderId === undefined) continue;
        arrived.set(orderId, at);
        waiting.get(orderId)?.(at);
      }
    }
  })();
  await ready;
  return {
    /** When the fill of `orderId` arrived (performance.now()), waiting at most 5 s. */
    fillOf(orderId: string): Promise<number> {
      const known = arrived.get(orderId);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          resolve(Number.NaN);
        }, 5000);
        waiting.set(orderId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

/**
 * Milliseconds from sending each of `orders` market orders on `placeUrl` (filled as placed) to
 * its `fill` arriving on an SSE stream held on each of `streamUrls`, ascending per stream.
 */
async function fillDelays(
  placeUrl: string,
  streamUrls: readonly string[],
  user: { token: string; account: string },
  orders: number,
): Promise<number[][]> {
  const streams = await Promise.all(streamUrls.map((u) => fillStream(u, user.token)));
  const delays = streamUrls.map((): number[] => []);
  const sorted = (d: number[]): number[] => d.sort((a, b) => a - b);
  try {
    for (let i = 0; i < orders; i++) {
      const started = performance.now();
      const placed = await expectOk(
        'live order',
        json(
          `${placeUrl}/api/v1/accounts/${user.account}/orders`,
          'POST',
          {
            symbol: 'MSFT',
            qty: '1',
            side: i % 2 === 0 ? 'buy' : 'sell',
            type: 'market',
            time_in_force: 'day',
          },
          user.token,
        ),
      );
      const arrivals = await Promise.all(streams.map((s) => s.fillOf(String(placed.id))));
      // The first stream is held on the replica that appended: the others' delays are counted
      // from its delivery there (what crossing processes adds), the first's from sending.
      const [here = Number.NaN] = arrivals;
      arrivals.forEach((at, s) => {
        const from = s === 0 ? started : here;
        delays[s]?.push(Number.isNaN(at) || Number.isNaN(from) ? 5000 : at - from);
      });
      // Orders apart, so each delivery is measured on its own (not behind the previous one).
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 40));
    }
  } finally {
    for (const stream of streams) await stream.close();
  }
  return delays.map(sorted);
}

/** Quotes delivered per second to `subscribers` listeners over two connections. */
async function fanout(url: string, seconds: number, subscribers = 100): Promise<number> {
  const prefix = `bench-fanout-${String(Date.now())}:`;
  const options = { url, keyPrefix: prefix, commandTimeoutMs: 5000 };
  const replicas = await Promise.all([0, 1].map(() => RedisCache.connect(options)));
  const publisher = await RedisCache.connect(options);
  let delivered = 0;
  for (let s = 0; s < subscribers; s++) {
    const replica = replicas[s % replicas.length];
    await replica?.subscribe(QUOTES_CHANNEL, (text) => {
      delivered += (JSON.parse(text) as { quotes: unknown[] }).quotes.length;
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const tick = JSON.stringify({
    at: Date.now(),
    quotes: DEFAULT_UNIVERSE.map((u) => ({
      symbol: u.symbol,
      bid: '100.01',
      ask: '100.02',
      bidSize: 100,
      askSize: 200,
      last: '100.015',
      time: new Date().toISOString(),
      seq: 1,
      source: 'simulated',
    })),
  });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let inFlight: Promise<void>[] = [];
  while (performance.now() < deadline) {
    inFlight.push(publisher.publish(QUOTES_CHANNEL, tick).catch(() => undefined));
    if (inFlight.length >= 20) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  // Let the last messages arrive.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all([...replicas, publisher].map((r) => r.close()));
  return delivered / elapsed;
}

export async function run(quick: boolean): Promise<void> {
  const seconds = quick ? 5 : 20;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opt-bench-cache-'));
  const scratch = await scratchDatabase();
  const redis = await redisServer(await freePort());
  const children: ChildProcess[] = [];
  try {
    // ─── in-memory: one process, no Redis ─────────────────────────────────────────────────
    const single = await startChild(path.join(dataDir, 'single'), undefined);
    children.push(single.child);
    const alone = await trader(`${single.url}/api/v1`);
    await load(single.url, single.child, 10, 1, quoteRequests(alone.token));
    const memory = await load(single.url, single.child, 50, seconds, quoteRequests(alone.token));
    const memoryOne = await load(single.url, single.child, 1, 2, quoteRequests(alone.token));
    const memoryPaced = await openLoop(single.url, PACED_RATE, seconds, quoteRequests(alone.token));
    await stopChild(single.child);

    // ─── Redis: an engine process publishing, an api replica reading ─────────────────────
    // One JWT secret for every process: a token issued by one replica is valid on the others.
    const shared = { REDIS_URL: redis.url, JWT_SECRET: `bench-${'x'.repeat(40)}` };
    const engine = await startChild(path.join(dataDir, 'engine'), scratch.url, {
      ...shared,
      BENCH_ROLE: 'engine',
    });
    children.push(engine.child);
    const replica = await startChild(path.join(dataDir, 'api'), scratch.url, {
      ...shared,
      BENCH_ROLE: 'api',
    });
    children.push(replica.child);
    const user = await trader(`${replica.url}/api/v1`);
    await load(replica.url, replica.child, 10, 1, quoteRequests(user.token));
    const viaRedis = await load(replica.url, replica.child, 50, seconds, quoteRequests(user.token));
    const redisOne = await load(replica.url, replica.child, 1, 2, quoteRequests(user.token));
    const redisPaced = await openLoop(replica.url, PACED_RATE, seconds, quoteRequests(user.token));
    const quoteHitRatio = await hitRatio(replica.url, 'quote');

    // ─── live updates across replicas: announced (pub/sub wake) and polled ───────────────
    const announced = await startChild(path.join(dataDir, 'api-b'), scratch.url, {
      ...shared,
      BENCH_ROLE: 'api',
    });
    children.push(announced.child);
    const polled = await startChild(path.join(dataDir, 'api-c'), scratch.url, {
      ...shared,
      BENCH_ROLE: 'api',
      BENCH_ANNOUNCE: 'off',
    });
    children.push(polled.child);
    const [local = [], viaPubsub = [], viaPoll = []] = await fillDelays(
      replica.url,
      [replica.url, announced.url, polled.url],
      user,
      quick ? 15 : LIVE_ORDERS,
    );
    const appendsLag = await pubsubLag(announced.url, 'appends');
    await stopChild(announced.child);
    await stopChild(polled.child);

    // ─── Redis outage under load ──────────────────────────────────────────────────────────
    let n = 0;
    const mixed = quoteRequests(user.token);
    const outageRun = load(replica.url, replica.child, 20, quick ? 6 : 10, () =>
      n++ % 2 === 0
        ? mixed()
        : {
            method: 'GET',
            path: `/api/v1/accounts/${user.account}/positions`,
            headers: { authorization: `Bearer ${user.token}` },
          },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const restarted = await redisServer(Number(new URL(redis.url).port));
    const outage = await outageRun;
    const fanoutPerS = await fanout(restarted.url, quick ? 2 : 5);
    await restarted.stop();

    const m = succeeded(memory.result);
    const r = succeeded(viaRedis.result);
    const o = succeeded(outage.result);
    const metrics = {
      quote_hit_ratio: round(quoteHitRatio, 4),
      get_quote_p95_ms_redis: round(percentile(redisPaced.latencies, 95)),
      get_quote_p95_ms_memory: round(percentile(memoryPaced.latencies, 95)),
      quote_fanout_per_s: Math.round(fanoutPerS),
      success_rate_during_redis_outage: round(o.ok / Math.max(1, o.all), 5),
      get_quote_p50_ms_redis: round(percentile(redisPaced.latencies, 50)),
      get_quote_p99_ms_redis: round(percentile(redisPaced.latencies, 99)),
      get_quote_p99_ms_memory: round(percentile(memoryPaced.latencies, 99)),
      get_quote_paced_rate_per_s: Math.round(redisPaced.rate),
      get_quote_paced_failed: redisPaced.failed + memoryPaced.failed,
      get_quote_saturated_p95_ms_redis: round(percentile(viaRedis.latencies, 95)),
      get_quote_saturated_p95_ms_memory: round(percentile(memory.latencies, 95)),
      get_quote_server_cpu_ms_redis: round((viaRedis.serverCpu * 1000) / Math.max(1, r.all), 3),
      get_quote_server_cpu_ms_memory: round((memory.serverCpu * 1000) / Math.max(1, m.all), 3),
      live_fill_delay_p50_ms_same_replica: round(percentile(local, 50)),
      live_fill_delay_p50_ms_announced: round(percentile(viaPubsub, 50)),
      live_fill_delay_p95_ms_announced: round(percentile(viaPubsub, 95)),
      live_fill_delay_p50_ms_polled: round(percentile(viaPoll, 50)),
      live_fill_delay_p95_ms_polled: round(percentile(viaPoll, 95)),
      appends_pubsub_lag_mean_ms: round(appendsLag * 1000),
      get_quote_p95_ms_redis_1_connection: round(percentile(redisOne.latencies, 95)),
      get_quote_p95_ms_memory_1_connection: round(percentile(memoryOne.latencies, 95)),
      get_quote_saturated_p50_ms_redis: round(percentile(viaRedis.latencies, 50)),
      get_quote_saturated_per_s_redis: Math.round(r.all / viaRedis.result.duration),
      get_quote_saturated_per_s_memory: Math.round(m.all / memory.result.duration),
      outage_requests: o.all,
    };
    report('cache', quick, metrics, {
      setup: `bench/api.ts --serve children: \`serve --role all\` on PGlite without Redis (memory); \`--role engine\` and \`--role api\` on one scratch PostgreSQL database and a redis-server started by the benchmark (Redis); load from this process (autocannon closed loop, and an open-loop generator for the paced runs), ${seconds} s runs after a 1 s warm-up${quick ? '; QUICK' : ''}`,
      quote_hit_ratio: `the api replica's cache_hit_ratio{kind="quote"}: quote reads answered by the quotes the engine published (target > 0.95)`,
      get_quote: `get_quote_p{50,95,99}_ms_*: GET /api/v1/market/quotes/{symbol} over ${SYMBOLS.length} symbols at a steady ${PACED_RATE} requests/s for ${seconds} s (open loop, bench/open-loop.ts: one request every ${round(1000 / PACED_RATE, 2)} ms on up to 50 keep-alive connections, each latency counted from its scheduled send time, so a stall is charged to every request it delays); Redis target p95 ≤ 5 ms. On an api replica a quote is read from its mirror of the published quotes (fed by pub/sub), so Redis adds no round trip to a read${pacedFailures(redisPaced, memoryPaced)}`,
      get_quote_saturated: `get_quote_saturated_*: the same reads as fast as 50 connections go (autocannon, closed loop): the throughput of one process (per_s) and the queue it builds (p95 ≈ 50 / per_s), not the latency of a read; *_1_connection: one connection, closed loop`,
      server_cpu: `get_quote_server_cpu_ms_*: CPU time (user + system) of the serving process per GET quote during the 50-connection run — load-independent, unlike the latencies on this shared machine (the Redis replica's includes following the engine's quote channel)`,
      live_fill_delay: `${quick ? 15 : LIVE_ORDERS} market orders placed one at a time on api replica A (filled as placed, so appended by A); SSE streams held on A itself (same_replica: ms from sending the order to its \`fill\` there) and on replicas B and C (ms from its delivery on A to its delivery there; announced: B wakes on A's append announcement over Redis pub/sub; polled: C runs with BENCH_ANNOUNCE=off and finds the event at its next 50 ms poll of PostgreSQL); appends_pubsub_lag_mean_ms: B's mean cache_pubsub_lag_seconds{channel="appends"}, publish to delivery`,
      outage: `20 connections, GET quote and GET positions alternately on the api replica; its redis-server stopped 1 s in and started again 2 s later; target ≥ 99.9 %`,
      fanout: `ticks of ${DEFAULT_UNIVERSE.length} quotes published on one connection, 100 subscribers on two others (two replicas), deliveries = quotes received per second (target ≥ 50,000)`,
      machine_load: `load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} (1/5/15 min) on ${os.cpus().length} CPUs`,
    });
  } finally {
    for (const child of children) await stopChild(child);
    await redis.stop();
    await scratch.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
