import { Kysely, PostgresDialect, sql } from 'kysely';
import { AccountService, type CallContext } from '../../src/commands/accounts.ts';
import { openPostgresDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres.ts';
import type { SqlEventStore } from '../../src/eventstore/sql/store.ts';
import { readModelProjections, type ReadModelDb } from '../../src/projections/index.ts';
import { ProjectionRunner } from '../../src/projections/runner.ts';
import { migrateReadModels } from '../../src/projections/schema.ts';
import { SqlTradingQueries } from '../../src/projections/trading-queries.ts';
import type { Cache } from '../../src/cache/port.ts';
import {
  AccountSnapshots,
  SNAPSHOT_PROJECTIONS,
  SnapshotVersions,
} from '../../src/projections/account-snapshots.ts';
import type { SimulatedClock, SimulatedMarket } from '../../src/market/index.ts';
import { frozenMarket, sequentialIds } from '../commands/support.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';

/** The databases every trading read-model suite runs on. */
export const TARGETS: readonly [string, (ctx: Mocha.Context) => Promise<SqlDatabase>][] = [
  ['PGlite', () => sharedPglite()],
  [
    'PostgreSQL',
    async (ctx) => {
      postgres ??= openPostgresDatabase(await postgresUrl(ctx), 6);
      return postgres;
    },
  ],
];
let postgres: Promise<SqlDatabase> | undefined;
after(async () => {
  await (await postgres)?.close();
});

export const CONTEXT: CallContext = { actor: 'user:test', source: 'cli' };

/** A whole read side in schemas of its own: event store, read models, runner, service, queries. */
export interface TradingFixture {
  readonly database: SqlDatabase;
  readonly schema: string;
  readonly store: SqlEventStore;
  /** Read models as the projector (table owner) sees them, in `schema`. */
  readonly db: Kysely<ReadModelDb>;
  readonly runner: ProjectionRunner<ReadModelDb>;
  readonly market: SimulatedMarket;
  readonly clock: SimulatedClock;
  readonly service: AccountService;
  readonly queries: SqlTradingQueries;
  /** Applies every stored event to every projection. */
  catchUp(): Promise<void>;
  dispose(): Promise<void>;
}

export async function tradingFixture(
  database: SqlDatabase,
  options: {
    readonly batchSize?: number;
    readonly start?: Date;
    readonly ids?: string;
    /** Serve account reads from snapshots in this cache, as `compose` does. */
    readonly cache?: Cache;
  } = {},
): Promise<TradingFixture> {
  const schema = uniqueSchema('trading');
  const store = await openPostgresEventStore({ database, schema: `${schema}_es`, pollMs: 10 });
  const root = new Kysely<ReadModelDb>({ dialect: new PostgresDialect({ pool: database.pool }) });
  await migrateReadModels(root as unknown as Kysely<unknown>, schema);
  const db = root.withSchema(schema);
  const versions = options.cache === undefined ? undefined : new SnapshotVersions(options.cache);
  const runner = new ProjectionRunner(
    store,
    root,
    readModelProjections({ source: store, ...(versions ? { versions } : {}) }),
    {
      schema,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    },
  );
  await runner.prepare();
  const { market, clock } = frozenMarket(options.start);
  const service = new AccountService({
    store,
    market,
    newId: sequentialIds(options.ids ?? 'id'),
  });
  const queries = new SqlTradingQueries(
    db,
    market,
    versions === undefined
      ? {}
      : {
          snapshots: (load) =>
            new AccountSnapshots({
              versions,
              load,
              appliedPosition: () => runner.appliedPosition(SNAPSHOT_PROJECTIONS),
            }),
        },
  );
  return {
    database,
    schema,
    store,
    db,
    runner,
    market,
    clock,
    service,
    queries,
    catchUp: () => runner.catchUp(),
    async dispose() {
      await runner.stop();
      await store.close();
      market.close();
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(root);
      await sql`DROP SCHEMA ${sql.id(`${schema}_es`)} CASCADE`.execute(root);
    },
  };
}

/** Every trading table, row by row in a stable order (what a rebuild must reproduce). */
export async function tradingTables(db: Kysely<ReadModelDb>): Promise<Record<string, unknown[]>> {
  return {
    accounts: await db.selectFrom('accounts').selectAll().orderBy('account_id').execute(),
    orders: await db.selectFrom('orders').selectAll().orderBy('order_id').execute(),
    positions: await db
      .selectFrom('positions')
      .selectAll()
      .orderBy('account_id')
      .orderBy('symbol')
      .execute(),
    fills: await db.selectFrom('fills').selectAll().orderBy('position').execute(),
    account_balances: await db
      .selectFrom('account_balances')
      .selectAll()
      .orderBy('account_id')
      .orderBy('position')
      .execute(),
  };
}
