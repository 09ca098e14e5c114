/**
 * `npm run bench -- backtest [--quick]`:
 * - `bars_per_s`: 1,000,000 daily bars, SMA 20/50 crossover, one symbol, the whole run
 *   (engine through the account decider, events into the backtest's memory store, analytics,
 *   the result) — wall clock and CPU (`bars_per_cpu_s`, load-independent), and again in a
 *   child pinned to one CPU with `taskset` (`bars_per_s_one_core`: the target's "one core");
 * - `multi_symbol_bars_per_s`: 100 symbols × 2,520 daily bars, momentum rotation;
 * - `import_rows_per_s`: a 1,000,000-row minute-bar CSV into PostgreSQL (one COPY straight into
 *   `bars` for a new series, fed chunk by chunk while the file parses, so the client and the
 *   server work at once); `import_parse_rows_per_s`: the same file parsed and validated with no
 *   writes, so parse and database time can be told apart;
 * - `range_scan_rows_per_s`: reading that series back as numbers (`readSeries`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPostgresDatabase } from '../src/eventstore/database.ts';
import { allocateSeries, type BarSeries } from '../src/history/bars.ts';
import { importCsv, SqlBarStore } from '../src/history/index.ts';
import { readCsvBars } from '../src/history/csv-read.ts';
import { Random } from '../src/market/simulated/random.ts';
import { BacktestRequestSchema } from '../src/backtest/request.ts';
import { runBacktest } from '../src/backtest/run.ts';
import { momentumRotation } from '../src/backtest/strategies/momentum-rotation.ts';
import { smaCrossover } from '../src/backtest/strategies/sma-crossover.ts';
import { report, round } from './report.ts';
import { scratchDatabase } from './support.ts';

/** A seeded random walk of `n` daily bars on consecutive weekdays from 1900. */
function syntheticSeries(symbol: string, n: number, seed: number, start = '1900-01-01'): BarSeries {
  const s = allocateSeries(symbol, '1Day', n, true);
  const rng = new Random(seed);
  let price = 100;
  let t = Date.parse(`${start}T05:00:00Z`);
  for (let i = 0; i < n; t += 86_400_000) {
    const weekday = new Date(t).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const open = price;
    price = Math.min(2000, Math.max(5, price * Math.exp(0.0002 + 0.012 * rng.normal())));
    s.time[i] = t;
    s.open[i] = Math.round(open * 100) / 100;
    s.close[i] = Math.round(price * 100) / 100;
    s.high[i] = Math.max(s.open[i] ?? 0, s.close[i] ?? 0) + 0.05;
    s.low[i] = Math.min(s.open[i] ?? 0, s.close[i] ?? 0) - 0.05;
    s.volume[i] = 1_000_000;
    i += 1;
  }
  return s;
}

function lastDate(s: BarSeries): string {
  return new Date(s.time[s.length - 1] ?? 0).toISOString().slice(0, 10);
}

