/**
 * Streams a CSV of bars through `CsvBarReader` in chunks (papaparse, which reads about a
 * million rows a second here), handing good rows to a sink that may be slow (the store's
 * writer): the parser pauses while the sink works, so a file larger than memory never is.
 */
import Papa from 'papaparse';
import type { Readable } from 'node:stream';
import type { BarRow, Timeframe } from './bars.ts';
import {
  CsvBarReader,
  CsvLayoutError,
  type BadRow,
  type CsvLayout,
  type CsvReadOptions,
} from './csv-layout.ts';

/** At most this many bad rows are kept for the report (all are counted). */
export const MAX_REPORTED_BAD_ROWS = 1000;

/** What reading a file found. */
export interface CsvReadSummary {
  readonly layout: CsvLayout;
  readonly timeframe: Timeframe | undefined;
  /** Header columns that were not used. */
  readonly ignoredColumns: readonly string[];
  /** Data rows read (blank lines excluded). */
  readonly rows: number;
  readonly goodRows: number;
  readonly badRows: number;
  /** The first `MAX_REPORTED_BAD_ROWS` bad rows, in file order. */
  readonly bad: readonly BadRow[];
  readonly unsorted: boolean;
  /** Symbols with at least one good row, sorted. */
  readonly symbols: readonly string[];
}

export interface CsvReadHooks {
  /** Receives good rows in file order, a chunk at a time, with the bad rows seen so far. */
  onRows(rows: readonly BarRow[], badRowsSoFar: number): Promise<void> | void;
  /** Called after each chunk with the number of data rows read so far. */
  onProgress?(rows: number): void;
}

/** Reads every row of `input`; throws `CsvLayoutError` when the header is unusable. */
export function readCsvBars(
  input: Readable,
  options: CsvReadOptions,
  hooks: CsvReadHooks,
): Promise<CsvReadSummary> {
  return new Promise((resolve, reject) => {
    let reader: CsvBarReader | undefined;
    let line = 0;
    let rows = 0;
    let goodRows = 0;
    let badRows = 0;
    const bad: BadRow[] = [];
    const symbols = new Set<string>();
    let failed = false;
    const fail = (error: unknown, parser?: Papa.Parser): void => {
      if (failed) return;
      failed = true;
      parser?.abort();
      input.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    Papa.parse(input as unknown as Papa.LocalFile, {
      skipEmptyLines: false,
      chunk: (results: Papa.ParseResult<string[]>, parser: Papa.Parser) => {
        if (failed) return;
        const good: BarRow[] = [];
        try {
          for (const fields of results.data) {
            line += 1;
            if (fields.length === 1 && (fields[0] ?? '').trim() === '') continue;
            if (reader === undefined) {
              reader = new CsvBarReader(fields, options);
              continue;
            }
            rows += 1;
            const row = reader.read(fields, line);
            if ('reason' in row) {
              badRows += 1;
              if (bad.length < MAX_REPORTED_BAD_ROWS) bad.push(row);
              continue;
            }
            goodRows += 1;
            symbols.add(row.symbol);
            good.push(row);
          }
        } catch (error) {
          fail(error, parser);
          return;
        }
        parser.pause();
        Promise.resolve(good.length > 0 ? hooks.onRows(good, badRows) : undefined).then(
          () => {
            hooks.onProgress?.(rows);
            parser.resume();
          },
          (error: unknown) => {
            fail(error, parser);
          },
        );
      },
      complete: () => {
        if (failed) return;
        if (reader === undefined) {
          fail(new CsvLayoutError('the file is empty: no header row'));
          return;
        }
        resolve({
          layout: reader.layout,
          timeframe: reader.timeframe,
          ignoredColumns: reader.ignored,
          rows,
          goodRows,
          badRows,
          bad,
          unsorted: reader.unsorted,
          symbols: [...symbols].sort(),
        });
      },
      error: (error: Error) => {
        fail(error);
      },
    });
  });
}
