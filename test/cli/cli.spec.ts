import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '../../src/app/version.ts';
import { runCli, type CommandModule } from '../../src/cli/index.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Captures what a command writes. */
function buffer(): { write(text: string): void; text(): string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    text: () => text,
  };
}

async function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  commands?: readonly CommandModule[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = buffer();
  const stderr = buffer();
  const code = await runCli(['node', 'paper-trading', ...args], {
    env,
    stdout,
    stderr,
    ...(commands ? { commands } : {}),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** An environment for child processes without the CI services' variables. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'EVENT_STORE',
    'ESDB_CONNECTION_STRING',
    'PORT',
    // Under `npm run coverage` a child would report the same files through another transform,
    // and c8 cannot merge the two maps: the coverage figures of the parent would drop.
    'NODE_V8_COVERAGE',
  ]) {
    if (!(name in extra)) env[name] = undefined;
  }
  return env;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function spawnCli(command: string, args: string[], env = childEnv()): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('cli', () => {
  describe('in process', () => {
    it('prints help on stdout and exits 0', async () => {
      const { code, stdout } = await run(['--help']);
      expect(code).to.equal(0);
      expect(stdout).to.include('Usage: paper-trading');
      expect(stdout).to.include('serve');
    });

    it('prints the package version', async () => {
      const { code, stdout } = await run(['--version']);
      expect(code).to.equal(0);
      expect(stdout.trim()).to.equal(VERSION);
      expect(VERSION).to.match(/^\d+\.\d+\.\d+/);
    });

    it('shows serve options in its help', async () => {
      const { code, stdout } = await run(['serve', '--help']);
      expect(code).to.equal(0);
      expect(stdout).to.include('--role <role>');
      expect(stdout).to.include('--port <n>');
    });

    it('prints help even when the environment is invalid', async () => {
      const { code } = await run(['serve', '--help'], { PORT: 'abc' });
      expect(code).to.equal(0);
    });

    it('rejects an unknown command', async () => {
      const { code, stderr } = await run(['frobnicate']);
      expect(code).not.to.equal(0);
      expect(stderr).to.include("unknown command 'frobnicate'");
    });

    it('rejects a bad --role', async () => {
      const { code, stderr } = await run(['serve', '--role', 'worker']);
      expect(code).not.to.equal(0);
      expect(stderr).to.include('Allowed choices are all, api, engine');
    });

    it('rejects a bad --port before loading anything', async () => {
      const { code, stderr } = await run(['serve', '--port', '99999']);
      expect(code).not.to.equal(0);
      expect(stderr).to.include('must be an integer between 1 and 65535');
    });

    it('prints a configuration error as one line and exits 1', async () => {
      const { code, stderr } = await run(['serve'], { LOG_LEVEL: 'chatty' });
      expect(code).to.equal(1);
      expect(stderr).to.equal(
        'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "chatty")\n',
      );
    });

    it('runs subcommands registered through the extension point', async () => {
      const seen: string[] = [];
      const accounts: CommandModule = {
        register(program, deps) {
          program
            .command('accounts')
            .description('manage accounts')
            .command('list')
            .action(() => {
              seen.push(`port ${deps.config().port}`);
              deps.stdout.write('[]\n');
            });
        },
      };
      const { code, stdout } = await run(['accounts', 'list'], { PORT: '9000' }, [accounts]);
      expect(code).to.equal(0);
      expect(stdout).to.equal('[]\n');
      expect(seen).to.deep.equal(['port 9000']);
    });

    it('reports a failing subcommand on stderr with exit 1', async () => {
      const failing: CommandModule = {
        register(program) {
          program.command('fail').action(() => Promise.reject(new Error('ledger is corrupt')));
        },
      };
      const { code, stderr } = await run(['fail'], {}, [failing]);
      expect(code).to.equal(1);
      expect(stderr).to.equal('paper-trading: ledger is corrupt\n');
    });
  });

  describe('as a process', () => {
    for (const [label, command, prefix] of [
      ['node bin/paper-trading.js', process.execPath, ['bin/paper-trading.js']],
      ['npx tsx src/main.ts', 'npx', ['tsx', 'src/main.ts']],
    ] as const) {
      describe(label, () => {
        it('prints the version', async () => {
          const result = await spawnCli(command, [...prefix, '--version']);
          expect(result.code).to.equal(0);
          expect(result.stdout.trim()).to.equal(VERSION);
        });

        it('prints help', async () => {
          const result = await spawnCli(command, [...prefix, '--help']);
          expect(result.code).to.equal(0);
          expect(result.stdout).to.include('Usage: paper-trading');
        });

        it('exits non-zero with a message for a bad argument', async () => {
          const result = await spawnCli(command, [...prefix, 'serve', '--port', 'abc']);
          expect(result.code).to.equal(1);
          expect(result.stderr).to.include("option '--port <n>' argument 'abc' is invalid");
        });

        it('exits non-zero with a message for bad configuration', async () => {
          const result = await spawnCli(command, [...prefix, 'serve'], childEnv({ PORT: 'abc' }));
          expect(result.code).to.equal(1);
          expect(result.stderr).to.include(
            'Invalid configuration: PORT must be an integer between 1 and 65535 (got "abc")',
          );
        });
      });
    }

    describe('serve', function () {
      // A fresh DATA_DIR means creating the embedded database and running every migration.
      this.timeout(120_000);
      let dataDir: string;
      before(async () => {
        dataDir = await mkdtemp(join(tmpdir(), 'opt-cli-'));
      });
      after(async () => {
        await rm(dataDir, { recursive: true, force: true });
      });

      it('serves /api/v1/health with no database and stops cleanly on SIGTERM', async () => {
        const port = await freePort();
        const child = spawn(
          process.execPath,
          ['bin/paper-trading.js', 'serve', '--port', String(port)],
          {
            cwd: ROOT,
            env: childEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        let stderr = '';
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        await new Promise<void>((resolve, reject) => {
          child.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            if (stderr.includes('"msg":"listening"')) resolve();
          });
          child.on('close', () => {
            reject(new Error(`serve exited before listening:\n${stderr}`));
          });
        });
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
          expect(res.status).to.equal(200);
          expect(await res.json()).to.deep.include({ status: 'ok', version: VERSION });
        } finally {
          child.kill('SIGTERM');
        }
        expect(await exited).to.equal(0);
        expect(stderr).to.include('"signal":"SIGTERM"');
        expect(stderr).to.include('"msg":"stopped"');
      });

      it('exits non-zero with a clear message when the port is taken', async () => {
        const blocker = createServer();
        await new Promise<void>((resolve) => blocker.listen(0, resolve));
        const address = blocker.address();
        if (address === null || typeof address === 'string') throw new Error('no port');
        try {
          const result = await spawnCli(
            process.execPath,
            ['bin/paper-trading.js', 'serve', '--port', String(address.port)],
            childEnv({ DATA_DIR: dataDir }),
          );
          expect(result.code).to.equal(1);
          expect(result.stderr).to.include(`Port ${address.port} is already in use`);
        } finally {
          await new Promise<void>((resolve) =>
            blocker.close(() => {
              resolve();
            }),
          );
        }
      });
    });
  });
});
