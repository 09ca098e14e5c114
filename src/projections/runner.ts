import { sql, type Kysely, type Transaction } from 'kysely';
import type { EventFilter, EventStore, RecordedEvent, Subscription } from '../eventstore/port.ts';
import { matchesFilter } from '../eventstore/port.ts';
import { Notifier } from '../eventstore/subscription.ts';

/**
 * A read model fed from `$all`. `apply` runs inside the transaction that also stores the
 * projection's checkpoint, so a batch is applied exactly once even if it is delivered again.
 */
export interface Projection<DB> {
  readonly name: string;
  /** Events the projection cares about; the checkpoint still advances past the others. */
  readonly filter?: EventFilter;
  apply(trx: Transaction<DB>, events: readonly RecordedEvent[]): Promise<void>;
  /** Deletes every row the projection owns (the first step of a rebuild). */
  reset(trx: Transaction<DB>): Promise<void>;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly running: boolean;
  /** Position of the last event applied (0 before the first). */
  readonly checkpoint: number;
  readonly headPosition: number;
  /** Events stored after the checkpoint (counted up to 10,000). */
  readonly eventsBehind: number;
  /** How long ago the oldest unapplied event was recorded (0 when caught up). */
  readonly lagMs: number;
  readonly failures: number;
  readonly lastError?: string;
}

// A type alias, not an interface: kysely's table maps need an implicit index signature.
type CheckpointTables = {
  projection_checkpoints: { name: string; position: string | number; updated_at: Date };
};

export interface RunnerOptions {
  readonly batchSize?: number;
  /** Delay before retrying a batch whose apply failed. */
  readonly retryDelayMs?: number;
  /** Schema of the checkpoint table and read models (defaults to the connection's search path). */
  readonly schema?: string;
  /**
   * How often `waitForPosition` polls the stored checkpoints of projections that run in
   * another process (default 25 ms).
   */
  readonly pollMs?: number;
}

interface Running {
  subscription: Subscription;
  done: Promise<void>;
}

/**
 * Runs projections over a checkpointed `$all` subscription, one loop per projection, and
 * lets readers wait until a given position is applied (read-your-writes).
 */
export class ProjectionRunner<DB> {
  readonly #checkpoints = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  readonly #errors = new Map<string, string>();
  readonly #running = new Map<string, Running>();
  /** Wakes `waitForPosition` callers whenever a batch is applied. */
  readonly #applied = new Notifier();
  readonly #batchSize: number;
  readonly #retryDelayMs: number;
  readonly #pollMs: number;
  readonly #db: Kysely<CheckpointTables>;

  constructor(
    private readonly store: EventStore,
    db: Kysely<DB>,
    private readonly projections: readonly Projection<DB>[],
    options: RunnerOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 500;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#pollMs = options.pollMs ?? 25;
    const scoped = options.schema ? db.withSchema(options.schema) : db;
    this.#db = scoped.withTables<CheckpointTables>() as unknown as Kysely<CheckpointTables>;
    const names = new Set<string>();
    for (const p of projections) {
      if (names.has(p.name)) throw new Error(`Two projections are named "${p.name}"`);
      names.add(p.name);
    }
  }

