import type { Command } from 'commander';
import type { Config } from '../config.ts';

/** Where a command writes; process streams in production, buffers in tests. */
export interface Output {
  write(text: string): void;
}

/** What every subcommand receives from the CLI. */
export interface CliDeps {
  readonly version: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * The validated configuration, loaded on first call, so `--help` works whatever the
   * environment holds. @throws ConfigError — `runCli` prints it and exits non-zero.
   */
  config(): Config;
  readonly stdout: Output;
  readonly stderr: Output;
}

/**
 * A subcommand module (`src/cli/commands/<name>.ts`). `register` adds its commands to the
 * program and must not do I/O: work happens in the commander action, which may be async and
 * must close whatever it opens so the process can exit.
 */
export interface CommandModule {
  register(program: Command, deps: CliDeps): void;
}
