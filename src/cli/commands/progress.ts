/**
 * A progress bar on stderr when stderr is a terminal (cli-progress), nothing otherwise: logs,
 * pipes and tests get only the summary at the end.
 */
import { SingleBar } from 'cli-progress';
import type { CliDeps } from '../deps.ts';

export interface Progress {
  start(total: number, label: string): void;
  update(value: number, total?: number): void;
  stop(): void;
}

const NONE: Progress = { start: () => undefined, update: () => undefined, stop: () => undefined };

/** A bar when the CLI writes to a terminal's stderr, else a no-op. */
export function progressFor(deps: CliDeps): Progress {
  if (deps.stderr !== process.stderr || !process.stderr.isTTY) return NONE;
  let bar: SingleBar | undefined;
  return {
    start(total, label) {
      bar?.stop();
      bar = new SingleBar({
        format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      });
      bar.start(Math.max(1, total), 0);
    },
    update(value, total) {
      if (total !== undefined) bar?.setTotal(Math.max(1, total));
      bar?.update(value);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
