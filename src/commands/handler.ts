import { randomUUID } from 'node:crypto';
import {
  WrongExpectedVersion,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
} from '../eventstore/port.ts';

/** An Emmett-style decider: pure functions over one stream's events. */
export interface Decider<Command, Event extends { type: string; data: unknown }, State> {
  initialState(): State;
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  /**
   * Optional: `decide` that also answers the state its events fold to (exactly
   * `events.reduce(evolve, state)`), for deciders that fold as they decide anyway; the handler
   * then does not fold the same events a second time.
   */
  decideAndFold?(command: Command, state: State): { events: readonly Event[]; state: State };
}

/** Who and what caused a command; copied onto every event it produces. */
export interface CommandMetadata {
  readonly actor: string;
  readonly source: NonNullable<EventMetadata['source']>;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Simulation time of the decision (ISO-8601). */
  readonly simTime?: string;
}

export interface HandleResult<Event, State> {
  /** Events appended by this command (empty when the decider had nothing to do). */
  readonly events: readonly Event[];
  readonly state: State;
  /** Stream revision after the command (-1 for a stream that still does not exist). */
  readonly revision: number;
  /** Global position of the last event appended; undefined when nothing was appended. */
  readonly position: number | undefined;
  /** How many times the command was decided (more than 1 after concurrency conflicts). */
  readonly attempts: number;
}

export interface CommandHandlerOptions {
  /** Stream name of an aggregate id, e.g. `(id) => \`account-${id}\``. */
  readonly streamId: (id: string) => string;
  /** Decide-and-append attempts before a conflict is reported (default 8). */
  readonly maxAttempts?: number;
  /** Aggregates whose folded state is kept in memory by revision (default 10,000; 0 = none). */
  readonly cacheSize?: number;
}

/** Raised when a command kept conflicting with concurrent writers. */
export class ConcurrencyConflict extends Error {
  override readonly name = 'ConcurrencyConflict';
  readonly code = 'concurrency_conflict';
  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(`${streamId} changed concurrently ${attempts} times; the command was not applied`);
  }
}

interface Snapshot<State> {
  state: State;
  revision: number;
}

/**
 * The one command handler every aggregate reuses: load (from the state cache when it can,
 * catching up from the store), decide, append with the expected revision, and on a conflict
 * reload and decide again. Commands on one stream are serialized inside this process so they
 * do not conflict with each other; conflicts with other processes are retried.
 */
