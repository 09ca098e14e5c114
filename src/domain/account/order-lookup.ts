/**
 * Reading an account's orders whether open or finished. `state.orders` holds open orders only;
 * terminal orders, client order ids and rejections live in append-only maps. A reader that
 * means "any order with this id" (a cancel or replace of a finished order must still answer
 * with its status, a retried placement with the original order) goes through these.
 */
import type { Order } from './order.ts';
import type { AccountState, OrderRejection } from './state.ts';

/** The order with `id`, open or terminal. */
export function orderById(state: AccountState, id: string): Order | undefined {
  return Object.hasOwn(state.orders, id) ? state.orders[id] : state.terminalOrders.get(id);
}

/** Every order of the account: terminal ones in the order they finished, then the open ones. */
export function allOrders(state: AccountState): Order[] {
  return [...state.terminalOrders.values(), ...Object.values(state.orders)];
}

/** The rejection of the order id, if that order was rejected. */
export function rejectionById(state: AccountState, id: string): OrderRejection | undefined {
  return state.rejections.get(id);
}

/** The order id a client order id was used for (placed or rejected). */
export function orderIdOfClientOrderId(
  state: AccountState,
  clientOrderId: string,
): string | undefined {
  return state.clientOrderIds.get(clientOrderId);
}

/** Whether an order id was ever used in the account (placed, finished or rejected). */
export function isOrderIdUsed(state: AccountState, id: string): boolean {
  return orderById(state, id) !== undefined || state.rejections.has(id);
}

/** What a `client_order_id` already refers to, so a retried `PlaceOrder` can answer with it. */
export interface ClientOrderLookup {
  readonly orderId: string;
  /** Present when the order was placed. */
  readonly order: Order | undefined;
  /** Present when the order was rejected. */
  readonly rejection: OrderRejection | undefined;
}

/**
 * Finds the order a client order id was used for. The decider answers a duplicate
 * `PlaceOrder` with no events; the command layer calls this to return the original.
 */
export function findOrderByClientOrderId(
  state: AccountState,
  clientOrderId: string,
): ClientOrderLookup | undefined {
  const orderId = orderIdOfClientOrderId(state, clientOrderId);
  if (orderId === undefined) return undefined;
  return { orderId, order: orderById(state, orderId), rejection: rejectionById(state, orderId) };
}
