import { expect } from 'chai';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { eventStoreContract } from './contract.ts';

describe('event store contract: pglite', function () {
  this.timeout(60_000);
  eventStoreContract({
    async open() {
      const database = await sharedPglite();
      const schema = uniqueSchema('es');
      const store = await openPgliteEventStore({ database, schema });
      return {
        store,
        dispose: async () => {
          await store.close();
          await database.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
        },
      };
    },
  });
});

describe('embedded database settings', () => {
  it('creates WAL segments without zero-filling them (no commit stalls on a new segment)', async () => {
    const database = await sharedPglite();
    const { rows } = await database.pool.query<{ wal_init_zero: string }>('SHOW wal_init_zero');
    expect(rows[0]?.wal_init_zero).to.equal('off');
  });
});

// Every embedded query goes through `PipelinedPgliteConnection`: node-postgres's serializer out,
// PGlite's raw reply bytes in, parsed by node-postgres's own parser.
describe('embedded database connection', () => {
  it('answers a result far larger than one reply chunk, every row intact and in order', async () => {
    const database = await sharedPglite();
    const { rows } = await database.pool.query<{ n: number; s: string }>(
      "SELECT g AS n, repeat('é', 700) || g AS s FROM generate_series(1, 4000) g ORDER BY g",
    );
    expect(rows).to.have.length(4000);
    rows.forEach((row, i) => {
      expect(row.n).to.equal(i + 1);
      expect(row.s).to.equal(`${'é'.repeat(700)}${String(i + 1)}`);
    });
  });

  it('sends parameters as UTF-8 text exactly (multi-byte, empty, null)', async () => {
    const database = await sharedPglite();
    const text = 'Zürich € 😀 "quoted" \\ back';
    const { rows } = await database.pool.query<{ a: string; b: string; c: null; d: string }>(
      'SELECT $1::text AS a, $2::text AS b, $3::text AS c, $4::numeric::text AS d',
      [text, '', null, '123456789012345678901234.000000001'],
    );
    expect(rows[0]).to.deep.equal({
      a: text,
      b: '',
      c: null,
      d: '123456789012345678901234.000000001',
    });
  });

  it('reports a failing statement with its SQLSTATE and stays usable', async () => {
    const database = await sharedPglite();
    let caught: unknown;
    try {
      await database.pool.query('SELECT 1 / $1::int AS x', [0]);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(Error);
    expect((caught as { code?: unknown }).code).to.equal('22012');
    const { rows } = await database.pool.query<{ x: number }>('SELECT 6 / $1::int AS x', [2]);
    expect(rows[0]?.x).to.equal(3);
  });

  it('rolls a failed transaction back and runs the next one', async () => {
    const database = await sharedPglite();
    const client = await database.pool.connect();
    try {
      await client.query('CREATE TEMP TABLE conn_probe (id int PRIMARY KEY)');
      await client.query('BEGIN');
      await client.query('INSERT INTO conn_probe VALUES (1)');
      let failed = false;
      try {
        await client.query('INSERT INTO conn_probe VALUES (1)');
      } catch (error) {
        failed = (error as { code?: unknown }).code === '23505';
      }
      expect(failed).to.equal(true);
      await client.query('ROLLBACK');
      await client.query('INSERT INTO conn_probe VALUES (2)');
      const { rows } = await client.query<{ id: number }>('SELECT id FROM conn_probe ORDER BY id');
      expect(rows.map((r) => r.id)).to.deep.equal([2]);
    } finally {
      await client.query('DROP TABLE IF EXISTS conn_probe');
      client.release();
    }
  });

  it('passes notices on without disturbing the result', async () => {
    const database = await sharedPglite();
    const client = await database.pool.connect();
    const notices: string[] = [];
    const onNotice = (notice: { message?: string }): void => {
      notices.push(notice.message ?? '');
    };
    client.on('notice', onNotice);
    try {
      await client.query("DO $$ BEGIN RAISE NOTICE 'probe %', 42; END $$");
      const { rows } = await client.query<{ x: number }>('SELECT 7 AS x');
      expect(rows[0]?.x).to.equal(7);
      expect(notices).to.deep.equal(['probe 42']);
    } finally {
      client.off('notice', onNotice);
      client.release();
    }
  });
});
