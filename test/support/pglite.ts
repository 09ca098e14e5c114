import { openPgliteDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';

let shared: Promise<SqlDatabase> | undefined;
let counter = 0;

/**
 * One in-memory PGlite for the whole test run: starting one costs seconds and hundreds of MB,
 * so suites share it and isolate themselves in schemas of their own (see `uniqueSchema`).
 */
export function sharedPglite(): Promise<SqlDatabase> {
  shared ??= openPgliteDatabase('memory://');
  return shared;
}

/** A schema name no other test in this run uses. */
export function uniqueSchema(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}`;
}
