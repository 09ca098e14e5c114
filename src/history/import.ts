/**
 * `data import`: a CSV file into the time-series store, all or nothing. Every row is read and
 * checked; with any bad row nothing is written (the report lists each with its line and
 * reason) unless `skipBad` is set, in which case the good rows are written and the bad ones
 * reported. Each chunk of good rows goes to the store's writer as soon as it is read (on
 * PostgreSQL into one open COPY), so the database ingests a chunk while the next one parses and a
 * file larger than memory streams through.
 */
import type { Readable } from 'node:stream';
import type { CsvReadOptions } from './csv-layout.ts';
import { readCsvBars, type CsvReadSummary } from './csv-read.ts';
import type { BarStore, SeriesInfo } from './store.ts';

export interface ImportOptions extends CsvReadOptions {
  /** Write the good rows even when some are bad. */
  readonly skipBad?: boolean;
  readonly onProgress?: (rows: number) => void;
}

/** What an import did. */
export interface ImportSummary extends CsvReadSummary {
  /** True when the rows were written (no bad rows, or `skipBad`). */
  readonly written: boolean;
  readonly inserted: number;
  readonly replaced: number;
  /** The series the import touched, after it. */
  readonly series: readonly SeriesInfo[];
  readonly durationMs: number;
}

/** Imports one CSV stream into `store`. Throws `CsvLayoutError` for an unusable file. */
export async function importCsv(
  store: BarStore,
  input: Readable,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = performance.now();
  const writer = await store.writer();
  let summary: CsvReadSummary;
  try {
    summary = await readCsvBars(input, options, {
      onRows: async (rows, badRowsSoFar) => {
        // Once a row is bad (and bad rows are fatal) writing more is wasted work: keep reading
        // only to report every bad row.
        if (badRowsSoFar > 0 && options.skipBad !== true) return;
        await writer.write(rows);
      },
      onProgress: (rows) => {
        options.onProgress?.(rows);
      },
    });
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if ((summary.badRows > 0 && options.skipBad !== true) || summary.goodRows === 0) {
    await writer.abort();
    return {
      ...summary,
      written: false,
      inserted: 0,
      replaced: 0,
      series: [],
      durationMs: performance.now() - started,
    };
  }
  // A file in time order per symbol cannot repeat a key (repeats are bad rows).
  const result = await writer.commit('import', { distinct: !summary.unsorted });
  return {
    ...summary,
    written: true,
    inserted: result.inserted,
    replaced: result.replaced,
    series: result.series,
    durationMs: performance.now() - started,
  };
}
