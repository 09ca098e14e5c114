import type { StrategyDefinition } from '../strategy.ts';

/** Buys every symbol at equal weight on the first bar and holds to the end. */
export const buyAndHold: StrategyDefinition = {
  name: 'buy_and_hold',
  description: 'Buy every symbol at equal weight on the first bar and hold it to the end.',
  params: {
    allocation: {
      default: 1,
      min: 0.01,
      max: 1,
      description: 'Fraction of equity to invest (split equally between the symbols)',
    },
  },
  create: (p) => {
    let bought = false;
    return {
      onBar(ctx) {
        if (bought) return;
        const weight = (p.allocation ?? 1) / ctx.symbols.length;
        for (const s of ctx.symbols) if (ctx.barsSeen(s) > 0) ctx.targetPercent(s, weight);
        bought = ctx.symbols.every((s) => ctx.barsSeen(s) > 0);
      },
    };
  },
};
