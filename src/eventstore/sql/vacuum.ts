import type { SqlExecutor } from './pool.ts';

/**
 * Autovacuum for embedded PGlite. PGlite is PostgreSQL in single-user mode: no postmaster, so
 * no autovacuum launcher, and nothing ever reclaims the row versions that updates leave behind
 * or refreshes the planner's statistics. The read models rewrite some rows on every batch (an
 * account's fold, its positions, the projections' checkpoints); without a vacuum their tables
 * and TOAST tables only grow: an order load of 40 s left 118–135 MB of TOAST behind 21 folds.
 *
 * This does what autovacuum does, from the same statistics and the same default thresholds:
 * every `intervalMs` it reads `pg_stat_all_tables` and runs `VACUUM` on each table (TOAST
 * included) whose dead row versions pass the threshold, `ANALYZE` on each whose changes since
 * the last analyze pass theirs. A PostgreSQL server runs its own autovacuum: this is for PGlite
 * only.
 */

/** How often a round runs unless told otherwise (`PGLITE_VACUUM_MS`). */
export const DEFAULT_VACUUM_INTERVAL_MS = 10_000;

/**
 * PostgreSQL's autovacuum defaults (`autovacuum_vacuum_threshold` and `…_scale_factor`, and
 * their `…_insert_…` pair), except for analyze: there autovacuum's 10 % would re-analyze a
 * growing table every tenth of its size, and ANALYZE samples up to 30,000 rows on the one
 * thread that also serves requests (fills: 165 ms for 4,572 rows). A table is analyzed when
 * its changes since the last analyze exceed its size, so a growing one about each time it
 * doubles; a small table that is rewritten all the time still is on most rounds, cheaply.
 */
export const AUTOVACUUM_DEFAULTS: Thresholds = {
  vacuumBase: 50,
  vacuumScale: 0.2,
  vacuumInsertBase: 1000,
  vacuumInsertScale: 0.2,
  analyzeBase: 50,
  analyzeScale: 1,
};

export interface Thresholds {
  readonly vacuumBase: number;
  readonly vacuumScale: number;
  /** Inserted rows (vacuumed so the visibility map and frozen transaction ids keep up). */
  readonly vacuumInsertBase: number;
  readonly vacuumInsertScale: number;
  readonly analyzeBase: number;
  readonly analyzeScale: number;
}

/** A table's counters, with those of its TOAST table (0 when it has none). */
export interface TableActivity {
  readonly schema: string;
  readonly table: string;
  readonly liveTuples: number;
  readonly deadTuples: number;
  readonly insertedSinceVacuum: number;
  readonly modifiedSinceAnalyze: number;
  readonly toastLiveTuples: number;
  readonly toastDeadTuples: number;
}

/** What one table needs, by autovacuum's rules. */
export interface Maintenance {
  readonly schema: string;
  readonly table: string;
  readonly vacuum: boolean;
  readonly analyze: boolean;
}

/**
 * The tables to vacuum or analyze, as autovacuum decides: vacuum when the dead row versions of
 * the table, or of its TOAST table, exceed `base + scale × live`, or the rows inserted since
 * the last vacuum exceed `insertBase + insertScale × live`; analyze when the rows changed
 * since the last analyze exceed `base + scale × live` (TOAST tables are never analyzed).
 */
export function maintenanceDue(
  tables: readonly TableActivity[],
  thresholds: Thresholds = AUTOVACUUM_DEFAULTS,
): Maintenance[] {
  const due: Maintenance[] = [];
  for (const t of tables) {
    const vacuum =
      t.deadTuples > thresholds.vacuumBase + thresholds.vacuumScale * t.liveTuples ||
      t.toastDeadTuples > thresholds.vacuumBase + thresholds.vacuumScale * t.toastLiveTuples ||
      t.insertedSinceVacuum >
        thresholds.vacuumInsertBase + thresholds.vacuumInsertScale * t.liveTuples;
    const analyze =
      t.modifiedSinceAnalyze > thresholds.analyzeBase + thresholds.analyzeScale * t.liveTuples;
    if (vacuum || analyze) due.push({ schema: t.schema, table: t.table, vacuum, analyze });
  }
  return due;
}

