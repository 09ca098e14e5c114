/** Market data: the port, the NYSE calendar, clocks and the seeded simulated feed. */
export * from './port.ts';
export * from './calendar.ts';
export * from './clock.ts';
export * from './default.ts';
export * from './stream.ts';
export * from './ticks.ts';
export { SimulatedMarket } from './simulated/feed.ts';
export type { SimulatedMarketOptions } from './simulated/feed.ts';
export {
  DEFAULT_ANCHOR_DATE,
  DEFAULT_HALT_PROBABILITY,
  DEFAULT_MARKET_SEED,
  DEFAULT_TICK_MS,
} from './simulated/feed.ts';
export { DEFAULT_UNIVERSE } from './simulated/universe.ts';
export type { LiquidityTier, SimulatedInstrument } from './simulated/universe.ts';
export { MARKET_TIME_ZONE, newYorkDate, newYorkWallTime } from './time-zone.ts';
