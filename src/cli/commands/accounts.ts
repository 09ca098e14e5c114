import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { AccountService, type CallContext } from '../../commands/accounts.ts';
import { buyingPower, openOrders, type AccountState } from '../../domain/account/index.ts';
import { fmt } from '../../domain/money.ts';
import { openStorage } from '../../eventstore/index.ts';
import { createDefaultMarket } from '../../market/index.ts';
import type { CliDeps } from '../deps.ts';

/** A positive amount of cash: whole cents at most. */
const CASH = /^\d{1,15}(\.\d{1,2})?$/;

/** How the CLI signs its commands. */
export function cliContext(): CallContext {
  return { actor: 'cli', source: 'cli', correlationId: randomUUID() };
}

/**
 * Runs `work` with the trading service over the configured store (embedded PGlite in
 * `DATA_DIR` by default) and the configured market, closing both afterwards.
 */
export async function withTrading<T>(
  deps: CliDeps,
  work: (service: AccountService) => Promise<T>,
): Promise<T> {
  const config = deps.config();
  const storage = await openStorage(config);
  const market = createDefaultMarket({ seed: config.marketSeed, clock: config.marketClock });
  try {
    return await work(new AccountService({ store: storage.eventStore, market }));
  } finally {
    market.close();
    await storage.close();
  }
}

/** Loads an account or fails with a message naming it. */
export async function existingAccount(
  service: AccountService,
  accountId: string,
): Promise<AccountState> {
  const { state } = await service.load(accountId);
  if (state.status !== 'open') throw new Error(`account ${accountId} not found`);
  return state;
}

/** The JSON summary of an account the CLI prints. */
function summary(accountId: string, state: AccountState) {
  return {
    id: accountId,
    name: state.name,
    ownerId: state.ownerId,
    accountType: state.settings.accountType,
    cash: state.cash,
    buyingPower: fmt(buyingPower(state)),
    realizedPnl: state.realizedPnl,
    feesPaid: state.feesPaid,
    openOrders: openOrders(state).length,
    positions: Object.values(state.positions).map((p) => ({
      symbol: p.symbol,
      qty: p.qty,
      costBasis: p.costBasis,
      realizedPnl: p.realizedPnl,
    })),
    openedAt: state.openedAt,
  };
}

/**
 * `paper-trading accounts open|list|show`: trading accounts in the configured store.
 */
export function register(program: Command, deps: CliDeps): void {
  const accounts = program.command('accounts').description('open, list and show trading accounts');

  accounts
    .command('open')
    .description('open an account with an initial cash deposit; prints its id')
    .requiredOption('--name <name>', 'account name')
    .requiredOption('--cash <amount>', 'initial cash, e.g. 100000 or 2500.50')
    .option('--owner <userId>', 'owning user id', 'local')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; cash: string; owner: string; json?: boolean }) => {
      if (!CASH.test(options.cash) || Number(options.cash) <= 0) {
        throw new Error(
          `--cash must be a positive amount with at most 2 decimals, got "${options.cash}"`,
        );
      }
      const name = options.name.trim();
      if (name.length === 0 || name.length > 100) {
        throw new Error('--name must be 1 to 100 characters');
      }
      await withTrading(deps, async (service) => {
        const opened = await service.openAccount(
          { ownerId: options.owner, name, initialCash: options.cash },
          cliContext(),
        );
        if (options.json) {
          deps.stdout.write(
            `${JSON.stringify({ ...summary(opened.accountId, opened.state), position: opened.position }, null, 2)}\n`,
          );
        } else {
          deps.stdout.write(
            `opened account ${opened.accountId} "${name}" with ${opened.state.cash} cash\n`,
          );
        }
      });
    });

  accounts
    .command('list')
    .description('list accounts (id, name, owner, cash, open orders)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withTrading(deps, async (service) => {
        const rows = [];
        for (const id of await service.listAccountIds()) {
          rows.push(summary(id, (await service.load(id)).state));
        }
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) deps.stdout.write('no accounts\n');
        for (const r of rows) {
          deps.stdout.write(
            `${r.id}  ${r.name}  owner ${r.ownerId ?? '-'}  cash ${r.cash}  open orders ${r.openOrders}\n`,
          );
        }
      });
    });

  accounts
    .command('show <accountId>')
    .description('cash, buying power, positions and open orders of an account')
    .option('--json', 'print JSON')
    .action(async (accountId: string, options: { json?: boolean }) => {
      await withTrading(deps, async (service) => {
        const state = await existingAccount(service, accountId);
        const s = summary(accountId, state);
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          return;
        }
        deps.stdout.write(
          [
            `account ${s.id} "${s.name}" (${s.accountType}, owner ${s.ownerId ?? '-'})`,
            `cash ${s.cash}  buying power ${s.buyingPower}  realized P&L ${s.realizedPnl}  fees ${s.feesPaid}`,
            `open orders ${s.openOrders}`,
            ...(s.positions.length === 0
              ? ['no positions']
              : s.positions.map((p) => `position ${p.symbol} ${p.qty} (cost ${p.costBasis})`)),
          ].join('\n') + '\n',
        );
      });
    });
}
