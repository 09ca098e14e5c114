import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/index.ts';
import { verifyHashChains, withHashChain } from '../../src/eventstore/hash-chain.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

describe('hash chain and ledger verify', () => {
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

    const { openPgliteDatabase } = await import('../../src/eventstore/database.ts');
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
