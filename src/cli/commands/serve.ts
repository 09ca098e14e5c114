import { InvalidArgumentError, Option, type Command } from 'commander';
import { startServer, waitForSignal } from '../../api/server.ts';
import { ROLES, compose, type Role } from '../../app/compose.ts';
import { createLogger } from '../../app/logger.ts';
import { PORT_RULE, parsePort } from '../../config.ts';
import type { CliDeps } from '../deps.ts';

interface ServeOptions {
  readonly role: Role;
  readonly port?: number;
}

function portArgument(value: string): number {
  const port = parsePort(value);
  if (port === undefined) throw new InvalidArgumentError(PORT_RULE);
  return port;
}

/**
 * `paper-trading serve [--role all|api|engine] [--port N]`: runs until SIGINT or SIGTERM, then
 * stops accepting requests, lets in-flight ones finish and closes every resource.
 */
export function register(program: Command, deps: CliDeps): void {
  program
    .command('serve')
    .description('run the HTTP API (REST, MCP, health, metrics) and the execution engine')
    .addOption(
      new Option('--role <role>', 'all in one process, or the api / engine part alone')
        .choices(ROLES)
        .default('all'),
    )
    .option('--port <n>', 'HTTP port (overrides PORT)', portArgument)
    .action(async (options: ServeOptions) => {
      const config = deps.config();
      const port = options.port ?? config.port;
      const logger = createLogger(config);
      const composition = await compose(config, {
        role: options.role,
        version: deps.version,
        logger,
      });
      let server;
      try {
        server = await startServer(composition.app, { port, upgrade: composition.upgrade });
      } catch (error) {
        await composition.close();
        if ((error as { code?: unknown }).code === 'EADDRINUSE') {
          throw new Error(`Port ${port} is already in use (choose another with PORT or --port)`, {
            cause: error,
          });
        }
        throw error;
      }
      logger.info({ url: server.url, role: options.role, version: deps.version }, 'listening');

      const signal = await waitForSignal();
      logger.info({ signal }, 'shutting down');
      await server.close();
      await composition.close();
      logger.info('stopped');
    });
}
