import { EventEmitter } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';
import { serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';

type Serializer = typeof serialize;

/**
 * The node-postgres `Connection` that talks to embedded PGlite, like PGlite's own
 * `PglitePgConnection` but **pipelined**: the messages of an extended-protocol query (parse,
 * bind, describe, execute) are buffered and handed to PGlite together with the `Sync` (or
 * `Flush`) that ends them, in one `execProtocolStream` call, the way a PostgreSQL server
 * receives them in one socket read. PGlite's shim makes one call per message instead — five
 * trips through its protocol wrapper for every parameterized statement — which made that
 * wrapper the largest cost of a query. The backend processes the batch exactly as it would
 * the separate messages (an error skips to the `Sync`, as on a server), and the replies are
 * emitted in order, so node-postgres sees no difference.
 *
 * Messages are written and replies read by node-postgres's own `pg-protocol`, the code it runs
 * on a server's socket: PGlite's serializer took 16–19 µs to write one `Bind` (about 7 % of an
 * order's CPU), and its reply parser, which `execProtocol`, `execProtocolStream` and
 * `execProtocolRaw` all run on every reply, cost as much again; `execProtocolRawStream` hands
 * over the raw bytes instead.
 *
 * Every client gets its own connection (a node-postgres client destroys its connection after
 * a failed `pool.query`); they all share the one PGlite session, and the pool keeps a single
 * client, so no two transactions ever interleave on it.
 */
export class PipelinedPgliteConnection extends EventEmitter {
  // Fields node-postgres reads or sets on its connection.
  _connecting = false;
  readonly stream = {
    destroy: (): void => {
      this.end();
    },
  };
  parsedStatements: Record<string, unknown> = {};
  submittedNamedStatements: Record<string, unknown> = {};

  readonly #pglite: PGlite;
  #pending: Buffer[] = [];
  /** The tail of the calls in flight: replies are emitted in submission order. */
  #queue: Promise<unknown>;
  #emitsMessages = false;
  readonly #parser = new Parser();

  constructor(options: { readonly pglite: PGlite }) {
    super();
    this.#pglite = options.pglite;
    this.#queue = options.pglite.waitReady;
    this.on('newListener', (event) => {
      if (event === 'message') this.#emitsMessages = true;
    });
  }

  async connect(): Promise<void> {
    this._connecting = true;
    await this.#pglite.waitReady;
    process.nextTick(() => this.emit('readyForQuery'));
  }

  // Start-up, TLS, authentication and cancellation mean nothing in-process.
  requestSsl(): void {}
  startup(): void {}
  cancel(): void {}
  password(): void {}
  ref(): void {}
  unref(): void {}

  sendSASLInitialResponseMessage(mechanism: string, response: string): void {
    this.#send(serialize.sendSASLInitialResponseMessage(mechanism, response));
  }

  sendSCRAMClientFinalMessage(additionalData: string): void {
    this.#send(serialize.sendSCRAMClientFinalMessage(additionalData));
  }

  query(text: string): void {
    this.#send(serialize.query(text));
  }

  parse(config: Parameters<Serializer['parse']>[0]): void {
    this.#pending.push(serialize.parse(config));
  }

  bind(config: Parameters<Serializer['bind']>[0]): void {
    this.#pending.push(serialize.bind(config));
  }

  describe(config: Parameters<Serializer['describe']>[0]): void {
    this.#pending.push(serialize.describe(config));
  }

  execute(config: Parameters<Serializer['execute']>[0]): void {
    this.#pending.push(serialize.execute(config));
  }

  close(config: Parameters<Serializer['close']>[0]): void {
    this.#pending.push(serialize.close(config));
  }

  flush(): void {
    this.#send(serialize.flush());
  }

  sync(): void {
    this.#send(serialize.sync());
  }

  sendCopyFromChunk(chunk: Buffer): void {
    this.#send(serialize.copyData(chunk));
  }

  endCopyFrom(): void {
    this.#send(serialize.copyDone());
  }

  sendCopyFail(message: string): void {
    this.#send(serialize.copyFail(message));
  }

  end(): void {
    this.#pending = [];
    this.#queue = this.#queue.then(() => {
      this.emit('end');
    });
    for (const event of this.eventNames()) {
      if (event !== 'newListener') this.removeAllListeners(event);
    }
    this.#emitsMessages = false;
  }

  /** Sends what is buffered followed by `last`, as one call. */
  #send(last: Buffer): void {
    const parts = this.#pending;
    this.#pending = [];
    parts.push(last);
    const message = parts.length === 1 ? last : Buffer.concat(parts);
    this.#queue = this.#queue
      // PGlite runs on this thread and blocks it while it works. Started from the microtask of
      // the call, it would run before the event loop reads the next request, so every request
      // would reach the database alone; started after the pending I/O callbacks instead, the
      // requests that arrived meanwhile queue behind it (the event store then writes their
      // appends as one group commit, the projections read them as one batch).
      .then(nextTurn)
      .then(async () => {
        // The raw reply bytes, parsed by node-postgres's own parser (what it runs on a socket):
        // PGlite's parser, which its other entry points run on every reply, cost more than
        // the query's execution. The chunks come while PGlite is still executing, so the
        // messages are emitted only after it returns (a handler may send the next query).
        const replies: BackendMessage[] = [];
        await this.#pglite.execProtocolRawStream(message, {
          onRawData: (chunk) => {
            // A view of PGlite's memory: copied, since the parser keeps a partial message.
            this.#parser.parse(Buffer.from(chunk), (reply) => replies.push(reply));
          },
        });
        return replies;
      })
      .then((replies) => {
        for (const reply of replies) {
          if (this.#emitsMessages) this.emit('message', reply);
          this.emit(reply.name === 'error' ? 'errorMessage' : reply.name, reply);
        }
      })
      .catch((error: unknown) => {
        this.emit('error', error);
      });
  }
}

/** Resolves after the I/O callbacks already pending (the check phase of the event loop). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}
