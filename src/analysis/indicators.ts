/**
 * Technical indicators over OHLCV bars, computed by the maintained `trading-signals` library
 * (ADR 0005) — never hand-rolled here. This module only names them, parses their specs
 * (`rsi:14`, `macd:12:26:9`), feeds the library bar by bar and shapes the output.
 *
 * Two forms over the same library objects:
 * - `createIndicator(spec)` — streaming, one bar at a time (backtest strategies, live scans);
 * - `computeIndicators(bars, specs)` — whole series, aligned with the bars (REST, MCP).
 *
 * Analytics, so plain floats (never prices of record). Pure: no I/O, no clock.
 */
import {
  ADX,
  ATR,
  BollingerBands,
  EMA,
  MACD,
  OBV,
  RSI,
  SMA,
  StochasticOscillator,
  VWAP,
  WMA,
} from 'trading-signals';

/** One bar as the indicators read it (floats; volume in shares). */
export interface OhlcvBar {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** The indicators this venue computes, with their parameters and defaults. */
export const INDICATORS = {
  sma: { params: ['period'], defaults: [20], outputs: ['value'] },
  ema: { params: ['period'], defaults: [20], outputs: ['value'] },
  wma: { params: ['period'], defaults: [20], outputs: ['value'] },
  rsi: { params: ['period'], defaults: [14], outputs: ['value'] },
  macd: {
    params: ['fast', 'slow', 'signal'],
    defaults: [12, 26, 9],
    outputs: ['macd', 'signal', 'histogram'],
  },
  bbands: {
    params: ['period', 'stddev'],
    defaults: [20, 2],
    outputs: ['upper', 'middle', 'lower'],
  },
  atr: { params: ['period'], defaults: [14], outputs: ['value'] },
  stoch: { params: ['k', 'd', 'smooth'], defaults: [14, 3, 3], outputs: ['k', 'd'] },
  adx: { params: ['period'], defaults: [14], outputs: ['adx', 'plus_di', 'minus_di'] },
  obv: { params: [], defaults: [], outputs: ['value'] },
  vwap: { params: [], defaults: [], outputs: ['value'] },
} as const satisfies Record<
  string,
  { params: readonly string[]; defaults: readonly number[]; outputs: readonly string[] }
>;

export type IndicatorName = keyof typeof INDICATORS;

/** A parsed indicator request: `rsi:14` → `{ name: 'rsi', params: [14], key: 'rsi:14' }`. */
export interface IndicatorSpec {
  readonly name: IndicatorName;
  readonly params: readonly number[];
  /** Canonical spelling (defaults filled in), the key of its output. */
  readonly key: string;
}

/** A bad indicator spec; `message` says what is wrong and what would be right. */
export class IndicatorSpecError extends Error {
  override readonly name = 'IndicatorSpecError';
  readonly code = 'invalid_indicator';
  constructor(
    message: string,
    readonly spec: string,
  ) {
    super(message);
  }
}

/** Longest period accepted, so one request cannot ask for an unbounded window. */
export const MAX_INDICATOR_PERIOD = 1000;

function isIndicatorName(name: string): name is IndicatorName {
  return Object.hasOwn(INDICATORS, name);
}

/**
 * Parses one spec, `name[:p1[:p2…]]` (case-insensitive, defaults for missing parameters), e.g.
 * `rsi`, `rsi:14`, `macd:12:26:9`, `bbands:20:2`. Throws `IndicatorSpecError`.
 */
export function parseIndicatorSpec(text: string): IndicatorSpec {
  const [rawName = '', ...rawParams] = text.trim().toLowerCase().split(':');
  if (!isIndicatorName(rawName)) {
    throw new IndicatorSpecError(
      `Unknown indicator "${rawName}"; use one of ${Object.keys(INDICATORS).join(', ')}`,
      text,
    );
  }
  const def = INDICATORS[rawName];
  if (rawParams.length > def.params.length) {
    throw new IndicatorSpecError(
      def.params.length === 0
        ? `${rawName} takes no parameters`
        : `${rawName} takes at most ${String(def.params.length)} parameters (${def.params.join(':')})`,
      text,
    );
  }
  const params = def.defaults.map((fallback, i) => {
    const raw = rawParams[i];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    const name = def.params[i] ?? 'parameter';
    const integer = !(rawName === 'bbands' && name === 'stddev');
    const valid = Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
    if (!valid || value > MAX_INDICATOR_PERIOD) {
      throw new IndicatorSpecError(
        `${rawName} ${name} must be ${integer ? 'a whole number' : 'a number'} between 1 and ${String(MAX_INDICATOR_PERIOD)} (got "${raw}")`,
        text,
      );
    }
    return value;
  });
  if (rawName === 'macd' && (params[0] ?? 0) >= (params[1] ?? 0)) {
    throw new IndicatorSpecError('macd fast period must be shorter than its slow period', text);
  }
  return { name: rawName, params, key: [rawName, ...params.map(String)].join(':') };
}

/** Parses a comma-separated list (`rsi:14,macd:12:26:9`); duplicates are dropped. */
export function parseIndicatorList(text: string): IndicatorSpec[] {
  const specs = new Map<string, IndicatorSpec>();
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const spec = parseIndicatorSpec(part);
    specs.set(spec.key, spec);
  }
  if (specs.size === 0)
    throw new IndicatorSpecError('Name at least one indicator, e.g. rsi:14', text);
  return [...specs.values()];
}

