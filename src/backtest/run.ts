/**
 * One backtest from request to result: the engine over the loaded series, then analytics,
 * the benchmark, and the JSON result (snake_case, deterministic: the same request and data
 * give byte-identical JSON — no wall-clock time or random id inside).
 */
import type { SettingsPatch } from '../domain/account/index.ts';
import { DEFAULT_FILL_MODEL } from '../domain/fill-model.ts';
import { newYorkWallTime } from '../market/time-zone.ts';
import { IsoDates } from '../market/civil-days.ts';
import { lowerBound, type BarSeries } from '../history/bars.ts';
import { BacktestEngine, type EngineOutput } from './engine.ts';
import {
  drawdowns,
  equityReturns,
  monthlyReturns,
  returnMetrics,
  round,
  roundOrNull,
  tradeMetrics,
  PERIODS_PER_YEAR,
} from './metrics.ts';
import { parseCommission, type BacktestRequest } from './request.ts';
import { resolveParams, type Params, type StrategyDefinition } from './strategy.ts';

/** The series a run reads, already loaded (warm-up bars before `from` included). */
export interface BacktestData {
  readonly series: readonly BarSeries[];
  /** The benchmark's series (may be one of `series`). */
  readonly benchmark?: BarSeries;
  /** Where the bars came from. */
  readonly source: 'stored' | 'generated' | 'csv';
}

export interface RunOptions {
  /** Called every chunk with steps done and steps in all. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Aborts between chunks (`BacktestCanceled`). */
  readonly signal?: AbortSignal;
  /** Steps per chunk between progress calls and yields (default 20,000). */
  readonly chunkSteps?: number;
  /** Yield to the event loop between chunks (default true; workers and grids pass false). */
  readonly yieldBetweenChunks?: boolean;
  /** Keep the account's events in the backtest's memory store (default true). */
  readonly recordEvents?: boolean;
}

export class BacktestCanceled extends Error {
  override readonly name = 'BacktestCanceled';
  readonly code = 'backtest_canceled';
}

/** The metrics block of a result (snake_case keys, as `--json` prints them). */
export interface ResultMetrics {
  readonly total_return: number;
  readonly annual_return: number | null;
  readonly annual_volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly max_drawdown: number;
  readonly max_drawdown_duration_days: number;
  readonly win_rate: number | null;
  readonly profit_factor: number | null;
  readonly average_win: number | null;
  readonly average_loss: number | null;
  readonly trades: number;
  /** Share of days with a position open. */
  readonly exposure: number;
  /** Mean gross position value / equity. */
  readonly average_exposure: number;
  /** Traded notional / 2 / mean equity, per year. */
  readonly annual_turnover: number;
  readonly final_equity: number;
  readonly days: number;
}

export interface BacktestResult {
  readonly strategy: { readonly name: string; readonly params: Params };
  readonly symbols: readonly string[];
  readonly timeframe: string;
  readonly from: string;
  readonly to: string;
  readonly data_source: string;
  readonly settings: {
    readonly cash: string;
    readonly commission: string;
    readonly slippage_bps: number;
    readonly spread_bps: number;
    readonly fill_at: 'open' | 'close';
    readonly fractional: boolean;
    readonly risk_free_rate: number;
  };
  readonly metrics: ResultMetrics;
  readonly benchmark: {
    readonly symbol: string;
    readonly total_return: number;
    readonly annual_return: number | null;
    readonly sharpe: number | null;
    readonly max_drawdown: number;
  } | null;
  readonly equity_curve: readonly {
    readonly date: string;
    readonly equity: number;
    readonly benchmark: number | null;
    readonly drawdown: number;
  }[];
  readonly monthly_returns: readonly { readonly month: string; readonly return: number }[];
  readonly trades: readonly {
    readonly symbol: string;
    readonly side: 'long' | 'short';
    readonly entry_time: string;
    readonly exit_time: string;
    readonly qty: number;
    readonly entry_price: number;
    readonly exit_price: number;
    readonly pnl: number;
    readonly return_pct: number;
    readonly bars: number;
    readonly open: boolean;
  }[];
  readonly orders: EngineOutput['orders'];
  readonly final: {
    readonly cash: string;
    readonly positions: EngineOutput['positions'];
  };
  readonly stats: {
    readonly bars: number;
    readonly steps: number;
    readonly decisions: number;
    readonly events: number;
  };
  /** Present when the request asked for them (walk-forward.ts, monte-carlo.ts). */
  walk_forward?: unknown;
  monte_carlo?: unknown;
}

/** The account settings a request trades with: the trading core's fill model, adjusted. */
export function settingsFor(request: BacktestRequest): SettingsPatch {
  return {
    fractionalTrading: request.fractional,
    fillModel: {
      ...DEFAULT_FILL_MODEL,
      commission: parseCommission(request.commission) ?? { kind: 'none' },
      slippage:
        request.slippage_bps > 0
          ? { kind: 'fixed_bps', bps: String(request.slippage_bps) }
          : { kind: 'none' },
      regulatoryFees: DEFAULT_FILL_MODEL.regulatoryFees,
    },
  };
}

