import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../src/cli/index.ts';
import { AccountService, orderVersion, type CallContext } from '../../src/commands/accounts.ts';
import { marketContext } from '../../src/commands/market-context.ts';
import { equity } from '../../src/domain/instrument.ts';
import { SqlEngineStore, type ParkedCommand, type ReplayResult } from '../../src/engine/index.ts';
import { openStorage } from '../../src/eventstore/index.ts';
import { createDefaultMarket } from '../../src/market/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const who: CallContext = { actor: 'user:u1', source: 'test' };

async function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'paper-trading', ...args], {
    env,
    stdout: { write: (t: string) => void (stdout += t) },
    stderr: { write: (t: string) => void (stderr += t) },
  });
  return { code, stdout, stderr };
}

/**
 * In `dataDir` (the embedded store `paper-trading` opens): an account with two resting buy
 * limits on SPY and, in the engine's table, a parked fill for each, as the engine parks them —
 * the order version and the market (an ask under the limit) it evaluated.
 */
async function parkTwoFills(dataDir: string): Promise<{ accountId: string; orders: string[] }> {
  const storage = await openStorage({
    dataDir,
    databaseUrl: undefined,
    eventStoreAdapter: 'pglite',
  });
  const market = createDefaultMarket({ seed: 42, clock: 'simulated' });
  try {
    const service = new AccountService({ store: storage.eventStore, market });
    const { accountId } = await service.openAccount(
      { ownerId: 'local', name: 'Ops', initialCash: '1000000' },
      who,
    );
    const engineStore = new SqlEngineStore(storage.database);
    const orders: string[] = [];
    for (const limitPrice of ['1.00', '2.00']) {
      const placed = await service.placeOrder(
        accountId,
        {
          instrument: equity('SPY'),
          side: 'buy',
          type: 'limit',
          timeInForce: 'gtc',
          qty: '3',
          limitPrice,
        },
        {},
        who,
      );
      if (placed.order === undefined) throw new Error('not placed');
      const base = marketContext(market, 'SPY');
      if (base.quote === undefined) throw new Error('no SPY quote');
      await engineStore.park({
        engine: 'execution',
        accountId,
        orderId: placed.orderId,
        action: 'fill',
        reason: 'Error: connection reset',
        attempts: 5,
        at: base.now,
        expected: orderVersion(placed.order),
        market: { ...base, quote: { ...base.quote, ask: '0.50', bid: '0.49', last: '0.50' } },
      });
      orders.push(placed.orderId);
    }
    return { accountId, orders };
  } finally {
    market.close();
    await storage.close();
  }
}

describe('paper-trading engine parked | replay', function () {
  this.timeout(120_000);

  it('lists parked commands and replays one, then all, each applying once', async () => {
    const env = { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-engine-')), LOG_LEVEL: 'silent' };
    const { accountId, orders } = await parkTwoFills(env.DATA_DIR);

    const listed = await run(['engine', 'parked'], env);
    expect(listed.stderr).to.equal('');
    expect(listed.code).to.equal(0);
    expect(listed.stdout).to.match(/^#1 .* fill order .* 5 attempts: Error: connection reset$/m);
    expect(listed.stdout.trim().split('\n')).to.have.length(2);

    const json = await run(['engine', 'parked', '--json'], env);
    const parked = JSON.parse(json.stdout) as ParkedCommand[];
    expect(parked.map((p) => [p.id, p.orderId, p.status])).to.deep.equal([
      [1, orders[0], 'parked'],
      [2, orders[1], 'parked'],
    ]);

    const one = await run(['engine', 'replay', '1'], env);
    expect(one.stderr).to.equal('');
    expect(one.code).to.equal(0);
    expect(one.stdout).to.match(/^#1 {2}replayed {2}fill order .*: applied at position \d+$/m);

    const all = await run(['engine', 'replay', '--all', '--json'], env);
    expect(all.code).to.equal(0);
    const results = JSON.parse(all.stdout) as ReplayResult[];
    expect(results.map((r) => [r.id, r.outcome])).to.deep.equal([[2, 'replayed']]);

    const history = await run(['engine', 'parked', '--all'], env);
    expect(history.stdout.trim().split('\n')).to.have.length(2);
    expect(history.stdout).to.match(/^#2 .* replayed \S+: applied at position \d+$/m);

    // Replaying an already settled command does nothing and says so.
    const again = await run(['engine', 'replay', '1'], env);
    expect(again.code).to.equal(1);
    expect(again.stdout).to.contain('#1  not_parked');
    expect(again.stderr).to.contain('1 of 1 could not be replayed (1)');

    const shown = await run(['orders', 'list', accountId, '--json'], env);
    const rows = JSON.parse(shown.stdout) as { id?: string; status: string; filledQty: string }[];
    expect(rows.map((r) => [r.status, r.filledQty])).to.deep.equal([
      ['filled', '3'],
      ['filled', '3'],
    ]);
  });

  it('refuses ambiguous or malformed targets', async () => {
    const env = { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-engine-')), LOG_LEVEL: 'silent' };
    const neither = await run(['engine', 'replay'], env);
    expect(neither.code).to.equal(1);
    expect(neither.stderr).to.contain('give the ids of parked commands to replay, or --all');
    const both = await run(['engine', 'replay', '1', '--all'], env);
    expect(both.stderr).to.contain('not both');
    const bad = await run(['engine', 'replay', 'abc'], env);
    expect(bad.stderr).to.contain('a parked command id is a positive whole number, got "abc"');
    const empty = await run(['engine', 'replay', '--all'], env);
    expect(empty.code).to.equal(0);
    expect(empty.stdout).to.equal('no parked commands\n');
  });

  it('runs as a spawned process', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'opt-engine-'));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['bin/paper-trading.js', 'engine', 'parked', '--json'],
          {
            cwd: ROOT,
            env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
          resolve({ code, stdout, stderr });
        });
      },
    );
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal([]);
  });
});
