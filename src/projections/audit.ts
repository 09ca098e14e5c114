import type { ColumnType, Kysely, Transaction } from 'kysely';
import type { RecordedEvent } from '../eventstore/port.ts';
import type { Projection } from './runner.ts';
import { withTenant } from './tenancy.ts';

export type AuditOutcome = 'accepted' | 'rejected' | 'refused';

export type AuditTables = {
  /** One row per command outcome: every domain event (accepted or a rejection event) and every
   * `CommandRejected`/`CommandRefused` record of the `audit-*` streams. Readable by auditors and
   * admins only (RLS: no tenant policy). */
  audit_log: {
    position: ColumnType<string, number | string, never>;
    recorded_at: ColumnType<Date, Date | string, never>;
    stream_id: string;
    event_type: string;
    outcome: AuditOutcome;
    actor: string | null;
    role: string | null;
    source: string | null;
    ip: string | null;
    correlation_id: string | null;
    code: string | null;
    detail: string | null;
  };
};

/** Event types that record a command decided against (business rejections). */
const REJECTION_TYPES = new Set(['OrderRejected', 'LoginFailed', 'RefreshTokenReuseDetected']);

function str(value: unknown): string | null {
  return typeof value === 'string' ? value.slice(0, 500) : null;
}

function row(e: RecordedEvent): Record<string, unknown> {
  const meta = e.metadata;
  if (e.type === 'CommandRefused' || e.type === 'CommandRejected') {
    const d = (e.data ?? {}) as Record<string, unknown>;
    return {
      position: e.position,
      recorded_at: e.recordedAt,
      stream_id: str(d.target) ?? e.streamId,
      event_type: str(d.command) ?? e.type,
      outcome: e.type === 'CommandRefused' ? 'refused' : 'rejected',
      actor: str(d.actor) ?? str(meta.actor),
      role: str(d.role),
      source: str(d.source) ?? str(meta.source),
      ip: str(d.ip),
      correlation_id: str(d.correlationId) ?? str(meta.correlationId),
      code: str(d.code),
      detail: str(d.detail),
    };
  }
  const data = (e.data ?? {}) as Record<string, unknown>;
  const rejected = REJECTION_TYPES.has(e.type);
  return {
    position: e.position,
    recorded_at: e.recordedAt,
    stream_id: e.streamId,
    event_type: e.type,
    outcome: rejected ? 'rejected' : 'accepted',
    actor: str(meta.actor),
    role: str(meta.role),
    source: str(meta.source),
    ip: str(meta.ip),
    correlation_id: str(meta.correlationId),
    code: rejected ? (str(data.reason) ?? e.type) : null,
    detail: null,
  };
}

/** The audit log: every event of every stream, as an attempt with its outcome. */
export function auditProjection<DB extends AuditTables>(): Projection<DB> {
  return {
    name: 'audit_log',
    async apply(trx, events) {
      const db = trx as unknown as Transaction<AuditTables>;
      const rows = events.map(row) as never[];
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto('audit_log')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.column('position').doNothing())
          .execute();
      }
    },
    async reset(trx) {
      await (trx as unknown as Transaction<AuditTables>).deleteFrom('audit_log').execute();
    },
  };
}

export interface AuditFilter {
  readonly actor?: string;
  readonly outcome?: AuditOutcome;
  readonly source?: string;
  readonly streamId?: string;
  readonly correlationId?: string;
  readonly eventType?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Entries before this position (paging backwards from the newest). */
  readonly before?: string;
  readonly limit?: number;
}

export interface AuditEntry {
  readonly position: string;
  readonly recordedAt: Date;
  readonly streamId: string;
  readonly eventType: string;
  readonly outcome: AuditOutcome;
  readonly actor: string | null;
  readonly role: string | null;
  readonly source: string | null;
  readonly ip: string | null;
  readonly correlationId: string | null;
  readonly code: string | null;
  readonly detail: string | null;
}

/** Audit-log queries, newest first, for auditors and admins (RLS enforces it too). */
export class AuditQueries {
  constructor(private readonly db: Kysely<AuditTables>) {}

  search(reader: 'auditor' | 'admin', filter: AuditFilter): Promise<AuditEntry[]> {
    return withTenant(this.db, { reader }, async (trx) => {
      let q = trx.selectFrom('audit_log').selectAll();
      if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
      if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
      if (filter.source !== undefined) q = q.where('source', '=', filter.source);
      if (filter.streamId !== undefined) q = q.where('stream_id', '=', filter.streamId);
      if (filter.eventType !== undefined) q = q.where('event_type', '=', filter.eventType);
      if (filter.correlationId !== undefined) {
        q = q.where('correlation_id', '=', filter.correlationId);
      }
      if (filter.from !== undefined) q = q.where('recorded_at', '>=', filter.from);
      if (filter.to !== undefined) q = q.where('recorded_at', '<', filter.to);
      if (filter.before !== undefined) q = q.where('position', '<', filter.before);
      const rows = await q
        .orderBy('position', 'desc')
        .limit(Math.min(filter.limit ?? 100, 1000))
        .execute();
      return rows.map((r) => ({
        position: r.position,
        recordedAt: r.recorded_at,
        streamId: r.stream_id,
        eventType: r.event_type,
        outcome: r.outcome,
        actor: r.actor,
        role: r.role,
        source: r.source,
        ip: r.ip,
        correlationId: r.correlation_id,
        code: r.code,
        detail: r.detail,
      }));
    });
  }
}
