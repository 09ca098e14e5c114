/**
 * `npm run bench -- options`: option pricing and trading speed.
 * - `chain_full_ms`: one underlying's whole chain (every listed expiration and strike, quotes
 *   and greeks) rebuilt for a new underlying quote — the work done each time the underlying
 *   moves; `chain_cold_ms` adds building the listing (first request of the day).
 * - `greeks_per_s`: Black–Scholes–Merton prices with every greek, one core, tight loop.
 * - `iv_solves_per_s`: implied volatilities, one core.
 * - `spread_place_fill_p50_ms`: a two-leg credit spread placed and filled at once in process
 *   (one decision, one append of the order, its legs and two fills) on embedded PGlite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountService, type CallContext } from '../src/commands/accounts.ts';
import type { OrderRequest } from '../src/domain/account/index.ts';
import { equity } from '../src/domain/instrument.ts';
import {
  bsmInto,
  bsmPrice,
  emptyGreeks,
  solveImpliedVolatility,
} from '../src/domain/options/index.ts';
import { optionInstrument, parseOcc } from '../src/domain/options/contract.ts';
import { openStorage } from '../src/eventstore/index.ts';
import { createDefaultMarket, nyseCalendar, SimulatedClock } from '../src/market/index.ts';
import { ChainBuilder, OptionsMarket } from '../src/market/options/index.ts';
import { percentile, report, round } from './report.ts';
import { latencies } from './support.ts';

/** Monday 2025-03-03, 10:00 New York. */
const SESSION = new Date('2025-03-03T15:00:00.000Z');
const who: CallContext = { actor: 'bench', source: 'test' };

function frozenMarket() {
  return createDefaultMarket({
    seed: 42,
    clock: new SimulatedClock({ start: SESSION, speed: 0 }),
    haltProbability: 0,
  });
}

/** Deterministic inputs for the pricing loops. */
function inputs(n: number) {
  let seed = 987654321;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const spot = new Float64Array(n);
  const strike = new Float64Array(n);
  const years = new Float64Array(n);
  const vol = new Float64Array(n);
  const call = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    spot[i] = 20 + 500 * random();
    strike[i] = (spot[i] ?? 100) * (0.7 + 0.6 * random());
    years[i] = 2 / 365 + 2 * random();
    vol[i] = 0.1 + 0.8 * random();
    call[i] = random() < 0.5 ? 1 : 0;
  }
  return { spot, strike, years, vol, call };
}

function pricing(quick: boolean, metrics: Record<string, number>): void {
  const n = 100_000;
  const x = inputs(n);
  const g = emptyGreeks();
  const rounds = quick ? 10 : 50;
  let sink = 0;
  // Warm-up: JIT.
  for (let i = 0; i < n; i++)
    sink += bsmInto(
      g,
      x.call[i] === 1,
      x.spot[i] ?? 0,
      x.strike[i] ?? 0,
      x.years[i] ?? 0,
      0.04,
      0.01,
      x.vol[i] ?? 0,
    ).delta;
  let start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) {
      sink += bsmInto(
        g,
        x.call[i] === 1,
        x.spot[i] ?? 0,
        x.strike[i] ?? 0,
        x.years[i] ?? 0,
        0.04,
        0.01,
        x.vol[i] ?? 0,
      ).vega;
    }
  }
  metrics.greeks_per_s = Math.round((rounds * n) / ((performance.now() - start) / 1000));

  const prices = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    prices[i] = bsmPrice(
      x.call[i] === 1,
      x.spot[i] ?? 0,
      x.strike[i] ?? 0,
      x.years[i] ?? 0,
      0.04,
      0.01,
      x.vol[i] ?? 0,
    );
  }
  const solve = (i: number): number => {
    try {
      return solveImpliedVolatility(
        x.call[i] === 1,
        prices[i] ?? 0,
        x.spot[i] ?? 0,
        x.strike[i] ?? 0,
        x.years[i] ?? 0,
        0.04,
        0.01,
      );
    } catch {
      return 0;
    }
  };
  for (let i = 0; i < n; i++) sink += solve(i);
  const ivRounds = quick ? 3 : 10;
  start = performance.now();
  for (let r = 0; r < ivRounds; r++) for (let i = 0; i < n; i++) sink += solve(i);
  metrics.iv_solves_per_s = Math.round((ivRounds * n) / ((performance.now() - start) / 1000));
  if (sink === 42) console.log('');
}

function chains(
  quick: boolean,
  metrics: Record<string, number>,
  notes: Record<string, string>,
): void {
  const market = frozenMarket();
  const underlying = 'TSLA';
  const quote = market.latestQuote(underlying);
  if (quote === undefined) throw new Error('no quote');
  const builder = new ChainBuilder(7, nyseCalendar, { riskFreeRate: 0.04 });
  // Cold: the first chain of the day also builds the listing.
  const cold: number[] = [];
  for (let i = 0; i < (quick ? 5 : 20); i++) {
    const fresh = new ChainBuilder(7 + i, nyseCalendar, { riskFreeRate: 0.04 });
    const t = performance.now();
    fresh.chain(underlying, quote);
    cold.push(performance.now() - t);
  }
  let contracts = 0;
  for (let i = 0; i < 20; i++)
    contracts = builder.chain(underlying, { ...quote, seq: quote.seq + i }).contracts.length;
  const warm: number[] = [];
  for (let i = 0; i < (quick ? 50 : 300); i++) {
    const t = performance.now();
    builder.chain(underlying, { ...quote, seq: quote.seq + 1000 + i });
    warm.push(performance.now() - t);
  }
  if (contracts < 2000) throw new Error(`${underlying} lists only ${contracts} contracts`);
  warm.sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  metrics.chain_full_ms = round(percentile(warm, 50));
  metrics.chain_full_p99_ms = round(percentile(warm, 99));
  metrics.chain_cold_ms = round(percentile(cold, 50));
  metrics.chain_contracts = contracts;
  notes.chain = `${underlying}: ${contracts} contracts (every listed expiration and strike) priced with quotes and greeks for a new underlying quote; median of ${warm.length} rebuilds (cold: first chain of the day, listing included)`;
  market.close();
}

