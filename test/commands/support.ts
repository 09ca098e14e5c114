import { equity } from '../../src/domain/instrument.ts';
import type { OrderRequest } from '../../src/domain/account/index.ts';
import {
  createDefaultMarket,
  SimulatedClock,
  type SimulatedMarket,
} from '../../src/market/index.ts';

/** Monday 2025-03-03, 10:00 New York: inside the regular session. */
export const SESSION_START = new Date('2025-03-03T15:00:00.000Z');

/** A seeded simulated market on a frozen clock (time moves only through `advance`). */
export function frozenMarket(start: Date = SESSION_START): {
  market: SimulatedMarket;
  clock: SimulatedClock;
} {
  const clock = new SimulatedClock({ start, speed: 0 });
  return { market: createDefaultMarket({ seed: 7, clock, haltProbability: 0 }), clock };
}

/** Sequential ids (`id-1`, `id-2`…) so tests can name what the service generates. */
export function sequentialIds(prefix = 'id'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

export function order(overrides: Partial<OrderRequest> & { symbol?: string } = {}): OrderRequest {
  const { symbol = 'AAPL', ...rest } = overrides;
  return {
    instrument: equity(symbol),
    side: 'buy',
    type: 'market',
    timeInForce: 'day',
    qty: '10',
    ...rest,
  };
}
