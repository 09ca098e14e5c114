/**
 * The CLI's subcommands. To add one (`accounts`, `orders`, `projections`, `ledger`, `bench`…):
 * create `src/cli/commands/<name>.ts` exporting `register(program, deps)` (see `CommandModule`
 * in `../deps.ts`), then add it to this list. Help lists commands in this order.
 */
import type { CommandModule } from '../deps.ts';
import * as accounts from './accounts.ts';
import * as backtest from './backtest.ts';
import * as data from './data.ts';
import * as engine from './engine.ts';
import * as ledger from './ledger.ts';
import * as mcp from './mcp.ts';
import * as orders from './orders.ts';
import * as options from './options.ts';
import * as projections from './projections.ts';
import * as serve from './serve.ts';
import * as users from './users.ts';

export const commandModules: readonly CommandModule[] = [
  serve,
  mcp,
  projections,
  users,
  ledger,
  accounts,
  orders,
  engine,
  data,
  backtest,
  options,
];