async function spreads(
  quick: boolean,
  metrics: Record<string, number>,
  notes: Record<string, string>,
): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opt-bench-options-'));
  const storage = await openStorage({
    dataDir: dir,
    databaseUrl: undefined,
    eventStoreAdapter: 'pglite',
  });
  try {
    const market = new OptionsMarket(frozenMarket(), { seed: 42 });
    const service = new AccountService({ store: storage.eventStore, market });
    const chain = market.chain('AAPL');
    if (chain === undefined) throw new Error('no chain');
    const expiration = chain.expirations[2] ?? '';
    const spot = Number(chain.underlyingQuote.last);
    const calls = chain.contracts.filter(
      (c) => c.contract.expiration === expiration && c.contract.right === 'call',
    );
    const short = calls.find((c) => Number(c.contract.strike) >= spot * 1.02);
    const long = calls.find(
      (c) => short !== undefined && Number(c.contract.strike) === Number(short.contract.strike) + 5,
    );
    if (short === undefined || long === undefined) throw new Error('no strikes');
    const leg = (symbol: string) => {
      const c = parseOcc(symbol);
      if (c === undefined) throw new Error('bad symbol');
      return optionInstrument(c);
    };
    const spread = (open: boolean): OrderRequest => ({
      instrument: leg(short.contract.symbol),
      side: 'sell',
      type: 'limit',
      timeInForce: 'day',
      qty: '1',
      orderClass: 'mleg',
      // Marketable both ways: open for any credit of at least a cent, close for up to the width.
      limitPrice: open ? '-0.01' : '5',
      legs: [
        { instrument: leg(short.contract.symbol), side: open ? 'sell' : 'buy', ratioQty: '1' },
        { instrument: leg(long.contract.symbol), side: open ? 'buy' : 'sell', ratioQty: '1' },
      ],
    });
    const accounts: string[] = [];
    for (let i = 0; i < 100; i++) {
      accounts.push(
        (
          await service.openAccount(
            { ownerId: 'bench', name: `o${i}`, initialCash: '10000000' },
            who,
          )
        ).accountId,
      );
    }
    const place = async (i: number): Promise<void> => {
      // Each account alternates open and close, so positions stay one spread deep.
      const account = accounts[i % 100] ?? '';
      const placed = await service.placeOrder(
        account,
        spread(Math.floor(i / 100) % 2 === 0),
        {},
        who,
      );
      if (placed.order?.status !== 'filled')
        throw new Error(
          `spread not filled: ${placed.rejection?.reason ?? placed.order?.status ?? '?'}`,
        );
    };
    await latencies(200, place);
    const lat = await latencies(quick ? 400 : 2000, (i) => place(i + 200));
    metrics.spread_place_fill_p50_ms = round(percentile(lat, 50));
    metrics.spread_place_fill_p99_ms = round(percentile(lat, 99));
    // The same machine and store placing one-share stock market orders, for scale (the orders
    // benchmark's place_fill): how much of a spread's time is the machine.
    const stock = await latencies(quick ? 400 : 2000, async (i) => {
      const placed = await service.placeOrder(
        accounts[i % 100] ?? '',
        {
          instrument: equity('AAPL'),
          side: i % 200 < 100 ? 'buy' : 'sell',
          type: 'market',
          timeInForce: 'day',
          qty: '1',
        },
        {},
        who,
      );
      if (placed.order?.status !== 'filled') throw new Error('stock order did not fill');
    });
    metrics.stock_place_fill_p50_ms = round(percentile(stock, 50));
    notes.spread = `in process on embedded PGlite (on disk, hash chain on, as \`npm start\`), ${lat.length} sequential two-leg AAPL call credit spreads (and their closes) over 100 accounts; one PlaceOrder decision appending OrderPlaced × 3 + OrderFilled × 2`;
    market.close();
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the options benchmark. */
export async function run(quick: boolean): Promise<void> {
  const metrics: Record<string, number> = {};
  const notes: Record<string, string> = {};
  pricing(quick, metrics);
  chains(quick, metrics, notes);
  await spreads(quick, metrics, notes);
  notes.pricing =
    'one core: 100,000 varied contracts priced with every greek (bsmInto, no allocation) per round; implied volatilities solved from their prices';
  notes.targets =
    'chain_full_ms ≤ 20 with ≥ 2,000 contracts; greeks_per_s ≥ 1,000,000; iv_solves_per_s ≥ 200,000; spread_place_fill_p50_ms ≤ 3';
  report('options', quick, metrics, notes);
}
