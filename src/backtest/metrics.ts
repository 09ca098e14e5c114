/**
 * Performance analytics with the standard definitions (the ones Quantopian's `empyrical`
 * uses, whose published test values `test/backtest/metrics.spec.ts` reproduces): daily simple
 * returns of the equity curve, 252 periods a year, sample standard deviation (n − 1).
 *
 * - total return = Π(1 + rₜ) − 1; annual return (CAGR) = (1 + total)^(252/n) − 1
 * - annual volatility = stdev(r) · √252
 * - Sharpe = mean(r − r_f) / stdev(r − r_f) · √252, r_f the daily equivalent of the annual rate
 * - Sortino = mean(r − r_f) · √252 / √(mean(min(r − r_f, 0)²))  (downside deviation over all n)
 * - max drawdown = min(Eₜ / maxₛ≤ₜ Eₛ − 1) (a negative fraction); its duration is the longest
 *   span in calendar days from a peak to the day the curve regains it (or to the last day)
 * - Calmar = annual return / |max drawdown|
 *
 * Floats (analytics), never prices of record. Undefined ratios (no variance, no trades) are `null`.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { civilInto, formatMonth } from '../market/civil-days.ts';
import type { Trade } from './trades.ts';

export const PERIODS_PER_YEAR = 252;

export interface ReturnMetrics {
  readonly total_return: number;
  readonly annual_return: number | null;
  readonly annual_volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  /** A negative fraction (−0.25 = a 25 % fall from the peak), 0 without a fall. */
  readonly max_drawdown: number;
}

/** A finite number or `null`. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The daily rate equivalent to an annual rate. */
export function dailyRate(annual: number, periods = PERIODS_PER_YEAR): number {
  return (1 + annual) ** (1 / periods) - 1;
}

/** Metrics of a series of periodic simple returns. */
export function returnMetrics(
  returns: readonly number[],
  options: { readonly riskFreeRate?: number; readonly periodsPerYear?: number } = {},
): ReturnMetrics {
  const periods = options.periodsPerYear ?? PERIODS_PER_YEAR;
  const rf = dailyRate(options.riskFreeRate ?? 0, periods);
  // A NaN (a period without a return) counts towards the length of the period, not the
  // averages — empyrical's convention, which its published values depend on.
  const length = returns.length;
  // (Copies only when there is something to drop: a million-day curve has no NaN.)
  const valid = returns.some((r) => Number.isNaN(r))
    ? returns.filter((r) => !Number.isNaN(r))
    : returns;
  const n = valid.length;
  let wealth = 1;
  let peak = 1;
  let maxDrawdown = 0;
  for (const r of valid) {
    wealth *= 1 + r;
    if (wealth > peak) peak = wealth;
    maxDrawdown = Math.min(maxDrawdown, wealth / peak - 1);
  }
  const total = wealth - 1;
  if (n === 0) {
    return {
      total_return: 0,
      annual_return: null,
      annual_volatility: null,
      sharpe: null,
      sortino: null,
      calmar: null,
      max_drawdown: 0,
    };
  }
  const annual = finite((1 + total) ** (periods / length) - 1);
  // r − 0 is r: without a risk-free rate the excess returns are the returns themselves.
  const excess = rf === 0 ? valid : valid.map((r) => r - rf);
  const sd = n > 1 ? sampleStandardDeviation(valid) : Number.NaN;
  const sdExcess = excess === valid ? sd : n > 1 ? sampleStandardDeviation(excess) : Number.NaN;
  const meanExcess = mean(excess);
  let squares = 0;
  for (const x of excess) squares += Math.min(x, 0) ** 2;
  const downside = Math.sqrt(squares / n);
  return {
    total_return: total,
    annual_return: annual,
    annual_volatility: finite(sd * Math.sqrt(periods)),
    sharpe: sdExcess > 0 ? finite((meanExcess / sdExcess) * Math.sqrt(periods)) : null,
    sortino: downside > 0 ? finite((meanExcess * Math.sqrt(periods)) / downside) : null,
    calmar: annual !== null && maxDrawdown < 0 ? finite(annual / -maxDrawdown) : null,
    max_drawdown: maxDrawdown,
  };
}

