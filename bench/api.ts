/**
 * API benchmark (issue 6): the real server — the composition of `serve`, embedded PGlite in a
 * temporary DATA_DIR, engine and projections running — in a child process of its own, loaded
 * with autocannon from this one:
 *
 * - `get_positions_p95_ms`: 50 connections on `GET /accounts/{id}/positions` over 100 accounts;
 * - `post_order_p95_ms`: 20 connections placing market orders (buy and sell alternately) spread
 *   over the same 100 accounts;
 * - `success_rate`: 2xx share of every request of both runs;
 * - `floor_*`: the same two loads against an express app that does no work (`--floor`): what
 *   this machine gives before our code runs at all, so runs on hosts of different speeds can be
 *   compared (the targets are for "this machine", and the hosts of one machine kind differ).
 *
 * The per-IP and per-user rate limits would throttle a load generator on one address, so the
 * benchmark server runs with them raised (compose's `rateLimits`). `npm run bench -- api
 * [--quick] [--postgres]` (`--postgres`: against a scratch PostgreSQL database instead, written as
 * `api-postgres`); `tsx bench/api.ts --serve` is the child, `--floor` the express floor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request as CannonRequest, type Result } from 'autocannon';
import { percentile, report, round } from './report.ts';
import { scratchDatabase } from './support.ts';

const ACCOUNTS = 100;
const USERS = 10;
const SYMBOLS = ['AAPL', 'MSFT', 'SPY', 'NVDA', 'AMZN'];
const PASSWORD = 'benchmark passphrase that is long';

/** autocannon's request timeout. */
const TIMEOUT_S = 10;

/** Targets of issue 6 (on PGlite, this machine). */
const TARGETS = { get_positions_p95_ms: 20, post_order_p95_ms: 50, success_rate: 0.999 };

// ─── the server (child process) ─────────────────────────────────────────────────────────────

