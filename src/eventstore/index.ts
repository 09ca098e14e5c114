import path from 'node:path';
import { openPgliteDatabase, openPostgresDatabase, type SqlDatabase } from './database.ts';
import { openEsdbEventStore } from './esdb.ts';
import { withHashChain } from './hash-chain.ts';
import { MemoryEventStore } from './memory.ts';
import { openPgliteEventStore } from './pglite.ts';
import type { EventStore } from './port.ts';
import { openPostgresEventStore } from './postgres.ts';

export * from './port.ts';
export type { SqlDatabase } from './database.ts';

/** What storage needs from the configuration (see `src/config.ts`). */
export interface StorageConfig {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly eventStoreAdapter: 'postgres' | 'pglite' | 'esdb' | 'memory';
  /** Required when `eventStoreAdapter` is `esdb`. */
  readonly esdbConnectionString?: string | undefined;
  /** Embedded PGlite's autovacuum interval (`PGLITE_VACUUM_MS`; default 10 s, 0 = off). */
  readonly pgliteVacuumMs?: number;
}

export interface StorageHooks {
  /** A failed round of PGlite's autovacuum (default: a process warning, see `sql/vacuum.ts`). */
  readonly onVacuumError?: (error: unknown) => void;
}

/** The event store and the SQL database the read models live in. */
export interface Storage {
  readonly eventStore: EventStore;
  readonly database: SqlDatabase;
  close(): Promise<void>;
}

/**
 * Opens storage as configured: PostgreSQL when `DATABASE_URL` is set, otherwise embedded
 * PGlite in `DATA_DIR/pglite`; the event store lives in that database unless `EVENT_STORE`
 * picks another adapter. Migrations run here, at start.
 */
export async function openStorage(
  config: StorageConfig,
  hooks: StorageHooks = {},
): Promise<Storage> {
  const database = config.databaseUrl
    ? await openPostgresDatabase(config.databaseUrl)
    : await openPgliteDatabase(path.join(config.dataDir, 'pglite'), {
        ...(config.pgliteVacuumMs === undefined ? {} : { vacuumIntervalMs: config.pgliteVacuumMs }),
        ...(hooks.onVacuumError ? { onVacuumError: hooks.onVacuumError } : {}),
      });
  try {
    // Every writer (API, MCP, engine, CLI) appends through the hash chain.
    const eventStore = withHashChain(await openEventStore(config, database));
    return {
      eventStore,
      database,
      close: async () => {
        await eventStore.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

function openEventStore(config: StorageConfig, database: SqlDatabase): Promise<EventStore> {
  switch (config.eventStoreAdapter) {
    case 'memory':
      return Promise.resolve(new MemoryEventStore());
    case 'postgres':
      return openPostgresEventStore({ database });
    case 'pglite':
      return openPgliteEventStore({ database });
    case 'esdb':
      // Events live in EventStoreDB; the SQL database still holds the read models.
      if (!config.esdbConnectionString) {
        return Promise.reject(new Error('EVENT_STORE=esdb needs ESDB_CONNECTION_STRING'));
      }
      return openEsdbEventStore({ connectionString: config.esdbConnectionString });
  }
}
