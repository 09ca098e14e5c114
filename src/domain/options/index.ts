/**
 * Equity options: contracts and OCC symbols, what is listed, Black–Scholes–Merton pricing with
 * greeks, implied volatility, strategy recognition and payoff, and the collateral short
 * options hold back. Pure, like the rest of `src/domain` (see docs/options.md).
 */
export * from './contract.ts';
export * from './listing.ts';
export * from './normal.ts';
export * from './bsm.ts';
export * from './implied-vol.ts';
export * from './strategy.ts';
export * from './collateral.ts';
