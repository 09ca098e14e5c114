import { createServer, connect, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { createClient } from 'redis';
import {
  call,
  PASSWORD,
  startAuthHarness,
  type AuthHarness,
  type AuthHarnessOptions,
} from '../auth/harness.ts';
import { redisKeyPrefix, redisUrl } from '../support/services.ts';

/** A TCP pass-through to Redis that a test can take away and bring back on the same port. */
class TcpProxy {
  readonly #sockets = new Set<Socket>();
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #server: Server | undefined;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.resume();
    return proxy;
  }

  async resume(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => {
          this.#sockets.delete(socket);
        });
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
      const pair = { client, upstream };
      this.#pairs.add(pair);
      client.on('close', () => {
        this.#pairs.delete(pair);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.#server = server;
  }

  /** Redis hangs: connections stay open, but commands are swallowed and never answered. */
  freeze(): void {
    for (const { client, upstream } of this.#pairs) {
      client.unpipe(upstream);
      client.on('data', () => undefined);
    }
  }

  /** Redis "goes away": no new connections, and the open ones are cut. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  }
}

/** A port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const logout = (h: AuthHarness) => call(`${h.url}/auth/logout`, 'POST', { refresh_token: 'x' });

describe('api: rate limits shared through Redis', function () {
  this.timeout(60_000);
  let url: string;
  let inspect: ReturnType<typeof createClient>;
  let run = 0;
  const open: AuthHarness[] = [];

  /** A key prefix of this run and test: parallel runs and tests never share a count. */
  const prefix = () => `${redisKeyPrefix()}rl${run}:`;

  before(async function () {
    url = await redisUrl(this);
    inspect = createClient({ url });
    inspect.on('error', () => undefined);
    await inspect.connect();
  });
  beforeEach(() => {
    run++;
  });
  afterEach(async () => {
    for (const h of open.splice(0).reverse()) await h.close();
  });
  after(async () => {
    if (inspect.isOpen) await inspect.close();
  });

  /** Two app replicas over one storage, each with its own limiters and Redis client. */
  async function replicas(options: AuthHarnessOptions): Promise<[AuthHarness, AuthHarness]> {
    const a = await startAuthHarness({ redisUrl: url, rateLimitKeyPrefix: prefix(), ...options });
    open.push(a);
    const b = await startAuthHarness({
      redisUrl: url,
      rateLimitKeyPrefix: prefix(),
      ...options,
      replicaOf: a,
    });
    open.push(b);
    expect(a.security.rateLimitCounting()).to.equal('redis');
    expect(b.security.rateLimitCounting()).to.equal('redis');
    return [a, b];
  }

  async function keys(): Promise<string[]> {
    const found: string[] = [];
    for await (const batch of inspect.scanIterator({ MATCH: `${prefix()}*`, COUNT: 100 })) {
      found.push(...batch);
    }
    return found.sort();
  }

  it('requests spread over two replicas share the /auth limit: 429 with Retry-After', async () => {
    const [a, b] = await replicas({ limits: { auth: 4 } });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await logout(i % 2 === 0 ? a : b));
    // Counted per replica, each would still be under 4.
    expect(answers.map((r) => r.status)).to.deep.equal([204, 204, 204, 204, 429, 429, 429, 429]);
    for (const limited of answers.slice(4)) {
      expect(limited.body.code).to.equal('rate_limited');
      expect(limited.headers.get('content-type')).to.match(/^application\/problem\+json/);
      const retry = Number(limited.headers.get('retry-after'));
      expect(retry).to.be.greaterThan(0).and.at.most(60);
    }
  });

  it('the per-IP limit holds across replicas', async () => {
    const [a, b] = await replicas({ limits: { perIp: 5 } });
    const statuses = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await call(`${(i % 2 === 0 ? a : b).url}/me`, 'GET')).status);
    }
    expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 429, 429, 429]);
  });

  it('the per-user limit holds across replicas', async () => {
    const [a, b] = await replicas({ limits: { perUser: 3 } });
    const registered = await call(`${a.url}/auth/register`, 'POST', {
      email: `shared-${run}@example.com`,
      password: PASSWORD,
    });
    expect(registered.status).to.equal(201);
    const token = String(registered.body.access_token);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await call(`${(i % 2 === 0 ? b : a).url}/me`, 'GET', undefined, token)).status,
      );
    }
    expect(statuses).to.deep.equal([200, 200, 200, 429, 429, 429]);
  });

  it('keeps its keys under the configured prefix, expiring with the window; another prefix counts apart', async () => {
    const [a, b] = await replicas({ limits: { auth: 2, windowMs: 1500 } });
    expect((await logout(a)).status).to.equal(204);
    expect((await logout(b)).status).to.equal(204);
    expect((await logout(a)).status).to.equal(429);
    const written = await keys();
    expect(written.length).to.be.greaterThan(0);
    for (const key of written) {
      expect(key.startsWith(prefix())).to.equal(true);
      const ttl = await inspect.pTTL(key);
      expect(ttl).to.be.greaterThan(0).and.at.most(1500);
    }
    expect(written.some((k) => k.startsWith(`${prefix()}rl:auth:`))).to.equal(true);

    // A parallel run with its own prefix on the same server is not affected.
    const otherRun = await startAuthHarness({
      redisUrl: url,
      rateLimitKeyPrefix: `${prefix()}other:`,
      limits: { auth: 2, windowMs: 1500 },
    });
    open.push(otherRun);
    expect((await logout(otherRun)).status).to.equal(204);

    // The window passes: Redis drops the keys and the limit starts over.
    await sleep(1600);
    expect(await inspect.exists(written)).to.equal(0);
    expect((await logout(b)).status).to.equal(204);
  });

  it('with Redis unreachable from the start, starts within the connect timeout and limits per process (no crash, no 5xx)', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const storage = await startAuthHarness();
    open.push(storage);
    const closedPort = await freePort();
    const started = Date.now();
    const h = await startAuthHarness({
      redisUrl: `redis://127.0.0.1:${closedPort}`,
      redisConnectTimeoutMs: 300,
      rateLimitKeyPrefix: prefix(),
      limits: { auth: 3 },
      logger,
      replicaOf: storage,
    });
    open.push(h);
    expect(Date.now() - started).to.be.lessThan(3000);
    expect(h.security.rateLimitCounting()).to.equal('local');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await logout(h)).status);
    expect(statuses).to.deep.equal([204, 204, 204, 429, 429]);
    const log = lines.join('');
    expect(log).to.match(/not reachable at start; counting per process/);
    // One line per limiter and outage, not one per request or reconnect attempt.
    expect(log.match(/count per process until Redis answers again/g) ?? []).to.have.length.at.most(
      3,
    );
  });

  it('when Redis goes away mid-run, each replica limits on its own, fast; when it is back, the count is shared again', async function () {
    const target = new URL(url);
    if (target.protocol !== 'redis:') this.skip();
    const proxy = await TcpProxy.start({
      host: target.hostname,
      port: Number(target.port || 6379),
    });
    try {
      const viaProxy = new URL(url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const [a, b] = await replicas({ redisUrl: viaProxy.toString(), limits: { auth: 3 } });
      expect((await logout(a)).status).to.equal(204);
      expect((await logout(b)).status).to.equal(204);
      const [authKey] = (await keys()).filter((k) => k.includes('rl:auth:'));
      if (authKey === undefined) throw new Error('no /auth key in Redis');
      expect(await inspect.get(authKey)).to.equal('2');

      await proxy.stop();
      await until(
        () =>
          a.security.rateLimitCounting() === 'local' && b.security.rateLimitCounting() === 'local',
        'both replicas to notice',
      );
      const during = [];
      for (let i = 0; i < 4; i++) {
        const started = Date.now();
        const res = await logout(a);
        during.push(res.status);
        expect(Date.now() - started, 'an outage must not hold a request').to.be.lessThan(2000);
      }
      // Replica a counted alone: 3 allowed, then 429 — neither open nor closed.
      expect(during).to.deep.equal([204, 204, 204, 429]);
      // Replica b has its own count meanwhile.
      expect((await logout(b)).status).to.equal(204);
      expect(await inspect.get(authKey)).to.equal('2');

      await proxy.resume();
      await until(
        () =>
          a.security.rateLimitCounting() === 'redis' && b.security.rateLimitCounting() === 'redis',
        'both replicas to reconnect',
      );
      // Back on the shared count (2 so far): one more is allowed, then both replicas refuse.
      expect((await logout(b)).status).to.equal(204);
      expect(await inspect.get(authKey)).to.equal('3');
      expect((await logout(a)).status).to.equal(429);
      expect((await logout(b)).status).to.equal(429);
    } finally {
      await proxy.stop();
    }
  });

  it('when Redis hangs (connected, never answering), a request waits at most the command timeout', async function () {
    const target = new URL(url);
    if (target.protocol !== 'redis:') this.skip();
    const proxy = await TcpProxy.start({
      host: target.hostname,
      port: Number(target.port || 6379),
    });
    try {
      const viaProxy = new URL(url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const h = await startAuthHarness({
        redisUrl: viaProxy.toString(),
        rateLimitKeyPrefix: prefix(),
        redisCommandTimeoutMs: 200,
        limits: { auth: 3 },
      });
      open.push(h);
      expect((await logout(h)).status).to.equal(204);
      proxy.freeze();
      const statuses = [];
      const started = Date.now();
      for (let i = 0; i < 4; i++) statuses.push((await logout(h)).status);
      // The first request waits out the timeout; the next ones count locally at once.
      expect(Date.now() - started).to.be.lessThan(4000);
      expect(statuses).to.deep.equal([204, 204, 204, 429]);
    } finally {
      await proxy.stop();
    }
  });
});
