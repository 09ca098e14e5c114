import { Kysely, PostgresDialect } from 'kysely';
import type { Storage } from '../eventstore/index.ts';
import { ProjectionRunner, type Projection } from './runner.ts';

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

/** The read models (kysely over the storage's pool) and the runner of every projection. */
export function createReadSide(storage: Pick<Storage, 'eventStore' | 'database'>): {
  readModels: ReadModels;
  projections: ProjectionRunner<ReadModelDb>;
} {
  const readModels = new Kysely<ReadModelDb>({
    dialect: new PostgresDialect({ pool: storage.database.pool }),
  });
  const projections = new ProjectionRunner(storage.eventStore, readModels, readModelProjections());
  return { readModels, projections };
}
