/**
 * Mocha's `spec` reporter plus one plain summary line, `N passed, N failed` (`, N skipped` when
 * tests were pending or skipped). With `MOCHA_COUNTS_FILE` set the line is written to that file
 * instead of stdout, so `.ci/run` can print it as the very last line after cleaning up.
 *
 * Usage: `mocha --reporter ./test/support/counts-reporter.ts`.
 */
import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

/** The summary line for a finished run. */
export function countsLine(stats: Pick<Mocha.Stats, 'passes' | 'failures' | 'pending'>): string {
  const line = `${stats.passes} passed, ${stats.failures} failed`;
  return stats.pending > 0 ? `${line}, ${stats.pending} skipped` : line;
}

export default class CountsReporter extends Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    // Registered after Spec's own listener, so the line follows the usual epilogue.
    runner.once(EVENT_RUN_END, () => {
      const line = countsLine(runner.stats ?? { passes: 0, failures: 0, pending: 0 });
      const file = process.env.MOCHA_COUNTS_FILE;
      if (file) writeFileSync(file, `${line}\n`);
      else process.stdout.write(`${line}\n`);
    });
  }
}
