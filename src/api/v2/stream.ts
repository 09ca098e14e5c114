/**
 * Alpaca's `trade_updates` WebSocket at `/stream`: authenticate with a key pair, `listen` to
 * `trade_updates`, then receive an update for every change of the account's orders — `new`,
 * `fill`, `partial_fill`, `canceled`, `expired`, `replaced`, `rejected` — carrying the order
 * (the REST order object), and on fills the execution's `price`, `qty`, `execution_id` and
 * the `position_qty` after it.
 *
 * Every frame is JSON text with a `stream` and a `data` object, which both SDKs read: 4.x
 * (`{"action":"error"}` frames for errors, which also carry `stream` and `data.error` so a 3.x
 * client reads them without failing). A `listen` is acknowledged only once its cursor into the
 * live updates is open, so an order placed after the `listening` frame (as `submitAndWait`
 * does) is never missed. The updates come from the live-update hub (`src/api/live.ts`) that
 * also feeds the SSE stream: one `$all` follower per process, whatever the number of clients.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Principal } from '../../commands/policy.ts';
import { joinApiKey } from '../../auth/opaque-tokens.ts';
import type { LiveCursor, LiveEntry } from '../live.ts';
import { accountFor, type AccountWatermarks, type AlpacaDeps } from './context.ts';
import { AlpacaError } from './errors.ts';
import { alpacaOrderJson } from './wire.ts';

type Json = Record<string, unknown>;

/** The path of the stream (Alpaca's). */
export const STREAM_PATH = '/stream';

export interface TradeStreamOptions {
  /** Connections this process accepts at once (default 1,000). */
  readonly maxConnections?: number;
  /** Authenticated connections one user may hold (default 10). */
  readonly maxPerUser?: number;
  /** How long a connection may stay unauthenticated (default 10 s). */
  readonly authTimeoutMs?: number;
  /** Interval of the server's pings; a client that missed one is dropped (default 30 s). */
  readonly pingIntervalMs?: number;
  /** Bytes queued for a client before it counts as too slow and is dropped (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  /** How long a slow client may take to drain before it is dropped (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/** Our live `order` events as Alpaca's trade-update events (a held leg going live is `new`). */
const EVENT_NAMES: Readonly<Record<string, string>> = {
  new: 'new',
  activated: 'new',
  fill: 'fill',
  partial_fill: 'partial_fill',
  canceled: 'canceled',
  expired: 'expired',
  replaced: 'replaced',
  rejected: 'rejected',
};

/** The `trade_updates` frames of one live entry (the account's order changes). */
export function tradeUpdates(entry: LiveEntry): Json[] {
  const fill = entry.messages.find((m) => m.event === 'fill');
  const frames: Json[] = [];
  for (const message of entry.messages) {
    if (message.event !== 'order') continue;
    const d = message.data;
    const event = EVENT_NAMES[String(d.event)];
    if (event === undefined || typeof d.order !== 'object' || d.order === null) continue;
    const filled = event === 'fill' || event === 'partial_fill';
    frames.push({
      stream: 'trade_updates',
      data: {
        event,
        timestamp: d.at,
        order: alpacaOrderJson(d.order as Json),
        ...(filled
          ? {
              execution_id: fill?.data.id ?? null,
              price: d.price,
              qty: d.qty,
              position_qty: d.position_qty,
            }
          : {}),
        ...(event === 'rejected' || event === 'canceled' || event === 'expired'
          ? { reason: d.reason ?? null }
          : {}),
      },
    });
  }
  return frames;
}

function errorFrame(message: string): Json {
  return { stream: 'error', action: 'error', data: { error_message: message, error: message } };
}

function authorizationFrame(status: 'authorized' | 'unauthorized', error?: string): Json {
  return {
    stream: 'authorization',
    data: { action: 'authenticate', status, ...(error === undefined ? {} : { error }) },
  };
}

const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One client connection: authentication, its subscription, and the pump of its updates. */
class Connection {
  principal: Principal | undefined;
  accountId: string | undefined;
  #cursor: LiveCursor | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #authTimer: NodeJS.Timeout;

