/**
 * `GET /api/v1/stream`: Server-Sent Events of the caller's order, fill, position and account
 * changes (see `../live.ts` and docs/live-updates.md). Each message's `id` is the global
 * position of the event behind it; reconnecting with `Last-Event-ID` (or `?after=`) resumes
 * right after it, with nothing skipped and nothing repeated.
 */
import { once } from 'node:events';
import { Server, type Socket } from 'node:net';
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { authorize } from '../../commands/policy.ts';
import type { RouteModule } from '../app.ts';
import { principalOf, route } from '../authenticate.ts';
import type { LiveCursor, LiveUpdates } from '../live.ts';
import { API_PREFIX, documentOperation } from '../openapi.ts';
import { ApiError } from '../problem.ts';

export interface StreamRouteDeps {
  readonly live: LiveUpdates;
  /** `requireAuth` and the per-user limiter (`security.authenticated`), in order. */
  readonly authenticated: readonly RequestHandler[];
  /** Open streams one user may hold (default 5); one more answers 429 `too_many_streams`. */
  readonly maxStreamsPerUser?: number;
  /** Open streams on this process (default 1,000); one more answers 503 `stream_capacity`. */
  readonly maxStreams?: number;
  /** Interval of `: heartbeat` comments that keep proxies from closing the stream (default 15 s). */
  readonly heartbeatMs?: number;
  /**
   * Longest life of one stream (default 30 minutes). The client reconnects with its
   * `Last-Event-ID` and a current token, so a revoked token or role stops streaming too.
   */
  readonly maxDurationMs?: number;
  /** How long a client may leave written data unread before it is disconnected (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Reconnection delay suggested to clients in the `retry:` field (default 2000 ms). */
  readonly retryMs?: number;
  /** Registers `live_streams_open` and `live_messages_total` when given. */
  readonly metrics?: Registry;
  readonly logger?: Logger;
}

const POSITION = /^\d{1,15}$/;

/** How often an open stream checks whether its server is shutting down. */
const SHUTDOWN_CHECK_MS = 250;

/** The server that accepted a socket (`net` sets `socket.server` on accepted connections). */
function serverOf(socket: Socket): Server | undefined {
  const server = (socket as Socket & { server?: unknown }).server;
  return server instanceof Server ? server : undefined;
}

const streamQuery = z
  .object({
    after: z
      .string()
      .regex(POSITION, 'A global event position (a non-negative integer)')
      .optional()
      .meta({
        description:
          'Resume after this position (the `id` of the last message received). `Last-Event-ID` takes precedence, so a browser `EventSource` reconnects correctly.',
        example: '1042',
      }),
  })
  .strict();

