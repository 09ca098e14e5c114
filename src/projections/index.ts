import type { Kysely } from 'kysely';
import type { Projection } from './runner.ts';

export { ProjectionRunner, ProjectionTimeout } from './runner.ts';
export type { Projection, ProjectionStatus } from './runner.ts';

/**
 * The read-model database schema, table by table. Each read model adds its tables here and
 * its projection to `readModelProjections`.
 */
// A type alias: kysely's table maps need an implicit index signature.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type ReadModelDb = {};

/** Every projection the service runs, in the order they are started. */
export function readModelProjections(): Projection<ReadModelDb>[] {
  return [];
}

export type ReadModels = Kysely<ReadModelDb>;
