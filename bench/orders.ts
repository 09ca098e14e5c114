import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountService, type CallContext } from '../src/commands/accounts.ts';
import { equity } from '../src/domain/instrument.ts';
import type { OrderRequest } from '../src/domain/account/index.ts';
import { ExecutionEngine, SqlEngineStore } from '../src/engine/index.ts';
import { openStorage, type Storage } from '../src/eventstore/index.ts';
import { createDefaultMarket, SimulatedClock } from '../src/market/index.ts';
import { scriptedMarket } from '../test/engine/support.ts';
import { percentile, report, round } from './report.ts';
import { latencies, scratchDatabase, throughput } from './support.ts';

/** Monday 2025-03-03, 10:00 New York: the regular session. */
const SESSION = new Date('2025-03-03T15:00:00.000Z');
const who: CallContext = { actor: 'bench', source: 'test' };

const market = (side: 'buy' | 'sell', symbol = 'AAPL'): OrderRequest => ({
  instrument: equity(symbol),
  side,
  type: 'market',
  timeInForce: 'day',
  qty: '1',
});

export async function openAccounts(
  service: AccountService,
  n: number,
  prefix: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { accountId } = await service.openAccount(
      { ownerId: 'bench', name: `${prefix}${i}`, initialCash: '100000000' },
      who,
    );
    ids.push(accountId);
  }
  return ids;
}

export function frozenDefaultMarket() {
  return createDefaultMarket({
    seed: 42,
    clock: new SimulatedClock({ start: SESSION, speed: 0 }),
    haltProbability: 0,
  });
}