/** New York midnight of a civil date, epoch ms. */
export function dayStart(date: string): number {
  return newYorkWallTime(date, 0).getTime();
}

/** Builds the engine for a request (exported for the benchmark and the grid workers). */
export function engineFor(
  request: BacktestRequest,
  definition: StrategyDefinition,
  series: readonly BarSeries[],
  params: Params,
  id = 'backtest',
): BacktestEngine {
  const end = dayStart(request.to) + 86_400_000;
  const cut = series.map((s) => {
    const n = lowerBound(s, end);
    return n === s.length ? s : { ...s, ...sliceColumns(s, n) };
  });
  return new BacktestEngine({
    series: cut,
    strategy: definition.create(params),
    config: {
      id,
      timeframe: request.timeframe,
      initialCash: request.cash,
      settings: settingsFor(request),
      fillAt: request.fill_at,
      spreadBps: request.spread_bps,
      tradeFrom: dayStart(request.from),
      params,
    },
  });
}

function sliceColumns(s: BarSeries, n: number): Partial<BarSeries> {
  return {
    length: n,
    time: s.time.subarray(0, n),
    open: s.open.subarray(0, n),
    high: s.high.subarray(0, n),
    low: s.low.subarray(0, n),
    close: s.close.subarray(0, n),
    volume: s.volume.subarray(0, n),
    vwap: s.vwap.subarray(0, n),
    tradeCount: s.tradeCount.subarray(0, n),
  };
}

/** Runs a backtest (async: yields between chunks for progress and cancellation). */
export async function runBacktest(
  request: BacktestRequest,
  definition: StrategyDefinition,
  data: BacktestData,
  options: RunOptions = {},
): Promise<BacktestResult> {
  const params = resolveParams(definition, request.params);
  const engine = engineFor(request, definition, data.series, params);
  const chunk = options.chunkSteps ?? 20_000;
  const yielding = options.yieldBetweenChunks ?? true;
  for (;;) {
    if (options.signal?.aborted === true) throw new BacktestCanceled('the backtest was canceled');
    const done = engine.run(chunk);
    options.onProgress?.(engine.doneSteps, engine.totalSteps);
    if (done) break;
    if (yielding) await new Promise((resolve) => setImmediate(resolve));
  }
  const output = engine.finish();
  if (options.recordEvents !== false) {
    await output.ledger.flush({
      actor: `backtest:${definition.name}`,
      correlationId: output.ledger.accountId,
    });
  }
  return assembleResult(request, definition, params, data, output, engine.totalSteps);
}

/** The result of a finished engine run. */
export function assembleResult(
  request: BacktestRequest,
  definition: StrategyDefinition,
  params: Params,
  data: BacktestData,
  output: EngineOutput,
  steps: number,
): BacktestResult {
  const initial = Number(request.cash);
  const { days, equity, exposure } = dailyPoints(output);
  const returns = equityReturns(initial, equity);
  const r = returnMetrics(returns, { riskFreeRate: request.risk_free_rate });
  const dd = drawdowns(initial, equity, days);
  const t = tradeMetrics(output.trades);
  const meanEquity = equity.length === 0 ? initial : sumOf(equity) / equity.length;
  const years = Math.max(days.length, 1) / PERIODS_PER_YEAR;
  const bench =
    data.benchmark === undefined ? undefined : benchmarkCurve(data.benchmark, days, initial);
  const benchReturns = bench === undefined ? undefined : equityReturns(initial, bench);
  const benchMetrics =
    benchReturns === undefined
      ? undefined
      : returnMetrics(benchReturns, { riskFreeRate: request.risk_free_rate });
  const metrics: ResultMetrics = {
    total_return: round(r.total_return),
    annual_return: roundOrNull(r.annual_return),
    annual_volatility: roundOrNull(r.annual_volatility),
    sharpe: roundOrNull(r.sharpe),
    sortino: roundOrNull(r.sortino),
    calmar: roundOrNull(r.calmar),
    max_drawdown: round(r.max_drawdown),
    max_drawdown_duration_days: dd.maxDurationDays,
    win_rate: roundOrNull(t.win_rate),
    profit_factor: roundOrNull(t.profit_factor),
    average_win: roundOrNull(t.average_win, 4),
    average_loss: roundOrNull(t.average_loss, 4),
    trades: t.trades,
    exposure: round(exposure.length === 0 ? 0 : countAbove(exposure, 1e-9) / exposure.length),
    average_exposure: round(exposure.length === 0 ? 0 : sumOf(exposure) / exposure.length),
    annual_turnover: round(meanEquity > 0 ? output.tradedNotional / 2 / meanEquity / years : 0),
    final_equity: round(equity[equity.length - 1] ?? initial, 2),
    days: days.length,
  };
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    strategy: { name: definition.name, params },
    symbols: data.series.map((s) => s.symbol),
    timeframe: request.timeframe,
    from: request.from,
    to: request.to,
    data_source: data.source,
    settings: {
      cash: request.cash,
      commission: request.commission,
      slippage_bps: request.slippage_bps,
      spread_bps: request.spread_bps,
      fill_at: request.fill_at,
      fractional: request.fractional,
      risk_free_rate: request.risk_free_rate,
    },
    metrics,
    benchmark:
      data.benchmark === undefined || benchMetrics === undefined
        ? null
        : {
            symbol: data.benchmark.symbol,
            total_return: round(benchMetrics.total_return),
            annual_return: roundOrNull(benchMetrics.annual_return),
            sharpe: roundOrNull(benchMetrics.sharpe),
            max_drawdown: round(benchMetrics.max_drawdown),
          },
    equity_curve: equityCurve(days, equity, bench, dd.series),
    monthly_returns: monthlyReturns(initial, equity, days).map((m) => ({
      month: m.month,
      return: round(m.return, 8),
    })),
    trades: output.trades.map((tr) => ({
      symbol: tr.symbol,
      side: tr.side,
      entry_time: iso(tr.entryTime),
      exit_time: iso(tr.exitTime),
      qty: round(tr.qty, 6),
      entry_price: round(tr.entryPrice, 6),
      exit_price: round(tr.exitPrice, 6),
      pnl: round(tr.pnl, 4),
      return_pct: round(tr.returnPct, 8),
      bars: tr.bars,
      open: tr.open,
    })),
    orders: output.orders,
    final: { cash: output.finalCash, positions: output.positions },
    stats: {
      bars: output.barsProcessed,
      steps,
      decisions: output.decisions,
      events: output.ledger.eventCount,
    },
  };
}

