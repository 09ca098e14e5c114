import { Kysely, PostgresDialect } from 'kysely';
import type { Storage } from '../eventstore/index.ts';
import { auditProjection, type AuditTables } from './audit.ts';
import { ProjectionRunner, type Projection } from './runner.ts';
import { migrateReadModels } from './schema.ts';
import { SnapshotVersions } from './account-snapshots.ts';
import type { Cache } from '../cache/port.ts';
import {
  tradingProjections,
  withSharedFold,
  type TradingProjectionOptions,
  type TradingTables,
} from './trading.ts';
import { usersProjection, type UsersTables } from './users.ts';
import { optionPositionsProjection, type OptionPositionTables } from './option-positions.ts';
import type { BacktestResultTables } from './backtest-results.ts';

export { ProjectionRunner, ProjectionTimeout } from './runner.ts';
export type { Projection, ProjectionStatus } from './runner.ts';

/**
 * The read-model database schema, table by table. Each read model adds its tables here and
 * its projection to `readModelProjections`.
 */
// A type alias: kysely's table maps need an implicit index signature.
export type ReadModelDb = UsersTables &
  AuditTables &
  TradingTables &
  OptionPositionTables &
  BacktestResultTables;

/** Every projection the service runs, in the order they are started. */
export function readModelProjections(
  options: TradingProjectionOptions = {},
): Projection<ReadModelDb>[] {
  // One account fold for the trading projections and the option positions.
  const all = withSharedFold(options);
  return [
    usersProjection<ReadModelDb>(),
    auditProjection<ReadModelDb>(),
    ...tradingProjections<ReadModelDb>(all),
    optionPositionsProjection<ReadModelDb>({ shared: all.shared }),
  ];
}

/**
 * The runner of the read side: `prepare` (and so `start`) first applies the read-model
 * migrations (tables, the application role, row-level security), then the checkpoints.
 */
class ReadSideRunner extends ProjectionRunner<ReadModelDb> {
  readonly #migrate: () => Promise<unknown>;
  constructor(
    storage: Pick<Storage, 'eventStore'>,
    readModels: ReadModels,
    versions: SnapshotVersions | undefined,
  ) {
    super(
      storage.eventStore,
      readModels,
      // One account fold for the trading projections, replayed from the store when needed.
      readModelProjections({
        source: storage.eventStore,
        ...(versions === undefined ? {} : { versions }),
      }),
    );
    this.#migrate = () => migrateReadModels(readModels as unknown as Kysely<unknown>);
  }
  override async prepare(): Promise<void> {
    await this.#migrate();
    await super.prepare();
  }
}

export type ReadModels = Kysely<ReadModelDb>;

/**
 * The read models (kysely over the storage's pool) and the runner of every projection. With a
 * `cache`, the trading projections keep account snapshot versions in it (`snapshotVersions`),
 * for `AccountSnapshots` to serve account reads from that cache.
 */
export function createReadSide(
  storage: Pick<Storage, 'eventStore' | 'database'>,
  options: { readonly cache?: Cache; readonly onCacheError?: (error: unknown) => void } = {},
): {
  readModels: ReadModels;
  projections: ProjectionRunner<ReadModelDb>;
  snapshotVersions: SnapshotVersions | undefined;
} {
  const readModels = new Kysely<ReadModelDb>({
    dialect: new PostgresDialect({ pool: storage.database.pool }),
  });
  const snapshotVersions =
    options.cache === undefined
      ? undefined
      : new SnapshotVersions(options.cache, options.onCacheError);
  const projections: ProjectionRunner<ReadModelDb> = new ReadSideRunner(
    storage,
    readModels,
    snapshotVersions,
  );
  return { readModels, projections, snapshotVersions };
}
