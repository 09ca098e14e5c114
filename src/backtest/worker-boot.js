// The entry of a backtest worker thread. A worker gets no TypeScript loader from its parent
// (hooks registered at run time, as `bin/paper-trading.js` does, stay in their thread), so it
// registers tsx itself before loading the worker module.
const { register } = await import('tsx/esm/api');
register();
await import('./worker.ts');
