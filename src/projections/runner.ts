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
  /**
   * Applies the batch's events after the projection's stored checkpoint (`range.after`); the
   * checkpoint becomes `range.through` when the transaction commits.
   */
  apply(trx: Transaction<DB>, events: readonly RecordedEvent[], range: BatchRange): Promise<void>;
  /**
   * Called instead of `apply` when a batch holds nothing for the projection, inside the same
   * transaction: its checkpoint moves from `range.after` to `range.through` all the same.
   */
  pass?(range: BatchRange): void;
  /** Deletes every row the projection owns (the first step of a rebuild). */
  reset(trx: Transaction<DB>): Promise<void>;
}

/** The positions a batch spans for one projection: after its stored checkpoint, through the last. */
export interface BatchRange {
  readonly after: number;
  readonly through: number;
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

/** One subscription feeding one or more projections, one transaction per batch. */
interface Loop<DB> {
  members: Projection<DB>[];
  readonly subscription: Subscription;
  done: Promise<void>;
  stopped: boolean;
}

/** Read through a call: `stop()` may set it while the loop awaits. */
function stopped(loop: { readonly stopped: boolean }): boolean {
  return loop.stopped;
}

/** A batch failed inside one projection's `apply` (the others of the batch are unaffected). */
class MemberFailed<DB> extends Error {
  constructor(
    readonly projection: Projection<DB>,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Runs projections over a checkpointed `$all` subscription and lets readers wait until a
 * given position is applied (read-your-writes). Projections started together share one
 * subscription and one transaction per batch (each keeps its own checkpoint row, so each is
 * still rebuilt alone); a projection whose `apply` fails leaves the group and retries on a
 * loop of its own, so one broken read model never holds the others back.
 */
export class ProjectionRunner<DB> {
  readonly #checkpoints = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  readonly #errors = new Map<string, string>();
  readonly #running = new Map<string, Loop<DB>>();
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

  /** Starts every projection loop (or the named ones): the ones not running share one loop. */
  async start(names?: readonly string[]): Promise<void> {
    await this.prepare();
    const idle = this.#select(names).filter((p) => !this.#running.has(p.name));
    if (idle.length > 0) this.#startLoop(idle);
  }

  /** Stops the named projections (default all); others sharing their loop keep running. */
  async stop(names?: readonly string[]): Promise<void> {
    const stopping = new Set(this.#select(names).map((p) => p.name));
    const loops = new Set<Loop<DB>>();
    for (const name of stopping) {
      const loop = this.#running.get(name);
      if (loop) loops.add(loop);
    }
    const keep: Projection<DB>[] = [];
    for (const loop of loops) {
      loop.stopped = true;
      for (const m of loop.members) {
        this.#running.delete(m.name);
        if (!stopping.has(m.name)) keep.push(m);
      }
    }
    await Promise.all([...loops].map((l) => l.subscription.close().then(() => l.done)));
    if (keep.length > 0) this.#startLoop(keep);
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
    if (wasRunning) this.#startLoop([projection]);
    else await this.catchUp([name]);
  }

  /** Applies everything up to the current head without staying subscribed (CLI, tests). */
  async catchUp(names?: readonly string[]): Promise<void> {
    const head = await this.store.headPosition();
    const members = this.#select(names).filter((p) => !this.#running.has(p.name));
    for (const p of members) {
      if (!this.#checkpoints.has(p.name)) {
        this.#checkpoints.set(p.name, await this.#loadCheckpoint(p.name));
      }
    }
    const lowest = (): number =>
      Math.min(...members.map((p) => this.#checkpoints.get(p.name) ?? 0));
    let checkpoint = members.length === 0 ? head : lowest();
    while (checkpoint < head) {
      const batch = await this.store.readAll({
        fromPosition: checkpoint + 1,
        maxCount: this.#batchSize,
      });
      if (batch.length === 0) break;
      try {
        await this.#applyBatch(members, batch);
      } catch (error) {
        throw error instanceof MemberFailed ? error.cause : error;
      }
      checkpoint = lowest();
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

  /**
   * The lowest position the named projections have committed, as a lower bound: the ones this
   * runner runs from memory (updated after each commit), the others read from their stored
   * checkpoints.
   */
  async appliedPosition(names: readonly string[]): Promise<number> {
    const remote = names.filter((n) => !this.#running.has(n));
    if (remote.length > 0) await this.#refreshCheckpoints(remote);
    return Math.min(...names.map((n) => this.#checkpoints.get(n) ?? 0));
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

  #startLoop(members: readonly Projection<DB>[]): void {
    const from = Math.min(...members.map((m) => this.#checkpoints.get(m.name) ?? 0));
    const subscription = this.store.subscribeToAll({
      fromPosition: from,
      batchSize: this.#batchSize,
    });
    const loop: Loop<DB> = {
      members: [...members],
      subscription,
      done: Promise.resolve(),
      stopped: false,
    };
    for (const m of members) this.#running.set(m.name, loop);
    loop.done = (async () => {
      for (;;) {
        const batch = await subscription.nextBatch();
        if (batch.length === 0 || stopped(loop)) return;
        for (;;) {
          if (stopped(loop)) return;
          let leaving: Projection<DB>[] = [];
          try {
            leaving = (await this.#applyBatch(loop.members, batch)).rewound;
          } catch (error) {
            const failed =
              error instanceof MemberFailed ? (error.projection as Projection<DB>) : undefined;
            const cause = error instanceof MemberFailed ? error.cause : error;
            for (const m of failed ? [failed] : loop.members) this.#recordFailure(m.name, cause);
            if (failed && loop.members.length > 1) {
              // The others retry the batch now; the failing one retries on a loop of its own.
              leaving = [failed];
            } else {
              await new Promise((r) => setTimeout(r, this.#retryDelayMs));
              continue;
            }
          }
          if (leaving.length > 0) {
            // Rebuilt elsewhere (or failing): follow the stored checkpoint on a loop of its own.
            loop.members = loop.members.filter((m) => !leaving.includes(m));
            for (const m of leaving) {
              this.#running.delete(m.name);
              if (!stopped(loop)) this.#startLoop([m]);
            }
            if (loop.members.length === 0) {
              loop.stopped = true;
              await subscription.close();
              return;
            }
            continue;
          }
          break;
        }
      }
    })();
  }

  #recordFailure(name: string, error: unknown): void {
    this.#failures.set(name, (this.#failures.get(name) ?? 0) + 1);
    this.#errors.set(name, error instanceof Error ? error.message : String(error));
  }

  /**
   * Applies one batch to the projections of a loop in one transaction, each from its own
   * stored checkpoint (read under a row lock, so a re-delivered batch is a no-op even if two
   * runners were started by mistake). A projection whose stored checkpoint is behind this
   * runner's was rebuilt by another process: it is answered in `rewound`, not applied, since
   * this batch would leave a gap. A failing `apply` rolls the whole batch back and throws
   * `MemberFailed` naming the projection.
   */
  async #applyBatch(
    members: readonly Projection<DB>[],
    batch: readonly RecordedEvent[],
  ): Promise<{ rewound: Projection<DB>[] }> {
    const last = batch.at(-1);
    if (!last || members.length === 0) return { rewound: [] };
    const outcome = await this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('projection_checkpoints')
        .select(['name', 'position'])
        .where(
          'name',
          'in',
          members.map((m) => m.name),
        )
        .orderBy('name')
        .forUpdate()
        .execute();
      const stored = new Map(rows.map((r) => [r.name, Number(r.position)]));
      const rewound: { p: Projection<DB>; stored: number }[] = [];
      const advanced: string[] = [];
      for (const p of members) {
        const from = stored.get(p.name) ?? 0;
        if (from < (this.#checkpoints.get(p.name) ?? 0)) {
          rewound.push({ p, stored: from });
          continue;
        }
        if (from >= last.position) continue;
        const fresh = batch.filter(
          (e) => e.position > from && matchesFilter(p.filter, e.streamId, e.type),
        );
        const range = { after: from, through: last.position };
        try {
          if (fresh.length > 0) await p.apply(trx as unknown as Transaction<DB>, fresh, range);
          else p.pass?.(range);
        } catch (error) {
          throw new MemberFailed(p, error);
        }
        advanced.push(p.name);
      }
      if (advanced.length > 0) {
        await trx
          .updateTable('projection_checkpoints')
          .set({ position: last.position, updated_at: new Date() })
          .where('name', 'in', advanced)
          .where('position', '<', last.position)
          .execute();
      }
      return { stored, rewound };
    });
    for (const p of members) {
      const gone = outcome.rewound.find((r) => r.p === p);
      if (gone) {
        this.#checkpoints.set(p.name, gone.stored);
        continue;
      }
      const at = Math.max(outcome.stored.get(p.name) ?? 0, last.position);
      this.#checkpoints.set(p.name, Math.max(this.#checkpoints.get(p.name) ?? 0, at));
      this.#errors.delete(p.name);
    }
    this.#applied.notify();
    return { rewound: outcome.rewound.map((r) => r.p) };
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
