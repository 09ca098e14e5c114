import { Kysely, PostgresDialect } from 'kysely';
import type { Storage } from '../eventstore/index.ts';
import { auditProjection, type AuditTables } from './audit.ts';
import { ProjectionRunner, type Projection } from './runner.ts';
import { migrateReadModels } from './schema.ts';
import { tradingProjections, type TradingTables } from './trading.ts';
import { usersProjection, type UsersTables } from './users.ts';

export { ProjectionRunner, ProjectionTimeout } from './runner.ts';
export type { Projection, ProjectionStatus } from './runner.ts';

/**
 * The read-model database schema, table by table. Each read model adds its tables here and
 * its projection to `readModelProjections`.
 */
// A type alias: kysely's table maps need an implicit index signature.
export type ReadModelDb = UsersTables & AuditTables & TradingTables;

/** Every projection the service runs, in the order they are started. */
export function readModelProjections(): Projection<ReadModelDb>[] {
  return [
    usersProjection<ReadModelDb>(),
    auditProjection<ReadModelDb>(),
    ...tradingProjections<ReadModelDb>(),
  ];
}

/**
 * The runner of the read side: `prepare` (and so `start`) first applies the read-model
 * migrations (tables, the application role, row-level security), then the checkpoints.
 */
class ReadSideRunner extends ProjectionRunner<ReadModelDb> {
  readonly #migrate: () => Promise<unknown>;
  constructor(storage: Pick<Storage, 'eventStore'>, readModels: ReadModels) {
    super(storage.eventStore, readModels, readModelProjections());
    this.#migrate = () => migrateReadModels(readModels as unknown as Kysely<unknown>);
  }
  override async prepare(): Promise<void> {
    await this.#migrate();
    await super.prepare();
  }
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
  const projections: ProjectionRunner<ReadModelDb> = new ReadSideRunner(storage, readModels);
  return { readModels, projections };
}
