import { expect } from 'chai';
import { Kysely, PostgresDialect } from 'kysely';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { renderReport } from '../../src/backtest/report.ts';
import type { BacktestRequestInput } from '../../src/backtest/request.ts';
import { MemoryBacktestResults } from '../../src/backtest/results.ts';
import { resultJson } from '../../src/backtest/run.ts';
import { BacktestNotFound, BacktestService } from '../../src/backtest/service.ts';
import { SqlBacktestResults } from '../../src/projections/backtest-results.ts';
import type { ReadModelDb } from '../../src/projections/index.ts';
import { migrateReadModels } from '../../src/projections/schema.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

const REQUEST: BacktestRequestInput = {
  strategy: 'sma_crossover',
  symbols: ['AAPL'],
  from: '2022-01-03',
  to: '2023-06-30',
  params: { fast: 10, slow: 30 },
  data: 'generated',
  monte_carlo: { paths: 50 },
};

describe('backtest results survive a restart', function () {
  this.timeout(120_000);
  let store: EventStore;
  let db: Kysely<ReadModelDb>;

  before(async () => {
    const database = await sharedPglite();
    const schema = uniqueSchema('bt_results');
    store = await openPgliteEventStore({ database, schema });
    const root = new Kysely<ReadModelDb>({ dialect: new PostgresDialect({ pool: database.pool }) });
    await migrateReadModels(root as unknown as Kysely<unknown>, schema);
    db = root.withSchema(schema);
  });

  it('answers the same result and report from a new service on the same database', async () => {
    const first = new BacktestService({ store, results: new SqlBacktestResults(db) });
    const { id } = await first.start('alice', REQUEST, 'rest');
    expect(await first.settled(id, 100_000)).to.equal(true);
    const ran = await first.get(id, 'alice');
    expect(ran.status).to.equal('completed');
    expect(ran.result).to.not.equal(null);
    await first.close();

    // A process that never ran the job (a restart, another replica): nothing in memory.
    const second = new BacktestService({ store, results: new SqlBacktestResults(db) });
    const read = await second.get(id, 'alice');
    expect(read.status).to.equal('completed');
    expect(read.result).to.not.equal(null);
    if (read.result === null || ran.result === null) return;
    expect(resultJson(read.result)).to.equal(resultJson(ran.result));
    expect(read.result.monte_carlo).to.deep.equal(ran.result.monte_carlo);
    const report = renderReport(read.result);
    expect(report).to.equal(renderReport(ran.result));
    expect(report).to.contain('id="equity-chart"');
    // Still private: another user neither sees the job nor, through RLS, its row.
    let denied: unknown;
    await second.get(id, 'bob').catch((e: unknown) => {
      denied = e;
    });
    expect(denied).to.be.instanceOf(BacktestNotFound);
    expect(await new SqlBacktestResults(db).load(id, 'bob')).to.equal(undefined);
    // An auditor's read (readAll) reads the owner's row.
    expect((await second.get(id, 'auditor-1', true)).result).to.not.equal(null);
    await second.close();
  });

  it('keeps only the first result for an id, and answers null without a durable store', async () => {
    const results = new SqlBacktestResults(db);
    const service = new BacktestService({ store, results });
    const { id } = await service.start(
      'carol',
      { ...REQUEST, monte_carlo: undefined, params: { fast: 5, slow: 20 } },
      'mcp',
    );
    expect(await service.settled(id, 100_000)).to.equal(true);
    const kept = (await service.get(id, 'carol')).result;
    expect(kept).to.not.equal(null);
    if (kept === null) return;
    await results.save({ id, ownerId: 'carol', result: { ...kept, symbols: ['OTHER'] } });
    expect((await results.load(id, 'carol'))?.symbols).to.deep.equal(['AAPL']);
    await service.close();
    // Memory only (the old behaviour): after a restart the summary is there, the result is not.
    const forgetful = new BacktestService({ store });
    const job = await forgetful.get(id, 'carol');
    expect(job.status).to.equal('completed');
    expect(job.completed?.metrics.trades).to.be.a('number');
    expect(job.result).to.equal(null);
  });

  it('memory results keep the newest and only for their owner', async () => {
    const memory = new MemoryBacktestResults(2);
    const result = { strategy: { name: 'x', params: {} } } as unknown as Parameters<
      MemoryBacktestResults['save']
    >[0]['result'];
    for (const id of ['a', 'b', 'c']) await memory.save({ id, ownerId: 'u', result });
    expect(await memory.load('a', 'u')).to.equal(undefined);
    expect(await memory.load('c', 'u')).to.equal(result);
    expect(await memory.load('c', 'v')).to.equal(undefined);
  });
});
