import type { StrategyDefinition } from '../strategy.ts';

/** Long while the fast SMA is above the slow one; flat otherwise. */
export const smaCrossover: StrategyDefinition = {
  name: 'sma_crossover',
  description:
    'Go long when the fast simple moving average crosses above the slow one and sell when it crosses back below (equal weight per symbol).',
  params: {
    fast: { default: 20, min: 1, max: 1000, integer: true, description: 'Fast SMA period (bars)' },
    slow: { default: 50, min: 2, max: 1000, integer: true, description: 'Slow SMA period (bars)' },
  },
  warmup: (p) => p.slow ?? 50,
  create: (p) => {
    const fastSpec = `sma:${String(p.fast)}`;
    const slowSpec = `sma:${String(p.slow)}`;
    let handles: { fast: { value: unknown }; slow: { value: unknown } }[] = [];
    return {
      onStart(ctx) {
        if ((p.fast ?? 0) >= (p.slow ?? 0))
          throw new RangeError('sma_crossover: fast must be shorter than slow');
        handles = ctx.symbols.map((s) => ({
          fast: ctx.useIndicator(s, fastSpec),
          slow: ctx.useIndicator(s, slowSpec),
        }));
      },
      onBar(ctx) {
        const weight = 1 / ctx.symbols.length;
        for (let i = 0; i < ctx.symbols.length; i++) {
          const h = handles[i];
          const s = ctx.symbols[i];
          if (h === undefined || s === undefined || !ctx.has(s)) continue;
          const fast = h.fast.value;
          const slow = h.slow.value;
          if (typeof fast !== 'number' || typeof slow !== 'number') continue;
          const held = ctx.position(s) > 0;
          if (fast > slow && !held && ctx.openOrders(s).length === 0) ctx.targetPercent(s, weight);
          else if (fast < slow && held) ctx.sell(s, ctx.position(s));
        }
      },
    };
  },
};
