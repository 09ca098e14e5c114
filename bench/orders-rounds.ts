/**
 * Reproduction of the orders_per_s decay (ADR 0012): 100 fresh accounts on a scratch
 * PostgreSQL database, then four 3-s rounds of 100 concurrent writers (one per account)
 * placing market orders that fill at once. Prints each round's rate and process CPU per order;
 * flat CPU per order across rounds means per-order work does not grow with the account's
 * history. Not a figure of record: `npx tsx bench/orders-rounds.ts [rounds] [seconds]`.
 */
import os from 'node:os';
import { AccountService, type CallContext } from '../src/commands/accounts.ts';
import { equity } from '../src/domain/instrument.ts';
import { openStorage } from '../src/eventstore/index.ts';
import { createDefaultMarket, SimulatedClock } from '../src/market/index.ts';
import { scratchDatabase, throughput } from './support.ts';

const who: CallContext = { actor: 'bench', source: 'test' };
const rounds = Number(process.argv[2] ?? 4);
const seconds = Number(process.argv[3] ?? 3);

const scratch = await scratchDatabase();
try {
  const storage = await openStorage({
    dataDir: os.tmpdir(),
    databaseUrl: scratch.url,
    eventStoreAdapter: 'postgres',
  });
  const service = new AccountService({
    store: storage.eventStore,
    market: createDefaultMarket({
      seed: 42,
      clock: new SimulatedClock({ start: new Date('2025-03-03T15:00:00.000Z'), speed: 0 }),
      haltProbability: 0,
    }),
  });
  const accounts: string[] = [];
  for (let i = 0; i < 100; i++) {
    const { accountId } = await service.openAccount(
      { ownerId: 'bench', name: `r${String(i)}`, initialCash: '100000000' },
      who,
    );
    accounts.push(accountId);
  }
  let total = 0;
  for (let r = 1; r <= rounds; r++) {
    let placed = 0;
    const cpu = process.cpuUsage();
    const rate = await throughput(100, seconds * 1000, async (w, i) => {
      await service.placeOrder(
        accounts[w] ?? '',
        {
          instrument: equity('AAPL'),
          side: i % 2 === 0 ? 'buy' : 'sell',
          type: 'market',
          timeInForce: 'day',
          qty: '1',
        },
        {},
        who,
      );
      placed++;
    });
    const used = process.cpuUsage(cpu);
    total += placed;
    console.log(
      `round ${String(r)}: ${String(Math.round(rate))} orders/s, ${((used.user + used.system) / placed).toFixed(0)} µs CPU/order, ${String(Math.round(total / 100))} orders per account so far`,
    );
  }
  await storage.close();
} finally {
  await scratch.drop();
}
