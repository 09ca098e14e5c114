/**
 * Mocha root hooks (loaded through `.mocharc.json`). Test services are started lazily by the
 * suites that need them (`services.ts`); this drops and stops them once the run is over.
 */
import { stopServices } from './services.ts';

// Under `npm run coverage` (c8) this process was started with NODE_V8_COVERAGE, and Node has
// already taken the directory from it. Child processes and worker threads the tests start
// (servers, `paper-trading mcp`, CLI runs, backtest workers) would inherit it and report the
// same files through another tsx transform, which c8 cannot merge with ours: the figures of
// every file they load would drop. So nothing started from here writes coverage.
delete process.env.NODE_V8_COVERAGE;

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopServices();
  },
};
