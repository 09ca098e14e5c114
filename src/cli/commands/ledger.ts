import type { Command } from 'commander';
import { verifyHashChains } from '../../eventstore/hash-chain.ts';
import { openStorage } from '../../eventstore/index.ts';
import type { CliDeps } from '../deps.ts';

/**
 * `paper-trading ledger verify [--json]`: recomputes every stream's hash chain from `$all` and
 * exits non-zero when an event was altered or is missing.
 */
export function register(program: Command, deps: CliDeps): void {
  const ledger = program.command('ledger').description('prove the event log was not altered');
  ledger
    .command('verify')
    .description('recompute every stream hash chain; fails on an altered or missing event')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const storage = await openStorage(deps.config());
      try {
        const report = await verifyHashChains(storage.eventStore);
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          deps.stdout.write(
            `${report.events} events in ${report.streams} streams, ${report.unchained} written before the chain, ${report.problems.length} problems\n`,
          );
          for (const p of report.problems) {
            deps.stdout.write(
              `${p.kind}: ${p.streamId} revision ${p.revision} (position ${p.position}): ${p.detail}\n`,
            );
          }
        }
        if (report.problems.length > 0) {
          throw new Error(`ledger verification failed: ${report.problems.length} problems`);
        }
      } finally {
        await storage.close();
      }
    });
}
