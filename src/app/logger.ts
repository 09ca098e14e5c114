import { pino, type Logger } from 'pino';
import type { Config } from '../config.ts';

/**
 * The process logger: JSON lines on stderr, so stdout stays free for command output
 * (`paper-trading accounts list` prints data; logs must not mix into it).
 */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino(
    { level: config.logLevel, base: { service: 'paper-trading', pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  );
}
