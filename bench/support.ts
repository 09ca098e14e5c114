import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A throwaway database on the benchmark's PostgreSQL server (DATABASE_URL or local defaults). */
export async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `opt_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Runs `work` from `writers` concurrent loops for `durationMs`; returns completed operations per second. */
export async function throughput(
  writers: number,
  durationMs: number,
  work: (writer: number, i: number) => Promise<unknown>,
): Promise<number> {
  const deadline = performance.now() + durationMs;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await work(w, i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/** Latencies in ms of `count` sequential calls, sorted ascending. */
export async function latencies(
  count: number,
  work: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await work(i);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}
