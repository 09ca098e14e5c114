/**
 * The strategy plugin interface. A strategy is a definition (name, parameters with defaults
 * and bounds, warm-up) that creates an instance per run; the instance gets callbacks — on
 * start, on every bar, on every fill, on end — with a context that reads history and
 * indicators and places or cancels orders with the venue's normal order types.
 *
 * A user strategy is a `.ts` or `.js` file whose default export is a `StrategyDefinition`:
 *
 * ```ts
 * export default {
 *   name: 'my_breakout',
 *   description: 'Buy a 20-day high, sell a 10-day low',
 *   params: { entry: { default: 20, min: 2, integer: true, description: 'Breakout window' } },
 *   warmup: (p) => p.entry,
 *   create: (p) => ({
 *     onBar(ctx) {
 *       for (const s of ctx.symbols) {
 *         const highs = ctx.history(s, 'high', p.entry + 1);
 *         if (highs.length <= p.entry) continue;
 *         if (ctx.close(s) > Math.max(...highs.subarray(0, p.entry)) && ctx.position(s) === 0)
 *           ctx.targetPercent(s, 1 / ctx.symbols.length);
 *       }
 *     },
 *   }),
 * };
 * ```
 */
import type { IndicatorValue } from '../analysis/indicators.ts';
import type { OrderSide, OrderType, TimeInForce } from '../domain/account/index.ts';

/** One numeric parameter. */
export interface ParamSpec {
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  readonly description: string;
}

export type Params = Readonly<Record<string, number>>;

