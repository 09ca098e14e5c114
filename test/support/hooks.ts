// Mocha root hooks: shared test services are started and stopped here.
export const mochaHooks = {};
