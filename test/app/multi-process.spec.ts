import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import {
  postgresUrl,
  redisServerBinary,
  startRedisServer,
  type ThrowawayServer,
} from '../support/services.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'a multi-process passphrase';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

interface Serve {
  readonly url: string;
  readonly child: ChildProcess;
}

/** `paper-trading serve --role <role>` as a process of its own, once it answers health. */
async function serve(role: string, env: Record<string, string>): Promise<Serve> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'serve', '--role', role, '--port', String(port)],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        DATA_DIR: mkdtempSync(path.join(tmpdir(), `opt-mp-${role}-`)),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${role} exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/api/v1/health`)).status < 500) return { url, child };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${role} did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** SIGTERM, and SIGKILL if the process has not exited 15 s later. */
async function stop(server: Serve | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

type Json = Record<string, unknown>;

async function call(
  url: string,
  method: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const reply = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await reply.text();
  return {
    status: reply.status,
    body: text ? (JSON.parse(text) as Json) : {},
    headers: reply.headers,
  };
}

/**
 * Scale-out as deployed (issue 12): one `engine` process and two `api` processes on one
 * PostgreSQL database and one Redis (a redis-server of this test's own), as separate OS
 * processes. An order placed through replica A rests, is filled by the engine, and shows on
 * replica B — in its positions and in a live-update stream held open on B.
 */
/**
 * Places a buy one cent under the ask of TSLA, which only the engine fills, on a later quote.
 * When the ask moved down meanwhile and the order filled at once, it tries again a cent lower.
 */
async function restingBuy(api: string, token: string, account: string): Promise<string> {
  for (let cents = 1; cents < 20; cents++) {
    const quote = await call(`${api}/market/quotes/TSLA`, 'GET', undefined, token);
    expect(quote.status).to.equal(200);
    const limit = (Math.round(Number(quote.body.ask) * 100) - cents) / 100;
    const placed = await call(
      `${api}/accounts/${account}/orders`,
      'POST',
      {
        symbol: 'TSLA',
        qty: '2',
        side: 'buy',
        type: 'limit',
        limit_price: limit.toFixed(2),
        time_in_force: 'gtc',
      },
      token,
    );
    expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
    if (placed.body.status !== 'filled') return String(placed.body.id);
  }
  throw new Error('every order filled at once');
}

/** Waits (at most two minutes) until the order is filled; answers it. */
async function filledOrder(api: string, token: string, account: string, orderId: string) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const order = await call(
      `${api}/accounts/${account}/orders/${orderId}`,
      'GET',
      undefined,
      token,
    );
    if (order.body.status === 'filled') return order.body;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`order ${orderId} was not filled`);
}

describe('scale-out: two api processes and one engine process', function () {
  this.timeout(240_000);
  let redis: ThrowawayServer | undefined;
  let admin: pg.Client | undefined;
  let database = '';
  const servers: Serve[] = [];

  before(async function () {
    const binary = redisServerBinary();
    if (binary === undefined) {
      if (process.env.CI === 'true') throw new Error('redis-server is not installed');
      this.skip();
    }
    const base = await postgresUrl(this);
    admin = new pg.Client({ connectionString: base });
    // The harness drops the run's database at the very end, ending this connection too.
    admin.on('error', () => undefined);
    await admin.connect();
    database = `opt_mp_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE "${database}"`);
    const url = new URL(base);
    url.pathname = `/${database}`;
    redis = await startRedisServer(binary);
    const env = {
      DATABASE_URL: url.toString(),
      REDIS_URL: redis.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    };
    // The engine first: it applies the migrations the others expect, and holds the lease.
    servers.push(await serve('engine', env));
    servers.push(...(await Promise.all([serve('api', env), serve('api', env)])));
    // A second engine: the hot standby.
    servers.push(await serve('engine', env));
  });

  after(async () => {
    await Promise.all(servers.map((s) => stop(s)));
    await redis?.stop();
    if (admin) {
      await admin
        .query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
        .catch(() => undefined);
      await admin.end();
    }
  });

  it('an order placed on replica A is filled by the engine and shows on replica B', async () => {
    const [, a, b] = servers;
    if (!a || !b) throw new Error('servers did not start');
    const api = (s: Serve) => `${s.url}/api/v1`;
    const email = `mp-${Date.now()}@example.com`;
    const registered = await call(`${api(a)}/auth/register`, 'POST', { email, password: PASSWORD });
    expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
    const token = String(registered.body.access_token);
    const opened = await call(
      `${api(a)}/accounts`,
      'POST',
      { name: 'Main', initial_cash: '100000' },
      token,
    );
    expect(opened.status).to.equal(201);
    const account = String(opened.body.id);

    // Replica B holds a live-update stream open before the order exists.
    const controller = new AbortController();
    const stream = await fetch(`${api(b)}/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    expect(stream.status).to.equal(200);
    let seen = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
        seen += decoder.decode(chunk);
      }
    })().catch(() => undefined);

    // A resting buy one cent under the ask of a volatile name: only the engine can fill it,
    // when a later quote of the shared feed reaches it.
    const orderId = await restingBuy(api(a), token, account);

    const filled = await filledOrder(api(b), token, account, orderId);
    const position = Number(filled.event_position);
    const positions = await call(
      `${api(b)}/accounts/${account}/positions`,
      'GET',
      undefined,
      token,
      { 'X-Min-Position': String(position) },
    );
    expect(positions.status).to.equal(200);
    const items = positions.body.items as Json[];
    // At least the engine's fill (an attempt that filled at once on A adds its own).
    expect(items.map((p) => p.symbol)).to.deep.equal(['TSLA']);
    expect(Number(items[0]?.qty)).to.be.at.least(2);

    const streamDeadline = Date.now() + 30_000;
    while (!seen.includes('event: fill') && Date.now() < streamDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    controller.abort();
    await reading;
    expect(seen).to.include('event: fill');
    expect(seen).to.include(orderId);

    // The fill was the engine's: its event names the engine as the actor.
    const events = await call(
      `${api(b)}/accounts/${account}/events?limit=50`,
      'GET',
      undefined,
      token,
    );
    const fill = (events.body.items as Json[]).find(
      (e) => e.type === 'OrderFilled' && JSON.stringify(e.data).includes(orderId),
    );
    expect(fill?.metadata).to.deep.include({ actor: 'engine' });
  });

  it('an option chain and the asset list read on replica A are served to replica B from Redis', async () => {
    const [, a, b] = servers;
    if (!a || !b) throw new Error('servers did not start');
    const api = (s: Serve) => `${s.url}/api/v1`;
    const email = `mp-chain-${Date.now()}@example.com`;
    const registered = await call(`${api(a)}/auth/register`, 'POST', { email, password: PASSWORD });
    const token = String(registered.body.access_token);
    const hits = async (s: Serve, kind: string): Promise<number> => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const match = new RegExp(
        `^cache_requests_total\\{kind="${kind}",result="hit"\\} (\\d+)$`,
        'm',
      ).exec(text);
      return Number(match?.[1] ?? 0);
    };
    // Both replicas price from the engine's shared quotes: read on A, then on B, until both
    // read the chain of the same underlying quote (the feed ticks in between now and then).
    let same = false;
    for (let i = 0; i < 10 && !same; i++) {
      const first = await call(`${api(a)}/options/chains/SPY`, 'GET', undefined, token);
      const second = await call(`${api(b)}/options/chains/SPY`, 'GET', undefined, token);
      expect(first.status, JSON.stringify(first.body).slice(0, 200)).to.equal(200);
      expect(second.status).to.equal(200);
      if (first.body.as_of === second.body.as_of) {
        same = true;
        expect(second.body).to.deep.equal(first.body);
      }
    }
    expect(same, 'A and B read one underlying quote').to.equal(true);
    expect(await hits(b, 'option-chain')).to.be.at.least(1);

    const listA = await call(`${api(a)}/market/assets`, 'GET', undefined, token);
    const listB = await call(`${api(b)}/market/assets`, 'GET', undefined, token);
    expect(listB.body).to.deep.equal(listA.body);
    expect((await hits(a, 'assets')) + (await hits(b, 'assets'))).to.be.at.least(1);
  });

  it('when the active engine dies, the standby takes over: no resting order is lost or filled twice', async () => {
    const [active, a, b, standby] = servers;
    if (!active || !a || !b || !standby) throw new Error('servers did not start');
    const api = (s: Serve) => `${s.url}/api/v1`;
    const email = `mp-failover-${Date.now()}@example.com`;
    const registered = await call(`${api(a)}/auth/register`, 'POST', { email, password: PASSWORD });
    const token = String(registered.body.access_token);
    const opened = await call(
      `${api(a)}/accounts`,
      'POST',
      { name: 'F', initial_cash: '100000' },
      token,
    );
    const account = String(opened.body.id);
    const before = await restingBuy(api(a), token, account);
    // A crash, not a clean stop: the lease (a database session) goes with the process.
    const exited = new Promise((resolve) => active.child.once('exit', resolve));
    active.child.kill('SIGKILL');
    await exited;
    const during = await restingBuy(api(a), token, account);
    for (const orderId of [before, during]) {
      const order = await filledOrder(api(b), token, account, orderId);
      const fills = await call(
        `${api(b)}/accounts/${account}/fills?order_id=${orderId}`,
        'GET',
        undefined,
        token,
        { 'X-Min-Position': String(order.event_position) },
      );
      expect((fills.body.items as Json[]).map((f) => f.qty)).to.deep.equal(['2']);
    }
    const health = await call(`${standby.url}/api/v1/health`, 'GET');
    expect(health.status).to.equal(200);
  });
});
