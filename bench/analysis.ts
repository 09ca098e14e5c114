/**
 * `npm run bench -- analysis`: indicator throughput (RSI 14 + MACD 12/26/9 + Bollinger 20/2
 * over 1,000,000 bars), a full-universe scan, and the risk of a 50-position portfolio over two
 * years of daily history. Targets: ≥ 2,000,000 indicator points/s, scan p95 ≤ 50 ms, risk
 * p95 ≤ 100 ms.
 */
import { alignCloses } from '../src/analysis/history.ts';
import {
  computeIndicators,
  parseIndicatorList,
  type OhlcvBar,
} from '../src/analysis/indicators.ts';
import { computePortfolioRisk } from '../src/analysis/risk.ts';
import { MarketAnalysis } from '../src/commands/market-analysis.ts';
import { SimulatedClock, SimulatedMarket } from '../src/market/index.ts';
import { simulatedReferenceData } from '../src/market/simulated/reference/index.ts';
import { Random } from '../src/market/simulated/random.ts';
import { percentile, report, round } from './report.ts';

/** Wednesday 2026-11-18 11:00 New York: inside a regular session. */
const SESSION = new Date('2026-11-18T16:00:00.000Z');

function syntheticBars(n: number): OhlcvBar[] {
  const rng = new Random(42);
  const bars: OhlcvBar[] = new Array<OhlcvBar>(n);
  let price = 100;
  for (let i = 0; i < n; i++) {
    const open = price;
    price *= Math.exp(0.01 * rng.normal());
    const high = Math.max(open, price) * (1 + 0.002 * rng.exponential());
    const low = Math.min(open, price) * (1 - 0.002 * rng.exponential());
    bars[i] = { open, high, low, close: price, volume: 1000 + rng.int(10_000) };
  }
  return bars;
}

function timed<T>(work: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = work();
  return { ms: performance.now() - start, value };
}

async function timedAsync<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

export async function run(quick: boolean): Promise<void> {
  const metrics: Record<string, number> = {};
  const notes: Record<string, string> = {};

  // ─── indicators ───────────────────────────────────────────────────────────────────────────
  const n = quick ? 100_000 : 1_000_000;
  const bars = syntheticBars(n);
  const specs = parseIndicatorList('rsi:14,macd:12:26:9,bbands:20:2');
  computeIndicators(bars.slice(0, 10_000), specs); // warm the JIT
  const runs: number[] = [];
  for (let r = 0; r < (quick ? 2 : 3); r++)
    runs.push(timed(() => computeIndicators(bars, specs)).ms);
  const best = Math.min(...runs);
  metrics.indicator_bars = n;
  metrics.indicator_points_per_s = Math.round((n * specs.length) / (best / 1000));
  metrics.indicator_run_ms = round(best, 1);
  notes.indicators = `RSI(14) + MACD(12,26,9) + Bollinger(20,2) from trading-signals over ${String(n)} synthetic bars via computeIndicators (every value kept in arrays aligned with the bars, as REST and MCP answer them); one point per indicator per bar; best of ${String(runs.length)} runs`;

  // ─── scanner ──────────────────────────────────────────────────────────────────────────────
  const clock = new SimulatedClock({ start: SESSION, speed: 0 });
  const market = new SimulatedMarket({ clock, seed: 42, haltProbability: 0 });
  const analysis = new MarketAnalysis(market, simulatedReferenceData(market));
  const criteria = {
    minPrice: 5,
    minRelativeVolume: 0.5,
    rsiBelow: 80,
    sort: 'change' as const,
    limit: 20,
  };
  const cold = await timedAsync(() => analysis.scan(criteria));
  metrics.scan_universe_cold_ms = round(cold.ms, 1);
  const scans: number[] = [];
  for (let i = 0; i < (quick ? 20 : 100); i++) {
    // Move the clock a second each time: new quotes, the same daily history.
    clock.advance(1000);
    scans.push((await timedAsync(() => analysis.scan(criteria))).ms);
  }
  scans.sort((a, b) => a - b);
  metrics.scan_universe_symbols = cold.value.scanned;
  metrics.scan_universe_p50_ms = round(percentile(scans, 50), 2);
  metrics.scan_universe_p95_ms = round(percentile(scans, 95), 2);
  notes.scan = `MarketAnalysis.scan over the ${String(cold.value.scanned)}-symbol simulated universe (quotes, today's minute bars, cached daily figures); the first scan builds a year of daily history (cold)`;

  // ─── portfolio risk ───────────────────────────────────────────────────────────────────────
  const symbols = market
    .assets()
    .map((a) => a.symbol)
    .filter((s) => s !== 'SPY')
    .slice(0, 50);
  const sessions = 504;
  const loadHistory = async () =>
    Object.fromEntries(
      await Promise.all(
        [...symbols, 'SPY'].map(async (s) => [s, await analysis.closes(s, sessions + 1)] as const),
      ),
    );
  const coldHistory = await timedAsync(loadHistory);
  metrics.portfolio_risk_history_cold_ms = round(coldHistory.ms, 1);
  const positions = symbols.map((symbol, i) => ({
    symbol,
    marketValue: (i % 7 === 0 ? -1 : 1) * (2_000 + 100 * i),
    sector: market.asset(symbol)?.sector ?? 'Unknown',
  }));
  const risks: number[] = [];
  let observations = 0;
  for (let i = 0; i < (quick ? 10 : 50); i++) {
    const t = await timedAsync(async () => {
      const { dates, closes } = alignCloses(await loadHistory());
      return computePortfolioRisk({
        positions,
        history: { dates, closes, ...(closes.SPY === undefined ? {} : { benchmark: closes.SPY }) },
        equity: 250_000,
      });
    });
    observations = t.value.observations;
    risks.push(t.ms);
  }
  risks.sort((a, b) => a - b);
  metrics.portfolio_risk_positions = positions.length;
  metrics.portfolio_risk_observations = observations;
  metrics.portfolio_risk_p50_ms = round(percentile(risks, 50), 2);
  metrics.portfolio_risk_p95_ms = round(percentile(risks, 95), 2);
  notes.portfolio_risk = `50 positions + SPY, ${String(sessions)} sessions of split-adjusted closes read through MarketAnalysis.closes (cached per trading day after the cold read: past closes never change), aligned, then VaR (historical + parametric, 95/99 %, 1/10 days), ES, volatility, beta, the 50×50 correlation matrix, Herfindahl and sectors`;
  notes.machine_load =
    'figures taken on a shared 2-core machine while other sessions ran; re-run on a quiet machine';

  report('analysis', quick, metrics, notes);
}
