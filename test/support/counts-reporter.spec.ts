import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countsLine } from './counts-reporter.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('counts reporter', () => {
  it('formats passes and failures, and skips only when there are any', () => {
    expect(countsLine({ passes: 3, failures: 0, pending: 0 })).to.equal('3 passed, 0 failed');
    expect(countsLine({ passes: 3, failures: 1, pending: 2 })).to.equal(
      '3 passed, 1 failed, 2 skipped',
    );
  });

  it('prints the spec output and writes the line to MOCHA_COUNTS_FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opt-counts-'));
    try {
      const file = join(dir, 'counts');
      const args = [
        'mocha',
        '--no-config',
        '--no-color',
        '--node-option',
        'import=tsx',
        '--reporter',
        './test/support/counts-reporter.ts',
        'test/support/fixtures/counts.fixture.ts',
      ];
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>(
        (resolve) => {
          const child = execFile(
            'npx',
            args,
            // No NODE_V8_COVERAGE: see test/cli/cli.spec.ts.
            {
              cwd: ROOT,
              env: { ...process.env, MOCHA_COUNTS_FILE: file, NODE_V8_COVERAGE: undefined },
            },
            (_error, out) => {
              resolve({ code: child.exitCode, stdout: out });
            },
          );
        },
      );
      expect(code).to.equal(1);
      expect(stdout).to.include('✔ passes');
      expect(stdout).to.include('1 failing');
      expect(await readFile(file, 'utf8')).to.equal('2 passed, 1 failed, 1 skipped\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
