// The entry of a backtest job's worker thread (see service.ts): registers tsx, then runs it.
const { register } = await import('tsx/esm/api');
register();
await import('./job-worker.ts');
