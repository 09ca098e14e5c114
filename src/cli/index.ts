/**
 * The `paper-trading` command. Subcommands live in `./commands/` (one file each, listed in
 * `./commands/index.ts`); this file only builds the program and turns failures into a message
 * on stderr and an exit code.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../app/version.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { commandModules } from './commands/index.ts';
import type { CliDeps, CommandModule, Output } from './deps.ts';

export type { CliDeps, CommandModule, Output } from './deps.ts';

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: Output;
  readonly stderr?: Output;
  /** Defaults to the modules in `./commands/index.ts`. */
  readonly commands?: readonly CommandModule[];
}

/** Builds the program; parsing errors throw `CommanderError` instead of exiting the process. */
export function createProgram(deps: CliDeps, commands = commandModules): Command {
  const program = new Command('paper-trading')
    .description(
      'Open Paper Trading: an event-sourced paper-trading venue for people and AI agents',
    )
    .version(deps.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run paper-trading --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        deps.stdout.write(text);
      },
      writeErr: (text) => {
        deps.stderr.write(text);
      },
    });
  program.helpCommand('help [command]', 'show help for a command');
  for (const module of commands) module.register(program, deps);
  return program;
}

/**
 * Runs the CLI on `argv` (`process.argv` shape: node, script, args…) and resolves with the exit
 * code: 0 on success, `--help` and `--version`; non-zero with a message on stderr otherwise.
 */
export async function runCli(argv: readonly string[], options: CliOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stderr = options.stderr ?? process.stderr;
  let config: Config | undefined;
  const deps: CliDeps = {
    version: VERSION,
    env,
    config: () => (config ??= loadConfig(env)),
    stdout: options.stdout ?? process.stdout,
    stderr,
  };
  const program = createProgram(deps, options.commands);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    // Commander has already printed its own message (usage errors, --help, --version).
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`${error instanceof ConfigError ? '' : 'paper-trading: '}${message}\n`);
    return 1;
  }
}
