import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/index.ts';

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

describe('paper-trading accounts and orders', function () {
  this.timeout(60_000);

  it('opens an account and fills a market order in the default configuration (embedded store)', async () => {
    const env = { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-trading-')), LOG_LEVEL: 'silent' };
    const opened = await run(
      ['accounts', 'open', '--name', 'Main', '--cash', '100000', '--json'],
      env,
    );
    expect(opened.stderr).to.equal('');
    expect(opened.code).to.equal(0);
    const account = JSON.parse(opened.stdout) as { id: string; cash: string; position: number };
    expect(account.cash).to.equal('100000');
    expect(account.position).to.be.a('number');

    const placed = await run(
      ['orders', 'place', account.id, '--symbol', 'aapl', '--side', 'buy', '--qty', '10', '--json'],
      env,
    );
    expect(placed.stderr).to.equal('');
    expect(placed.code).to.equal(0);
    const result = JSON.parse(placed.stdout) as { order: { status: string; filledQty: string } };
    expect(result.order).to.deep.include({ status: 'filled', filledQty: '10' });

    // Persisted: a second invocation reads it back from DATA_DIR.
    const shown = await run(['accounts', 'show', account.id], env);
    expect(shown.code).to.equal(0);
    expect(shown.stdout).to.match(/position AAPL 10 /);
    const listed = await run(['accounts', 'list'], env);
    expect(listed.stdout).to.contain(account.id).and.to.contain('Main');
    const orders = await run(['orders', 'list', account.id], env);
    expect(orders.stdout).to.match(/buy 10 AAPL market day\s+filled\s+filled 10 @/);
  });

  describe('with EVENT_STORE=memory', () => {
    // A memory store lives as long as one invocation: each test opens what it needs.
    const env = {
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-trading-mem-')),
      EVENT_STORE: 'memory',
      LOG_LEVEL: 'silent',
    };

    it('rejects bad input on stderr with a non-zero exit and writes nothing', async () => {
      const badCash = await run(['accounts', 'open', '--name', 'X', '--cash', '-5'], env);
      expect(badCash.code).to.equal(1);
      expect(badCash.stderr).to.contain('--cash must be a positive amount');
      const noName = await run(['accounts', 'open', '--cash', '5'], env);
      expect(noName.code).to.not.equal(0);
      expect(noName.stderr).to.contain('--name');
      for (const [args, message] of [
        [['--side', 'hold', '--qty', '1'], '--side must be one of buy, sell'],
        [['--side', 'buy', '--qty', 'ten'], '--qty must be a positive decimal'],
        [['--side', 'buy', '--qty', '1', '--type', 'limit'], '--limit-price is required'],
        [['--side', 'buy', '--qty', '1', '--type', 'stop'], '--stop-price is required'],
        [['--side', 'buy', '--qty', '1', '--type', 'trailing_stop'], 'exactly one of'],
        [['--side', 'buy', '--qty', '1', '--tif', 'forever'], '--tif must be one of'],
        [['--side', 'buy', '--qty', '1', '--type', 'bogus'], '--type must be one of'],
      ] as const) {
        const bad = await run(['orders', 'place', 'acct', '--symbol', 'AAPL', ...args], env);
        expect(bad.code, args.join(' ')).to.equal(1);
        expect(bad.stderr).to.contain(message);
      }
      const missing = await run(
        ['orders', 'place', 'nope', '--symbol', 'AAPL', '--side', 'buy', '--qty', '1'],
        env,
      );
      expect(missing.stderr).to.contain('account nope not found');
      expect((await run(['accounts', 'show', 'nope'], env)).code).to.equal(1);
      expect((await run(['orders', 'list', 'nope'], env)).code).to.equal(1);
      expect((await run(['orders', 'cancel', 'nope', 'x'], env)).code).to.equal(1);
      expect((await run(['accounts', 'list'], env)).stdout).to.equal('no accounts\n');
    });
  });

  it('places limit orders, lists them by status, cancels one, and answers a duplicate client order id', async () => {
    const env = {
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-trading-2-')),
      LOG_LEVEL: 'silent',
    };
    const opened = await run(
      ['accounts', 'open', '--name', 'Limits', '--cash', '5000', '--owner', 'u7'],
      env,
    );
    expect(opened.code).to.equal(0);
    const id = /opened account (\S+)/.exec(opened.stdout)?.[1] ?? '';
    const limit = [
      'orders',
      'place',
      id,
      '--symbol',
      'MSFT',
      '--side',
      'buy',
      '--qty',
      '2',
      '--type',
      'limit',
      '--limit-price',
      '1.00',
      '--tif',
      'gtc',
      '--client-order-id',
      'mine-1',
    ];
    const first = await run(limit, env);
    expect(first.code).to.equal(0);
    expect(first.stdout).to.match(/buy 2 MSFT limit limit 1 gtc\s+new/);
    const again = await run(limit, env);
    expect(again.stdout).to.match(/^already placed: /);
    const orderId = first.stdout.split(/\s+/)[0] ?? '';
    expect((await run(['orders', 'list', id, '--status', 'open'], env)).stdout).to.contain(orderId);
    const canceled = await run(['orders', 'cancel', id, orderId, '--json'], env);
    expect(canceled.code).to.equal(0);
    expect((JSON.parse(canceled.stdout) as { order: { status: string } }).order.status).to.equal(
      'canceled',
    );
    expect((await run(['orders', 'list', id, '--status', 'open'], env)).stdout).to.equal(
      'no orders\n',
    );
    const tooBig = await run(
      ['orders', 'place', id, '--symbol', 'MSFT', '--side', 'buy', '--qty', '1000'],
      env,
    );
    expect(tooBig.code).to.equal(1);
    expect(tooBig.stderr).to.contain('insufficient_buying_power');
    const unknown = await run(
      ['orders', 'place', id, '--symbol', 'ZZZZ', '--side', 'buy', '--qty', '1'],
      env,
    );
    expect(unknown.stderr).to.contain('unknown symbol ZZZZ');
    const shown = await run(['accounts', 'show', id, '--json'], env);
    expect(JSON.parse(shown.stdout)).to.deep.include({ ownerId: 'u7', cash: '5000' });
    expect((await run(['accounts', 'list', '--json'], env)).stdout).to.contain('"Limits"');
  });
});