  /** Creates the checkpoint table when missing. */
  async prepare(): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      // Several processes may start at once; CREATE TABLE IF NOT EXISTS alone races.
      await sql`SELECT pg_advisory_xact_lock(hashtext('projection_checkpoints'))`.execute(trx);
      await trx.schema
        .createTable('projection_checkpoints')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('position', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    });
    for (const p of this.projections) {
      // The row must exist before any batch: appliers serialize on its row lock.
      await this.#db
        .insertInto('projection_checkpoints')
        .values({ name: p.name, position: 0, updated_at: new Date() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      this.#checkpoints.set(p.name, await this.#loadCheckpoint(p.name));
    }
  }

  /** Starts every projection loop (or the named ones). */
  async start(names?: readonly string[]): Promise<void> {
    await this.prepare();
    for (const p of this.#select(names)) this.#startLoop(p);
  }

  async stop(names?: readonly string[]): Promise<void> {
    const stopping = this.#select(names).flatMap((p) => {
      const running = this.#running.get(p.name);
      if (!running) return [];
      this.#running.delete(p.name);
      return [running.subscription.close().then(() => running.done)];
    });
    await Promise.all(stopping);
  }

  /**
   * Empties the projection and replays it from position 0. When it was running it keeps
   * running; otherwise it is caught up to the current head before this resolves.
   */
  async rebuild(name: string): Promise<void> {
    const projection = this.#byName(name);
    const wasRunning = this.#running.has(name);
    await this.stop([name]);
    await this.#db.transaction().execute(async (trx) => {
      await projection.reset(trx as unknown as Transaction<DB>);
      await this.#saveCheckpoint(trx, name, 0);
    });
    this.#checkpoints.set(name, 0);
    if (wasRunning) this.#startLoop(projection);
    else await this.catchUp([name]);
  }

  /** Applies everything up to the current head without staying subscribed (CLI, tests). */
  async catchUp(names?: readonly string[]): Promise<void> {
    const head = await this.store.headPosition();
    for (const p of this.#select(names)) {
      if (this.#running.has(p.name)) continue;
      let checkpoint = this.#checkpoints.get(p.name) ?? (await this.#loadCheckpoint(p.name));
      while (checkpoint < head) {
        const batch = await this.store.readAll({
          fromPosition: checkpoint + 1,
          maxCount: this.#batchSize,
        });
        if (batch.length === 0) break;
        await this.#applyBatch(p, batch);
        checkpoint = this.#checkpoints.get(p.name) ?? checkpoint;
      }
    }
  }

  /**
   * Resolves once every projection (or the named ones) has applied `position`; rejects with
   * a `ProjectionTimeout` after `timeoutMs`. Projections this runner runs wake the wait as
   * they apply batches; for the others (run by another process, as in `serve --role api`) it
   * polls their stored checkpoints every `pollMs` until the deadline.
   */
  async waitForPosition(
    position: number,
    timeoutMs: number,
    names?: readonly string[],
  ): Promise<void> {
    const selected = this.#select(names);
    const behind = (): Projection<DB>[] =>
      selected.filter((p) => (this.#checkpoints.get(p.name) ?? 0) < position);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.#applied.version;
      let waiting = behind();
      const remote = waiting.filter((p) => !this.#running.has(p.name)).map((p) => p.name);
      if (remote.length > 0) {
        await this.#refreshCheckpoints(remote);
        waiting = behind();
      }
      if (waiting.length === 0) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ProjectionTimeout(position, timeoutMs);
      const pollsStore = waiting.some((p) => !this.#running.has(p.name));
      await this.#applied.wait(seen, pollsStore ? Math.min(remaining, this.#pollMs) : remaining);
    }
  }

  /** Names of the projections this runner runs. */
  names(): string[] {
    return this.projections.map((p) => p.name);
  }

  checkpoint(name: string): number {
    this.#byName(name);
    return this.#checkpoints.get(name) ?? 0;
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.store.headPosition();
    // Projections run elsewhere: report what their process stored, not this one's last look.
    const remote = this.projections.filter((p) => !this.#running.has(p.name)).map((p) => p.name);
    if (remote.length > 0) await this.#refreshCheckpoints(remote);
    return Promise.all(
      this.projections.map(async (p) => {
        const checkpoint = this.#checkpoints.get(p.name) ?? 0;
        const pending =
          checkpoint < head
            ? await this.store.readAll({ fromPosition: checkpoint + 1, maxCount: 10_000 })
            : [];
        const oldest = pending[0];
        const lastError = this.#errors.get(p.name);
        return {
          name: p.name,
          running: this.#running.has(p.name),
          checkpoint,
          headPosition: head,
          eventsBehind: pending.length,
          lagMs: oldest ? Math.max(0, Date.now() - oldest.recordedAt.getTime()) : 0,
          failures: this.#failures.get(p.name) ?? 0,
          ...(lastError === undefined ? {} : { lastError }),
        };
      }),
    );
  }

  #startLoop(p: Projection<DB>): void {
    if (this.#running.has(p.name)) return;
    const subscription = this.store.subscribeToAll({
      fromPosition: this.#checkpoints.get(p.name) ?? 0,
      batchSize: this.#batchSize,
    });
    const done = (async () => {
      for (;;) {
        const batch = await subscription.nextBatch();
        if (batch.length === 0) return;
        for (;;) {
          try {
            if ((await this.#applyBatch(p, batch)) === 'rewound') {
              // Rebuilt elsewhere: follow the stored checkpoint from where it now is.
              this.#running.delete(p.name);
              await subscription.close();
              this.#startLoop(p);
              return;
            }
            break;
          } catch (error) {
            this.#failures.set(p.name, (this.#failures.get(p.name) ?? 0) + 1);
            this.#errors.set(p.name, error instanceof Error ? error.message : String(error));
            if (this.#running.get(p.name)?.subscription !== subscription) return;
            await new Promise((r) => setTimeout(r, this.#retryDelayMs));
          }
        }
      }
    })();
    this.#running.set(p.name, { subscription, done });
  }

  /**
   * Applies one batch that follows this runner's checkpoint. Answers `rewound` without applying
   * when the stored checkpoint is behind it: another process rebuilt the projection, and this
   * batch would leave a gap.
   */
  async #applyBatch(
    p: Projection<DB>,
    batch: readonly RecordedEvent[],
  ): Promise<'applied' | 'rewound'> {
    const last = batch.at(-1);
    if (!last) return 'applied';
    const before = this.#checkpoints.get(p.name) ?? 0;
    const outcome = await this.#db.transaction().execute(async (trx) => {
      // Reading the stored checkpoint under a row lock makes a re-delivered batch a no-op,
      // even if two runners were started by mistake.
      const row = await trx
        .selectFrom('projection_checkpoints')
        .select('position')
        .where('name', '=', p.name)
        .forUpdate()
        .executeTakeFirst();
      const stored = Number(row?.position ?? 0);
      if (stored < before) return { rewound: stored };
      const fresh = batch.filter(
        (e) => e.position > stored && matchesFilter(p.filter, e.streamId, e.type),
      );
      if (fresh.length > 0) await p.apply(trx as unknown as Transaction<DB>, fresh);
      await this.#saveCheckpoint(trx, p.name, Math.max(stored, last.position));
      return undefined;
    });
    if (outcome) {
      this.#checkpoints.set(p.name, outcome.rewound);
      return 'rewound';
    }
    this.#checkpoints.set(p.name, Math.max(this.#checkpoints.get(p.name) ?? 0, last.position));
    this.#errors.delete(p.name);
    this.#applied.notify();
    return 'applied';
  }

  /** Reads the stored checkpoints of projections this runner does not run. */
  async #refreshCheckpoints(names: readonly string[]): Promise<void> {
    const rows = await this.#db
      .selectFrom('projection_checkpoints')
      .select(['name', 'position'])
      .where('name', 'in', names)
      .execute();
    for (const row of rows) {
      // A loop may have started meanwhile; its own checkpoint is authoritative then.
      if (!this.#running.has(row.name)) this.#checkpoints.set(row.name, Number(row.position));
    }
  }

  async #loadCheckpoint(name: string): Promise<number> {
    const row = await this.#db
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(row?.position ?? 0);
  }

  async #saveCheckpoint(
    trx: Transaction<CheckpointTables>,
    name: string,
    position: number,
  ): Promise<void> {
    await trx
      .insertInto('projection_checkpoints')
      .values({ name, position, updated_at: new Date() })
      .onConflict((oc) => oc.column('name').doUpdateSet({ position, updated_at: new Date() }))
      .execute();
  }

  #select(names?: readonly string[]): Projection<DB>[] {
    if (!names) return [...this.projections];
    return names.map((n) => this.#byName(n));
  }

  #byName(name: string): Projection<DB> {
    const found = this.projections.find((p) => p.name === name);
    if (!found) {
      throw new Error(
        `Unknown projection "${name}"; known: ${this.projections.map((p) => p.name).join(', ') || '(none)'}`,
      );
    }
    return found;
  }
}

/** A read asked to wait for a position the projections did not reach in time. */
export class ProjectionTimeout extends Error {
  override readonly name = 'ProjectionTimeout';
  readonly code = 'projection_timeout';
  constructor(
    readonly position: number,
    readonly timeoutMs: number,
  ) {
    super(`Read models did not reach position ${position} within ${timeoutMs} ms`);
  }
}
