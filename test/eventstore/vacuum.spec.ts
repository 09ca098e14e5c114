import { expect } from 'chai';
import { openPgliteDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import type { SqlExecutor } from '../../src/eventstore/sql/pool.ts';
import {
  AUTOVACUUM_DEFAULTS,
  EmbeddedAutovacuum,
  maintenanceDue,
  maintenanceStatement,
  tableActivity,
  type TableActivity,
} from '../../src/eventstore/sql/vacuum.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

function activity(overrides: Partial<TableActivity>): TableActivity {
  return {
    schema: 'public',
    table: 't',
    liveTuples: 1000,
    deadTuples: 0,
    insertedSinceVacuum: 0,
    modifiedSinceAnalyze: 0,
    toastLiveTuples: 0,
    toastDeadTuples: 0,
    ...overrides,
  };
}

describe('embedded autovacuum: what is due', () => {
  it('vacuums past autovacuum’s dead-row threshold (50 + 20 % of the live rows), not at it', () => {
    expect(maintenanceDue([activity({ deadTuples: 250 })])).to.deep.equal([]);
    expect(maintenanceDue([activity({ deadTuples: 251 })])).to.deep.equal([
      { schema: 'public', table: 't', vacuum: true, analyze: false },
    ]);
  });

  it('vacuums a table whose TOAST table is past the threshold, measured on the TOAST rows', () => {
    // 50 + 20 % of 120 TOAST chunks = 74; the table's own 21 rows would allow 54.
    const folds = activity({ liveTuples: 21, toastLiveTuples: 120, toastDeadTuples: 74 });
    expect(maintenanceDue([folds])).to.deep.equal([]);
    expect(maintenanceDue([{ ...folds, toastDeadTuples: 75 }])).to.deep.equal([
      { schema: 'public', table: 't', vacuum: true, analyze: false },
    ]);
  });

  it('vacuums an insert-only table past 1000 + 20 % inserted rows (visibility map, freezing)', () => {
    expect(maintenanceDue([activity({ insertedSinceVacuum: 1200 })])).to.deep.equal([]);
    expect(maintenanceDue([activity({ insertedSinceVacuum: 1201 })])[0]?.vacuum).to.equal(true);
  });

  it('analyzes once the changes since the last analyze exceed 50 + the table’s size', () => {
    expect(maintenanceDue([activity({ modifiedSinceAnalyze: 1050 })])).to.deep.equal([]);
    expect(maintenanceDue([activity({ modifiedSinceAnalyze: 1051 })])).to.deep.equal([
      { schema: 'public', table: 't', vacuum: false, analyze: true },
    ]);
    expect(AUTOVACUUM_DEFAULTS.analyzeScale).to.equal(1);
  });

  it('asks for both in one statement, and quotes the names', () => {
    const [both] = maintenanceDue([
      activity({ schema: 'we"ird', table: 'Orders', deadTuples: 900, modifiedSinceAnalyze: 2000 }),
    ]);
    expect(both).to.not.equal(undefined);
    if (both === undefined) return;
    expect(maintenanceStatement(both)).to.equal('VACUUM (ANALYZE) "we""ird"."Orders"');
    expect(maintenanceStatement({ ...both, analyze: false })).to.equal('VACUUM "we""ird"."Orders"');
    expect(maintenanceStatement({ ...both, vacuum: false })).to.equal('ANALYZE "we""ird"."Orders"');
  });
});

describe('embedded autovacuum on PGlite', function () {
  this.timeout(60_000);
  // A database of its own with no timer, so nothing vacuums behind the specs' backs.
  let database: SqlDatabase;
  let schema: string;

  before(async () => {
    database = await openPgliteDatabase('memory://', { vacuumIntervalMs: 0 });
  });
  after(async () => {
    await database.close();
  });
  beforeEach(async () => {
    schema = uniqueSchema('vacuum');
    // Like `account_folds`: a few rows, a large value stored out of line, rewritten every batch.
    await database.pool.query(`CREATE SCHEMA "${schema}"`);
    await database.pool.query(
      `CREATE TABLE "${schema}".folds (id int PRIMARY KEY, state json NOT NULL);
       ALTER TABLE "${schema}".folds ALTER COLUMN state SET STORAGE EXTERNAL;
       INSERT INTO "${schema}".folds
         SELECT g, json_build_object('trades', repeat('x', 6000)) FROM generate_series(1, 20) g`,
    );
  });
  afterEach(async () => {
    await database.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  });

  async function rewrite(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      await database.pool.query(
        `UPDATE "${schema}".folds SET state = json_build_object('trades', repeat('y', 6000), 'i', $1::int)`,
        [i],
      );
    }
  }

  async function folds(): Promise<TableActivity | undefined> {
    return (await tableActivity(database.sql)).find(
      (t) => t.schema === schema && t.table === 'folds',
    );
  }

  async function totalBytes(): Promise<number> {
    const { rows } = await database.pool.query<{ bytes: string }>(
      `SELECT pg_total_relation_size('"${schema}".folds') AS bytes`,
    );
    return Number(rows[0]?.bytes);
  }

  it('reads the counters of the dead row versions an update leaves, TOAST included', async () => {
    await rewrite(10);
    const counted = await folds();
    expect(counted?.liveTuples).to.equal(20);
    // Pruning already reclaims some versions in the table's own pages; none in the TOAST's.
    expect(counted?.deadTuples).to.be.greaterThan(0);
    expect(counted?.toastDeadTuples).to.be.greaterThan(counted?.toastLiveTuples ?? Infinity);
  });

  it('vacuums the rewritten table: its dead rows and TOAST chunks are gone', async () => {
    await rewrite(10);
    const round = await new EmbeddedAutovacuum(database.sql).runOnce();
    expect(round.done).to.deep.include({ schema, table: 'folds', vacuum: true, analyze: true });
    const after = await folds();
    expect(after?.deadTuples).to.equal(0);
    expect(after?.toastDeadTuples).to.equal(0);
  });

  it('keeps a rewritten table at its size, where without it every rewrite adds a copy', async () => {
    const vacuum = new EmbeddedAutovacuum(database.sql);
    await rewrite(10);
    await vacuum.runOnce();
    const settled = await totalBytes();
    for (let round = 0; round < 4; round++) {
      await rewrite(10);
      await vacuum.runOnce();
    }
    // Freed space is reused: four more rounds of rewrites leave the files as they were.
    expect(await totalBytes()).to.be.at.most(settled * 1.25);
    await rewrite(40);
    // The same rewrites with no vacuum between them: about 20 × 6 kB more per rewrite.
    expect(await totalBytes()).to.be.greaterThan(settled * 2);
  });

  it('runs rounds on its timer until stopped, each counted', async () => {
    // Rewritten first: a round in the middle of the rewrites would leave the later ones' dead rows.
    await rewrite(10);
    const vacuum = new EmbeddedAutovacuum(database.sql, { intervalMs: 10 });
    vacuum.start();
    const deadline = Date.now() + 10_000;
    while ((vacuum.totals.vacuums === 0 || vacuum.totals.rounds < 2) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await vacuum.stop();
    const { rounds, vacuums, seconds, failures } = vacuum.totals;
    expect(rounds).to.be.at.least(2);
    expect(vacuums).to.be.at.least(1);
    expect(seconds).to.be.greaterThan(0);
    expect(failures).to.equal(0);
    expect((await folds())?.deadTuples).to.equal(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(vacuum.totals.rounds).to.equal(rounds);
  });

  it('reports a failed round, counts it, and keeps its timer going', async () => {
    // The real database, except that every VACUUM fails.
    const failing: SqlExecutor = {
      query: (sql, params, name) =>
        sql.startsWith('VACUUM')
          ? Promise.reject(new Error('vacuum refused'))
          : database.sql.query(sql, params, name),
    };
    const errors: unknown[] = [];
    const vacuum = new EmbeddedAutovacuum(failing, {
      intervalMs: 10,
      onError: (error) => errors.push(error),
    });
    await rewrite(10);
    let thrown: unknown;
    try {
      await vacuum.runOnce();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(Error).with.property('message', 'vacuum refused');
    vacuum.start();
    const deadline = Date.now() + 10_000;
    while (errors.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await vacuum.stop();
    expect(errors.length).to.be.at.least(2);
    expect(vacuum.totals.failures).to.equal(vacuum.totals.rounds);
    expect(vacuum.totals.vacuums).to.equal(0);
  });

  it('is on by default in an embedded database and off with an interval of 0', async () => {
    expect((await sharedPglite()).autovacuum).to.be.instanceOf(EmbeddedAutovacuum);
    expect(database.autovacuum).to.equal(undefined);
  });
});