/** Simple returns of an equity curve that starts from `initial`. */
export function equityReturns(initial: number, equity: ArrayLike<number>): number[] {
  const out = new Array<number>(equity.length);
  let previous = initial;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i] ?? previous;
    out[i] = previous > 0 ? e / previous - 1 : 0;
    previous = e;
  }
  return out;
}

/** The drawdown at each point and the longest peak-to-recovery span, in calendar days. */
export function drawdowns(
  initial: number,
  equity: ArrayLike<number>,
  days: ArrayLike<number>,
): { readonly series: Float64Array; readonly maxDurationDays: number } {
  const series = new Float64Array(equity.length);
  let peak = initial;
  let peakDay = equity.length > 0 ? (days[0] ?? 0) : 0;
  let longest = 0;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i] ?? 0;
    const day = days[i] ?? peakDay;
    if (e >= peak) {
      longest = Math.max(longest, day - peakDay);
      peak = e;
      peakDay = day;
    }
    series[i] = peak > 0 ? e / peak - 1 : 0;
  }
  const lastDay = equity.length > 0 ? (days[equity.length - 1] ?? peakDay) : peakDay;
  if (equity.length > 0 && (series[equity.length - 1] ?? 0) < 0) {
    longest = Math.max(longest, lastDay - peakDay);
  }
  return { series, maxDurationDays: longest };
}

export interface TradeMetrics {
  readonly trades: number;
  readonly win_rate: number | null;
  readonly profit_factor: number | null;
  readonly average_win: number | null;
  readonly average_loss: number | null;
  /** Mean bars a trade was held. */
  readonly average_bars_held: number | null;
}

/** Win rate (pnl > 0), profit factor (gross wins / gross losses), average win and loss. */
export function tradeMetrics(trades: readonly Trade[]): TradeMetrics {
  const wins = trades.filter((t) => t.pnl > 0);
  const losses = trades.filter((t) => t.pnl < 0);
  const grossWin = wins.reduce((s, t) => s + t.pnl, 0);
  const grossLoss = -losses.reduce((s, t) => s + t.pnl, 0);
  return {
    trades: trades.length,
    win_rate: trades.length === 0 ? null : wins.length / trades.length,
    profit_factor: grossLoss > 0 ? grossWin / grossLoss : null,
    average_win: wins.length === 0 ? null : grossWin / wins.length,
    average_loss: losses.length === 0 ? null : -grossLoss / losses.length,
    average_bars_held:
      trades.length === 0 ? null : trades.reduce((s, t) => s + t.bars, 0) / trades.length,
  };
}

/** Monthly returns from a daily curve (`days` are day numbers), the first month from `initial`. */
export function monthlyReturns(
  initial: number,
  equity: ArrayLike<number>,
  days: ArrayLike<number>,
): { readonly month: string; readonly return: number }[] {
  const out: { month: string; return: number }[] = [];
  const civil = { year: 0, month: 0, dom: 0 };
  let base = initial;
  let month = -1;
  let label = '';
  let last = initial;
  // A month changes at most once per ~21 trading days: compare against its end, not per day.
  let nextMonthStart = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < equity.length; i++) {
    const day = days[i] ?? 0;
    if (day >= nextMonthStart || month === -1) {
      civilInto(day, civil);
      const m = civil.year * 12 + civil.month - 1;
      if (m !== month) {
        if (month !== -1) {
          out.push({ month: label, return: base > 0 ? last / base - 1 : 0 });
          base = last;
        }
        month = m;
        label = formatMonth(civil.year, civil.month);
        nextMonthStart = day - civil.dom + 28;
      }
    }
    last = equity[i] ?? last;
  }
  if (month !== -1) out.push({ month: label, return: base > 0 ? last / base - 1 : 0 });
  return out;
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** Rounds for the JSON result (stable, readable). */
export function round(x: number, digits = 10): number {
  if (!Number.isFinite(x)) return x;
  const f = POW10[digits] ?? 10 ** digits;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** `round` that keeps `null`. */
export function roundOrNull(x: number | null, digits = 10): number | null {
  return x === null ? null : round(x, digits);
}
