import type { Command } from 'commander';
import { AccountService } from '../../commands/accounts.ts';
import {
  MemoryEngineStore,
  replayParked,
  SqlEngineStore,
  type EngineStore,
  type ParkedCommand,
  type ReplayResult,
} from '../../engine/index.ts';
import { openStorage } from '../../eventstore/index.ts';
import { createDefaultMarket } from '../../market/index.ts';
import type { CliDeps } from '../deps.ts';
import { cliContext } from './accounts.ts';

interface EngineOptions {
  engine: string;
  json?: boolean;
}

/**
 * `paper-trading engine parked [--all] [--json]` lists the commands the execution engine parked
 * after its retries (with the reason), and `paper-trading engine replay <id…> | --all` sends
 * them again through the same command path, guarded by the order version each was evaluated
 * against, so a replay applies at most once (docs/engine.md).
 */
export function register(program: Command, deps: CliDeps): void {
  const engine = program
    .command('engine')
    .description('inspect and replay the commands the execution engine parked');

  engine
    .command('parked')
    .description('list parked engine commands, oldest first, with the reason each was parked')
    .option('--all', 'include commands already settled by a replay')
    .option('--engine <name>', 'engine (lease) name', 'execution')
    .option('--json', 'print JSON')
    .action(async (options: EngineOptions & { all?: boolean }) => {
      await withEngineStore(deps, async (state) => {
        const parked = await state.parked(options.engine, {
          includeResolved: options.all === true,
        });
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(parked, null, 2)}\n`);
          return;
        }
        if (parked.length === 0) {
          deps.stdout.write('no parked commands\n');
          return;
        }
        for (const p of parked) deps.stdout.write(`${describeParked(p)}\n`);
      });
    });

  engine
    .command('replay [ids...]')
    .description(
      'send parked commands again (by id, or --all), each guarded by its order version so it applies at most once',
    )
    .option('--all', 'replay every parked command, oldest first')
    .option('--engine <name>', 'engine (lease) name', 'execution')
    .option('--json', 'print JSON')
    .action(async (ids: string[], options: EngineOptions & { all?: boolean }) => {
      const which = replayTargets(ids, options.all === true);
      await withEngineStore(deps, async (state, service) => {
        const results = await replayParked(
          { service, state, engine: options.engine, context: cliContext() },
          which,
        );
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        } else if (results.length === 0) {
          deps.stdout.write('no parked commands\n');
        } else {
          for (const r of results) deps.stdout.write(`${describeReplay(r)}\n`);
        }
        const failed = results.filter((r) => r.outcome === 'failed' || r.outcome === 'not_parked');
        if (failed.length > 0) {
          throw new Error(
            `${failed.length} of ${results.length} could not be replayed (${failed.map((r) => r.id).join(', ')})`,
          );
        }
      });
    });
}

/** `<id…>` or `--all`, never both and never neither. */
function replayTargets(ids: readonly string[], all: boolean): 'all' | number[] {
  if (all && ids.length > 0) throw new Error('give parked command ids or --all, not both');
  if (all) return 'all';
  if (ids.length === 0) throw new Error('give the ids of parked commands to replay, or --all');
  return ids.map((raw) => {
    if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
      throw new Error(`a parked command id is a positive whole number, got "${raw}"`);
    }
    return Number(raw);
  });
}

function describeParked(p: ParkedCommand): string {
  const settled =
    p.status === 'parked' ? '' : `  ${p.status} ${p.resolvedAt ?? ''}: ${p.resolution ?? ''}`;
  return `#${p.id}  ${p.at}  ${p.action} order ${p.orderId} (account ${p.accountId})  ${p.attempts} attempts: ${p.reason}${settled}`;
}

function describeReplay(r: ReplayResult): string {
  const what = r.action === null ? '' : `  ${r.action} order ${r.orderId ?? ''}`;
  return `#${r.id}  ${r.outcome}${what}: ${r.detail}`;
}

/**
 * Opens the configured storage, the engine's store beside it (as `serve` does) and an account
 * service on the configured market, and closes them afterwards.
 */
async function withEngineStore(
  deps: CliDeps,
  work: (state: EngineStore, service: AccountService) => Promise<void>,
): Promise<void> {
  const config = deps.config();
  const storage = await openStorage(config);
  const market = createDefaultMarket({ seed: config.marketSeed, clock: config.marketClock });
  try {
    const state =
      config.eventStoreAdapter === 'memory'
        ? new MemoryEngineStore()
        : new SqlEngineStore(storage.database);
    await work(state, new AccountService({ store: storage.eventStore, market }));
  } finally {
    market.close();
    await storage.close();
  }
}
