import { expect } from 'chai';
import type { Principal } from '../../src/commands/policy.ts';
import { PrincipalCache, watchUserStreams } from '../../src/commands/principal-cache.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';

/** A credential store another process may change (the cache does not see those changes). */
function directory() {
  const roles = new Map<string, Principal['roles']>([['tok-alice', ['trader']]]);
  let calls = 0;
  return {
    authenticate: (bearer: string): Promise<Principal | undefined> => {
      calls += 1;
      const r = roles.get(bearer);
      return Promise.resolve(r ? { userId: 'alice', roles: r, via: 'access_token' } : undefined);
    },
    roles,
    get calls() {
      return calls;
    },
  };
}

/** An unsigned JWT-shaped token expiring at `exp` (the cache only reads its expiry). */
const jwtLike = (exp: number) =>
  `h.${Buffer.from(JSON.stringify({ sub: 'alice', exp })).toString('base64url')}.sig`;

describe('principal cache', () => {
  it('answers from the cache within the TTL, and asks again after it', async () => {
    const d = directory();
    let now = 1_000_000;
    const cache = new PrincipalCache({ authenticate: d.authenticate, ttlMs: 2000, now: () => now });
    expect((await cache.authenticate('tok-alice'))?.roles).to.deep.equal(['trader']);
    // A role revoked by another process: at most the TTL later, it applies here too.
    d.roles.set('tok-alice', ['viewer']);
    now += 1999;
    expect((await cache.authenticate('tok-alice'))?.roles).to.deep.equal(['trader']);
    now += 1;
    expect((await cache.authenticate('tok-alice'))?.roles).to.deep.equal(['viewer']);
    expect(d.calls).to.equal(2);
  });

  it('drops a user at once when its stream changes in this process', async () => {
    const d = directory();
    const cache = new PrincipalCache({ authenticate: d.authenticate });
    const store = watchUserStreams(new MemoryEventStore(), (userId) => {
      cache.forgetUser(userId);
    });
    await cache.authenticate('tok-alice');
    d.roles.delete('tok-alice');
    expect(await cache.authenticate('tok-alice')).to.not.equal(undefined);
    await store.append('user-alice', [{ type: 'ApiKeyRevoked', data: {} }]);
    expect(await cache.authenticate('tok-alice')).to.equal(undefined);
    await store.append('account-x', [{ type: 'Other', data: {} }]);
  });

  it('keeps nothing for a credential that failed, and nothing past the token’s own expiry', async () => {
    const d = directory();
    let now = 10_000_000;
    const cache = new PrincipalCache({ authenticate: d.authenticate, now: () => now });
    expect(await cache.authenticate('unknown')).to.equal(undefined);
    expect(cache.size).to.equal(0);
    const token = jwtLike(Math.floor(now / 1000) + 1);
    d.roles.set(token, ['trader']);
    await cache.authenticate(token);
    now += 1000;
    await cache.authenticate(token);
    expect(d.calls).to.equal(3);
  });

  it('does not keep a principal loaded while its user changed', async () => {
    let release: (() => void) | undefined;
    const cache = new PrincipalCache({
      authenticate: async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { userId: 'alice', roles: ['trader'], via: 'access_token' };
      },
    });
    const loading = cache.authenticate('tok');
    while (release === undefined) await new Promise((resolve) => setImmediate(resolve));
    cache.forgetUser('alice');
    release();
    await loading;
    expect(cache.size).to.equal(0);
    cache.forgetAll();
  });

  it('reloads a credential in use ahead of its expiry, without making the request wait', async () => {
    const d = directory();
    let now = 1_000_000;
    const cache = new PrincipalCache({ authenticate: d.authenticate, ttlMs: 2000, now: () => now });
    await cache.authenticate('tok-alice');
    now += 999;
    await cache.authenticate('tok-alice');
    expect(d.calls).to.equal(1);
    // Past half the TTL: answered from the entry, a reload runs behind it.
    d.roles.set('tok-alice', ['viewer']);
    now += 1;
    expect((await cache.authenticate('tok-alice'))?.roles).to.deep.equal(['trader']);
    expect(d.calls).to.equal(2);
    await new Promise((resolve) => setImmediate(resolve));
    // The reload (started at +1000) is what answers from now on, also past the first entry's TTL.
    now += 1500;
    expect((await cache.authenticate('tok-alice'))?.roles).to.deep.equal(['viewer']);
    expect(d.calls).to.equal(3);
  });

  it('stops answering for a credential a reload found revoked', async () => {
    const d = directory();
    let now = 1_000_000;
    const cache = new PrincipalCache({ authenticate: d.authenticate, ttlMs: 2000, now: () => now });
    await cache.authenticate('tok-alice');
    d.roles.delete('tok-alice');
    now += 1500;
    expect(await cache.authenticate('tok-alice')).to.not.equal(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.size).to.equal(0);
    expect(await cache.authenticate('tok-alice')).to.equal(undefined);
  });

  it('shares one load between concurrent misses, unless a user changed meanwhile', async () => {
    let calls = 0;
    const releases: (() => void)[] = [];
    const cache = new PrincipalCache({
      authenticate: async () => {
        calls += 1;
        await new Promise<void>((resolve) => releases.push(resolve));
        return { userId: 'alice', roles: ['trader'], via: 'access_token' };
      },
    });
    const first = [cache.authenticate('tok'), cache.authenticate('tok')];
    expect(calls).to.equal(1);
    cache.forgetUser('bob');
    const later = cache.authenticate('tok');
    expect(calls).to.equal(2);
    for (const release of releases) release();
    const all = await Promise.all([...first, later]);
    expect(all.map((p) => p?.userId)).to.deep.equal(['alice', 'alice', 'alice']);
  });
});
