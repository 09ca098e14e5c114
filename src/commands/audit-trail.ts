import type { EventMetadata, EventStore } from '../eventstore/port.ts';

/** Where a command attempt came from, for events' metadata and the audit log. */
export interface AttemptContext {
  readonly actor: string;
  /** Roles of the actor, comma-separated (empty for anonymous callers). */
  readonly role: string;
  readonly source: NonNullable<EventMetadata['source']>;
  readonly ip?: string;
  readonly correlationId: string;
}

export interface AttemptRecord {
  /** The command or operation attempted, e.g. `Login`, `PlaceOrder`. */
  readonly command: string;
  /** Stream the command targeted, when known. */
  readonly target?: string;
  /** Machine-readable reason, e.g. `invalid_credentials`, `not_found`. */
  readonly code: string;
  readonly detail?: string;
}

/** The day stream of attempts that wrote no domain event, e.g. `audit-20250303`. */
export function auditStream(at: Date): string {
  return `audit-${at.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * Records command attempts that write no domain event — refused by authorization or
 * authentication, or rejected by a decider that threw — as `CommandRefused` / `CommandRejected`
 * events in a per-day `audit-*` stream. Going through the event store (rather than inserting
 * into the audit table) keeps one source of truth: the audit log stays a rebuildable projection,
 * and these records are covered by the hash chain like every other event.
 */
export class AuditTrail {
  constructor(
    private readonly store: EventStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  refused(context: AttemptContext, record: AttemptRecord): Promise<void> {
    return this.#append('CommandRefused', context, record);
  }

  rejected(context: AttemptContext, record: AttemptRecord): Promise<void> {
    return this.#append('CommandRejected', context, record);
  }

  async #append(
    type: 'CommandRefused' | 'CommandRejected',
    context: AttemptContext,
    record: AttemptRecord,
  ): Promise<void> {
    const at = this.now();
    await this.store.append(
      auditStream(at),
      [
        {
          type,
          data: { ...context, ...record, at: at.toISOString() },
          metadata: {
            actor: context.actor,
            source: context.source,
            correlationId: context.correlationId,
            role: context.role,
            ...(context.ip === undefined ? {} : { ip: context.ip }),
          },
        },
      ],
      { expectedRevision: 'any' },
    );
  }
}
