/**
 * Mocha root hooks (loaded through `.mocharc.json`). Test services are started lazily by the
 * suites that need them (`services.ts`); this drops and stops them once the run is over.
 */
import { stopServices } from './services.ts';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopServices();
  },
};
