/**
 * The historical data engine: the time-series store (`SqlBarStore` on PostgreSQL or PGlite),
 * CSV ingestion and generated history. See docs/backtesting.md.
 */
export * from './bars.ts';
export * from './store.ts';
export { SqlBarStore } from './sql-store.ts';
export { CsvBarReader, CsvLayoutError, normalizeCsvSymbol } from './csv-layout.ts';
export type { BadRow, CsvLayout, CsvReadOptions } from './csv-layout.ts';
export { readCsvBars, MAX_REPORTED_BAD_ROWS } from './csv-read.ts';
export type { CsvReadSummary } from './csv-read.ts';
export { importCsv } from './import.ts';
export type { ImportOptions, ImportSummary } from './import.ts';
export { generateIntoStore, generateSeries } from './generate.ts';
export type { GenerateOptions } from './generate.ts';
export { BARS_SCHEMA, migrateBars } from './migrations.ts';
