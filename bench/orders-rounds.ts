/**
 * Reproduction of the orders_per_s decay (ADR 0012): 100 fresh accounts on a scratch
 * PostgreSQL database, then four 3-s rounds of 100 concurrent writers (one per account)
 * placing market orders that fill at once. Prints each round's rate and process CPU per order;
 * flat CPU per order across rounds means per-order work does not grow with the account's
 * history. Not a figure of record: `npx tsx bench/orders-rounds.ts [rounds] [seconds]`.
 */
import os from 'node:os';
import { AccountService } from '../src/commands/accounts.ts';
import { openStorage } from '../src/eventstore/index.ts';
import { frozenDefaultMarket, openAccounts, orderRound } from './orders.ts';
import { scratchDatabase } from './support.ts';

const rounds = Number(process.argv[2] ?? 4);
const seconds = Number(process.argv[3] ?? 3);
if (!Number.isInteger(rounds) || rounds < 1 || !(seconds > 0)) {
  console.error('Usage: npx tsx bench/orders-rounds.ts [rounds ≥ 1] [seconds > 0]');
  process.exit(2);
}

const scratch = await scratchDatabase();
try {
  const storage = await openStorage({
    dataDir: os.tmpdir(),
    databaseUrl: scratch.url,
    eventStoreAdapter: 'postgres',
  });
  const service = new AccountService({ store: storage.eventStore, market: frozenDefaultMarket() });
  const accounts = await openAccounts(service, 100, 'r');
  let total = 0;
  for (let r = 1; r <= rounds; r++) {
    const { rate, placed, cpuUsPerOrder } = await orderRound(service, accounts, seconds * 1000);
    total += placed;
    console.log(
      `round ${String(r)}: ${String(Math.round(rate))} orders/s, ${cpuUsPerOrder.toFixed(0)} µs CPU/order, ${String(Math.round(total / 100))} orders per account so far`,
    );
  }
  await storage.close();
} finally {
  await scratch.drop();
}
