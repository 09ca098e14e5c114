import type { StrategyDefinition } from '../strategy.ts';

/** Buys oversold (RSI below `lower`), sells overbought (RSI above `upper`). */
export const rsiReversion: StrategyDefinition = {
  name: 'rsi_mean_reversion',
  description:
    "Mean reversion on Wilder's RSI: buy when RSI falls below the lower threshold, sell when it rises above the upper one.",
  params: {
    period: { default: 14, min: 2, max: 200, integer: true, description: 'RSI period (bars)' },
    lower: { default: 30, min: 1, max: 99, description: 'Buy below this RSI' },
    upper: { default: 70, min: 1, max: 99, description: 'Sell above this RSI' },
  },
  warmup: (p) => (p.period ?? 14) + 1,
  create: (p) => {
    const spec = `rsi:${String(p.period)}`;
    return {
      onBar(ctx) {
        const weight = 1 / ctx.symbols.length;
        for (const s of ctx.symbols) {
          if (!ctx.has(s)) continue;
          const rsi = ctx.indicator(s, spec);
          if (typeof rsi !== 'number') continue;
          const held = ctx.position(s) > 0;
          if (rsi < (p.lower ?? 30) && !held && ctx.openOrders(s).length === 0)
            ctx.targetPercent(s, weight);
          else if (rsi > (p.upper ?? 70) && held) ctx.sell(s, ctx.position(s));
        }
      },
    };
  },
};
