import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A Yahoo-layout CSV of a random walk on weekdays from 2020-01-02. */
function yahooCsv(days: number, seed = 1): string {
  let x = seed;
  const rnd = (): number => {
    x = (x * 1664525 + 1013904223) % 4294967296;
    return x / 4294967296;
  };
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  let price = 100;
  for (let t = Date.parse('2020-01-02T12:00:00Z'), n = 0; n < days; t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() === 0 || d.getUTCDay() === 6) continue;
    const open = price;
    price = Math.max(5, price * (1 + (rnd() - 0.49) * 0.04));
    const hi = Math.max(open, price) * 1.005;
    const lo = Math.min(open, price) * 0.995;
    lines.push(
      `${d.toISOString().slice(0, 10)},${open.toFixed(2)},${hi.toFixed(2)},${lo.toFixed(2)},${price.toFixed(2)},${price.toFixed(2)},${1_000_000 + n}`,
    );
    n += 1;
  }
  return `${lines.join('\n')}\n`;
}

describe('paper-trading data and backtest', function () {
  this.timeout(180_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'opt-backtest-'));
  const env = { DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent' };
  const csv = path.join(dir, 'AAPL.csv');
  writeFileSync(csv, yahooCsv(600));

  it('imports a CSV (symbol from the file name), lists it, and re-imports idempotently', async () => {
    const first = await run(['data', 'import', csv, '--json'], env);
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(first.stdout)).to.deep.include({
      layout: 'yahoo',
      timeframe: '1Day',
      rows: 600,
      inserted: 600,
      replaced: 0,
      written: true,
    });
    const again = await run(['data', 'import', csv], env);
    expect(again.stdout).to.match(/wrote 0 new and 600 replaced bars/);
    const list = await run(['data', 'list'], env);
    expect(list.stdout).to.match(/AAPL\s+1Day\s+600 bars\s+2020-01-02 → /);
  });

  it('refuses a file with bad rows, naming each line, and writes nothing', async () => {
    const bad = path.join(dir, 'BAD.csv');
    writeFileSync(
      bad,
      'Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,10\n2020-01-03,1,x,0.5,1.5,10\n',
    );
    const refused = await run(['data', 'import', bad], env);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain(`${bad}:3: high is not a decimal number: "x"`);
    expect(refused.stdout).to.contain('nothing written');
    expect((await run(['data', 'list', '--symbol', 'BAD'], env)).stdout).to.contain(
      'no stored bars',
    );
    const missing = await run(['data', 'import', path.join(dir, 'nope.csv')], env);
    expect(missing).to.deep.include({ code: 1 });
    expect(missing.stderr).to.contain('no such file');
  });

  it('runs a built-in strategy on the stored history, the same JSON twice, and writes the report', async () => {
    const args = [
      'backtest',
      'run',
      '--strategy',
      'sma_crossover',
      '--symbols',
      'AAPL',
      '--from',
      '2020-03-02',
      '--to',
      '2022-03-31',
      '--param',
      'fast=10',
      '--param',
      'slow=30',
      '--json',
    ];
    const a = await run([...args, '--report', path.join(dir, 'r.html')], env);
    expect(a.code, a.stderr).to.equal(0);
    const b = await run(args, env);
    expect(b.stdout).to.equal(a.stdout);
    const result = JSON.parse(a.stdout) as {
      metrics: Record<string, unknown>;
      equity_curve: unknown[];
      trades: unknown[];
      data_source: string;
    };
    expect(Object.keys(result.metrics)).to.include.members([
      'total_return',
      'annual_return',
      'annual_volatility',
      'sharpe',
      'sortino',
      'calmar',
      'max_drawdown',
      'max_drawdown_duration_days',
      'win_rate',
      'profit_factor',
      'trades',
    ]);
    expect(result.data_source).to.equal('stored');
    expect(result.equity_curve.length).to.be.greaterThan(400);
    expect(readFileSync(path.join(dir, 'r.html'), 'utf8')).to.contain('id="equity-chart"');
  });

  it('runs directly on a CSV with --data, and answers bad flags with a message and exit 1', async () => {
    const direct = await run(
      [
        'backtest',
        'run',
        '--strategy',
        'buy_and_hold',
        '--symbols',
        'AAPL',
        '--from',
        '2020-01-02',
        '--to',
        '2021-12-31',
        '--data',
        csv,
      ],
      env,
    );
    expect(direct.code, direct.stderr).to.equal(0);
    expect(direct.stdout).to.match(/buy_and_hold .* on AAPL .*csv data/);
    const bad = async (extra: string[], message: RegExp): Promise<void> => {
      const r = await run(
        [
          'backtest',
          'run',
          '--strategy',
          'sma_crossover',
          '--symbols',
          'AAPL',
          '--from',
          '2020-01-02',
          '--to',
          '2021-12-31',
          '--data',
          csv,
          ...extra,
        ],
        env,
      );
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(message);
    };
    await bad(['--param', 'fast=abc'], /parameter fast must be a number/);
    await bad(['--param', 'nope=1'], /has no parameter "nope"/);
    await bad(['--fill-at', 'noon'], /--fill-at must be open or close/);
    await bad(['--commission', 'lots'], /--commission/);
    await bad(['--strategy', 'nope'], /unknown strategy "nope"/);
    const gone = await run(
      [
        'backtest',
        'run',
        '--strategy',
        'sma_crossover',
        '--symbols',
        'ZZZZ',
        '--from',
        '2020-01-02',
        '--to',
        '2021-12-31',
        '--data-source',
        'stored',
      ],
      env,
    );
    expect(gone.code).to.equal(1);
    expect(gone.stderr).to.match(/no stored 1Day bars for ZZZZ/);
  });

  it('generates deterministic history from the simulated model', async () => {
    const gen = await run(
      [
        'data',
        'generate',
        '--symbols',
        'SPY,QQQ',
        '--from',
        '2023-01-03',
        '--to',
        '2023-03-31',
        '--seed',
        '7',
        '--json',
      ],
      env,
    );
    expect(gen.code, gen.stderr).to.equal(0);
    const first = JSON.parse(gen.stdout) as {
      rows: number;
      series: { symbol: string; bars: number; source: string }[];
    };
    expect(first.series.map((s) => [s.symbol, s.source])).to.deep.equal([
      ['QQQ', 'generated'],
      ['SPY', 'generated'],
    ]);
    const again = JSON.parse(
      (
        await run(
          [
            'data',
            'generate',
            '--symbols',
            'SPY,QQQ',
            '--from',
            '2023-01-03',
            '--to',
            '2023-03-31',
            '--seed',
            '7',
            '--json',
          ],
          env,
        )
      ).stdout,
    ) as { inserted: number; replaced: number };
    expect(again).to.deep.include({ inserted: 0, replaced: first.rows });
    const unknown = await run(
      ['data', 'generate', '--symbols', 'ZZZZ', '--from', '2023-01-03', '--to', '2023-03-31'],
      env,
    );
    expect(unknown.stderr).to.contain('not in the simulated universe');
  });
});
