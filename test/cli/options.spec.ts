import { expect } from 'chai';
import { runCli } from '../../src/cli/index.ts';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'paper-trading', 'options', ...args], {
    env: {},
    stdout: { write: (t) => (stdout += t) },
    stderr: { write: (t) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const HULL = ['--spot', '42', '--strike', '40', '--rate', '0.1', '--vol', '0.2', '--years', '0.5'];

describe('paper-trading options price|iv', () => {
  it('prices Hull’s Example 15.6 to the cent: call 4.76, put 0.81 (Options, Futures, and Other Derivatives)', async () => {
    const call = await run(['price', '--right', 'call', ...HULL, '--json']);
    expect(call.code, call.stderr).to.equal(0);
    const c = JSON.parse(call.stdout) as Record<string, number>;
    expect(Object.keys(c)).to.deep.equal([
      'price',
      'delta',
      'gamma',
      'theta',
      'theta_per_day',
      'vega',
      'rho',
    ]);
    expect(c.price?.toFixed(2)).to.equal('4.76');
    const put = await run(['price', '--right', 'put', ...HULL, '--json']);
    expect((JSON.parse(put.stdout) as { price: number }).price.toFixed(2)).to.equal('0.81');
  });

  it('prints every greek in text, percentages accepted; a dividend yield changes the price (Haug: put 2.4648)', async () => {
    const text = await run([
      'price',
      '--right',
      'call',
      '--spot',
      '42',
      '--strike',
      '40',
      '--rate',
      '10%',
      '--vol',
      '20%',
      '--years',
      '0.5',
    ]);
    expect(text.code).to.equal(0);
    expect(text.stdout).to.match(/^call S=42 K=40 r=10% q=0% vol=20% T=0\.5y/);
    for (const line of [
      'price          4.7594',
      'delta          0.7791',
      'theta_per_day  -0.0125',
      'vega           0.0881',
      'rho            0.1398',
    ]) {
      expect(text.stdout).to.include(line);
    }
    const haug = await run([
      'price',
      '--right',
      'put',
      '--spot',
      '100',
      '--strike',
      '95',
      '--rate',
      '0.1',
      '--vol',
      '0.2',
      '--years',
      '0.5',
      '--dividend',
      '0.05',
      '--json',
    ]);
    expect((JSON.parse(haug.stdout) as { price: number }).price.toFixed(4)).to.equal('2.4648');
  });

  it('solves Hull’s implied volatility example (§15.11): 1.875 → 23.5 %', async () => {
    const iv = await run([
      'iv',
      '--right',
      'call',
      '--price',
      '1.875',
      '--spot',
      '21',
      '--strike',
      '20',
      '--rate',
      '0.1',
      '--years',
      '0.25',
      '--json',
    ]);
    expect(iv.code, iv.stderr).to.equal(0);
    expect((JSON.parse(iv.stdout) as { iv: number }).iv.toFixed(3)).to.equal('0.235');
    const text = await run([
      'iv',
      '--right',
      'call',
      '--price',
      '1.875',
      '--spot',
      '21',
      '--strike',
      '20',
      '--rate',
      '0.1',
      '--years',
      '0.25',
    ]);
    expect(text.stdout).to.match(/^implied volatility 23\.45\d\d% \(0\.2345\d\d\)/);
  });

  it('bad input exits 1 with a message naming the flag; a price outside the bounds names the bound', async () => {
    const badRight = await run(['price', '--right', 'straddle', ...HULL]);
    expect(badRight.code).to.equal(1);
    expect(badRight.stderr).to.match(/--right must be call or put/);
    const badSpot = await run([
      'price',
      '--right',
      'call',
      '--spot',
      'abc',
      '--strike',
      '40',
      '--rate',
      '0.1',
      '--vol',
      '0.2',
      '--years',
      '0.5',
    ]);
    expect(badSpot.stderr).to.match(/--spot must be a number, got "abc"/);
    const negative = await run([
      'price',
      '--right',
      'call',
      '--spot',
      '42',
      '--strike',
      '-40',
      '--rate',
      '0.1',
      '--vol',
      '0.2',
      '--years',
      '0.5',
    ]);
    expect(negative.stderr).to.match(/--strike must be greater than zero/);
    const missing = await run(['price', '--right', 'call', '--spot', '42']);
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.match(/required option '--strike <K>' not specified/);
    const bound = await run([
      'iv',
      '--right',
      'call',
      '--price',
      '0.5',
      '--spot',
      '21',
      '--strike',
      '20',
      '--rate',
      '0.1',
      '--years',
      '0.25',
    ]);
    expect(bound.code).to.equal(1);
    expect(bound.stderr).to.match(
      /below the no-arbitrage lower bound 1\.4938.*\(price_below_intrinsic\)/,
    );
  });
});