async function timed<T>(
  work: () => Promise<T>,
): Promise<{ value: T; wallS: number; cpuS: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const cpu = process.cpuUsage(c0);
  return { value, wallS: (performance.now() - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6 };
}

/** The single-symbol run: `n` daily bars, SMA 20/50, after a 5,000-bar warm-up of the JIT. */
async function singleSymbol(n: number) {
  const single = syntheticSeries('SYN', n, 7);
  const request = BacktestRequestSchema.parse({
    strategy: 'sma_crossover',
    symbols: ['SYN'],
    from: '1900-01-01',
    to: lastDate(single),
    benchmark: null,
  });
  await runBacktest({ ...request, to: lastDate(syntheticSeries('SYN', 5000, 7)) }, smaCrossover, {
    series: [single],
    source: 'generated',
  });
  const run = await timed(() =>
    runBacktest(request, smaCrossover, { series: [single], source: 'generated' }),
  );
  return { ...run, single };
}

/**
 * The single-symbol run again in a child process pinned to one CPU (`taskset`), so the
 * collector's helper threads share that core with the loop: bars per second on one core, all
 * of the process's work included. Undefined where `taskset` is missing or there is one CPU.
 */
function oneCoreBarsPerS(n: number): number | undefined {
  const cpus = os.cpus().length;
  if (cpus < 2 || spawnSync('taskset', ['-V']).status !== 0) return undefined;
  const child = spawnSync(
    'taskset',
    [
      '-c',
      String(cpus - 1),
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--one-core-child',
      String(n),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(`the one-core run failed: ${child.stderr}`);
  const { wallS } = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
    wallS: number;
  };
  return n / wallS;
}

export async function run(quick: boolean): Promise<void> {
  const n = quick ? 200_000 : 1_000_000;
  const one = await singleSymbol(n);
  const single = one.single;
  const oneCore = oneCoreBarsPerS(n);

  const symbols = Array.from(
    { length: quick ? 20 : 100 },
    (_, i) =>
      `S${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}`,
  );
  const many = symbols.map((s, i) => syntheticSeries(s, 2520, 100 + i, '2000-01-03'));
  const multiRequest = BacktestRequestSchema.parse({
    strategy: 'momentum_rotation',
    symbols,
    from: '2000-01-03',
    to: lastDate(many[0] ?? single),
    benchmark: null,
  });
  const multi = await timed(() =>
    runBacktest(multiRequest, momentumRotation, { series: many, source: 'generated' }),
  );
  const multiBars = many.reduce((sum, s) => sum + s.length, 0);

  // CSV import into PostgreSQL, then a range scan of what was written.
  const rows = quick ? 200_000 : 1_000_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-bars-'));
  const file = path.join(dir, 'SPY.csv');
  const lines = ['timestamp,open,high,low,close,volume,trade_count,vwap'];
  const t0 = Date.parse('2020-01-02T14:30:00Z');
  for (let i = 0; i < rows; i++) {
    const p = (300 + Math.sin(i / 500) * 20).toFixed(2);
    lines.push(
      `${new Date(t0 + i * 60_000).toISOString()},${p},${p},${p},${p},${1000 + (i % 500)},${10 + (i % 7)},${p}`,
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  let importRate = Number.NaN;
  let importCpuRate = Number.NaN;
  let scanRate = Number.NaN;
  const parsed = await timed(() =>
    readCsvBars(createReadStream(file), { symbol: 'SPY' }, { onRows: () => undefined }),
  );
  let postgres: string;
  try {
    const scratch = await scratchDatabase();
    const db = await openPostgresDatabase(scratch.url, 4);
    try {
      const store = new SqlBarStore(db);
      await store.migrate();
      const imported = await timed(() =>
        importCsv(store, createReadStream(file), { symbol: 'SPY' }),
      );
      importRate = rows / imported.wallS;
      importCpuRate = rows / imported.cpuS;
      const scan = await timed(() => store.readSeries('SPY', '1Min'));
      scanRate = (scan.value?.length ?? 0) / scan.wallS;
      postgres = 'PostgreSQL at DATABASE_URL or 127.0.0.1:5432';
    } finally {
      await db.close();
      await scratch.drop();
    }
  } catch (error) {
    postgres = `skipped: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  report(
    'backtest',
    quick,
    {
      bars_per_s: Math.round(n / one.wallS),
      bars_per_cpu_s: Math.round(n / one.cpuS),
      ...(oneCore === undefined ? {} : { bars_per_s_one_core: Math.round(oneCore) }),
      single_trades: one.value.metrics.trades,
      single_decisions: one.value.stats.decisions,
      multi_symbol_bars_per_s: Math.round(multiBars / multi.wallS),
      multi_symbol_bars_per_cpu_s: Math.round(multiBars / multi.cpuS),
      multi_symbol_decisions: multi.value.stats.decisions,
      import_rows_per_s: Math.round(importRate),
      import_rows_per_client_cpu_s: Math.round(importCpuRate),
      import_parse_rows_per_s: Math.round(rows / parsed.wallS),
      import_parse_rows_per_cpu_s: Math.round(rows / parsed.cpuS),
      range_scan_rows_per_s: Math.round(scanRate),
      single_run_s: round(one.wallS),
    },
    {
      bars_per_s: `${n.toLocaleString('en-US')} daily bars of one seeded random walk, sma_crossover 20/50, the whole runBacktest: every order a PlaceOrder and every fill a FillOrder decided by the account decider, events appended to the backtest's memory store, analytics and the result object`,
      bars_per_s_one_core:
        oneCore === undefined
          ? 'not measured: taskset is missing or the machine has one CPU'
          : "the same run in a child process pinned to one CPU with taskset (the garbage collector's threads share that core): the target of ≥ 500,000 bars/s is for one core",
      multi_symbol_bars_per_s: `${symbols.length} symbols × 2,520 daily bars, momentum_rotation (126-bar lookback, top 3, every 21 bars)`,
      import_rows_per_s: `${rows.toLocaleString('en-US')}-row Alpaca-layout minute CSV → ${postgres}: parse, validate and one COPY straight into bars fed each chunk as it parses (a new series: no row can meet a stored one; the server ingests while the client parses, so the wall time is about the server's share), catalog from the copied range, one transaction; *_client_cpu_s counts this process only, not the PostgreSQL server`,
      import_parse_rows_per_s:
        'the same file read and validated with no writes (papaparse chunks + CsvBarReader): the parse share of the import',
      range_scan_rows_per_s:
        'readSeries of the imported series (keyset pages of 100,000 rows, float columns)',
      machine: `load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' / ',
        )} (1/5/15 min) on ${String(os.cpus().length)} CPUs; the machine may be shared with other sessions: compare the *_per_cpu_s figures`,
    },
  );
}

if (process.argv.includes('--one-core-child')) {
  const n = Number(process.argv[process.argv.indexOf('--one-core-child') + 1]);
  const { wallS, cpuS } = await singleSymbol(n);
  console.log(JSON.stringify({ wallS, cpuS }));
}
