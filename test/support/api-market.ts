import { defaultSimulatedStart, SimulatedClock, SimulatedMarket } from '../../src/market/index.ts';

/**
 * The default simulated market on a frozen clock inside a regular session: time moves only
 * when the test calls `clock.advance`, so the engine sees exactly the quotes the test makes.
 */
export function testMarket(seed = 7): { market: SimulatedMarket; clock: SimulatedClock } {
  const clock = new SimulatedClock({ start: defaultSimulatedStart(new Date()), speed: 0 });
  const market = new SimulatedMarket({ clock, seed, haltProbability: 0 });
  return { market, clock };
}

/** Resolves when `check` holds, polling every `everyMs`; rejects after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
