import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runCli } from '../../src/cli/index.ts';
import { openPgliteDatabase } from '../../src/eventstore/database.ts';
import { verifyHashChains, withHashChain } from '../../src/eventstore/hash-chain.ts';
import { openStorage } from '../../src/eventstore/index.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';
import { postgresUrl } from '../support/services.ts';

describe('hash chain and ledger verify', function () {
  this.timeout(60_000);
  it('chains every append, including concurrent `any` appends', async () => {
    const store = withHashChain(new MemoryEventStore());
    await store.append('acct-1', [
      { type: 'A', data: { n: 1 } },
      { type: 'B', data: { n: 2 } },
    ]);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.append('acct-1', [{ type: 'C', data: { i } }])),
    );
    const report = await verifyHashChains(store);
    expect(report).to.deep.include({ events: 12, streams: 1, unchained: 0, problems: [] });
  });

  it('detects an altered and a missing event after tampering with the events table', async () => {
    const database = await sharedPglite();
    const schema = uniqueSchema('chain');
    const raw = await openPgliteEventStore({ database, schema });
    const store = withHashChain(raw);
    for (let i = 0; i < 4; i++)
      await store.append('ledger-1', [{ type: 'Deposited', data: { amount: `${i}00` } }]);
    await store.append('ledger-2', [{ type: 'Deposited', data: { amount: '5' } }]);
    expect((await verifyHashChains(store)).problems).to.deep.equal([]);

    await database.pool.query(
      `UPDATE "${schema}".events SET data = '{"amount":"999999"}' WHERE stream_id = 'ledger-1' AND revision = 1`,
    );
    const altered = await verifyHashChains(store);
    expect(altered.problems.map((p) => [p.kind, p.revision])).to.deep.equal([['altered', 1]]);

    await database.pool.query(
      `DELETE FROM "${schema}".events WHERE stream_id = 'ledger-1' AND revision = 2`,
    );
    const missing = await verifyHashChains(store);
    expect(missing.problems.map((p) => p.kind)).to.include.members([
      'altered',
      'missing',
      'broken_link',
    ]);
  });

  it('`paper-trading ledger verify` exits 0 on an intact log and 1 after tampering', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'opt-ledger-'));
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => void out.push(t) },
      stderr: { write: (t: string) => void out.push(t) },
    };
    const created = await runCli(
      ['node', 'pt', 'users', 'create', 'admin@example.com', '--role', 'admin'],
      { env, ...io },
    );
    expect(created, out.join('')).to.equal(0);
    expect(out.join('')).to.match(/created admin@example\.com/);
    expect(await runCli(['node', 'pt', 'users', 'list'], { env, ...io })).to.equal(0);
    expect(out.join('')).to.match(/admin@example\.com\t[0-9a-f-]{36}\tadmin/);
    expect(await runCli(['node', 'pt', 'ledger', 'verify'], { env, ...io })).to.equal(0);
    expect(out.join('')).to.match(/0 problems/);

    const db = await openPgliteDatabase(path.join(dataDir, 'pglite'));
    await db.pool.query(
      `UPDATE eventstore.events SET data = '{"userId":"x"}' WHERE type = 'EmailReserved'`,
    );
    await db.close();
    out.length = 0;
    expect(await runCli(['node', 'pt', 'ledger', 'verify'], { env, ...io })).to.equal(1);
    expect(out.join('')).to.match(/altered: email-/);
  });
});

/** `runCli` with captured output. */
async function cli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const io = {
    stdout: { write: (t: string) => void out.push(t) },
    stderr: { write: (t: string) => void out.push(t) },
  };
  const code = await runCli(['node', 'pt', 'ledger', ...args], { env, ...io });
  return { code, out: out.join('') };
}

/**
 * A ledger written through `openStorage` (as the service writes it), tampered with by SQL, and
 * checked by `paper-trading ledger verify`. `sql` runs statements in the database the CLI opens.
 */
