import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/index.ts';

async function run(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'paper-trading', ...args], {
    env,
    stdout: { write: (t) => (stdout += t) },
    stderr: { write: (t) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

describe('cli: projections', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opt-cli-proj-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports every projection as JSON against the embedded database', async () => {
    const result = await run(['projections', 'status', '--json'], { DATA_DIR: dir });
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    const status = JSON.parse(result.stdout) as { name: string; checkpoint: number }[];
    expect(status).to.be.an('array');
    for (const s of status) expect(s.checkpoint).to.be.a('number');
  });

  it('rebuilds every projection and refuses an unknown name with exit 1', async () => {
    const all = await run(['projections', 'rebuild'], { DATA_DIR: dir });
    expect(all.code).to.equal(0);
    const unknown = await run(['projections', 'rebuild', 'nope'], { DATA_DIR: dir });
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/Unknown projection "nope"; known: /);
  });
});
