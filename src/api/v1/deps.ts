import type { Request, RequestHandler } from 'express';
import type { AccountEvents } from '../../commands/account-events.ts';
import { PolicyError } from '../../commands/policy.ts';
import type { TradingCallContext, TradingCommands } from '../../commands/trading.ts';
import type { OptionsDesk } from '../../commands/options-desk.ts';
import type { MarketData } from '../../market/port.ts';
import { callContext } from '../authenticate.ts';
import type { Response } from 'express';
import type { PositionWaiter } from './consistency.ts';

/** What the `/api/v1/accounts…` routes need. */
export interface TradingRouteDeps {
  readonly trading: TradingCommands;
  readonly events: AccountEvents;
  readonly market: MarketData;
  /** `requireAuth` and the per-user limiter, in order. */
  readonly authenticated: readonly RequestHandler[];
  /** Read-your-writes: what `X-Min-Position` waits on. */
  readonly waiter: PositionWaiter;
  /** `READ_WAIT_MS`: the longest a read waits for `X-Min-Position`. */
  readonly readWaitMs: number;
  /** Option positions and exercise (`/accounts/{id}/options/…`); absent: not mounted. */
  readonly options?: OptionsDesk;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The `{id}` path parameter; an id that cannot exist is simply not found. */
export function accountIdOf(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new PolicyError('not_found', 'account_not_found', 'The account does not exist');
  }
  return id;
}

/** The `{orderId}` path parameter; an id that cannot exist is simply not found. */
export function orderIdOf(req: Request): string {
  const id = req.params.orderId;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new PolicyError('not_found', 'order_not_found', 'The order does not exist');
  }
  return id;
}

/** Source, IP and correlation id of a REST call, for events and the audit trail. */
export function tradingContext(req: Request, res: Response): TradingCallContext {
  return callContext(req, res);
}
