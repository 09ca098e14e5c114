import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPgliteDatabase, openPostgresDatabase } from '../src/eventstore/database.ts';
import { MemoryEventStore } from '../src/eventstore/memory.ts';
import { openPgliteEventStore } from '../src/eventstore/pglite.ts';
import { openPostgresEventStore } from '../src/eventstore/postgres.ts';
import type { EventStore } from '../src/eventstore/port.ts';
import { percentile, report, round } from './report.ts';
import { latencies, scratchDatabase, throughput } from './support.ts';

const payload = (i: number) => ({
  orderId: `ord-${i}`,
  symbol: 'AAPL',
  qty: '10',
  price: '189.42',
  side: 'buy',
});

const one = (i: number) => [{ type: 'OrderPlaced', data: payload(i) }];

/** Event-store benchmark (issue 3): append latency and throughput per adapter, catch-up speed. */
export async function run(quick: boolean): Promise<void> {
  const n = quick ? 500 : 3000;
  const seconds = quick ? 2 : 8;
  const catchupEvents = quick ? 20_000 : 200_000;
  const metrics: Record<string, number> = {};

  // PostgreSQL server
  const scratch = await scratchDatabase();
  try {
    const database = await openPostgresDatabase(scratch.url, 24);
    const store = await openPostgresEventStore({ database });
    const lat = await latencies(n, (i) => store.append(`account-p${i % 100}`, one(i)));
    metrics.postgres_append_p50_ms = round(percentile(lat, 50));
    metrics.postgres_append_p99_ms = round(percentile(lat, 99));
    metrics.postgres_appends_per_s_16w = Math.round(
      await throughput(16, seconds * 1000, (w, i) => store.append(`account-w${w}-${i}`, one(i))),
    );
    const raw = new pg.Pool({ connectionString: scratch.url, max: 24 });
    await raw.query(
      'CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream_id text NOT NULL, type text NOT NULL, data json NOT NULL)',
    );
    metrics.postgres_raw_inserts_per_s_16w = Math.round(
      await throughput(16, seconds * 1000, (w, i) =>
        raw.query('INSERT INTO raw_events (stream_id, type, data) VALUES ($1, $2, $3)', [
          `account-w${w}-${i}`,
          'OrderPlaced',
          JSON.stringify(payload(i)),
        ]),
      ),
    );
    await raw.end();
    metrics.postgres_16w_share_of_raw = round(
      metrics.postgres_appends_per_s_16w / metrics.postgres_raw_inserts_per_s_16w,
      3,
    );

    // Catch-up: fill in batches of 100, then drain a subscription from the start.
    await database.pool.query('TRUNCATE eventstore.events, eventstore.streams');
    for (let i = 0; i < catchupEvents / 100; i++) {
      await store.append(
        `account-c${i}`,
        Array.from({ length: 100 }, (_, k) => ({
          type: 'OrderFilled',
          data: payload(i * 100 + k),
        })),
      );
    }
    metrics.subscription_catchup_events_per_s = Math.round(await catchUp(store, catchupEvents));
    await store.close();
    await database.close();
  } finally {
    await scratch.drop();
  }

  // Embedded PGlite on disk, as `npm start` runs it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opt-bench-pglite-'));
  try {
    const database = await openPgliteDatabase(dir);
    const store = await openPgliteEventStore({ database });
    await latencies(50, (i) => store.append(`account-warm${i}`, one(i)));
    const lat = await latencies(n, (i) => store.append(`account-g${i % 100}`, one(i)));
    metrics.pglite_append_p50_ms = round(percentile(lat, 50));
    metrics.pglite_append_p99_ms = round(percentile(lat, 99));
    metrics.pglite_appends_per_s = Math.round(
      await throughput(16, seconds * 1000, (w, i) => store.append(`account-w${w}-${i}`, one(i))),
    );
    await store.close();
    await database.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const memory = new MemoryEventStore();
  metrics.memory_appends_per_s = Math.round(
    await throughput(16, seconds * 1000, (w, i) => memory.append(`account-w${w}-${i}`, one(i))),
  );
  await memory.close();

  report('eventstore', quick, metrics, {
    postgres:
      'one append = one round trip to a plpgsql function; positions are xid8-ordered (ADR 0003)',
    load: `latency: ${n} sequential single-event appends; throughput: ${seconds}s per run, 1 event per append`,
    catchup: `${catchupEvents} events on PostgreSQL, drained by one subscription in batches of 1000`,
  });
}

async function catchUp(store: EventStore, expected: number): Promise<number> {
  const start = performance.now();
  const sub = store.subscribeToAll({ batchSize: 1000 });
  let seen = 0;
  while (seen < expected) seen += (await sub.nextBatch()).length;
  await sub.close();
  return seen / ((performance.now() - start) / 1000);
}
