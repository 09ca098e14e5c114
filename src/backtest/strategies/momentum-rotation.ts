import type { StrategyDefinition } from '../strategy.ts';

/**
 * Every `rebalance` bars, ranks the symbols by their return over `lookback` bars and holds the
 * `top` best at equal weight. A cash account needs the sale proceeds before it can buy, so a
 * rebalance sells first and buys on the next bar.
 */
export const momentumRotation: StrategyDefinition = {
  name: 'momentum_rotation',
  description:
    'Multi-symbol momentum rotation: every `rebalance` bars rank the symbols by their `lookback`-bar return and hold the `top` best at equal weight (sells first, buys on the next bar).',
  params: {
    lookback: {
      default: 126,
      min: 2,
      max: 1000,
      integer: true,
      description: 'Momentum window (bars)',
    },
    top: { default: 3, min: 1, max: 100, integer: true, description: 'How many symbols to hold' },
    rebalance: {
      default: 21,
      min: 1,
      max: 1000,
      integer: true,
      description: 'Bars between rebalances',
    },
  },
  warmup: (p) => (p.lookback ?? 126) + 1,
  create: (p) => {
    const lookback = p.lookback ?? 126;
    const top = p.top ?? 3;
    const every = p.rebalance ?? 21;
    let bars = 0;
    let pending: string[] | undefined;
    return {
      onBar(ctx) {
        if (pending !== undefined) {
          const weight = 1 / Math.max(1, pending.length);
          for (const s of pending) ctx.targetPercent(s, weight);
          pending = undefined;
        }
        if (bars++ % every !== 0) return;
        const ranked = ctx.symbols
          .map((s) => {
            const closes = ctx.history(s, 'close', lookback + 1);
            const first = closes[0];
            const last = closes[closes.length - 1];
            const ready =
              closes.length === lookback + 1 &&
              first !== undefined &&
              first > 0 &&
              last !== undefined;
            return { s, momentum: ready ? last / first - 1 : Number.NEGATIVE_INFINITY };
          })
          .filter((r) => Number.isFinite(r.momentum))
          .sort((a, b) => b.momentum - a.momentum || a.s.localeCompare(b.s));
        const chosen = ranked.slice(0, Math.min(top, ranked.length)).map((r) => r.s);
        for (const s of ctx.symbols) {
          if (!chosen.includes(s) && ctx.position(s) > 0) ctx.sell(s, ctx.position(s));
        }
        // Trim holdings above the new weight now; buy the rest once the sales have settled.
        const weight = 1 / Math.max(1, chosen.length);
        for (const s of chosen) {
          if (ctx.position(s) * ctx.close(s) > weight * ctx.equity * 1.02)
            ctx.targetPercent(s, weight);
        }
        pending = chosen;
      },
    };
  },
};
