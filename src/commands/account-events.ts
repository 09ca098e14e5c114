/**
 * The raw `account-{id}` stream as an auditor reads it: every event with its revision, global
 * position, metadata (actor, source, correlation, hash chain) and record time, paged by
 * revision. Same policy as the rest of trading: the owner reads their own stream; auditors
 * and admins (`events.read`) read every stream; anybody else is told the account does not
 * exist, so another tenant's account never leaks.
 */
import type { Direction, EventStore, RecordedEvent } from '../eventstore/port.ts';
import { accountStream } from '../domain/ids.ts';
import type { AccountService } from './accounts.ts';
import type { Principal } from './policy.ts';
import { authorize, PolicyError } from './policy.ts';

/** One page request of a stream. */
export interface AccountEventsRequest {
  /** First revision (inclusive); default the start (`forwards`) or the end (`backwards`). */
  readonly fromRevision?: number;
  /** 1–1000; default 100. */
  readonly limit?: number;
  /** Default `forwards` (oldest first). */
  readonly direction?: Direction;
}

export interface AccountEventsPage {
  readonly items: readonly RecordedEvent[];
  /** The revision to read from for the next page, or null at the end of the stream. */
  readonly nextRevision: number | null;
}

export interface AccountEventsDeps {
  readonly accounts: AccountService;
  readonly store: EventStore;
}

export const MAX_EVENTS_PAGE = 1000;
const DEFAULT_EVENTS_PAGE = 100;

function accountNotFound(): PolicyError {
  return new PolicyError('not_found', 'account_not_found', 'The account does not exist');
}

export class AccountEvents {
  constructor(private readonly deps: AccountEventsDeps) {}

  /** A page of the account's events; `PolicyError` when the caller may not read them. */
  async read(
    principal: Principal,
    accountId: string,
    request: AccountEventsRequest = {},
  ): Promise<AccountEventsPage> {
    const { state } = await this.deps.accounts.load(accountId);
    if (state.status !== 'open' || state.ownerId === null) throw accountNotFound();
    if (state.ownerId === principal.userId) {
      authorize(principal, 'account.read', { ownerId: state.ownerId });
    } else {
      // Not the owner: only readers of every stream get past this, and only they learn the
      // account exists (a refusal for them is about scope, not existence).
      if (!principal.roles.some((role) => role === 'auditor' || role === 'admin')) {
        throw accountNotFound();
      }
      authorize(principal, 'events.read');
    }
    const limit = Math.min(Math.max(request.limit ?? DEFAULT_EVENTS_PAGE, 1), MAX_EVENTS_PAGE);
    const direction = request.direction ?? 'forwards';
    const fromRevision = request.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    if (direction === 'backwards' && typeof fromRevision === 'number' && fromRevision < 0) {
      return { items: [], nextRevision: null };
    }
    const page = await this.deps.store.readStream(accountStream(accountId), {
      fromRevision,
      direction,
      maxCount: limit + 1,
    });
    const items = page.slice(0, limit);
    const more = page[limit];
    return { items, nextRevision: more === undefined ? null : more.revision };
  }
}
