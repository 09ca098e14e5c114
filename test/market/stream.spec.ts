import { expect } from 'chai';
import type { Quote } from '../../src/domain/market.ts';
import { SimulatedClock } from '../../src/market/clock.ts';
import { SimulatedMarket } from '../../src/market/simulated/feed.ts';
import { quoteStream } from '../../src/market/stream.ts';

describe('market/stream: quotes as an async iterable', () => {
  function setup(): { clock: SimulatedClock; feed: SimulatedMarket } {
    const clock = new SimulatedClock({ start: new Date('2026-11-24T15:00:00Z'), speed: 0 });
    return { clock, feed: new SimulatedMarket({ seed: 3, clock, haltProbability: 0 }) };
  }

  it('yields quotes in order and unsubscribes when the consumer breaks out', async () => {
    const { clock, feed } = setup();
    const seen: Quote[] = [];
    const consumer = (async () => {
      for await (const quote of quoteStream(feed, ['AAPL'])) {
        seen.push(quote);
        if (seen.length === 3) break;
      }
    })();
    clock.advance(2_000);
    await Promise.resolve();
    clock.advance(3_000);
    await consumer;
    expect(seen.map((q) => q.time)).to.deep.equal([
      '2026-11-24T15:00:01.000Z',
      '2026-11-24T15:00:02.000Z',
      '2026-11-24T15:00:03.000Z',
    ]);
    expect(clock.pendingTimers).to.equal(0);
  });

  it('drops the oldest quotes beyond the high-water mark and ends on abort', async () => {
    const { clock, feed } = setup();
    const controller = new AbortController();
    const drops: number[] = [];
    const iterator = quoteStream(feed, ['SPY'], {
      signal: controller.signal,
      highWaterMark: 2,
      onDrop: (n) => drops.push(n),
    });
    const first = iterator.next();
    clock.advance(5_000);
    // Five quotes arrived before the consumer woke; only the newest two were kept.
    expect((await first).value?.time).to.equal('2026-11-24T15:00:04.000Z');
    const second = await iterator.next();
    expect(second.value?.time).to.equal('2026-11-24T15:00:05.000Z');
    expect(drops).to.deep.equal([1, 2, 3]);
    const pending = iterator.next();
    controller.abort();
    expect((await pending).done).to.equal(true);
    expect(clock.pendingTimers).to.equal(0);
    const late = quoteStream(feed, 'all', { signal: controller.signal });
    expect((await late.next()).done).to.equal(true);
  });
});
