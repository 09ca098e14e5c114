/**
 * `npm run bench -- <name> [--quick]`: runs one benchmark, prints a markdown table and writes
 * `bench/results/<name>.json` and `.md` (`"quick": true` inside for a quick run).
 */
const benches: Record<string, () => Promise<{ run(quick: boolean): Promise<void> }>> = {
  analysis: () => import('./analysis.ts'),
  api: () => import('./api.ts'),
  backtest: () => import('./backtest.ts'),
  cache: () => import('./cache.ts'),
  eventstore: () => import('./eventstore.ts'),
  orders: () => import('./orders.ts'),
  options: () => import('./options.ts'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !(n in benches));
if (names.length === 0 || unknown.length > 0) {
  console.error(
    `${unknown.length > 0 ? `Unknown benchmark: ${unknown.join(', ')}. ` : ''}Usage: npm run bench -- <${Object.keys(benches).join('|')}> [--quick]`,
  );
  process.exit(2);
}
for (const name of names) {
  const load = benches[name];
  if (load) await (await load()).run(quick);
}
