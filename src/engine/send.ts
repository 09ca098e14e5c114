import type {
  AccountService,
  CallContext,
  OrderResult,
  OrderVersion,
} from '../commands/accounts.ts';
import type { MarketContext } from '../domain/market.ts';

/** An evaluation the engine acts on. */
export type EngineAction = 'fill' | 'trigger' | 'expire' | 'update_water_mark';

/** The actions, for checking a stored one. */
export const ENGINE_ACTIONS: readonly EngineAction[] = [
  'fill',
  'trigger',
  'expire',
  'update_water_mark',
];

/** Narrows a stored action name. */
export function isEngineAction(action: string): action is EngineAction {
  return (ENGINE_ACTIONS as readonly string[]).includes(action);
}

/**
 * Sends one engine command through the account service: the path of every engine command and
 * of a parked command's replay. `expected` is the order version it was evaluated against; the
 * service refuses the command with `StaleOrderVersion` if the order has moved on since.
 */
export function sendEngineCommand(
  service: AccountService,
  action: EngineAction,
  accountId: string,
  orderId: string,
  market: MarketContext,
  context: CallContext,
  expected: OrderVersion,
): Promise<OrderResult> {
  switch (action) {
    case 'fill':
      return service.fill(accountId, orderId, market, context, expected);
    case 'trigger':
      return service.trigger(accountId, orderId, market, context, expected);
    case 'expire':
      return service.expire(accountId, orderId, market, context, expected);
    case 'update_water_mark':
      return service.updateWaterMark(accountId, orderId, market, context, expected);
  }
}

/** What an engine command names as its cause: the quote or auction print that priced it. */
export function engineCausation(market: MarketContext): string {
  return market.auction
    ? `auction:${market.auction.kind}:${market.auction.time}`
    : `quote:${market.quote?.symbol ?? ''}:${market.quote?.seq ?? ''}`;
}
