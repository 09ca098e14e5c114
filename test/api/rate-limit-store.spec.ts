import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Options } from 'express-rate-limit';
import { createClient } from 'redis';
import { CoalescingRedisStore } from '../../src/api/rate-limit-store.ts';
import { redisKeyPrefix, redisUrl } from '../support/services.ts';

describe('api: coalescing Redis rate-limit store', () => {
  let client: ReturnType<typeof createClient>;
  let calls: number;

  before(async function () {
    client = createClient({ url: await redisUrl(this) });
    await client.connect();
  });
  after(async () => {
    await client.close();
  });

  function store(prefix: string, limit?: number, delayMs = 0): CoalescingRedisStore {
    const s = new CoalescingRedisStore({
      sendCommand: async (args) => {
        calls += 1;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        return client.sendCommand(args);
      },
      prefix,
    });
    s.init({ windowMs: 60_000, ...(limit === undefined ? {} : { limit }) } as Options);
    return s;
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  beforeEach(() => {
    calls = 0;
  });

  it('counts hits one after the other exactly, across two stores (replicas)', async () => {
    const prefix = `${redisKeyPrefix()}rl:${randomBytes(4).toString('hex')}:`;
    const [a, b] = [store(prefix), store(prefix)];
    const totals: number[] = [];
    for (let i = 0; i < 6; i++) totals.push((await (i % 2 === 0 ? a : b).increment('k')).totalHits);
    expect(totals).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(calls).to.equal(6);
  });

  it('concurrent hits share round trips, and every hit reaches the shared count', async () => {
    const prefix = `${redisKeyPrefix()}rl:${randomBytes(4).toString('hex')}:`;
    const a = store(prefix);
    const answers = await Promise.all(Array.from({ length: 200 }, () => a.increment('busy')));
    await settle();
    expect(calls).to.be.lessThan(20);
    expect(Number(await client.get(`${prefix}busy`))).to.equal(200);
    // Each answer is at least its own position among the hits (nothing is under-counted).
    const totals = answers.map((x) => x.totalHits).sort((x, y) => x - y);
    expect(totals[0]).to.be.at.least(1);
    expect(totals.at(-1)).to.equal(200);
    expect((await a.increment('busy')).totalHits).to.equal(201);
    const ttl = await client.pTTL(`${prefix}busy`);
    expect(ttl).to.be.within(1, 60_000);
  });

  it('far from the limit a hit waits for no round trip; from half the limit on, each waits for the shared count', async () => {
    const prefix = `${redisKeyPrefix()}rl:${randomBytes(4).toString('hex')}:`;
    // A slow Redis (40 ms a call) makes waiting visible.
    const far = store(prefix, 1000, 40);
    await far.increment('far');
    const started = Date.now();
    for (let i = 0; i < 5; i++) await far.increment('far');
    expect(Date.now() - started).to.be.lessThan(40);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(Number(await client.get(`${prefix}far`))).to.equal(6);

    const near = store(prefix, 4, 40);
    const totals: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) totals.push((await near.increment('near')).totalHits);
    expect(totals).to.deep.equal([1, 2, 3, 4]);
    expect(Date.now() - t0).to.be.at.least(4 * 40 - 5);
  });

  it('decrement and reset reach Redis', async () => {
    const prefix = `${redisKeyPrefix()}rl:${randomBytes(4).toString('hex')}:`;
    const a = store(prefix);
    await a.increment('d');
    await a.increment('d');
    a.decrement('d');
    await settle();
    expect(Number(await client.get(`${prefix}d`))).to.equal(1);
    await a.resetKey('d');
    expect(await client.get(`${prefix}d`)).to.equal(null);
    expect((await a.increment('d')).totalHits).to.equal(1);
  });
});
