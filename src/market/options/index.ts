/** Listed equity options on any feed: chains, option quotes and greeks (docs/options.md). */
export * from './market.ts';
export * from './chain.ts';
export * from './parameters.ts';
export * from './pricing.ts';
export * from './surface.ts';
export * from './shared-chains.ts';