/** The statement that does `m` (identifiers quoted). */
export function maintenanceStatement(m: Maintenance): string {
  const name = `${quoteIdentifier(m.schema)}.${quoteIdentifier(m.table)}`;
  if (m.vacuum) return m.analyze ? `VACUUM (ANALYZE) ${name}` : `VACUUM ${name}`;
  return `ANALYZE ${name}`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const ACTIVITY_SQL = `
SELECT n.nspname AS schema, c.relname AS "table",
       s.n_live_tup AS live, s.n_dead_tup AS dead, s.n_ins_since_vacuum AS inserted,
       s.n_mod_since_analyze AS modified,
       coalesce(ts.n_live_tup, 0) AS toast_live, coalesce(ts.n_dead_tup, 0) AS toast_dead
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_stat_all_tables s ON s.relid = c.oid
  LEFT JOIN pg_stat_all_tables ts ON ts.relid = c.reltoastrelid
 WHERE c.relkind IN ('r', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;

interface ActivityRow {
  schema: string;
  table: string;
  live: string | number;
  dead: string | number;
  inserted: string | number;
  modified: string | number;
  toast_live: string | number;
  toast_dead: string | number;
}

/** Reads every user table's counters (this backend's pending counts flushed first). */
export async function tableActivity(db: SqlExecutor): Promise<TableActivity[]> {
  // The counters reach the shared statistics when a backend goes idle, at most once a second;
  // this makes the statement after it see the latest ones.
  await db.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await db.query<ActivityRow>(ACTIVITY_SQL);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    liveTuples: Number(r.live),
    deadTuples: Number(r.dead),
    insertedSinceVacuum: Number(r.inserted),
    modifiedSinceAnalyze: Number(r.modified),
    toastLiveTuples: Number(r.toast_live),
    toastDeadTuples: Number(r.toast_dead),
  }));
}

export interface VacuumOptions {
  /** Between the end of one round and the start of the next (`DEFAULT_VACUUM_INTERVAL_MS`). */
  readonly intervalMs?: number;
  readonly thresholds?: Thresholds;
  /** A failed round (the next round still runs; default: a process warning). */
  readonly onError?: (error: unknown) => void;
}

/** What the rounds so far did, for `/metrics`. */
export interface VacuumTotals {
  readonly rounds: number;
  readonly vacuums: number;
  readonly analyzes: number;
  /** Wall time of the rounds in seconds, waiting for the database's one session included. */
  readonly seconds: number;
  readonly failures: number;
}

/** What one round did. */
export interface VacuumRound {
  readonly done: readonly Maintenance[];
  readonly ms: number;
}

function warnOfFailedRound(error: unknown): void {
  process.emitWarning(
    `PGlite autovacuum round failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/**
 * Runs `maintenanceDue` rounds on a timer. Each table is one statement of its own, so the
 * queries waiting for the database's one session run between them.
 */
export class EmbeddedAutovacuum {
  readonly #db: SqlExecutor;
  readonly #intervalMs: number;
  readonly #thresholds: Thresholds;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #totals: VacuumTotals = { rounds: 0, vacuums: 0, analyzes: 0, seconds: 0, failures: 0 };

  constructor(db: SqlExecutor, options: VacuumOptions = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? DEFAULT_VACUUM_INTERVAL_MS;
    this.#thresholds = options.thresholds ?? AUTOVACUUM_DEFAULTS;
    this.#onError = options.onError ?? warnOfFailedRound;
  }

  get totals(): VacuumTotals {
    return this.#totals;
  }

  /** Schedules the rounds (the timer never keeps the process alive). */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule();
  }

  /** One round now: vacuums and analyzes what is due, one table at a time. */
  async runOnce(): Promise<VacuumRound> {
    const run = this.#round.then(async () => {
      const started = performance.now();
      const done: Maintenance[] = [];
      let failed = false;
      try {
        const due = maintenanceDue(await tableActivity(this.#db), this.#thresholds);
        for (const m of due) {
          if (this.#stopped) break;
          await this.#db.query(maintenanceStatement(m));
          done.push(m);
        }
        return { done, ms: performance.now() - started };
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        this.#record(done, performance.now() - started, failed);
      }
    });
    this.#round = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer and waits for a round in progress (call before closing the database). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#round;
  }

  #record(done: readonly Maintenance[], ms: number, failed: boolean): void {
    const t = this.#totals;
    this.#totals = {
      rounds: t.rounds + 1,
      vacuums: t.vacuums + done.filter((m) => m.vacuum).length,
      analyzes: t.analyzes + done.filter((m) => m.analyze).length,
      seconds: t.seconds + ms / 1000,
      failures: t.failures + (failed ? 1 : 0),
    };
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.runOnce()
        .catch(this.#onError)
        .finally(() => {
          if (!this.#stopped) this.#schedule();
        });
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
