import { pino, type Logger } from 'pino';
import { REDACTED_LOG_PATHS } from '../api/hardening.ts';
import type { Config } from '../config.ts';

/**
 * The process logger: JSON lines on stderr, so stdout stays free for command output
 * (`paper-trading accounts list` prints data; logs must not mix into it). Every logger of the
 * process descends from this one, so secrets (passwords, tokens, API keys, the Alpaca secret
 * header) are censored everywhere: the HTTP layer, the engine, MCP and the CLI alike.
 */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'paper-trading', pid: process.pid },
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
