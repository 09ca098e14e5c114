/**
 * `paper-trading backtest run|strategies`: a strategy replayed over history through the same
 * account decider, fill model and trigger logic as paper trading, with a progress bar on a
 * terminal, a summary (or `--json`), and an HTML report (`--report`).
 */
import { createReadStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ZodError } from 'zod';
import { MissingDataError, seriesFromCsv } from '../../backtest/data.ts';
import { executeBacktest } from '../../backtest/execute.ts';
import { BacktestJournal } from '../../backtest/journal.ts';
import { renderReport } from '../../backtest/report.ts';
import { BacktestRequestSchema, type BacktestRequest } from '../../backtest/request.ts';
import { resultJson, type BacktestResult } from '../../backtest/run.ts';
import { BUILT_IN_STRATEGIES } from '../../backtest/strategies/index.ts';
import { StrategyError } from '../../backtest/strategy.ts';
import { CsvLayoutError } from '../../history/index.ts';
import type { CliDeps } from '../deps.ts';
import { parseDate, parseSymbols, parseTimeframe, withBarStore } from './data.ts';
import { progressFor } from './progress.ts';
import { randomUUID } from 'node:crypto';

interface RunFlags {
  strategy: string;
  symbols: string;
  from: string;
  to: string;
  param: string[];
  cash: string;
  commission: string;
  slippageBps: string;
  spreadBps: string;
  fractional?: boolean;
  fillAt: string;
  timeframe: string;
  data?: string;
  dataSource: string;
  benchmark?: string;
  riskFree: string;
  seed: string;
  json?: boolean;
  report?: string;
  out?: string;
  walkForward?: string;
  grid: string[];
  monteCarlo?: string;
  mcMethod: string;
  workers?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function number(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new Error(`${flag} must be a number (got "${text}")`);
  return n;
}

/** `--param k=v` pairs. */
function params(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(p.trim());
    if (!m) throw new Error(`--param must be name=value, e.g. --param fast=20 (got "${p}")`);
    out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

/** `--walk-forward windows=4,train=0.7,objective=sharpe` and `--grid fast=10,20`. */
function walkForward(spec: string | undefined, grids: readonly string[]) {
  if (spec === undefined && grids.length === 0) return undefined;
  const grid: Record<string, number[]> = {};
  for (const g of grids) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(g.trim());
    if (!m) throw new Error(`--grid must be name=v1,v2,…, e.g. --grid fast=10,20,30 (got "${g}")`);
    grid[m[1] ?? ''] = (m[2] ?? '').split(',').map((v) => number(v, `--grid ${m[1] ?? ''}`));
  }
  if (Object.keys(grid).length === 0)
    throw new Error('--walk-forward needs at least one --grid name=v1,v2');
  const options: Record<string, string> = {};
  for (const part of (spec ?? '').split(',').filter((p) => p.trim() !== '' && p !== 'true')) {
    const [k, v] = part.split('=');
    if (k === undefined || v === undefined)
      throw new Error(`--walk-forward takes windows=N,train=R,objective=NAME (got "${part}")`);
    options[k.trim()] = v.trim();
  }
  for (const k of Object.keys(options)) {
    if (!['windows', 'train', 'objective'].includes(k))
      throw new Error(`--walk-forward: unknown option "${k}" (windows, train, objective)`);
  }
  return {
    ...(options.windows === undefined
      ? {}
      : { windows: number(options.windows, '--walk-forward windows') }),
    ...(options.train === undefined
      ? {}
      : { train_ratio: number(options.train, '--walk-forward train') }),
    ...(options.objective === undefined ? {} : { objective: options.objective }),
    grid,
  };
}

/** The request the flags describe, validated like a REST body. */
export function requestFromFlags(f: RunFlags): BacktestRequest {
  const fillAt = f.fillAt.trim().toLowerCase();
  if (fillAt !== 'open' && fillAt !== 'close')
    throw new Error(`--fill-at must be open or close (got "${f.fillAt}")`);
  const raw = {
    strategy: f.strategy,
    params: params(f.param),
    symbols: parseSymbols(f.symbols),
    from: parseDate(f.from, '--from'),
    to: parseDate(f.to, '--to'),
    timeframe: parseTimeframe(f.timeframe),
    cash: f.cash,
    commission: f.commission,
    slippage_bps: number(f.slippageBps, '--slippage-bps'),
    spread_bps: number(f.spreadBps, '--spread-bps'),
    fractional: f.fractional === true,
    fill_at: fillAt,
    risk_free_rate: number(f.riskFree, '--risk-free'),
    ...(f.benchmark === undefined
      ? {}
      : { benchmark: f.benchmark.toLowerCase() === 'none' ? null : f.benchmark }),
    data: f.dataSource,
    seed: number(f.seed, '--seed'),
    ...(walkForward(f.walkForward, f.grid) === undefined
      ? {}
      : { walk_forward: walkForward(f.walkForward, f.grid) }),
    ...(f.monteCarlo === undefined
      ? {}
      : {
          monte_carlo: {
            paths: f.monteCarlo === 'true' ? 1000 : number(f.monteCarlo, '--monte-carlo'),
            method: f.mcMethod,
          },
        }),
  };
  const parsed = BacktestRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    const flag = FLAG_OF[field.split('.')[0] ?? ''] ?? field;
    throw new Error(`${flag}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const FLAG_OF: Readonly<Record<string, string>> = {
  cash: '--cash',
  commission: '--commission',
  slippage_bps: '--slippage-bps',
  spread_bps: '--spread-bps',
  risk_free_rate: '--risk-free',
  to: '--to',
  from: '--from',
  symbols: '--symbols',
  benchmark: '--benchmark',
  walk_forward: '--walk-forward',
  monte_carlo: '--monte-carlo',
  seed: '--seed',
  data: '--data-source',
};

function pct(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(2)}%`;
}

function summaryText(r: BacktestResult): string {
  const m = r.metrics;
  const lines = [
    `${r.strategy.name} ${JSON.stringify(r.strategy.params)} on ${r.symbols.join(',')} ${r.from} → ${r.to} (${r.timeframe}, ${r.data_source} data)`,
    `total return ${pct(m.total_return)}  annual ${pct(m.annual_return)}  volatility ${pct(m.annual_volatility)}  Sharpe ${m.sharpe?.toFixed(2) ?? '—'}  Sortino ${m.sortino?.toFixed(2) ?? '—'}  Calmar ${m.calmar?.toFixed(2) ?? '—'}`,
    `max drawdown ${pct(m.max_drawdown)} (${m.max_drawdown_duration_days} days)  trades ${m.trades}  win rate ${pct(m.win_rate)}  profit factor ${m.profit_factor?.toFixed(2) ?? '—'}  exposure ${pct(m.exposure)}`,
    `final equity ${m.final_equity.toFixed(2)}  orders ${r.orders.placed} placed, ${r.orders.filled} filled, ${r.orders.rejected} rejected${
      Object.keys(r.orders.rejections).length > 0
        ? ` (${Object.entries(r.orders.rejections)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        : ''
    }`,
  ];
  if (r.benchmark !== null) {
    lines.push(
      `benchmark ${r.benchmark.symbol}: total ${pct(r.benchmark.total_return)}  Sharpe ${r.benchmark.sharpe?.toFixed(2) ?? '—'}  max drawdown ${pct(r.benchmark.max_drawdown)}`,
    );
  }
  const wf = r.walk_forward as
    | {
        out_of_sample: { total_return: number; sharpe: number | null };
        windows: { params: object }[];
      }
    | undefined;
  if (wf !== undefined) {
    lines.push(
      `walk-forward: ${wf.windows.length} windows, out-of-sample total ${pct(wf.out_of_sample.total_return)}, Sharpe ${wf.out_of_sample.sharpe?.toFixed(2) ?? '—'}; chosen ${wf.windows.map((w) => JSON.stringify(w.params)).join(' ')}`,
    );
  }
  const mc = r.monte_carlo as
    | {
        paths: number;
        final_equity: { p5: number; p50: number; p95: number };
        probability_of_loss: number;
      }
    | undefined;
  if (mc !== undefined) {
    lines.push(
      `monte carlo: ${mc.paths} paths, final equity p5 ${mc.final_equity.p5.toFixed(0)} / p50 ${mc.final_equity.p50.toFixed(0)} / p95 ${mc.final_equity.p95.toFixed(0)}, P(loss) ${pct(mc.probability_of_loss)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function register(program: Command, deps: CliDeps): void {
  const backtest = program
    .command('backtest')
    .description('replay a strategy over history through the paper-trading rules');

  backtest
    .command('strategies')
    .description('the built-in strategies and their parameters')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const list = BUILT_IN_STRATEGIES.map((s) => ({
        name: s.name,
        description: s.description,
        params: s.params,
      }));
      if (options.json === true) {
        deps.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      for (const s of list) {
        deps.stdout.write(`${s.name}: ${s.description}\n`);
        for (const [k, p] of Object.entries(s.params))
          deps.stdout.write(`  --param ${k}=${p.default}  ${p.description}\n`);
      }
    });

  backtest
    .command('run')
    .description('run a backtest and print its summary (or --json), optionally an HTML --report')
    .requiredOption(
      '--strategy <name|path>',
      `a built-in (${BUILT_IN_STRATEGIES.map((s) => s.name).join(', ')}) or a .ts/.js file`,
    )
    .requiredOption('--symbols <list>', 'tickers, e.g. AAPL or AAPL,MSFT')
    .requiredOption('--from <date>', 'first day traded, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day traded, YYYY-MM-DD (inclusive)')
    .option('--param <k=v>', 'a strategy parameter (repeatable)', collect, [])
    .option('--cash <amount>', 'starting cash', '100000')
    .option('--commission <model>', 'X or X/share (per share), X/order, 0 for none', '0')
    .option('--slippage-bps <bps>', 'fixed slippage against the trader, basis points', '0')
    .option('--spread-bps <bps>', 'synthetic bid/ask spread around bar prices, basis points', '0')
    .option('--fractional', 'allow fractional shares (market day orders)')
    .option(
      '--fill-at <when>',
      'open: next bar’s open; close: market orders at the same bar’s close',
      'open',
    )
    .option('--timeframe <tf>', '1d or 1m', '1d')
    .option('--data <file.csv>', 'run on a CSV directly, without importing it')
    .option('--data-source <source>', 'auto (stored, else generated), stored, or generated', 'auto')
    .option(
      '--benchmark <symbol|none>',
      'benchmark (default SPY when available, else the first symbol)',
    )
    .option('--risk-free <rate>', 'annual risk-free rate for Sharpe and Sortino, e.g. 0.04', '0')
    .option('--seed <n>', 'seed of generated data and Monte Carlo', '42')
    .option(
      '--walk-forward [options]',
      'walk-forward analysis: windows=N,train=R,objective=sharpe|total_return|calmar|sortino',
    )
    .option('--grid <name=v1,v2>', 'a parameter grid for --walk-forward (repeatable)', collect, [])
    .option('--monte-carlo [paths]', 'Monte Carlo bootstrap with this many paths (default 1000)')
    .option('--mc-method <method>', 'returns (daily returns) or trades', 'returns')
    .option('--workers <n>', 'worker threads for the walk-forward grid')
    .option('--json', 'print the result as one JSON object')
    .option('--out <file.json>', 'also write the JSON result to a file')
    .option('--report <file.html>', 'write the self-contained HTML report')
    .action(async (flags: RunFlags) => {
      const request = requestFromFlags(flags);
      const progress = progressFor(deps);
      const workers = flags.workers === undefined ? undefined : number(flags.workers, '--workers');
      const id = randomUUID();
      const run = async (
        sources: Parameters<typeof executeBacktest>[1],
        journal?: BacktestJournal,
      ): Promise<BacktestResult> => {
        await journal?.append({
          type: 'BacktestRequested',
          data: { id, ownerId: 'cli', request, at: new Date().toISOString() },
        });
        try {
          const result = await executeBacktest(request, sources, {
            ...(workers === undefined ? {} : { workers }),
            onPhase: (phase) => {
              progress.stop();
              if (phase === 'replay') progress.start(1, 'backtest');
              else deps.stderr.write(`running ${phase.replace('_', ' ')}…\n`);
            },
            onProgress: (done, total) => {
              progress.update(done, total);
            },
          });
          progress.stop();
          await journal?.append(BacktestJournal.completed(result));
          return result;
        } catch (error) {
          progress.stop();
          await journal?.append({
            type: 'BacktestFailed',
            data: {
              code: codeOf(error),
              message: error instanceof Error ? error.message : String(error),
              field: null,
              at: new Date().toISOString(),
            },
          });
          throw error;
        }
      };
      let result: BacktestResult;
      try {
        if (flags.data !== undefined) {
          const { series, summary } = await seriesFromCsv(createReadStream(flags.data), {
            ...(request.symbols.length === 1 ? { fileSymbol: request.symbols[0] } : {}),
            timeframe: request.timeframe,
          });
          if (summary.badRows > 0) {
            for (const b of summary.bad.slice(0, 20))
              deps.stderr.write(`${flags.data}:${b.line}: ${b.reason}\n`);
            throw new Error(
              `${flags.data}: ${summary.badRows} bad rows; fix them (or import with --skip-bad first)`,
            );
          }
          result = await run({ csv: series });
        } else {
          result = await withBarStore(deps, (store, storage) =>
            run({ store }, new BacktestJournal(storage.eventStore, id, 'cli', 'cli')),
          );
        }
      } catch (error) {
        if (
          error instanceof StrategyError ||
          error instanceof MissingDataError ||
          error instanceof CsvLayoutError
        ) {
          throw new Error(error.message, { cause: error });
        }
        if (error instanceof ZodError)
          throw new Error(error.issues[0]?.message ?? 'invalid request', { cause: error });
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
          throw new Error(`cannot read ${flags.data ?? ''}: no such file`, { cause: error });
        }
        throw error;
      }
      const json = resultJson(result);
      if (flags.out !== undefined) writeFileSync(flags.out, json);
      if (flags.report !== undefined) {
        writeFileSync(flags.report, renderReport(result));
        deps.stderr.write(`report written to ${path.resolve(flags.report)}\n`);
      }
      deps.stdout.write(flags.json === true ? json : summaryText(result));
    });
}

function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'backtest_failed';
}
