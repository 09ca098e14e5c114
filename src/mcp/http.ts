/**
 * MCP over Streamable HTTP, mounted at `/mcp` by `serve`: an express router that
 * authenticates every request (`Authorization: Bearer <access token | API key>`, the same
 * middleware as `/api/v1`), keeps one MCP server per session (`Mcp-Session-Id`), lets a client
 * resume a dropped SSE stream (`Last-Event-ID`, from an in-memory per-session store), and
 * refuses requests from browsers of other origins and, when configured, unknown `Host`
 * headers (DNS-rebinding protection).
 *
 * A session belongs to the user who opened it: another user presenting its id is told the
 * session does not exist. Sessions live in this process's memory, so behind a load balancer
 * route a session's requests to one replica (sticky on `Mcp-Session-Id`).
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { pino, type Logger } from 'pino';
import { principalOf } from '../api/authenticate.ts';
import { errorHandler } from '../api/problem.ts';
import type { Principal } from '../commands/policy.ts';
import { MemoryResumptionStore } from './resumption.ts';
import { createMcpServer } from './server.ts';
import type { McpDeps, McpIdentity } from './session.ts';

export interface McpHttpOptions {
  readonly deps: McpDeps;
  /** Authentication (and per-user rate limiting): `security.authenticated`. */
  readonly authenticated: readonly RequestHandler[];
  /**
   * Hostnames (no port) the `Host` header may name; unset accepts any. Set it when the server
   * is reachable by a name browsers could be tricked into resolving to it.
   */
  readonly allowedHosts?: readonly string[];
  /** Browser origins allowed to call (`CORS_ORIGINS`); any other `Origin` is refused 403. */
  readonly allowedOrigins?: readonly string[];
  /** A session unused this long is closed (default 30 minutes). */
  readonly sessionIdleMs?: number;
  /** Most sessions held at once (default 1,000); more answer 503. */
  readonly maxSessions?: number;
  /** SSE messages kept per stream for resumption (default 500). */
  readonly resumptionWindow?: number;
  readonly logger?: Logger;
}

export interface McpHttpHandler {
  /** Mount at `/mcp`: `app.use('/mcp', handler.router)`. */
  readonly router: Router;
  /** Open sessions. */
  sessionCount(): number;
  /** Closes every session (on shutdown). */
  close(): Promise<void>;
}

interface Session {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  readonly userId: string;
  principal: Principal;
  lastSeen: number;
}

function rpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

function describe(principal: Principal): string {
  return principal.via === 'api_key'
    ? `user ${principal.userId} with API key ${principal.keyId ?? ''}`.trim()
    : `user ${principal.userId} with an access token`;
}

/** Builds the `/mcp` router and the session table behind it. */
export function mcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const logger = options.logger ?? options.deps.logger ?? pino({ level: 'silent' });
  const sessions = new Map<string, Session>();
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 1000;
  const origins = options.allowedOrigins ?? [];

  const closeSession = async (id: string): Promise<void> => {
    const session = sessions.get(id);
    if (session === undefined) return;
    sessions.delete(id);
    await session.server.close().catch((error: unknown) => {
      logger.warn({ err: error, sessionId: id }, 'closing MCP session failed');
    });
  };

  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, session] of sessions) {
        if (now - session.lastSeen > idleMs) void closeSession(id);
      }
    },
    Math.min(idleMs, 60_000),
  );
  sweeper.unref();

  const router = Router();
  router.use((req, res, next) => {
    // SSE streams stay open far longer than the API's request timeout.
    res.locals.noTimeout = true;
    const origin = req.get('origin');
    if (origin !== undefined && !origins.includes(origin)) {
      rpcError(res, 403, `Origin ${origin} is not allowed (set CORS_ORIGINS to allow it)`);
      return;
    }
    next();
  });
  if (options.allowedHosts !== undefined)
    router.use(hostHeaderValidation([...options.allowedHosts]));
  router.use(...options.authenticated);

  /** The caller's session named by `Mcp-Session-Id`, or an answer saying why there is none. */
  const existing = (req: Request, res: Response): Session | undefined => {
    const id = req.get('mcp-session-id');
    const session = id === undefined ? undefined : sessions.get(id);
    const principal = principalOf(res);
    if (id === undefined) {
      rpcError(res, 400, 'Bad Request: no Mcp-Session-Id header; send initialize first');
      return undefined;
    }
    if (session?.userId !== principal.userId) {
      // Another user's session is reported like a missing one.
      rpcError(res, 404, 'Session not found; start a new one with initialize');
      return undefined;
    }
    session.principal = principal;
    session.lastSeen = Date.now();
    return session;
  };

  const handle = (handler: (req: Request, res: Response) => Promise<void>): RequestHandler => {
    return (req, res, next) => {
      handler(req, res).catch(next);
    };
  };

  router.post(
    '/',
    handle(async (req, res) => {
      const body: unknown = req.body;
      if (req.get('mcp-session-id') === undefined && isInitializeRequest(body)) {
        if (sessions.size >= maxSessions) {
          rpcError(res, 503, 'Too many MCP sessions; retry later');
          return;
        }
        const principal = principalOf(res);
        let entry: Session | undefined;
        const identity: McpIdentity = {
          get principal() {
            return entry?.principal ?? principal;
          },
          description: describe(principal),
        };
        const server = createMcpServer(options.deps, identity);
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          eventStore: new MemoryResumptionStore(options.resumptionWindow),
          onsessioninitialized: (id) => {
            entry = {
              transport,
              server,
              userId: principal.userId,
              principal,
              lastSeen: Date.now(),
            };
            sessions.set(id, entry);
          },
          onsessionclosed: (id) => closeSession(id),
        });
        transport.onclose = () => {
          const id = transport.sessionId;
          if (id !== undefined) sessions.delete(id);
        };
        await server.connect(transport);
        await transport.handleRequest(req, res, body);
        return;
      }
      const session = existing(req, res);
      if (session) await session.transport.handleRequest(req, res, body);
    }),
  );

  const streamOrDelete = handle(async (req, res) => {
    const session = existing(req, res);
    if (session) await session.transport.handleRequest(req, res);
  });
  router.get('/', streamOrDelete);
  router.delete('/', streamOrDelete);
  router.use(errorHandler(logger));

  return {
    router,
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(sweeper);
      await Promise.all([...sessions.keys()].map(closeSession));
    },
  };
}
