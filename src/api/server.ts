import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** Who takes over HTTP upgrades (WebSockets), and how its connections end on `close()`. */
export interface UpgradeRoute {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends the upgraded connections (they no longer count as HTTP requests in flight). */
  closeConnections(): void;
}

export interface ListenOptions {
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Interface to bind; all interfaces when absent. */
  readonly host?: string;
  /** How long `close()` lets in-flight requests finish before cutting connections (default 10 s). */
  readonly gracePeriodMs?: number;
  /** Upgrades (the `/stream` WebSocket); without it every upgrade is refused. */
  readonly upgrade?: UpgradeRoute;
}

export interface RunningServer {
  readonly server: Server;
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** `http://host:port`, with `localhost` standing in for "all interfaces". */
  readonly url: string;
  /**
   * Stops accepting connections, lets in-flight requests finish within the grace period, then
   * closes what is left. Idempotent.
   */
  close(): Promise<void>;
}

/** Starts an HTTP server for `handler` and resolves once it is listening. */
export async function startServer(
  handler: RequestListener,
  options: ListenOptions,
): Promise<RunningServer> {
  const server = createServer(handler);
  let closing: Promise<void> | undefined;
  // Once closing, a keep-alive connection is dropped as soon as its current response is out,
  // so clients reconnect elsewhere instead of keeping this process alive until their timeout.
  server.on('request', (_req, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    res.on('finish', () => {
      if (!closing) return;
      setImmediate(() => {
        server.closeIdleConnections();
      });
    });
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing || !options.upgrade) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    options.upgrade.handle(req, socket, head);
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host =
    options.host === undefined || options.host === '0.0.0.0' ? 'localhost' : options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      const force = setTimeout(() => {
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, options.gracePeriodMs ?? 10_000);
      server.close((error) => {
        clearTimeout(force);
        if (error) reject(error);
        else resolve();
      });
      // Keep-alive connections with no request in flight would hold close() open, and so
      // would upgraded ones: their owner ends them (WebSocket close frames).
      server.closeIdleConnections();
      options.upgrade?.closeConnections();
    });
    return closing;
  };
  return { server, port, url, close };
}

/**
 * Resolves with the name of the first of `signals` the process receives. Listeners are removed
 * afterwards, so a second signal gets Node's default behaviour (exit) — an impatient operator
 * pressing Ctrl-C twice is not kept waiting by a slow shutdown.
 */
export function waitForSignal(
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.off(s, onSignal);
      resolve(signal);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}
