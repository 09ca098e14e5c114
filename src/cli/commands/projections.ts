import type { Command } from 'commander';
import { openStorage } from '../../eventstore/index.ts';
import { createReadSide } from '../../projections/index.ts';
import type { CliDeps } from '../deps.ts';

/**
 * `paper-trading projections status [--json]` and `projections rebuild [name]`: inspect the
 * read models' checkpoints and lag, or empty one (or all) and replay it from position 0.
 * A rebuild may run while the service runs: its projection loops notice the reset checkpoint
 * and follow it.
 */
export function register(program: Command, deps: CliDeps): void {
  const projections = program
    .command('projections')
    .description('inspect and rebuild the read models (projections)');

  projections
    .command('status')
    .description('checkpoint, head position and lag of every projection')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withReadSide(deps, async (runner) => {
        await runner.prepare();
        const status = await runner.status();
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
          return;
        }
        if (status.length === 0) {
          deps.stdout.write('no projections are registered\n');
          return;
        }
        for (const s of status) {
          deps.stdout.write(
            `${s.name}: checkpoint ${s.checkpoint}, head ${s.headPosition}, ${s.eventsBehind} events behind, lag ${s.lagMs} ms\n`,
          );
        }
      });
    });

  projections
    .command('rebuild [name]')
    .description('empty a projection (all when no name is given) and replay it from position 0')
    .action(async (name: string | undefined) => {
      await withReadSide(deps, async (runner) => {
        await runner.prepare();
        const names = name === undefined ? runner.names() : [name];
        for (const n of names) {
          await runner.rebuild(n);
          deps.stdout.write(`rebuilt ${n} up to position ${runner.checkpoint(n)}\n`);
        }
        if (names.length === 0) deps.stdout.write('no projections are registered\n');
      });
    });
}

async function withReadSide(
  deps: CliDeps,
  work: (runner: ReturnType<typeof createReadSide>['projections']) => Promise<void>,
): Promise<void> {
  const storage = await openStorage(deps.config());
  try {
    await work(createReadSide(storage).projections);
  } finally {
    await storage.close();
  }
}