function equityCurve(
  days: Int32Array,
  equity: Float64Array,
  bench: readonly number[] | undefined,
  drawdown: Float64Array,
): BacktestResult['equity_curve'] {
  const dates = new IsoDates();
  const out = new Array<BacktestResult['equity_curve'][number]>(days.length);
  for (let i = 0; i < days.length; i++) {
    out[i] = {
      date: dates.format(days[i] ?? 0),
      equity: round(equity[i] ?? 0, 2),
      benchmark: bench === undefined ? null : round(bench[i] ?? 0, 2),
      drawdown: round(drawdown[i] ?? 0, 6),
    };
  }
  return out;
}

/**
 * One point per New York day: the last step's equity, the day's largest exposure. Daily bars
 * have one step a day already, and their columns are used as they are.
 */
function dailyPoints(output: EngineOutput): {
  readonly days: Int32Array;
  readonly equity: Float64Array;
  readonly exposure: Float64Array;
} {
  const n = output.days.length;
  let distinct = true;
  for (let i = 1; i < n && distinct; i++) distinct = output.days[i] !== output.days[i - 1];
  if (distinct) return { days: output.days, equity: output.equity, exposure: output.exposure };
  const days = new Int32Array(n);
  const equity = new Float64Array(n);
  const exposure = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const d = output.days[i] ?? 0;
    const e = output.equity[i] ?? 0;
    const x = output.exposure[i] ?? 0;
    if (m > 0 && days[m - 1] === d) {
      equity[m - 1] = e;
      exposure[m - 1] = Math.max(exposure[m - 1] ?? 0, x);
    } else {
      days[m] = d;
      equity[m] = e;
      exposure[m] = x;
      m += 1;
    }
  }
  return {
    days: days.subarray(0, m),
    equity: equity.subarray(0, m),
    exposure: exposure.subarray(0, m),
  };
}

/** Σ xs, left to right (as `reduce` adds). */
function sumOf(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i] ?? 0;
  return sum;
}

function countAbove(xs: ArrayLike<number>, threshold: number): number {
  let n = 0;
  for (let i = 0; i < xs.length; i++) if ((xs[i] ?? 0) > threshold) n += 1;
  return n;
}

/** Buy-and-hold of the benchmark, valued at the last close on or before each day. */
function benchmarkCurve(
  series: BarSeries,
  days: ArrayLike<number>,
  initial: number,
): number[] | undefined {
  if (series.length === 0 || days.length === 0) return undefined;
  const dayOf = (i: number): number =>
    series.timeframe === '1Day'
      ? Math.floor((series.time[i] ?? 0) / 86_400_000)
      : Math.floor(((series.time[i] ?? 0) - 4 * 3_600_000) / 86_400_000);
  let j = -1;
  let base: number | undefined;
  const out: number[] = [];
  for (let k = 0; k < days.length; k++) {
    const d = days[k] ?? 0;
    while (j + 1 < series.length && dayOf(j + 1) <= d) j += 1;
    const close = j >= 0 ? (series.close[j] ?? Number.NaN) : Number.NaN;
    base ??= Number.isFinite(close) ? close : undefined;
    out.push(base === undefined || !Number.isFinite(close) ? initial : (initial * close) / base);
  }
  return out;
}

/** Canonical JSON of a result (two-space indent, keys in construction order). */
export function resultJson(result: BacktestResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