/** Place → fill latency of market orders in process on embedded PGlite (the default store). */
async function placeFill(quick: boolean, metrics: Record<string, number>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opt-bench-orders-'));
  const storage = await openStorage({
    dataDir: dir,
    databaseUrl: undefined,
    eventStoreAdapter: 'pglite',
  });
  try {
    const service = new AccountService({
      store: storage.eventStore,
      market: frozenDefaultMarket(),
    });
    const accounts = await openAccounts(service, 100, 'pf');
    const place = (i: number) =>
      service.placeOrder(accounts[i % 100] ?? '', market(i % 200 < 100 ? 'buy' : 'sell'), {}, who);
    await latencies(200, place); // warm-up: JIT, prepared statements, state cache
    const lat = await latencies(quick ? 500 : 3000, async (i) => {
      const placed = await place(i);
      if (placed.order?.status !== 'filled') throw new Error('market order did not fill');
    });
    metrics.place_fill_p50_ms = round(percentile(lat, 50));
    metrics.place_fill_p99_ms = round(percentile(lat, 99));
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresStorage(url: string): Promise<Storage> {
  return openStorage({ dataDir: os.tmpdir(), databaseUrl: url, eventStoreAdapter: 'postgres' });
}

/**
 * One writer per account placing market orders (buy, sell, …) that fill at once, for `ms`:
 * orders per second and this process's CPU (user + system) per order in µs.
 */
export async function orderRound(
  service: AccountService,
  accounts: readonly string[],
  ms: number,
): Promise<{ rate: number; placed: number; cpuUsPerOrder: number }> {
  let placed = 0;
  const cpu = process.cpuUsage();
  const rate = await throughput(accounts.length, ms, async (w, i) => {
    await service.placeOrder(accounts[w] ?? '', market(i % 2 === 0 ? 'buy' : 'sell'), {}, who);
    placed++;
  });
  const used = process.cpuUsage(cpu);
  return { rate, placed, cpuUsPerOrder: (used.user + used.system) / Math.max(placed, 1) };
}

/** Concurrent market orders across 100 accounts on PostgreSQL (one writer per account). */
async function ordersPerSecond(quick: boolean, metrics: Record<string, number>): Promise<void> {
  const scratch = await scratchDatabase();
  try {
    const storage = await postgresStorage(scratch.url);
    const service = new AccountService({
      store: storage.eventStore,
      market: frozenDefaultMarket(),
    });
    const accounts = await openAccounts(service, 100, 'tp');
    const { rate, cpuUsPerOrder } = await orderRound(service, accounts, (quick ? 3 : 10) * 1000);
    metrics.orders_per_s = Math.round(rate);
    metrics.orders_cpu_us_per_order = round(cpuUsPerOrder, 1);
    await storage.close();
  } finally {
    await scratch.drop();
  }
}

/**
 * Quote → fill lag of the engine: open buy limits below and buy stops above the price on 20
 * symbols, quotes pushed at a fixed rate as random walks; lag = from the quote's arrival in the
 * engine to the fill's append returning.
 */
async function triggerLag(
  quick: boolean,
  metrics: Record<string, number>,
  notes: Record<string, string>,
): Promise<void> {
  const accountsN = quick ? 100 : 1000;
  const perAccount = 10;
  const quotesPerSecond = 1000;
  const seconds = quick ? 5 : 20;
  const scratch = await scratchDatabase();
  try {
    const storage = await postgresStorage(scratch.url);
    const { market: scripted } = scriptedMarket(SESSION);
    const symbols = scripted
      .assets()
      .slice(0, 20)
      .map((a) => a.symbol);
    const price = new Map(symbols.map((s) => [s, 100]));
    for (const s of symbols) scripted.push(s, { last: '100.00' });
    const service = new AccountService({ store: storage.eventStore, market: scripted });
    const accounts = await openAccounts(service, accountsN, 'lag');
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    await Promise.all(
      accounts.map(async (accountId) => {
        for (let k = 0; k < perAccount; k++) {
          const symbol = symbols[Math.floor(random() * symbols.length)] ?? 'AAPL';
          const offset = 0.05 + random() * 5;
          const limit = k % 2 === 0;
          await service.placeOrder(
            accountId,
            {
              instrument: equity(symbol),
              side: 'buy',
              type: limit ? 'limit' : 'stop',
              timeInForce: 'gtc',
              qty: '1',
              ...(limit
                ? { limitPrice: (100 - offset).toFixed(2) }
                : { stopPrice: (100 + offset).toFixed(2) }),
            },
            {},
            who,
          );
        }
      }),
    );
    const lags: number[] = [];
    const engine = new ExecutionEngine({
      service: new AccountService({ store: storage.eventStore, market: scripted }),
      events: storage.eventStore,
      state: new SqlEngineStore(storage.database),
      onApplied: (applied) => {
        if (applied.action === 'fill' || applied.action === 'trigger') {
          lags.push(performance.now() - applied.receivedAt);
        }
      },
    });
    await engine.start();
    await engine.whenActive();
    const openBefore = engine.openOrders;
    const total = quotesPerSecond * seconds;
    const started = performance.now();
    let sent = 0;
    // Pushes quotes on schedule (catching up if a timer fires late), 1 ms timer granularity.
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(
          total,
          Math.floor(((performance.now() - started) / 1000) * quotesPerSecond),
        );
        for (; sent < due; sent++) {
          const symbol = symbols[sent % symbols.length] ?? 'AAPL';
          const next = Math.max(
            90,
            Math.min(110, (price.get(symbol) ?? 100) + (random() - 0.5) * 0.2),
          );
          price.set(symbol, next);
          scripted.push(symbol, { last: next.toFixed(2) });
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const elapsed = (performance.now() - started) / 1000;
    await engine.idle();
    await engine.stop();
    lags.sort((a, b) => a - b);
    metrics.engine_trigger_lag_p50_ms = round(percentile(lags, 50));
    metrics.engine_trigger_lag_p99_ms = round(percentile(lags, 99));
    metrics.engine_fills = lags.length;
    metrics.engine_quotes_per_s = Math.round(total / elapsed);
    notes.engine = `${openBefore} open orders (half buy limits below, half buy stops above the price) across ${accountsN} accounts on 20 symbols, PostgreSQL store, ${total} quotes at ${quotesPerSecond}/s; lag = quote arrival in the engine → fill append returned${quick ? '; QUICK: scaled down from 10,000 orders / 1,000 accounts / 20 s' : ''}`;
    await storage.close();
  } finally {
    await scratch.drop();
  }
}

/** Orders benchmark (issue 4): place → fill latency, order throughput, engine trigger lag. */
export async function run(quick: boolean): Promise<void> {
  const metrics: Record<string, number> = {};
  const notes: Record<string, string> = {};
  await placeFill(quick, metrics);
  await ordersPerSecond(quick, metrics);
  await triggerLag(quick, metrics, notes);
  try {
    const es = JSON.parse(
      readFileSync(path.join(import.meta.dirname, 'results', 'eventstore.json'), 'utf8'),
    ) as { metrics: Record<string, number> };
    const base = es.metrics.postgres_appends_per_s_16w;
    if (base !== undefined) {
      metrics.orders_per_s_share_of_16w_appends = round((metrics.orders_per_s ?? 0) / base, 3);
    }
  } catch {
    // No event-store result to compare with.
  }
  report('orders', quick, metrics, {
    place_fill: `in process on embedded PGlite (on disk, hash chain on, as \`npm start\`), ${quick ? 500 : 3000} sequential market orders over 100 accounts; an order = one PlaceOrder decision appending OrderPlaced + OrderFilled`,
    orders_per_s: `PostgreSQL, 100 concurrent writers, one per account, ${quick ? 3 : 10} s, market orders that fill at once (hash chain on)`,
    orders_cpu_us_per_order: `process CPU (user + system, process.cpuUsage) of the venue process over the orders_per_s phase divided by the orders placed, in µs: the decider, fold, hashing and PostgreSQL client work per order (not the PostgreSQL server's). It should stay flat as accounts accumulate orders (ADR 0012); a rising figure means per-order work grows with the account's history`,
    ...notes,
  });
}
