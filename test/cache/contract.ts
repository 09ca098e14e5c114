import { expect } from 'chai';
import { jsonKind, type Cache } from '../../src/cache/port.ts';

/**
 * The one contract every cache adapter passes (`src/cache/port.ts`): the memory LRU and
 * Redis. Each adapter's spec calls it with a factory giving a cache whose keys no other test
 * sees.
 */
export interface CacheContractTarget {
  open(): Promise<{ cache: Cache; dispose: () => Promise<void> }>;
}

interface Quote {
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly sizes: readonly number[];
}

const quote = (symbol: string, bid: string): Quote => ({
  symbol,
  bid,
  ask: '187.500000001',
  sizes: [100, 200],
});

const until = async (check: () => boolean, ms = 2000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

export function cacheContract(target: CacheContractTarget): void {
  let cache: Cache;
  let dispose: () => Promise<void>;
  const quotes = jsonKind<Quote>('quote', 60_000);
  const others = jsonKind<Quote>('other', 60_000);

  beforeEach(async () => {
    ({ cache, dispose } = await target.open());
  });
  afterEach(async () => {
    await dispose();
  });

  it('answers undefined for keys never written', async () => {
    expect(await cache.getMany(quotes, ['AAPL', 'MSFT'])).to.deep.equal([undefined, undefined]);
    expect(await cache.getMany(quotes, [])).to.deep.equal([]);
  });

  it('round-trips values exactly, decimals included, in the order asked', async () => {
    await cache.setMany(quotes, [
      ['AAPL', quote('AAPL', '187.123456789012345678')],
      ['MSFT', quote('MSFT', '0.0000001')],
    ]);
    expect(await cache.getMany(quotes, ['MSFT', 'NVDA', 'AAPL'])).to.deep.equal([
      quote('MSFT', '0.0000001'),
      undefined,
      quote('AAPL', '187.123456789012345678'),
    ]);
  });

  it('overwrites an entry, and keeps kinds apart under the same key', async () => {
    await cache.setMany(quotes, [['AAPL', quote('AAPL', '1')]]);
    await cache.setMany(quotes, [['AAPL', quote('AAPL', '2')]]);
    await cache.setMany(others, [['AAPL', quote('AAPL', '3')]]);
    expect((await cache.getMany(quotes, ['AAPL']))[0]?.bid).to.equal('2');
    expect((await cache.getMany(others, ['AAPL']))[0]?.bid).to.equal('3');
  });

  it('deletes entries', async () => {
    await cache.setMany(quotes, [
      ['AAPL', quote('AAPL', '1')],
      ['MSFT', quote('MSFT', '1')],
    ]);
    await cache.delete(quotes, ['AAPL', 'NVDA']);
    expect(await cache.getMany(quotes, ['AAPL', 'MSFT'])).to.deep.equal([
      undefined,
      quote('MSFT', '1'),
    ]);
  });

  it('forgets an entry once its kind’s TTL has passed', async () => {
    const brief = jsonKind<Quote>('brief', 40);
    await cache.setMany(brief, [['AAPL', quote('AAPL', '1')]]);
    expect(await cache.getMany(brief, ['AAPL'])).to.have.length(1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await cache.getMany(brief, ['AAPL'])).to.deep.equal([undefined]);
  });

  it('markers start missing, only ever rise, and increment atomically', async () => {
    expect(await cache.markers(['v:a', 'v:b'])).to.deep.equal([undefined, undefined]);
    await cache.raise([
      ['v:a', 10],
      ['v:b', 3],
    ]);
    await cache.raise([
      ['v:a', 7],
      ['v:b', 12],
    ]);
    expect(await cache.markers(['v:a', 'v:b'])).to.deep.equal([10, 12]);
    const counts = await Promise.all(Array.from({ length: 20 }, () => cache.increment('epoch')));
    expect([...counts].sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(await cache.markers(['epoch'])).to.deep.equal([20]);
  });

  it('delivers published messages to every subscriber of the channel, and stops after unsubscribing', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const pings = { a: 0, b: 0 };
    // Pings only prove the subscriptions are live; later ones may still be on the way.
    const stopA = await cache.subscribe('news', (m) => (m === 'ping' ? pings.a++ : a.push(m)));
    await cache.subscribe('news', (m) => (m === 'ping' ? pings.b++ : b.push(m)));
    const other: string[] = [];
    await cache.subscribe('elsewhere', (m) => other.push(m));
    // A subscription may take a moment to reach a server.
    await until(() => {
      void cache.publish('news', 'ping');
      return pings.a > 0 && pings.b > 0;
    });
    await cache.publish('news', 'one');
    await cache.publish('news', 'two');
    await until(() => a.length === 2 && b.length === 2);
    expect(a).to.deep.equal(['one', 'two']);
    await stopA();
    await cache.publish('news', 'three');
    await until(() => b.length === 3);
    expect(a).to.deep.equal(['one', 'two']);
    expect(other).to.deep.equal([]);
  });

  it('is up while it answers', () => {
    expect(cache.state()).to.equal('up');
  });
}