/** A bar as strategies read it (plain numbers; times are epoch ms of the bar start). */
export interface BarView {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export type BarField = 'open' | 'high' | 'low' | 'close' | 'volume' | 'time';

/** An order as a strategy asks for it. Prices are numbers; they are put on the tick grid. */
export interface StrategyOrder {
  readonly symbol: string;
  readonly side: OrderSide;
  /** Shares; whole shares unless fractional trading is on (market day orders only). */
  readonly qty: number;
  readonly type?: OrderType;
  readonly timeInForce?: TimeInForce;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly trailPercent?: number;
  readonly trailPrice?: number;
  /** A bracket: take-profit limit and stop-loss stop around the entry. */
  readonly takeProfit?: number;
  readonly stopLoss?: number;
}

/** What became of an order the moment it was placed. */
export interface OrderOutcome {
  readonly orderId: string;
  /** `placed` (working or queued), `filled` (at once, `fillAt: close`), or `rejected`. */
  readonly status: 'placed' | 'filled' | 'rejected';
  /** The decider's rejection reason (`insufficient_buying_power`, …) when rejected. */
  readonly reason?: string;
}

/** An open order as a strategy sees it. */
export interface OpenOrderView {
  readonly id: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly qty: number;
  readonly filledQty: number;
  readonly status: string;
}

/** One execution, reported to `onFill`. */
export interface FillView {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly qty: number;
  readonly price: number;
  /** Commission and regulatory fees of this fill. */
  readonly fees: number;
  readonly time: number;
}

/** A streaming indicator a strategy keeps a handle on (cheaper than `indicator()` each bar). */
export interface IndicatorHandle {
  /** The latest value (`null` during warm-up). */
  readonly value: IndicatorValue | null;
}

/** What a strategy sees and can do at a bar. */
export interface StrategyContext {
  /** The decision instant: the end of the current bar (epoch ms). */
  readonly time: number;
  /** Timeline steps taken so far (0-based index of this one). */
  readonly step: number;
  readonly symbols: readonly string[];
  readonly params: Params;
  /** True when `symbol` has a bar at this step (series may have gaps). */
  has(symbol: string): boolean;
  /** The latest bar of `symbol` (this step's, or the last one before). */
  bar(symbol: string): BarView | undefined;
  /** The latest close of `symbol` (`NaN` before its first bar). */
  close(symbol: string): number;
  /** The last `length` values of a field, oldest first, ending at the latest bar (a view). */
  history(symbol: string, field: BarField, length: number): Float64Array;
  /** Bars of `symbol` seen so far (warm-up included). */
  barsSeen(symbol: string): number;
  /** The current value of an indicator spec (`sma:20`, `rsi:14`, `bbands:20:2`…) on `symbol`. */
  indicator(symbol: string, spec: string): IndicatorValue | null;
  /** A handle on an indicator, fed every bar from the first one. */
  useIndicator(symbol: string, spec: string): IndicatorHandle;
  /** Signed position in shares (0 when flat). */
  position(symbol: string): number;
  readonly cash: number;
  /** Cash plus positions at their latest closes. */
  readonly equity: number;
  /** What the account could still buy (the decider's buying power, reservations included). */
  readonly buyingPower: number;
  openOrders(symbol?: string): readonly OpenOrderView[];
  order(order: StrategyOrder): OrderOutcome;
  buy(
    symbol: string,
    qty: number,
    options?: Omit<StrategyOrder, 'symbol' | 'side' | 'qty'>,
  ): OrderOutcome;
  sell(
    symbol: string,
    qty: number,
    options?: Omit<StrategyOrder, 'symbol' | 'side' | 'qty'>,
  ): OrderOutcome;
  /**
   * A market order moving the position to `fraction` of equity (0 closes it), sized so the
   * decider's buying-power check (with its market-order buffer) passes; `undefined` when no
   * order is needed.
   */
  targetPercent(symbol: string, fraction: number): OrderOutcome | undefined;
  cancel(orderId: string): boolean;
  cancelAll(symbol?: string): number;
}

/** The callbacks of one run. */
export interface Strategy {
  onStart?(ctx: StrategyContext): void;
  onBar(ctx: StrategyContext): void;
  onFill?(ctx: StrategyContext, fill: FillView): void;
  onEnd?(ctx: StrategyContext): void;
}

/** A strategy plugin. */
export interface StrategyDefinition {
  readonly name: string;
  readonly description: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Bars of history needed before the first decision (loaded before `from`). */
  warmup?(params: Params): number;
  create(params: Params): Strategy;
}

/** A bad strategy name, file or parameter; `field` names the argument to fix. */
export class StrategyError extends Error {
  override readonly name = 'StrategyError';
  readonly code = 'invalid_strategy';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** Parameters with defaults filled in, each checked against its spec. */
export function resolveParams(
  definition: StrategyDefinition,
  given: Readonly<Record<string, number | string>>,
): Params {
  const out: Record<string, number> = {};
  for (const key of Object.keys(given)) {
    if (!(key in definition.params)) {
      const known = Object.keys(definition.params);
      throw new StrategyError(
        `${definition.name} has no parameter "${key}"${known.length === 0 ? ' (it takes none)' : `; its parameters: ${known.join(', ')}`}`,
        `params.${key}`,
      );
    }
  }
  for (const [key, spec] of Object.entries(definition.params)) {
    const raw = given[key];
    const value =
      raw === undefined ? spec.default : typeof raw === 'number' ? raw : Number(raw.trim());
    const problem =
      !Number.isFinite(value) || (typeof raw === 'string' && raw.trim() === '')
        ? 'must be a number'
        : spec.integer === true && !Number.isInteger(value)
          ? 'must be a whole number'
          : spec.min !== undefined && value < spec.min
            ? `must be at least ${spec.min}`
            : spec.max !== undefined && value > spec.max
              ? `must be at most ${spec.max}`
              : undefined;
    if (problem !== undefined) {
      throw new StrategyError(
        `${definition.name} parameter ${key} ${problem} (got ${JSON.stringify(raw)}): ${spec.description}`,
        `params.${key}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** Checks that a value loaded from a user's file is a strategy definition. */
export function assertDefinition(value: unknown, origin: string): StrategyDefinition {
  const d = value as Partial<StrategyDefinition> | null | undefined;
  const ok =
    typeof d === 'object' &&
    d !== null &&
    typeof d.name === 'string' &&
    typeof d.create === 'function' &&
    (d.params === undefined || typeof d.params === 'object');
  if (!ok) {
    throw new StrategyError(
      `${origin} does not export a strategy: its default export needs name, params and create(params) returning { onBar(ctx) }`,
      'strategy',
    );
  }
  return {
    ...d,
    description: typeof d.description === 'string' ? d.description : '',
    params: d.params ?? {},
  } as StrategyDefinition;
}
