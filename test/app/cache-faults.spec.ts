import { expect } from 'chai';
import { createClient } from 'redis';
import { call, newUser, openAccount, type TestUser } from '../support/api-client.ts';
import { startApiServer, type ApiServer } from '../support/api.ts';
import { redisServerBinary, startRedisServer, type ThrowawayServer } from '../support/services.ts';

const until = async (what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/**
 * The cache going away and coming back under a running server: a redis-server of this test's
 * own (never the shared one), stopped and started again on the same port, and paused with
 * `CLIENT PAUSE` to play a slow server.
 */
describe('cache faults: Redis down or slow', function () {
  this.timeout(120_000);
  let redis: ThrowawayServer;
  /** What `after` stops: the server and whichever redis-server runs last. */
  const running: { server?: ApiServer; redis?: ThrowawayServer } = {};
  let port: number;
  let server: ApiServer;
  let user: TestUser;
  let account: string;
  let binary: string;

  before(async function () {
    const found = redisServerBinary();
    if (found === undefined) {
      if (process.env.CI === 'true') throw new Error('redis-server is not installed');
      this.skip();
    }
    binary = found;
    redis = running.redis = await startRedisServer(binary);
    port = Number(new URL(redis.url).port);
    server = running.server = await startApiServer({ env: { REDIS_URL: redis.url } });
    user = await newUser(server, ['trader'], 'faults');
    account = (await openAccount(server, user)).id;
  });
  after(async () => {
    await running.server?.close();
    await running.redis?.stop();
  });

  const health = async () => (await call(server, 'GET', '/health')).body;
  const cash = async (minPosition?: number) => {
    const res = await call(server, 'GET', `/accounts/${account}`, {
      token: user.token,
      ...(minPosition === undefined ? {} : { headers: { 'X-Min-Position': String(minPosition) } }),
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return String(res.body.cash);
  };
  const deposit = async (amount: string) => {
    const res = await call(server, 'POST', `/accounts/${account}/deposits`, {
      token: user.token,
      body: { amount },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return Number(res.headers.get('x-event-position'));
  };

  it('serves every request from the sources while Redis is down, reports degraded, and recovers', async () => {
    expect((await health()).status).to.equal('ok');
    const before = await cash(await deposit('1'));
    await redis.stop();
    await until('the cache to be seen down', async () => (await health()).status === 'degraded');
    const checks = (await health()).checks as Record<string, { status: string }>;
    expect(checks.cache?.status).to.equal('error');
    // Writes and reads go on, each read showing its write.
    let expected = Number(before);
    for (let i = 0; i < 5; i++) {
      const written = await deposit('2');
      expected += 2;
      expect(await cash(written)).to.equal(String(expected));
      const positions = await call(server, 'GET', `/accounts/${account}/positions`, {
        token: user.token,
      });
      expect(positions.status).to.equal(200);
    }
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    expect(metrics).to.match(/^cache_up\{adapter="redis"\} 0$/m);
    redis = running.redis = await startRedisServer(binary, port);
    await until('the cache to answer again', async () => (await health()).status === 'ok');
    expect(await cash()).to.equal(String(expected));
    const written = await deposit('3');
    expect(await cash(written)).to.equal(String(expected + 3));
  });

  it('a slow Redis costs nothing but the cache, and entries from before never come back stale', async () => {
    const start = Number(await cash(await deposit('1')));
    // Cached now.
    expect(await cash()).to.equal(String(start));
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      await admin.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
      const written = await deposit('10');
      expect(await cash(written)).to.equal(String(start + 10));
      await new Promise((resolve) => setTimeout(resolve, 1600));
      // The snapshot cached before the pause must not answer: the deposit made during it is
      // visible with and without waiting for its position.
      expect(await cash()).to.equal(String(start + 10));
      expect(await cash(written)).to.equal(String(start + 10));
    } finally {
      await admin.close();
    }
  });
});
