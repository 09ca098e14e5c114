import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { waitForSignal } from '../../api/server.ts';
import { compose, type Composition, type Parts } from '../../app/compose.ts';
import { createLogger } from '../../app/logger.ts';
import { lockDataDir } from '../../mcp/data-dir-lock.ts';
import { apiKeyIdentity, localIdentity } from '../../mcp/local.ts';
import {
  CallTracker,
  createStartingMcpServer,
  type McpDeps,
  type McpSetup,
} from '../../mcp/server.ts';
import type { CliDeps } from '../deps.ts';

/** The MCP server's dependencies from the composed parts. */
function mcpDeps(parts: Parts, version: string): McpDeps {
  return {
    trading: parts.trading,
    market: parts.market,
    analysis: parts.analysis,
    risk: parts.risk,
    projections: parts.projections,
    accountEvents: parts.accountEvents,
    eventStore: parts.eventStore,
    options: parts.options,
    version,
    clock: parts.config.marketClock,
    ...(parts.backtests === undefined ? {} : { backtests: parts.backtests }),
    healthChecks: [
      { name: 'eventstore', check: () => parts.eventStore.ping() },
      {
        name: 'market',
        check: () =>
          parts.market.latestQuote('SPY') === undefined
            ? Promise.reject(new Error('no quote for SPY'))
            : Promise.resolve(),
      },
    ],
  };
}

/**
 * `paper-trading mcp`: the MCP server over stdio, for an MCP client that starts it as a
 * subprocess. It runs the whole venue in process (event store, projections, execution engine,
 * simulated market), acting as the local trader and its default account — or, with
 * `PAPER_TRADING_API_KEY`, as that key's owner. Stdout carries the protocol, so logs go to
 * stderr. The protocol is answered at once (`initialize`, `tools/list`) while the venue starts;
 * tool calls wait for it. It stops when the client closes stdin or on SIGINT/SIGTERM. With
 * embedded PGlite it locks `DATA_DIR`, and refuses to start while another process has it open.
 */
export function register(program: Command, deps: CliDeps): void {
  program
    .command('mcp')
    .description(
      'run the MCP server over stdio for an AI agent (the local trader, or PAPER_TRADING_API_KEY)',
    )
    .action(async () => {
      const config = deps.config();
      const logger = createLogger(config);
      const release =
        config.databaseUrl === undefined ? lockDataDir(config.dataDir, 'mcp') : () => undefined;
      let composition: Composition | undefined;
      try {
        const setup = (async (): Promise<McpSetup> => {
          composition = await compose(config, { role: 'all', version: deps.version, logger });
          const { parts } = composition;
          const apiKey = deps.env.PAPER_TRADING_API_KEY?.trim();
          const identity =
            apiKey === undefined || apiKey === ''
              ? await localIdentity({ users: parts.security.users, accounts: parts.accounts })
              : await apiKeyIdentity({ users: parts.security.users }, apiKey);
          return { deps: { ...mcpDeps(parts, deps.version), logger }, identity };
        })();
        const calls = new CallTracker();
        const server = createStartingMcpServer(setup, { version: deps.version, calls });
        const ended = new Promise<string>((resolve) => {
          process.stdin.once('end', () => {
            resolve('stdin closed');
          });
          process.stdin.once('close', () => {
            resolve('stdin closed');
          });
        });
        await server.connect(new StdioServerTransport(process.stdin, process.stdout));
        try {
          const { identity } = await setup;
          logger.info(
            {
              user: identity.principal.userId,
              account: identity.defaultAccountId,
              version: deps.version,
            },
            'MCP server on stdio',
          );
          const reason = await Promise.race([ended, waitForSignal()]);
          logger.info({ reason, inFlight: calls.active }, 'MCP server stopping');
          // The client sends SIGTERM 2 s after closing stdin: let calls in flight answer first.
          await calls.idle(1500);
        } finally {
          await server.close();
        }
      } finally {
        await composition?.close();
        release();
      }
    });
}