function liveMetrics(registry: Registry | undefined): {
  open: { inc(): void; dec(): void };
  sent: { inc(labels: { event: string }, value?: number): void };
} {
  if (!registry) {
    return { open: { inc: () => undefined, dec: () => undefined }, sent: { inc: () => undefined } };
  }
  const reuse = <T>(name: string, create: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? create();
  const open = reuse(
    'live_streams_open',
    () =>
      new Gauge({
        name: 'live_streams_open',
        help: 'Open GET /api/v1/stream connections',
        registers: [registry],
      }),
  );
  const sent = reuse(
    'live_messages_total',
    () =>
      new Counter({
        name: 'live_messages_total',
        help: 'Server-Sent Events messages written to live streams, by event name',
        labelNames: ['event'],
        registers: [registry],
      }),
  );
  return { open, sent };
}

/** `GET /stream` (Server-Sent Events). */
export function streamRoutes(deps: StreamRouteDeps): RouteModule {
  const { live } = deps;
  const perUser = deps.maxStreamsPerUser ?? 5;
  const total = deps.maxStreams ?? 1_000;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxDurationMs = deps.maxDurationMs ?? 30 * 60_000;
  const drainTimeoutMs = deps.drainTimeoutMs ?? 30_000;
  const retryMs = deps.retryMs ?? 2_000;
  const metrics = liveMetrics(deps.metrics);
  const openByUser = new Map<string, number>();
  let open = 0;

  return (api) => {
    const router = Router();
    router.use(...deps.authenticated);

    router.get(
      '/',
      route(async (req, res) => {
        const principal = principalOf(res);
        // The same right as listing one's accounts (an API key needs the read scope).
        authorize(principal, 'account.read', { ownerId: principal.userId });
        const query = streamQuery.parse(req.query);
        const header = req.get('last-event-id');
        if (header !== undefined && !POSITION.test(header.trim())) {
          throw new ApiError(400, 'invalid_last_event_id', 'Bad Request', {
            detail: 'Last-Event-ID must be the id of a message of this stream',
            errors: [{ field: 'Last-Event-ID', message: 'A global event position' }],
          });
        }
        const resume = header?.trim() ?? query.after;
        let after: number | undefined;
        if (resume !== undefined) {
          after = Number(resume);
          const head = await live.headPosition();
          if (after > head) {
            throw new ApiError(400, 'invalid_last_event_id', 'Bad Request', {
              detail: `Position ${after} is past the newest event (${head}): it did not come from this stream`,
              errors: [
                {
                  field: header === undefined ? 'after' : 'Last-Event-ID',
                  message: 'Past the newest event',
                },
              ],
            });
          }
        }

        const mine = openByUser.get(principal.userId) ?? 0;
        if (mine >= perUser) {
          throw new ApiError(429, 'too_many_streams', 'Too Many Requests', {
            detail: `At most ${perUser} open streams per user; close one first`,
            headers: { 'Retry-After': String(Math.ceil(retryMs / 1000)) },
          });
        }
        if (open >= total) {
          throw new ApiError(503, 'stream_capacity', 'Service Unavailable', {
            detail: 'This server holds as many streams as it can; retry later or elsewhere',
            headers: { 'Retry-After': '5' },
          });
        }
        openByUser.set(principal.userId, mine + 1);
        open += 1;
        metrics.open.inc();
        let cursor: LiveCursor | undefined;
        const timers: NodeJS.Timeout[] = [];
        let ended = false;
        // Read through a function: `end` runs from events while this handler awaits.
        const isEnded = (): boolean => ended;
        const end = (): void => {
          if (ended) return;
          ended = true;
          for (const t of timers) clearInterval(t);
          cursor?.close();
          const left = (openByUser.get(principal.userId) ?? 1) - 1;
          if (left > 0) openByUser.set(principal.userId, left);
          else openByUser.delete(principal.userId);
          open -= 1;
          metrics.open.dec();
          // Before the stream started the error handler answers; after, the stream just ends.
          if (res.headersSent && !res.writableEnded) res.end();
        };
        // A client that goes away ends the stream and frees its cursor.
        res.on('close', end);
        try {
          cursor = await live.open(principal, after);
        } catch (error) {
          end();
          throw error;
        }
        if (isEnded()) {
          cursor.close();
          return;
        }

        res.locals.noTimeout = true;
        res.status(200);
        res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
        res.setHeader('Cache-Control', 'no-cache, no-transform');
        res.setHeader('Connection', 'keep-alive');
        // nginx and similar proxies must pass every message through at once.
        res.setHeader('X-Accel-Buffering', 'no');
        res.flushHeaders();
        req.socket.setNoDelay(true);
        req.socket.setKeepAlive(true);
        res.write(
          `retry: ${retryMs}\nevent: ready\ndata: ${JSON.stringify({ event_position: cursor.position })}\n\n`,
        );

        let backpressured = false;
        timers.push(
          setInterval(() => {
            if (!backpressured && !ended) res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
          }, heartbeatMs),
          setTimeout(end, maxDurationMs),
          // A server that stops listening is shutting down: end the stream now rather than
          // hold the shutdown for its grace period (clients reconnect elsewhere with their id).
          setInterval(() => {
            if (serverOf(req.socket)?.listening === false) end();
          }, SHUTDOWN_CHECK_MS),
        );
        for (const t of timers) t.unref();

        /** Waits until the client has read what was written; false when it stops reading. */
        const drained = async (): Promise<boolean> => {
          backpressured = true;
          let timer: NodeJS.Timeout | undefined;
          try {
            return await Promise.race([
              once(res, 'drain').then(() => true),
              once(res, 'close').then(() => false),
              new Promise<boolean>((resolve) => {
                timer = setTimeout(() => {
                  resolve(false);
                }, drainTimeoutMs);
              }),
            ]);
          } finally {
            clearTimeout(timer);
            backpressured = false;
          }
        };

        try {
          for (;;) {
            const entries = await cursor.next();
            if (isEnded() || entries.length === 0) return;
            for (const entry of entries) {
              for (const event of entry.events) metrics.sent.inc({ event });
              // A client that reads slower than events arrive is waited for (its cursor waits
              // with it, so nothing piles up here), and dropped once it stops reading.
              if (!res.write(entry.chunk) && !(await drained())) return;
              if (isEnded()) return;
            }
          }
        } catch (error) {
          // The answer has started: the client reconnects with its Last-Event-ID.
          deps.logger?.warn({ err: error }, 'live stream failed');
        } finally {
          end();
        }
      }),
    );

    api.use('/stream', router);
  };
}

documentOperation({
  method: 'get',
  path: `${API_PREFIX}/stream`,
  tags: ['Live updates'],
  summary: 'Live updates (Server-Sent Events)',
  description: [
    "A `text/event-stream` of the caller's order, fill, position and account changes (every account for auditors and admins). Events: `ready` (once, with the starting `event_position`), `order` (`data.event` is `new`, `fill`, `partial_fill`, `canceled`, `expired`, `replaced`, `rejected`, `triggered`, `activated` or `water_mark`; `data.order` is the order resource), `fill`, `position` and `account`; `: heartbeat` comments every 15 s.",
    'Every message carries `id:` = the global position of the event behind it (also `data.event_position`); messages of one event share it and only the last one carries the `id:` line. Reconnect with `Last-Event-ID` (or `?after=`) to receive exactly what came after; without either the stream starts now.',
    'At most 5 streams per user (429 `too_many_streams`); a stream lasts at most 30 minutes, then the client reconnects with its last id. Browsers: use a fetch-based EventSource (the bearer token goes in the `Authorization` header).',
  ].join('\n\n'),
  request: { query: streamQuery },
  responses: {
    200: {
      description: 'The event stream (never ends on its own before the 30-minute limit)',
      contentType: 'text/event-stream',
      schema: z.string(),
      example:
        'retry: 2000\nevent: ready\ndata: {"event_position":1041}\n\nevent: fill\ndata: {"id":"…","order_id":"…","symbol":"AAPL","qty":"10","price":"189.44","event_position":1042}\n\nevent: order\ndata: {"event":"fill","order":{"id":"…","status":"filled","filled_qty":"10"},"event_position":1042}\n\nevent: position\ndata: {"symbol":"AAPL","qty":"10","avg_entry_price":"189.44","event_position":1042}\n\nid: 1042\nevent: account\ndata: {"event":"fill","cash":"98105.6","event_position":1042}\n\n',
      headers: {
        'X-Accel-Buffering': { description: '`no`: proxies must not buffer the stream' },
      },
    },
  },
  errors: {
    400: ['invalid_last_event_id'],
    403: ['forbidden'],
    422: ['validation_failed'],
    429: ['too_many_streams'],
    503: ['stream_capacity'],
  },
});