async function serve(): Promise<void> {
  const [{ pino }, { compose }, { loadConfig }, { startServer }] = await Promise.all([
    import('pino'),
    import('../src/app/compose.ts'),
    import('../src/config.ts'),
    import('../src/api/server.ts'),
  ]);
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel });
  // BENCH_ROLE: the role of this server (the cache benchmark runs an engine and an api replica).
  const role = (process.env.BENCH_ROLE ?? 'all') as 'all' | 'api' | 'engine';
  const composition = await compose(config, {
    role,
    version: 'bench',
    logger,
    rateLimits: { perIp: 1_000_000_000, auth: 1_000_000_000, perUser: 1_000_000_000 },
    // BENCH_ANNOUNCE=off: no append announcements over Redis (subscriptions only poll).
    announceAppends: process.env.BENCH_ANNOUNCE !== 'off',
  });
  const server = await startServer(composition.app, { port: 0, host: '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
  await server.close();
  await composition.close();
}

/**
 * The floor: express as the server uses it (no `x-powered-by`, no ETag, `express.json`), one
 * route per phase answering the real server's reply to that request, and nothing else — no
 * authentication, limits, metrics, headers or read model. `BENCH_FLOOR_BODIES` names a JSON
 * file `{ positions, order }` with the bodies to answer.
 */
async function serveFloor(): Promise<void> {
  const { default: express } = await import('express');
  const file = process.env.BENCH_FLOOR_BODIES;
  if (file === undefined) throw new Error('BENCH_FLOOR_BODIES is not set');
  const bodies = JSON.parse(readFileSync(file, 'utf8')) as FloorBodies;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json());
  app.get('/api/v1/accounts/:id/positions', (_req, res) => {
    res.json(bodies.positions);
  });
  app.post('/api/v1/accounts/:id/orders', (_req, res) => {
    res.status(201).json(bodies.order);
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => {
      resolve(listening);
    });
  });
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${String(port)}` })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
  await new Promise((resolve) => server.close(resolve));
}

/** What the floor answers: the real server's replies to one positions read and one order. */
interface FloorBodies {
  readonly positions: unknown;
  readonly order: unknown;
}

// ─── the load generator ─────────────────────────────────────────────────────────────────────

interface Account {
  readonly id: string;
  readonly token: string;
}

/**
 * Starts `serve` in a child process (`env` adds to or overrides its environment); `floor`
 * starts the express floor instead.
 */
export async function startChild(
  dataDir: string,
  databaseUrl: string | undefined,
  extra: Readonly<Record<string, string>> = {},
  mode: '--serve' | '--floor' = '--serve',
): Promise<{ child: ChildProcess; url: string }> {
  const { DATABASE_URL: _inherited, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of the server (open it in DevTools).
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
      // BENCH_NODE_ARGS="<flags>": more node flags for the server (e.g. V8 GC settings to try).
      ...(process.env.BENCH_NODE_ARGS
        ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean)
        : []),
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      mode,
    ],
    {
      env: {
        ...env,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'development',
        ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`the benchmark server exited (${String(code)}) before listening`));
    });
    // The first JSON line names the URL; anything else (e.g. `--trace-gc`) goes to stderr.
    lines.on('line', (line) => {
      if (line.startsWith('{"url"')) resolve((JSON.parse(line) as { url: string }).url);
      else process.stderr.write(`${line}\n`);
    });
  });
  return { child, url };
}

export async function json(
  url: string,
  method: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function expectOk(
  what: string,
  reply: Promise<{ status: number; body: Record<string, unknown> }>,
): Promise<Record<string, unknown>> {
  const { status, body } = await reply;
  if (status < 200 || status >= 300) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Registers users, logs them in and opens `ACCOUNTS` accounts, each holding one position;
 * answers them with the reply to the first order placed.
 */
async function setUp(api: string): Promise<{ accounts: Account[]; firstOrder: unknown }> {
  const accounts: Account[] = [];
  const stamp = Date.now();
  for (let u = 0; u < USERS; u++) {
    const email = `bench${u}.${stamp}@example.com`;
    await expectOk('register', json(`${api}/auth/register`, 'POST', { email, password: PASSWORD }));
    const login = await expectOk(
      'login',
      json(`${api}/auth/login`, 'POST', { email, password: PASSWORD }),
    );
    const token = String(login.access_token);
    for (let a = 0; a < ACCOUNTS / USERS; a++) {
      const opened = await expectOk(
        'open account',
        json(`${api}/accounts`, 'POST', { name: `bench ${a}`, initial_cash: '100000000' }, token),
      );
      accounts.push({ id: String(opened.id), token });
    }
  }
  // Every account holds a position, so GET positions has rows to value.
  const placed = await Promise.all(
    accounts.map((account, i) =>
      expectOk(
        'seed order',
        json(`${api}/accounts/${account.id}/orders`, 'POST', order(i, 'buy', '10'), account.token),
      ),
    ),
  );
  return { accounts, firstOrder: placed[0] };
}

/**
 * Waits (at most a minute) until every projection has applied every stored event, per the
 * server's own `/metrics`, so a run measures the steady state rather than a catch-up.
 */
async function projectionsCaughtUp(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const lags = [...text.matchAll(/^projection_lag_events\{[^}]*\} (\d+)$/gm)].map((m) =>
      Number(m[1]),
    );
    if (lags.length > 0 && lags.every((lag) => lag === 0)) return;
    if (Date.now() > deadline) throw new Error(`projections still behind: ${lags.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function order(i: number, side: 'buy' | 'sell', qty = '1'): Record<string, unknown> {
  return {
    symbol: SYMBOLS[i % SYMBOLS.length],
    qty,
    side,
    type: 'market',
    time_in_force: 'day',
  };
}

/**
 * CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat` (Linux;
 * `NaN` elsewhere). Unlike latency, CPU per request barely depends on what else the machine
 * is running.
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** `getconf CLK_TCK` on Linux. */
const CLOCK_TICKS = 100;

interface Run {
  readonly result: Result;
  /** Server CPU seconds the run cost (engine and projections included). */
  readonly serverCpu: number;
  /** Every response time in ms, ascending (a failed request counts as the timeout). */
  readonly latencies: number[];
}

/**
 * One autocannon run; `next` picks each request (account, path, body) in turn. Closed loop
 * (each connection sends as soon as it has its answer) unless `rate` caps the requests per
 * second of all connections together (open loop: latency at that load, not at saturation).
 */
export async function load(
  url: string,
  server: ChildProcess,
  connections: number,
  seconds: number,
  next: () => CannonRequest,
  rate?: number,
): Promise<Run> {
  const latencies: number[] = [];
  const cpuBefore = cpuSeconds(server.pid);
  const result = await new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        ...(rate === undefined ? {} : { overallRate: rate }),
        timeout: TIMEOUT_S,
        requests: [{ setupRequest: (request: CannonRequest) => ({ ...request, ...next() }) }],
      },
      (error: Error | null, done: Result) => {
        if (error) reject(error);
        else resolve(done);
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
    });
    // A request that timed out or failed counts with the timeout as its latency.
    instance.on('reqError', () => {
      latencies.push(TIMEOUT_S * 1000);
    });
  });
  latencies.sort((a, b) => a - b);
  return { result, latencies, serverCpu: cpuSeconds(server.pid) - cpuBefore };
}

