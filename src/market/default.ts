/**
 * The market a newcomer gets: the seeded simulated feed on a simulated clock that starts
 * inside a regular session, so a market order placed at any hour of any real day fills.
 */
import { nyseCalendar } from './calendar.ts';
import type { MarketCalendar } from './calendar.ts';
import { RealClock, SimulatedClock } from './clock.ts';
import type { Clock } from './port.ts';
import { SimulatedMarket } from './simulated/feed.ts';
import type { SimulatedInstrument } from './simulated/universe.ts';
import { addDays, newYorkDate, newYorkWallTime } from './time-zone.ts';

/** Options of {@link createDefaultMarket}. */
export interface DefaultMarketOptions {
  /** `MARKET_SEED`. */
  readonly seed?: string | number;
  /**
   * `'simulated'` (default): a simulated clock from `start` at `speed`; `'real'`: wall-clock
   * time, so the real calendar decides whether the market is open; or any `Clock`.
   */
  readonly clock?: 'simulated' | 'real' | Clock;
  /** Simulated clock start. Default: {@link defaultSimulatedStart} of the real now. */
  readonly start?: Date;
  /** Simulated clock speed (1 = real time, 60 = a minute per second). Default 1. */
  readonly speed?: number;
  readonly tickMs?: number;
  readonly haltProbability?: number;
  readonly anchorDate?: string;
  readonly universe?: readonly SimulatedInstrument[];
  readonly calendar?: MarketCalendar;
}

/** Hour (New York) at which the default simulated clock starts. */
const DEFAULT_START_HOUR = 10;

/**
 * 10:00 New York time on the most recent session day whose 10:00 is not after `realNow`:
 * half an hour into a regular session, before any simulated halt can start, and never in
 * the future of the real world.
 */
export function defaultSimulatedStart(
  realNow: Date = new Date(),
  calendar: MarketCalendar = nyseCalendar,
): Date {
  let session = calendar.sessionOnOrBefore(realNow);
  for (;;) {
    const start = newYorkWallTime(session.date, DEFAULT_START_HOUR);
    if (start.getTime() <= realNow.getTime()) return start;
    session = calendar.sessionOnOrBefore(addDays(newYorkDate(start), -1));
  }
}

/** Builds the default market (see {@link DefaultMarketOptions}). */
export function createDefaultMarket(options: DefaultMarketOptions = {}): SimulatedMarket {
  const calendar = options.calendar ?? nyseCalendar;
  let clock: Clock;
  if (options.clock === 'real') clock = new RealClock();
  else if (options.clock === undefined || options.clock === 'simulated') {
    clock = new SimulatedClock({
      start: options.start ?? defaultSimulatedStart(new Date(), calendar),
      speed: options.speed ?? 1,
    });
  } else clock = options.clock;
  return new SimulatedMarket({
    clock,
    calendar,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
    ...(options.haltProbability !== undefined ? { haltProbability: options.haltProbability } : {}),
    ...(options.anchorDate !== undefined ? { anchorDate: options.anchorDate } : {}),
    ...(options.universe !== undefined ? { universe: options.universe } : {}),
  });
}
