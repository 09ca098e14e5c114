import type { StrategyDefinition } from '../strategy.ts';

/** Buys a close above the upper Bollinger band, exits on a close below the middle band. */
export const bollingerBreakout: StrategyDefinition = {
  name: 'bollinger_breakout',
  description:
    'Breakout on Bollinger Bands: buy when the close breaks above the upper band, exit when it falls back below the middle band (the SMA).',
  params: {
    period: { default: 20, min: 2, max: 500, integer: true, description: 'Band period (bars)' },
    stddev: { default: 2, min: 0.1, max: 10, description: 'Band width in standard deviations' },
  },
  warmup: (p) => p.period ?? 20,
  create: (p) => {
    const spec = `bbands:${String(p.period)}:${String(p.stddev)}`;
    return {
      onBar(ctx) {
        const weight = 1 / ctx.symbols.length;
        for (const s of ctx.symbols) {
          if (!ctx.has(s)) continue;
          const bands = ctx.indicator(s, spec);
          if (bands === null || typeof bands === 'number') continue;
          const close = ctx.close(s);
          const held = ctx.position(s) > 0;
          if (!held && close > (bands.upper ?? Infinity) && ctx.openOrders(s).length === 0)
            ctx.targetPercent(s, weight);
          else if (held && close < (bands.middle ?? 0)) ctx.sell(s, ctx.position(s));
        }
      },
    };
  },
};
