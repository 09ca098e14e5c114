/**
 * `paper-trading data import|generate|list`: historical bars in the time-series store (the
 * configured database: embedded PGlite in `DATA_DIR`, or `DATABASE_URL`).
 */
import { createReadStream, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import path from 'node:path';
import type { Command } from 'commander';
import { isValidEquitySymbol } from '../../domain/instrument.ts';
import { openStorage } from '../../eventstore/index.ts';
import {
  CsvLayoutError,
  generateIntoStore,
  importCsv,
  normalizeCsvSymbol,
  SqlBarStore,
  type BarStore,
  type SeriesInfo,
  type Timeframe,
} from '../../history/index.ts';
import { UnknownSymbolError } from '../../market/port.ts';
import { addDays, newYorkWallTime } from '../../market/time-zone.ts';
import type { CliDeps } from '../deps.ts';
import { progressFor } from './progress.ts';

/** `1d`, `1day`, `1Day` → `1Day`; `1m`, `1min` → `1Min`. */
export function parseTimeframe(text: string, flag = '--timeframe'): Timeframe {
  const t = text.trim().toLowerCase();
  if (t === '1d' || t === '1day' || t === 'day' || t === 'daily') return '1Day';
  if (t === '1m' || t === '1min' || t === 'minute') return '1Min';
  throw new Error(`${flag} must be 1d or 1m (got "${text}")`);
}

/** `YYYY-MM-DD` checked, or an error naming the flag. */
export function parseDate(text: string, flag: string): string {
  const ms = Date.parse(`${text}T12:00:00Z`);
  const ok =
    /^\d{4}-\d{2}-\d{2}$/.test(text) &&
    !Number.isNaN(ms) &&
    new Date(ms).toISOString().startsWith(text);
  if (!ok) throw new Error(`${flag} must be a date YYYY-MM-DD (got "${text}")`);
  return text;
}

/** Comma-separated tickers, normalized; an error names the bad one. */
export function parseSymbols(text: string, flag = '--symbols'): string[] {
  const symbols = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  if (symbols.length === 0) throw new Error(`${flag} needs at least one ticker, e.g. AAPL,MSFT`);
  const bad = symbols.find((s) => !isValidEquitySymbol(s));
  if (bad !== undefined)
    throw new Error(`${flag}: "${bad}" is not a US stock ticker such as AAPL or BRK.B`);
  return [...new Set(symbols)];
}

/** Runs `work` with the bar store of the configured database (migrated), closing it after. */
export async function withBarStore<T>(
  deps: CliDeps,
  work: (store: BarStore, storage: Awaited<ReturnType<typeof openStorage>>) => Promise<T>,
): Promise<T> {
  const storage = await openStorage(deps.config());
  try {
    const store = new SqlBarStore(storage.database);
    await store.migrate();
    return await work(store, storage);
  } finally {
    await storage.close();
  }
}

function seriesLine(s: SeriesInfo): string {
  const day = (d: Date): string => d.toISOString().slice(0, s.timeframe === '1Day' ? 10 : 16);
  return `${s.symbol.padEnd(6)} ${s.timeframe.padEnd(5)} ${String(s.count).padStart(9)} bars  ${day(s.first)} → ${day(s.last)}  (${s.source})`;
}

function seriesJson(s: SeriesInfo) {
  return {
    symbol: s.symbol,
    timeframe: s.timeframe,
    source: s.source,
    first: s.first.toISOString(),
    last: s.last.toISOString(),
    bars: s.count,
    updated_at: s.updatedAt.toISOString(),
  };
}

export function register(program: Command, deps: CliDeps): void {
  const data = program.command('data').description('import, generate and list historical bars');

  data
    .command('import <file>')
    .description(
      'import a CSV of bars (Yahoo, Alpaca/Polygon, Stooq layouts; header names case-insensitive); nothing is written if any row is bad unless --skip-bad',
    )
    .option(
      '--symbol <symbol>',
      'symbol of every row (default: the symbol column, or the file name)',
    )
    .option('--timeframe <tf>', '1d or 1m (default: inferred from the first row)')
    .option('--skip-bad', 'write the good rows even when some are bad (they are still reported)')
    .option(
      '--adjust',
      'scale OHLC by Adj Close / Close (Yahoo) for split- and dividend-adjusted prices',
    )
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        file: string,
        options: {
          symbol?: string;
          timeframe?: string;
          skipBad?: boolean;
          adjust?: boolean;
          json?: boolean;
        },
      ) => {
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          throw new Error(`cannot read ${file}: no such file`);
        }
        const timeframe =
          options.timeframe === undefined ? undefined : parseTimeframe(options.timeframe);
        const base = normalizeCsvSymbol(path.basename(file).replace(/\.[^.]*$/, ''));
        const progress = progressFor(deps);
        const summary = await withBarStore(deps, async (store) => {
          // Count bytes in a pass-through: a 'data' listener on the file stream itself would
          // start it flowing before the parser listens, and lose what it read meanwhile.
          let bytes = 0;
          const input = createReadStream(file).pipe(
            new Transform({
              transform(chunk: Buffer, _encoding, done) {
                bytes += chunk.length;
                done(null, chunk);
              },
            }),
          );
          progress.start(size, `importing ${path.basename(file)}`);
          try {
            return await importCsv(store, input, {
              ...(options.symbol === undefined ? {} : { symbol: options.symbol }),
              ...(timeframe === undefined ? {} : { timeframe }),
              ...(isValidEquitySymbol(base) ? { fileSymbol: base } : {}),
              skipBad: options.skipBad === true,
              adjust: options.adjust === true,
              onProgress: () => {
                progress.update(bytes);
              },
            });
          } catch (error) {
            if (error instanceof CsvLayoutError)
              throw new Error(`${file}: ${error.message}`, { cause: error });
            throw error;
          } finally {
            progress.stop();
          }
        });
        const rate =
          summary.durationMs > 0 ? Math.round(summary.rows / (summary.durationMs / 1000)) : 0;
        if (options.json === true) {
          deps.stdout.write(
            `${JSON.stringify(
              {
                file,
                layout: summary.layout,
                timeframe: summary.timeframe ?? null,
                rows: summary.rows,
                good_rows: summary.goodRows,
                bad_rows: summary.badRows,
                bad: summary.bad,
                written: summary.written,
                inserted: summary.inserted,
                replaced: summary.replaced,
                ignored_columns: summary.ignoredColumns,
                series: summary.series.map(seriesJson),
                rows_per_s: rate,
              },
              null,
              2,
            )}\n`,
          );
        } else {
          for (const b of summary.bad.slice(0, 50))
            deps.stderr.write(`${file}:${b.line}: ${b.reason}\n`);
          if (summary.badRows > 50)
            deps.stderr.write(`… and ${summary.badRows - 50} more bad rows\n`);
          deps.stdout.write(
            [
              `${file}: ${summary.layout} layout, ${summary.timeframe ?? 'unknown'} bars, ${summary.rows} rows (${summary.goodRows} good, ${summary.badRows} bad)`,
              summary.written
                ? `wrote ${summary.inserted} new and ${summary.replaced} replaced bars in ${(summary.durationMs / 1000).toFixed(1)} s (${rate} rows/s)`
                : summary.goodRows === 0
                  ? 'nothing written: the file has no good rows'
                  : 'nothing written: fix the bad rows above, or pass --skip-bad to import the good ones',
              ...(summary.ignoredColumns.length > 0
                ? [`ignored columns: ${summary.ignoredColumns.join(', ')}`]
                : []),
              ...summary.series.map(seriesLine),
            ].join('\n') + '\n',
          );
        }
        if (!summary.written)
          throw new Error(`${file}: no bars imported (${summary.badRows} bad rows)`);
      },
    );

  data
    .command('generate')
    .description(
      'synthesize history from the seeded simulated model (deterministic: the same seed gives the same bars)',
    )
    .requiredOption('--symbols <list>', 'tickers of the simulated universe, e.g. AAPL,MSFT,SPY')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--timeframe <tf>', '1d or 1m', '1d')
    .option('--seed <n>', 'seed (default: MARKET_SEED)')
    .option('--json', 'print the summary as JSON')
    .action(
      async (options: {
        symbols: string;
        from: string;
        to: string;
        timeframe: string;
        seed?: string;
        json?: boolean;
      }) => {
        const symbols = parseSymbols(options.symbols);
        const from = parseDate(options.from, '--from');
        const to = parseDate(options.to, '--to');
        if (to < from) throw new Error('--to must not be before --from');
        const timeframe = parseTimeframe(options.timeframe);
        if (options.seed !== undefined && !/^\d+$/.test(options.seed)) {
          throw new Error(`--seed must be a non-negative integer (got "${options.seed}")`);
        }
        const seed = options.seed === undefined ? deps.config().marketSeed : Number(options.seed);
        const progress = progressFor(deps);
        const result = await withBarStore(deps, async (store) => {
          progress.start(symbols.length, 'generating');
          const done = new Set<string>();
          try {
            return await generateIntoStore(
              store,
              {
                symbols,
                from: newYorkWallTime(from, 0),
                to: newYorkWallTime(addDays(to, 1), 0),
                timeframe,
                seed,
              },
              (symbol) => {
                done.add(symbol);
                progress.update(done.size);
              },
            );
          } catch (error) {
            if (error instanceof UnknownSymbolError) {
              throw new Error(
                `--symbols: ${error.symbol} is not in the simulated universe (see GET /api/v1/market/assets)`,
                { cause: error },
              );
            }
            throw error;
          } finally {
            progress.stop();
          }
        });
        if (options.json === true) {
          deps.stdout.write(
            `${JSON.stringify({ rows: result.rows, inserted: result.inserted, replaced: result.replaced, seed, series: result.series.map(seriesJson) }, null, 2)}\n`,
          );
          return;
        }
        deps.stdout.write(
          [
            `generated ${result.rows} bars (seed ${seed}): ${result.inserted} new, ${result.replaced} replaced`,
            ...result.series.map(seriesLine),
          ].join('\n') + '\n',
        );
      },
    );

  data
    .command('list')
    .description('the stored series: symbol, timeframe, bars, first and last bar, source')
    .option('--symbol <symbol>', 'only this symbol')
    .option('--json', 'print JSON')
    .action(async (options: { symbol?: string; json?: boolean }) => {
      const series = await withBarStore(deps, (store) =>
        store.series(
          options.symbol === undefined ? {} : { symbol: options.symbol.trim().toUpperCase() },
        ),
      );
      if (options.json === true) {
        deps.stdout.write(`${JSON.stringify(series.map(seriesJson), null, 2)}\n`);
        return;
      }
      if (series.length === 0) {
        deps.stdout.write(
          'no stored bars; import a CSV with `paper-trading data import <file.csv>`\n',
        );
        return;
      }
      deps.stdout.write(`${series.map(seriesLine).join('\n')}\n`);
    });
}