/** One indicator value: a number for single-output indicators, named outputs otherwise. */
export type IndicatorValue = number | Readonly<Record<string, number>>;

/** A streaming indicator: feed bars in order; `null` until it has enough bars. */
export interface StreamingIndicator {
  readonly spec: IndicatorSpec;
  update(bar: OhlcvBar): IndicatorValue | null;
}

function param(spec: IndicatorSpec, i: number): number {
  const value = spec.params[i];
  if (value === undefined) throw new Error(`${spec.key}: parameter ${String(i)} missing`);
  return value;
}

/** A streaming indicator for a spec (a fresh library object: no state shared). */
export function createIndicator(spec: IndicatorSpec): StreamingIndicator {
  const p0 = spec.params[0] ?? 0;
  switch (spec.name) {
    case 'sma':
    case 'ema':
    case 'wma':
    case 'rsi': {
      const make = { sma: SMA, ema: EMA, wma: WMA, rsi: RSI }[spec.name];
      const ind = new make(p0);
      return {
        spec,
        update: (bar) => {
          const v = ind.update(bar.close, false);
          // EMA answers from its first input; report it once it has a full window like the rest.
          return ind.isStable ? v : null;
        },
      };
    }
    case 'macd': {
      const ind = new MACD(new EMA(p0), new EMA(param(spec, 1)), new EMA(param(spec, 2)));
      return {
        spec,
        // The library answers a fresh { macd, signal, histogram } per bar: no copy needed.
        update: (bar) => {
          const v = ind.update(bar.close, false);
          return v !== null && ind.isStable ? v : null;
        },
      };
    }
    case 'bbands': {
      const ind = new BollingerBands(p0, param(spec, 1));
      // A fresh { lower, middle, upper } per bar, returned as is.
      return { spec, update: (bar) => ind.update(bar.close, false) };
    }
    case 'atr':
    case 'adx': {
      const ind = spec.name === 'atr' ? new ATR(p0) : new ADX(p0);
      return {
        spec,
        update: (bar) => {
          const v = ind.add(bar);
          if (v === null || !ind.isStable) return null;
          if (ind instanceof ADX) {
            // The library keeps the directional indicators as fractions; quote them in percent.
            return { adx: v, plus_di: 100 * Number(ind.pdi), minus_di: 100 * Number(ind.mdi) };
          }
          return v;
        },
      };
    }
    case 'stoch': {
      const ind = new StochasticOscillator({
        kPeriod: p0,
        dPeriod: param(spec, 1),
        kSlowingPeriod: param(spec, 2),
      });
      return {
        spec,
        update: (bar) => {
          const v = ind.add(bar);
          return v ? { k: v.stochK, d: v.stochD } : null;
        },
      };
    }
    case 'obv': {
      // OBV's "interval" is the look-back it keeps; 2 bars are all a running total needs.
      const ind = new OBV(2);
      let first = true;
      return {
        spec,
        update: (bar) => {
          const v = ind.add(bar);
          if (first) {
            first = false;
            return 0;
          }
          return v;
        },
      };
    }
    case 'vwap': {
      // Cumulative VWAP over the bars given (the caller picks the session window).
      const ind = new VWAP();
      return { spec, update: (bar) => ind.add(bar) };
    }
  }
}

/** Values of one indicator, aligned with the input bars (`null` during warm-up). */
export interface IndicatorSeriesResult {
  readonly spec: IndicatorSpec;
  /** Bars consumed before the first value (the index of the first non-null value). */
  readonly warmup: number;
  readonly values: (IndicatorValue | null)[];
}

/** Computes each spec over the bars (earliest first), each series as long as `bars`. */
export function computeIndicators(
  bars: readonly OhlcvBar[],
  specs: readonly IndicatorSpec[],
): IndicatorSeriesResult[] {
  return specs.map((spec) => {
    const ind = createIndicator(spec);
    const values = new Array<IndicatorValue | null>(bars.length);
    let warmup = bars.length;
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i];
      const value = bar === undefined ? null : ind.update(bar);
      if (value !== null && warmup === bars.length) warmup = i;
      values[i] = value;
    }
    return { spec, warmup, values };
  });
}

/** A bar of the market port (decimal strings) as indicator input. */
export function toOhlcv(bar: {
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: number;
}): OhlcvBar {
  return {
    open: Number(bar.open),
    high: Number(bar.high),
    low: Number(bar.low),
    close: Number(bar.close),
    volume: bar.volume,
  };
}