  constructor(
    private readonly stream: TradeUpdatesStream,
    readonly ws: WebSocket,
    private readonly deps: AlpacaDeps,
    private readonly marks: AccountWatermarks,
    private readonly options: Required<TradeStreamOptions>,
  ) {
    this.#authTimer = setTimeout(() => {
      if (this.principal !== undefined) return;
      this.send(errorFrame('authentication timeout'));
      this.close(1008, 'authentication timeout');
    }, options.authTimeoutMs);
    this.#authTimer.unref();
    ws.on('message', (data: RawData) => {
      // One message at a time, in order: a `listen` is answered after the `authenticate`.
      this.#queue = this.#queue
        .then(() => this.#handle(data))
        .catch((error: unknown) => {
          this.deps.logger?.warn({ err: error }, 'trade_updates: message failed');
          this.send(errorFrame('internal error'));
        });
    });
    ws.on('close', () => {
      this.close();
    });
    ws.on('error', () => {
      this.close();
    });
  }

  send(frame: Json): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  }

  close(code?: number, reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authTimer);
    this.#cursor?.close();
    this.#cursor = undefined;
    this.stream.forget(this);
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code ?? 1000, reason);
    }
  }

  async #handle(data: RawData): Promise<void> {
    if (this.#closed) return;
    let message: unknown;
    try {
      message = JSON.parse(rawText(data));
    } catch {
      this.send(errorFrame('invalid syntax: a message must be JSON'));
      return;
    }
    if (!isRecord(message) || typeof message.action !== 'string') {
      this.send(errorFrame('a message needs an "action"'));
      return;
    }
    const body = isRecord(message.data) ? message.data : {};
    switch (message.action) {
      case 'authenticate':
      case 'auth':
        await this.#authenticate(body, message);
        return;
      case 'listen':
        await this.#listen(body);
        return;
      default:
        this.send(errorFrame(`unknown action "${message.action}": use authenticate or listen`));
    }
  }

  async #authenticate(body: Json, message: Json): Promise<void> {
    const keyId = body.key_id ?? message.key;
    const secret = body.secret_key ?? message.secret;
    if (typeof keyId !== 'string' || typeof secret !== 'string' || !keyId || !secret) {
      this.send(authorizationFrame('unauthorized', 'data.key_id and data.secret_key are required'));
      this.close(1008, 'unauthorized');
      return;
    }
    const principal = await this.deps.authenticate(joinApiKey(keyId.trim(), secret.trim()));
    if (principal === undefined) {
      this.send(authorizationFrame('unauthorized', 'the key is invalid or revoked'));
      this.close(1008, 'unauthorized');
      return;
    }
    if (!this.stream.admit(this, principal)) {
      this.send(
        authorizationFrame('unauthorized', `at most ${this.options.maxPerUser} streams per user`),
      );
      this.close(1008, 'too many streams');
      return;
    }
    try {
      const accountId = await accountFor(this.deps.trading, principal);
      await this.deps.trading.account(principal, accountId);
      this.principal = principal;
      this.accountId = accountId;
    } catch (error) {
      const reason =
        error instanceof AlpacaError ? error.message : 'the key has no account to stream';
      this.send(authorizationFrame('unauthorized', reason));
      this.close(1008, 'unauthorized');
      return;
    }
    clearTimeout(this.#authTimer);
    this.send(authorizationFrame('authorized'));
  }

  async #listen(body: Json): Promise<void> {
    if (this.principal === undefined) {
      this.send(errorFrame('not authenticated: send {"action":"authenticate"} first'));
      return;
    }
    const streams = Array.isArray(body.streams)
      ? body.streams.filter((s) => typeof s === 'string')
      : [];
    const wanted = streams.includes('trade_updates');
    if (wanted && this.#cursor === undefined) {
      // Opened before the acknowledgement: whatever happens after `listening` is delivered.
      const cursor = await this.deps.live.open(this.principal);
      if (this.#closed) {
        cursor.close();
        return;
      }
      this.#cursor = cursor;
      void this.#pump(cursor);
    } else if (!wanted && this.#cursor !== undefined) {
      this.#cursor.close();
      this.#cursor = undefined;
    }
    this.send({ stream: 'listening', data: { streams: wanted ? ['trade_updates'] : [] } });
  }

  async #pump(cursor: LiveCursor): Promise<void> {
    try {
      while (!cursor.closed) {
        const entries = await cursor.next();
        for (const entry of entries) {
          if (entry.accountId !== this.accountId) continue;
          const frames = tradeUpdates(entry);
          if (frames.length === 0) continue;
          this.marks.note(entry.accountId, entry.position);
          for (const frame of frames) this.send(frame);
          if (!(await this.#drained())) return;
        }
      }
    } catch (error) {
      this.deps.logger?.warn({ err: error }, 'trade_updates: stream failed');
      this.send(errorFrame('the stream failed; reconnect'));
      this.close(1011, 'stream failed');
    }
  }

  /** Waits while the client is behind; drops it when it does not catch up in time. */
  async #drained(): Promise<boolean> {
    const started = Date.now();
    while (this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      if (this.#closed) return false;
      if (Date.now() - started > this.options.drainTimeoutMs) {
        this.close(1008, 'slow consumer');
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return !this.#closed;
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** The `/stream` endpoint: upgrades, connections and their limits. */
export class TradeUpdatesStream {
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Connection>();
  readonly #perUser = new Map<string, number>();
  /** Authenticated connections and their user. */
  readonly #admitted = new Map<Connection, string>();
  readonly #options: Required<TradeStreamOptions>;
  readonly #pinger: NodeJS.Timeout;
  readonly #alive = new WeakSet<WebSocket>();

  constructor(
    private readonly deps: AlpacaDeps,
    private readonly marks: AccountWatermarks,
    options: TradeStreamOptions = {},
  ) {
    this.#options = {
      maxConnections: options.maxConnections ?? 1_000,
      maxPerUser: options.maxPerUser ?? 10,
      authTimeoutMs: options.authTimeoutMs ?? 10_000,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
      drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
    };
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.#pinger = setInterval(() => {
      for (const c of this.#connections) {
        if (!this.#alive.has(c.ws)) {
          c.ws.terminate();
          c.close();
          continue;
        }
        this.#alive.delete(c.ws);
        c.ws.ping();
      }
    }, this.#options.pingIntervalMs);
    this.#pinger.unref();
  }

  /** Open connections. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Takes over an HTTP upgrade of `/stream`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#connections.size >= this.#options.maxConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#alive.add(ws);
      ws.on('pong', () => this.#alive.add(ws));
      this.#connections.add(new Connection(this, ws, this.deps, this.marks, this.#options));
    });
  }

  /** @internal Counts an authenticated connection against its user's limit. */
  admit(connection: Connection, principal: Principal): boolean {
    if (this.#admitted.has(connection)) return true;
    const held = this.#perUser.get(principal.userId) ?? 0;
    if (held >= this.#options.maxPerUser) return false;
    this.#perUser.set(principal.userId, held + 1);
    this.#admitted.set(connection, principal.userId);
    return true;
  }

  /** @internal */
  forget(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    const userId = this.#admitted.get(connection);
    this.#admitted.delete(connection);
    if (userId !== undefined) {
      const held = (this.#perUser.get(userId) ?? 1) - 1;
      if (held <= 0) this.#perUser.delete(userId);
      else this.#perUser.set(userId, held);
    }
  }

  /** Ends every connection (close code 1001: clients reconnect, to another replica). */
  closeConnections(): void {
    for (const c of [...this.#connections]) c.close(1001, 'server shutting down');
  }

  close(): Promise<void> {
    clearInterval(this.#pinger);
    this.closeConnections();
    return new Promise((resolve) => {
      this.#wss.close(() => {
        resolve();
      });
    });
  }
}