function tamperedLedgerSuite(
  setup: (ctx: Mocha.Context) => Promise<{
    env: Record<string, string>;
    sql: (...statements: string[]) => Promise<void>;
    dispose: () => Promise<void>;
  }>,
): void {
  let env: Record<string, string>;
  let sql: (...statements: string[]) => Promise<void>;
  let dispose: (() => Promise<void>) | undefined;

  before(async function () {
    ({ env, sql, dispose } = await setup(this));
    const storage = await openStorage({
      dataDir: env.DATA_DIR ?? '',
      databaseUrl: env.DATABASE_URL,
      eventStoreAdapter: env.DATABASE_URL ? 'postgres' : 'pglite',
    });
    try {
      for (const id of ['cut', 'gone', 'edit', 'wiped', 'keep']) {
        await storage.eventStore.append(`account-${id}`, [
          { type: 'AccountOpened', data: { name: id } },
          { type: 'CashDeposited', data: { amount: '100' } },
        ]);
        await storage.eventStore.append(`account-${id}`, [
          { type: 'CashWithdrawn', data: { amount: '40' } },
        ]);
      }
    } finally {
      await storage.close();
    }
  });
  after(async () => {
    await dispose?.();
  });

  it('verify passes an intact ledger and `ledger head` prints its anchor', async () => {
    const verified = await cli(env, 'verify');
    expect(verified.code, verified.out).to.equal(0);
    expect(verified.out).to.match(/15 events in 5 streams, 0 written before the chain, 0 problems/);
    const head = await cli(env, 'head');
    expect(head.code, head.out).to.equal(0);
    expect(head.out).to.match(/^15:[0-9a-f]{64}\n$/);
    const json = await cli(env, 'head', '--json', '--streams');
    expect(json.code, json.out).to.equal(0);
    const anchor = JSON.parse(json.out) as { events: number; heads: Record<string, unknown> };
    expect(anchor.events).to.equal(15);
    expect(Object.keys(anchor.heads)).to.have.length(5);
    const anchored = await cli(env, 'verify', '--anchor', head.out.trim());
    expect(anchored.code, anchored.out).to.equal(0);
    expect(anchored.out).to.match(/anchor 15:[0-9a-f]{64}: checked/);
  });

  it('verify exits 1 naming each stream: last event deleted, whole stream deleted, event altered', async () => {
    const { out: anchorJson } = await cli(env, 'head', '--json', '--streams');
    const anchorFile = path.join(mkdtempSync(path.join(tmpdir(), 'opt-anchor-')), 'anchor.json');
    writeFileSync(anchorFile, anchorJson);

    await sql(
      `DELETE FROM eventstore.events WHERE stream_id = 'account-cut' AND revision = 2`,
      `DELETE FROM eventstore.events WHERE stream_id = 'account-gone'`,
      `UPDATE eventstore.events SET data = '{"amount":"1000000"}' WHERE stream_id = 'account-edit' AND revision = 1`,
    );
    const verified = await cli(env, 'verify');
    expect(verified.code, verified.out).to.equal(1);
    expect(verified.out).to.match(/truncated: account-cut revision 2: events end at revision 1/);
    expect(verified.out).to.match(/truncated: account-gone revision 2: the stream has no events/);
    expect(verified.out).to.match(/altered: account-edit revision 1 \(position \d+\)/);
    expect(verified.out).not.to.match(/account-keep|account-wiped/);
    expect(verified.out).to.match(/ledger verification failed: 3 problems/);

    const json = await cli(env, 'verify', '--json');
    expect(json.code).to.equal(1);
    const report = JSON.parse(json.out.slice(0, json.out.lastIndexOf('}') + 1)) as {
      problems: { kind: string; streamId: string }[];
    };
    expect(report.problems.map((p) => `${p.kind} ${p.streamId}`)).to.have.members([
      'truncated account-cut',
      'truncated account-gone',
      'altered account-edit',
    ]);

    // A stream deleted together with its head row leaves nothing in the database to compare;
    // the anchor kept elsewhere names it.
    await sql(
      `DELETE FROM eventstore.events WHERE stream_id = 'account-wiped'`,
      `DELETE FROM eventstore.streams WHERE stream_id = 'account-wiped'`,
    );
    const against = await cli(env, 'verify', '--anchor', anchorFile);
    expect(against.code).to.equal(1);
    expect(against.out).to.match(
      /anchor_mismatch: \$all: the anchor covers 15 events, the ledger has only 8/,
    );
    expect(against.out).to.match(/anchor_mismatch: account-wiped revision 2: .*the stream is gone/);

    const head = await cli(env, 'head');
    expect(head.code).to.equal(1);
    expect(head.out).to.match(/not anchoring it/);
  });

  it('refuses an anchor that is neither <events>:<digest> nor a readable file', async () => {
    const bad = await cli(env, 'verify', '--anchor', '12:nothex');
    expect(bad.code).to.equal(1);
    expect(bad.out).to.match(/neither an anchor/);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'opt-anchor-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ events: -1, digest: 'x' }));
    const invalid = await cli(env, 'verify', '--anchor', file);
    expect(invalid.code).to.equal(1);
    expect(invalid.out).to.match(/--anchor: .*events/);
  });
}

describe('ledger verify: tampering found by the CLI', function () {
  this.timeout(60_000);

  describe('on PGlite (DATA_DIR)', () => {
    tamperedLedgerSuite(() => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'opt-ledger-tamper-'));
      return Promise.resolve({
        env: { DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
        // The CLI and this share one on-disk database, opened by one of them at a time.
        sql: async (...statements: string[]) => {
          const db = await openPgliteDatabase(path.join(dataDir, 'pglite'));
          try {
            for (const text of statements) await db.pool.query(text);
          } finally {
            await db.close();
          }
        },
        dispose: () => Promise.resolve(),
      });
    });
  });

  describe('on PostgreSQL (DATABASE_URL)', () => {
    tamperedLedgerSuite(async (ctx) => {
      // A database of its own: the CLI uses the default `eventstore` schema.
      const server = new URL(await postgresUrl(ctx));
      const name = `opt_ledger_${process.pid}_${randomBytes(3).toString('hex')}`;
      const admin = new pg.Client({ connectionString: server.toString() });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(server);
      url.pathname = `/${name}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
      // `pool.end()` resolves before the server has seen every client go: the forced drop below
      // may still terminate one, whose error the pool re-emits (uncaught without a listener).
      pool.on('error', () => undefined);
      return {
        env: { DATABASE_URL: url.toString(), DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-')) },
        sql: async (...statements: string[]) => {
          for (const text of statements) await pool.query(text);
        },
        dispose: async () => {
          await pool.end();
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await admin.end();
        },
      };
    });
  });
});
