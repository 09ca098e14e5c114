import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { authorize } from '../commands/policy.ts';
import type { AuditQueries } from '../projections/audit.ts';
import { principalOf, route } from './authenticate.ts';
import type { RouteModule } from './app.ts';

/** The audit log's query filters (also documented in OpenAPI by `system-docs.ts`). */
export const auditFilters = z
  .object({
    actor: z.string().max(200).optional(),
    outcome: z.enum(['accepted', 'rejected', 'refused']).optional(),
    source: z.string().max(20).optional(),
    stream: z.string().max(200).optional(),
    event_type: z.string().max(128).optional(),
    correlation_id: z.string().max(128).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    before: z
      .string()
      .regex(/^\d{1,19}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export interface AuditRouteDeps {
  readonly audit: AuditQueries;
  readonly authenticated: readonly RequestHandler[];
}

/**
 * `GET /api/v1/audit` — the audit log, newest first, filtered by actor, outcome, source,
 * stream, event type, correlation id and time; paged with `before` (the last position seen).
 * Auditors and admins only (403 otherwise); the table's RLS enforces the same.
 */
export function auditRoutes(deps: AuditRouteDeps): RouteModule {
  return (api) => {
    const router = Router();
    router.use(...deps.authenticated);
    router.get(
      '/',
      route(async (req, res) => {
        const principal = principalOf(res);
        authorize(principal, 'audit.read');
        const q = auditFilters.parse(req.query);
        const entries = await deps.audit.search(
          principal.roles.includes('admin') ? 'admin' : 'auditor',
          {
            ...(q.actor === undefined ? {} : { actor: q.actor }),
            ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
            ...(q.source === undefined ? {} : { source: q.source }),
            ...(q.stream === undefined ? {} : { streamId: q.stream }),
            ...(q.event_type === undefined ? {} : { eventType: q.event_type }),
            ...(q.correlation_id === undefined ? {} : { correlationId: q.correlation_id }),
            ...(q.from === undefined ? {} : { from: new Date(q.from) }),
            ...(q.to === undefined ? {} : { to: new Date(q.to) }),
            ...(q.before === undefined ? {} : { before: q.before }),
            limit: q.limit,
          },
        );
        res.json({
          entries: entries.map((e) => ({
            position: e.position,
            recorded_at: e.recordedAt.toISOString(),
            stream_id: e.streamId,
            event_type: e.eventType,
            outcome: e.outcome,
            actor: e.actor,
            role: e.role,
            source: e.source,
            ip: e.ip,
            correlation_id: e.correlationId,
            code: e.code,
            detail: e.detail,
          })),
          next_before: entries.length === q.limit ? (entries.at(-1)?.position ?? null) : null,
        });
      }),
    );
    api.use('/audit', router);
  };
}
