/**
 * Durable backtest results: the `backtest_results` tenant table of the read-model schema
 * (migration 4, row-level security like every tenant table). The service writes a job's
 * result as the connection's own user (the tables' owner, as the projections write) before it
 * records `BacktestCompleted`, and reads it back as its owner through `withTenant`, so a
 * result and its report survive a restart and no tenant can read another's.
 *
 * The result is kept as the exact JSON text of `resultJson` (not `jsonb`, which would reorder
 * keys): a result read back serializes byte-identically to the one that was run.
 */
import type { Kysely } from 'kysely';
import type { BacktestResultStore, StoredBacktestResult } from '../backtest/results.ts';
import { resultJson, type BacktestResult } from '../backtest/run.ts';
import { withTenant } from './tenancy.ts';

export interface BacktestResultTables {
  backtest_results: {
    backtest_id: string;
    owner_id: string;
    strategy: string;
    completed_at: Date;
    bytes: number;
    result: string;
  };
}

export class SqlBacktestResults implements BacktestResultStore {
  constructor(private readonly db: Kysely<BacktestResultTables>) {}

  async save(record: StoredBacktestResult): Promise<void> {
    const json = resultJson(record.result);
    await this.db
      .insertInto('backtest_results')
      .values({
        backtest_id: record.id,
        owner_id: record.ownerId,
        strategy: record.result.strategy.name,
        completed_at: new Date(),
        bytes: Buffer.byteLength(json),
        result: json,
      })
      .onConflict((oc) => oc.column('backtest_id').doNothing())
      .execute();
  }

  load(id: string, ownerId: string): Promise<BacktestResult | undefined> {
    return withTenant(this.db, { tenant: ownerId }, async (trx) => {
      const row = await trx
        .selectFrom('backtest_results')
        .select('result')
        .where('backtest_id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : (JSON.parse(row.result) as BacktestResult);
    });
  }
}