/** Requests per second of a run, answered or not. */
function perSecond(run: Run): number {
  return Math.round(succeeded(run.result).all / run.result.duration);
}

/** Server CPU per request of a run, in ms. */
function perRequestCpu(run: Run): number {
  return round((run.serverCpu * 1000) / Math.max(1, succeeded(run.result).all), 3);
}

export function succeeded(result: Result): { ok: number; all: number } {
  const r = result as Result & Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  return {
    ok: r['2xx'],
    all: r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'] + result.errors,
  };
}

/** Status codes other than 2xx, for the notes. */
export function failures(result: Result): string {
  const stats = (result as Result & { statusCodeStats?: Record<string, { count: number }> })
    .statusCodeStats;
  const bad = Object.entries(stats ?? {})
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${code}×${count}`);
  if (result.errors > 0) bad.push(`errors×${result.errors} (timeouts ${result.timeouts})`);
  return bad.length === 0 ? 'none' : bad.join(', ');
}

/** The API benchmark (see the file comment). */
export async function run(quick: boolean): Promise<void> {
  // `--postgres`: the same runs against a scratch database on the local PostgreSQL (for
  // comparison; written as `api-postgres`). The targets are for PGlite.
  const scratch = process.argv.includes('--postgres') ? await scratchDatabase() : undefined;
  const store = scratch ? 'PostgreSQL (DATABASE_URL, a scratch database)' : 'embedded PGlite';
  const seconds = quick ? 5 : 30;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opt-bench-api-'));
  let started: Awaited<ReturnType<typeof startChild>> | undefined;
  let floor: Awaited<ReturnType<typeof startChild>> | undefined;
  try {
    started = await startChild(dataDir, scratch?.url);
    const { child, url } = started;
    const api = `${url}/api/v1`;
    const { accounts, firstOrder } = await setUp(api);
    const pick = (i: number): Account => accounts[i % accounts.length] ?? { id: '', token: '' };
    const positionsRead = (a: Account): CannonRequest => ({
      method: 'GET',
      path: `/api/v1/accounts/${a.id}/positions`,
      headers: { authorization: `Bearer ${a.token}` },
    });
    const orderRequest = (i: number): CannonRequest => {
      const a = pick(i);
      // Each account alternates buy and sell, so positions stay small and cash never runs out.
      const side = Math.floor(i / accounts.length) % 2 === 0 ? 'buy' : 'sell';
      return {
        method: 'POST',
        path: `/api/v1/accounts/${a.id}/orders`,
        headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(order(i, side)),
      };
    };

    // The floor answers the real replies, so both send and receive the same bytes.
    const first = pick(0);
    const bodies: FloorBodies = {
      positions: await expectOk(
        'positions',
        json(`${api}/accounts/${first.id}/positions`, 'GET', undefined, first.token),
      ),
      order: firstOrder,
    };
    const bodiesFile = path.join(dataDir, 'floor-bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    floor = await startChild(dataDir, undefined, { BENCH_FLOOR_BODIES: bodiesFile }, '--floor');

    // Warm-up: JIT, prepared statements, state caches.
    for (const target of [started, floor]) {
      let w = 0;
      await load(target.url, target.child, 10, 2, () => positionsRead(pick(w++)));
    }

    // BENCH_ONLY=get|post: run one phase only (the other runs for 1 s), to profile it alone.
    const only = process.env.BENCH_ONLY;
    const getSeconds = only === 'post' ? 1 : seconds;
    const postSeconds = only === 'get' ? 1 : seconds;
    // Each load right after its floor, so both see the machine in the same minute.
    let f = 0;
    const floorPositions = await load(floor.url, floor.child, 50, getSeconds, () =>
      positionsRead(pick(f++)),
    );
    await projectionsCaughtUp(url);
    let g = 0;
    const positions = await load(url, child, 50, getSeconds, () => positionsRead(pick(g++)));

    let fo = 0;
    const floorOrders = await load(floor.url, floor.child, 20, postSeconds, () =>
      orderRequest(fo++),
    );
    await projectionsCaughtUp(url);
    let p = 0;
    const orders = await load(url, child, 20, postSeconds, () => orderRequest(p++));

    const a = succeeded(positions.result);
    const b = succeeded(orders.result);
    const metrics = {
      get_positions_p95_ms: round(percentile(positions.latencies, 95)),
      post_order_p95_ms: round(percentile(orders.latencies, 95)),
      success_rate: round((a.ok + b.ok) / Math.max(1, a.all + b.all), 5),
      get_positions_p50_ms: round(percentile(positions.latencies, 50)),
      get_positions_p99_ms: round(percentile(positions.latencies, 99)),
      get_positions_per_s: perSecond(positions),
      post_order_p50_ms: round(percentile(orders.latencies, 50)),
      post_order_p99_ms: round(percentile(orders.latencies, 99)),
      post_order_per_s: perSecond(orders),
      requests: a.all + b.all,
      get_positions_server_cpu_ms: perRequestCpu(positions),
      post_order_server_cpu_ms: perRequestCpu(orders),
      floor_get_p95_ms: round(percentile(floorPositions.latencies, 95)),
      floor_get_per_s: perSecond(floorPositions),
      floor_get_server_cpu_ms: perRequestCpu(floorPositions),
      floor_post_p95_ms: round(percentile(floorOrders.latencies, 95)),
      floor_post_per_s: perSecond(floorOrders),
      floor_post_server_cpu_ms: perRequestCpu(floorOrders),
    };
    const met = (name: keyof typeof TARGETS): string =>
      name === 'success_rate'
        ? metrics[name] >= TARGETS[name]
          ? 'met'
          : 'MISSED'
        : metrics[name] <= TARGETS[name]
          ? 'met'
          : 'MISSED';
    report(scratch ? 'api-postgres' : 'api', quick, metrics, {
      setup: `the composition of \`serve --role all\` (engine and projections running, hash chain on) on ${store}${scratch ? '' : ' in a temporary DATA_DIR'}, in a child process; autocannon in this process over loopback; ${USERS} users, ${ACCOUNTS} accounts each holding a position; per-IP and per-user rate limits raised for the run (compose \`rateLimits\`); ${seconds} s per run after a 2 s warm-up, each starting once the projections have caught up; a request that times out (${TIMEOUT_S} s) counts with that latency${quick ? '; QUICK: 5 s runs instead of 30 s' : ''}`,
      get_positions: `50 connections, GET /api/v1/accounts/{id}/positions round-robin over the ${ACCOUNTS} accounts (valued with the latest quotes); p95 target ≤ ${TARGETS.get_positions_p95_ms} ms: ${met('get_positions_p95_ms')}; non-2xx: ${failures(positions.result)}`,
      post_order: `20 connections, POST /api/v1/accounts/{id}/orders market orders (qty 1, ${SYMBOLS.length} symbols, buy then sell per account) round-robin over the ${ACCOUNTS} accounts, each filled at once; p95 target ≤ ${TARGETS.post_order_p95_ms} ms: ${met('post_order_p95_ms')}; non-2xx: ${failures(orders.result)}`,
      success_rate: `2xx share of all ${a.all + b.all} requests of both runs; target ≥ ${TARGETS.success_rate * 100} %: ${met('success_rate')}`,
      server_cpu:
        'CPU time (user + system) of the server process per request during each run, engine and projections included: capacity per core ≈ 1000 / this, whatever else the machine runs',
      floor: `the same two loads, each run just before its real one, against an express app in a child process that does no work (\`bench/api.ts --floor\`: express as the server sets it up, one route per phase answering the real server's reply to that request, no authentication, limits, metrics or read model): what this host gives before our code runs, since the hosts of one machine kind differ in speed; the real run's p95 and CPU against the floor's say how much is ours`,
      machine_load: `load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} (1/5/15 min) on ${os.cpus().length} CPUs`,
    });
  } finally {
    for (const child of [floor?.child, started?.child]) {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    await scratch?.drop();
  }
}

if (process.argv.includes('--serve')) await serve();
else if (process.argv.includes('--floor')) await serveFloor();