export class CommandHandler<Command, Event extends { type: string; data: unknown }, State> {
  readonly #cache = new Map<string, Snapshot<State>>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #maxAttempts: number;
  readonly #cacheSize: number;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<Command, Event, State>,
    private readonly options: CommandHandlerOptions,
  ) {
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /** Current state of an aggregate and its revision (-1 when the stream does not exist). */
  async load(id: string): Promise<{ state: State; revision: number }> {
    const streamId = this.options.streamId(id);
    const snapshot = await this.#catchUp(streamId, this.#cache.get(streamId));
    return { state: snapshot.state, revision: snapshot.revision };
  }

  /** The state this handler holds in memory for an aggregate, if any: no I/O, may trail the stream. */
  cached(id: string): { state: State; revision: number } | undefined {
    return this.#cache.get(this.options.streamId(id));
  }

  /**
   * The state this process last knew of the aggregate, without reading the store: it may be
   * behind other processes' writes. For facts that never change once true (an account's owner).
   */
  peek(id: string): State | undefined {
    return this.#cache.get(this.options.streamId(id))?.state;
  }

  /**
   * Offers the handler a state of the aggregate at `revision` that the caller folded from the
   * stream itself (the execution engine follows every account it acts on). It replaces the
   * cached state only when newer, saving a read of the stream on the next command. A state
   * that is stale by then costs nothing but the usual conflict: the append's expected
   * revision no longer matches, and the handler reloads.
   */
  prime(id: string, state: State, revision: number): void {
    if (revision < 0) return;
    const streamId = this.options.streamId(id);
    const cached = this.#cache.get(streamId);
    if (cached !== undefined && cached.revision >= revision) return;
    this.#remember(streamId, { state, revision });
  }

  /**
   * Decides `command` against the aggregate's current state and appends the result.
   * `command` may be a function of the state, for commands that need to look first.
   * Domain errors thrown by the decider propagate and nothing is written.
   */
  handle(
    id: string,
    command: Command | ((state: State) => Command),
    metadata: CommandMetadata,
  ): Promise<HandleResult<Event, State>> {
    const streamId = this.options.streamId(id);
    return this.#serialized(streamId, () => this.#handle(streamId, command, metadata));
  }

  async #handle(
    streamId: string,
    command: Command | ((state: State) => Command),
    metadata: CommandMetadata,
  ): Promise<HandleResult<Event, State>> {
    let snapshot = this.#cache.get(streamId) ?? (await this.#catchUp(streamId, undefined));
    const eventMetadata: EventMetadata = {
      ...metadata,
      correlationId: metadata.correlationId ?? randomUUID(),
    };
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const resolved =
        typeof command === 'function'
          ? (command as (state: State) => Command)(snapshot.state)
          : command;
      const decided = this.#decide(resolved, snapshot.state);
      const events = decided.events;
      if (events.length === 0) {
        return {
          events,
          state: snapshot.state,
          revision: snapshot.revision,
          position: undefined,
          attempts: attempt,
        };
      }
      const expectedRevision: ExpectedRevision =
        snapshot.revision === -1 ? 'no_stream' : snapshot.revision;
      try {
        const result = await this.store.append(
          streamId,
          events.map((e) => ({
            id: randomUUID(),
            type: e.type,
            data: e.data,
            metadata: eventMetadata,
          })),
          { expectedRevision },
        );
        const state = decided.state;
        this.#remember(streamId, { state, revision: result.nextRevision });
        return {
          events,
          state,
          revision: result.nextRevision,
          position: result.position,
          attempts: attempt,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersion)) throw error;
        // Another process wrote first: back off a little (jittered, so racers spread out),
        // read what it wrote and decide again.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
        snapshot = await this.#catchUp(streamId, snapshot);
      }
    }
    this.#cache.delete(streamId);
    throw new ConcurrencyConflict(streamId, this.#maxAttempts);
  }

  #decide(command: Command, state: State): { events: readonly Event[]; state: State } {
    const decider = this.decider;
    if (decider.decideAndFold) return decider.decideAndFold(command, state);
    const events = decider.decide(command, state);
    return {
      events,
      get state() {
        return events.reduce((s, e) => decider.evolve(s, e), state);
      },
    };
  }

  /** Folds the events after `from` (or the whole stream) onto its state. */
  async #catchUp(streamId: string, from: Snapshot<State> | undefined): Promise<Snapshot<State>> {
    let state = from?.state ?? this.decider.initialState();
    let revision = from?.revision ?? -1;
    const events = await this.store.readStream(streamId, { fromRevision: revision + 1 });
    for (const recorded of events) {
      state = this.decider.evolve(state, { type: recorded.type, data: recorded.data } as Event);
      revision = recorded.revision;
    }
    const snapshot = { state, revision };
    if (revision >= 0) this.#remember(streamId, snapshot);
    return snapshot;
  }

  #remember(streamId: string, snapshot: Snapshot<State>): void {
    if (this.#cacheSize === 0) return;
    // Map iteration order is insertion order: re-inserting makes this the most recent.
    this.#cache.delete(streamId);
    this.#cache.set(streamId, snapshot);
    if (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
  }

  /** Runs `work` after every earlier command on the same stream in this process. */
  async #serialized<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(streamId) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.#locks.set(streamId, tail);
    try {
      return await current;
    } finally {
      if (this.#locks.get(streamId) === tail) this.#locks.delete(streamId);
    }
  }
}
