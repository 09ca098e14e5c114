import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../../src/eventstore/pglite.ts';

let shared: Promise<PGlite> | undefined;
let counter = 0;

/**
 * One in-memory PGlite for the whole test run: starting one costs seconds and hundreds of MB,
 * so suites share it and isolate themselves in schemas of their own (see `uniqueSchema`).
 */
export function sharedPglite(): Promise<PGlite> {
  shared ??= openPglite('memory://');
  return shared;
}

/** A schema name no other test in this run uses. */
export function uniqueSchema(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}`;
}
