import { expect } from 'chai';
import { MemoryCache } from '../../src/cache/memory.ts';
import { jsonKind } from '../../src/cache/port.ts';
import { cacheContract } from './contract.ts';
import { cachedKindsContract } from './kinds.ts';

describe('cache contract: memory', () => {
  const target = {
    open() {
      const cache = new MemoryCache();
      return Promise.resolve({ cache, dispose: () => cache.close() });
    },
  };
  cacheContract(target);
  cachedKindsContract(target);

  it('evicts the least recently used entry beyond its size and reports it', async () => {
    const evicted: string[] = [];
    const cache = new MemoryCache({ maxEntries: 2, onEvict: (kind) => evicted.push(kind) });
    const kind = jsonKind<number>('n', 60_000);
    await cache.setMany(kind, [
      ['a', 1],
      ['b', 2],
    ]);
    await cache.getMany(kind, ['a']);
    await cache.setMany(kind, [['c', 3]]);
    expect(await cache.getMany(kind, ['a', 'b', 'c'])).to.deep.equal([1, undefined, 3]);
    expect(evicted).to.deep.equal(['n']);
  });

  it('a marker dropped to bound memory reads as the highest dropped value, never lower', async () => {
    const cache = new MemoryCache({ maxMarkers: 2 });
    await cache.raise([
      ['a', 50],
      ['b', 10],
      ['c', 20],
    ]);
    // `a` was dropped: a missing marker now reads as 50, so nothing older than 50 is trusted.
    expect(await cache.markers(['a', 'b', 'c', 'never'])).to.deep.equal([50, 10, 20, 50]);
  });
});
