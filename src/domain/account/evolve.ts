import { equity } from '../instrument.ts';
import { add, dec, fmt, sub } from '../money.ts';
import type { AccountEvent, OptionSettlementData } from './events.ts';
import { rollUpMultiLeg } from './multi-leg-state.ts';
import { isTerminal, type Order } from './order.ts';
import { evolveCorporateAction } from './corporate-actions.ts';
import { completeSettings } from './settings.ts';
import { initialState, type AccountState, type Position } from './state.ts';
import { rollTradingDay, trackTradingDay } from './trading-day.ts';

/**
 * Applies one event. Total and pure: it never throws, so any stream folds. Events that would
 * change a terminal order are ignored, so a terminal order never changes even if a buggy
 * writer appended such an event.
 */
export function evolve(state: AccountState, event: AccountEvent): AccountState {
  const rolled = rollTradingDay(state, event);
  return trackTradingDay(rolled, apply(rolled, event), event);
}

function apply(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountOpened': {
      const d = event.data;
      return {
        ...initialState(),
        status: 'open',
        accountId: d.accountId,
        ownerId: d.ownerId,
        name: d.name,
        settings: completeSettings(d.settings),
        openedAt: d.at,
        updatedAt: d.at,
      };
    }
    case 'CashDeposited': {
      const d = event.data;
      return {
        ...state,
        cash: add(state.cash, d.amount),
        totalDeposits: add(state.totalDeposits, d.amount),
        updatedAt: d.at,
      };
    }
    case 'CashWithdrawn': {
      const d = event.data;
      return {
        ...state,
        cash: sub(state.cash, d.amount),
        totalWithdrawals: add(state.totalWithdrawals, d.amount),
        updatedAt: d.at,
      };
    }
    case 'AccountSettingsUpdated':
      return {
        ...state,
        settings: completeSettings(event.data.settings),
        updatedAt: event.data.at,
      };
    case 'OrderPlaced': {
      const { order, at } = event.data;
      return {
        ...state,
        ...withOrders(state, [order]),
        clientOrderIds: state.clientOrderIds.set(order.clientOrderId, order.id),
        updatedAt: at,
      };
    }
    case 'OrderRejected': {
      const d = event.data;
      const known = state.clientOrderIds.has(d.clientOrderId);
      return {
        ...state,
        rejections: state.rejections.set(d.orderId, {
          orderId: d.orderId,
          clientOrderId: d.clientOrderId,
          reason: d.reason,
          at: d.at,
        }),
        clientOrderIds: known
          ? state.clientOrderIds
          : state.clientOrderIds.set(d.clientOrderId, d.orderId),
        updatedAt: d.at,
      };
    }
    case 'OrderTriggered': {
      const d = event.data;
      return updateOrder(state, d.orderId, d.at, (o) => ({
        ...o,
        triggered: true,
        triggeredAt: d.at,
      }));
    }
    case 'OrderActivated': {
      const d = event.data;
      return updateOrder(state, d.orderId, d.at, (o) => ({ ...o, status: 'new', qty: d.qty }));
    }
    case 'OrderWaterMarkUpdated': {
      const d = event.data;
      return updateOrder(state, d.orderId, d.at, (o) => ({
        ...o,
        hwm: d.hwm,
        stopPrice: d.stopPrice,
      }));
    }
    case 'OrderCanceled': {
      const d = event.data;
      return updateOrder(state, d.orderId, d.at, (o) => ({
        ...o,
        status: 'canceled',
        canceledAt: d.at,
      }));
    }
    case 'OrderExpired': {
      const d = event.data;
      return updateOrder(state, d.orderId, d.at, (o) => ({
        ...o,
        status: 'expired',
        expiredAt: d.at,
      }));
    }
    case 'OrderFilled':
      return applyFill(state, event.data);
    case 'OrderReplaced':
      return applyReplace(state, event.data);
    case 'OptionExercised':
    case 'OptionAssigned':
    case 'OptionExpired':
      return applySettlement(state, event.data);
    case 'AccountReset': {
      const d = event.data;
      return {
        ...initialState(),
        status: 'open',
        accountId: state.accountId,
        ownerId: state.ownerId,
        name: state.name,
        settings: completeSettings(d.settings),
        cash: d.initialCash,
        totalDeposits: d.initialCash,
        openedAt: state.openedAt,
        updatedAt: d.at,
      };
    }
    case 'StockSplitApplied':
    case 'DividendAccrued':
    case 'DividendPaid':
      return evolveCorporateAction(state, event);
  }
}

/** Folds a whole stream from the initial state. */
export function fold(
  events: readonly AccountEvent[],
  from: AccountState = initialState(),
): AccountState {
  return events.reduce(evolve, from);
}

/**
 * `orders` and `terminalOrders` with `changed` written: open orders into `orders`, an order
 * that reached a terminal status out of `orders` and into `terminalOrders`. O(open orders).
 */
export function withOrders(
  state: AccountState,
  changed: readonly Order[],
): Pick<AccountState, 'orders' | 'terminalOrders'> {
  const orders: Record<string, Order> = { ...state.orders };
  let terminalOrders = state.terminalOrders;
  for (const order of changed) {
    if (isTerminal(order.status)) {
      if (Object.hasOwn(orders, order.id)) Reflect.deleteProperty(orders, order.id);
      terminalOrders = terminalOrders.set(order.id, order);
    } else {
      orders[order.id] = order;
    }
  }
  return { orders, terminalOrders };
}

function updateOrder(
  state: AccountState,
  orderId: string,
  at: string,
  change: (order: Order) => Order,
): AccountState {
  const order = state.orders[orderId];
  if (order === undefined || isTerminal(order.status)) return state;
  return {
    ...state,
    ...withOrders(state, [{ ...change(order), updatedAt: at }]),
    updatedAt: at,
  };
}

function applyFill(
  state: AccountState,
  d: Extract<AccountEvent, { type: 'OrderFilled' }>['data'],
): AccountState {
  const order = state.orders[d.orderId];
  if (order === undefined || isTerminal(order.status)) return state;
  const filledNotional = fmt(dec(order.filledNotional).plus(dec(d.qty).times(dec(d.price))));
  const updated: Order = {
    ...order,
    filledQty: d.cumulativeQty,
    filledNotional,
    status: d.orderStatus,
    filledAt: d.orderStatus === 'filled' ? d.at : order.filledAt,
    updatedAt: d.at,
  };
  // A multi-leg order's legs fill together: the parent follows its legs.
  const parent =
    order.legRole === 'option_leg' && order.parentId !== null
      ? state.orders[order.parentId]
      : undefined;
  const rolledUp =
    parent === undefined || isTerminal(parent.status)
      ? undefined
      : rollUpMultiLeg(parent, updated, d);
  const previous = state.positions[d.symbol];
  const { [d.symbol]: _closed, ...others } = state.positions;
  const positions: Record<string, Position> = dec(d.position.qty).isZero()
    ? others
    : {
        ...others,
        [d.symbol]: {
          symbol: d.symbol,
          instrument: order.instrument,
          qty: d.position.qty,
          costBasis: d.position.costBasis,
          realizedPnl: add(previous?.realizedPnl ?? '0', d.realizedPnl),
        },
      };
  return {
    ...state,
    ...withOrders(state, rolledUp === undefined ? [updated] : [updated, rolledUp]),
    positions,
    cash: add(state.cash, d.cashDelta),
    feesPaid: add(state.feesPaid, d.commission, d.secFee, d.taf),
    realizedPnl: add(state.realizedPnl, d.realizedPnl),
    updatedAt: d.at,
  };
}

/** An option exercised, assigned or expired: the option position closes, shares and cash move. */
function applySettlement(state: AccountState, d: OptionSettlementData): AccountState {
  const option = state.positions[d.symbol];
  if (option === undefined) return state;
  const closed = new Set<string>();
  const positions: Record<string, Position> = { ...state.positions };
  if (dec(d.position.qty).isZero()) {
    closed.add(d.symbol);
  } else {
    positions[d.symbol] = {
      ...option,
      qty: d.position.qty,
      costBasis: d.position.costBasis,
      realizedPnl: add(option.realizedPnl, d.optionRealizedPnl),
    };
  }
  if (d.shares !== null) {
    const stock = state.positions[d.shares.symbol];
    if (dec(d.shares.position.qty).isZero()) {
      closed.add(d.shares.symbol);
    } else {
      positions[d.shares.symbol] = {
        symbol: d.shares.symbol,
        instrument: stock?.instrument ?? equity(d.shares.symbol),
        qty: d.shares.position.qty,
        costBasis: d.shares.position.costBasis,
        realizedPnl: add(stock?.realizedPnl ?? '0', d.shares.realizedPnl),
      };
    }
  }
  return {
    ...state,
    positions: Object.fromEntries(Object.entries(positions).filter(([s]) => !closed.has(s))),
    cash: add(state.cash, d.cashDelta),
    realizedPnl: add(state.realizedPnl, d.realizedPnl),
    updatedAt: d.at,
  };
}

function applyReplace(
  state: AccountState,
  d: Extract<AccountEvent, { type: 'OrderReplaced' }>['data'],
): AccountState {
  const old = state.orders[d.orderId];
  if (old === undefined || isTerminal(old.status)) return state;
  const changed = new Map<string, Order>();
  changed.set(d.orderId, {
    ...old,
    status: 'replaced',
    replacedBy: d.replacedBy,
    replacedAt: d.at,
    updatedAt: d.at,
  });
  changed.set(d.newOrder.id, d.newOrder);
  // Keep the order tree intact: children follow a replaced parent, a parent lists the new leg.
  // Open orders are scanned; a finished parent or child is reached through the tree's links
  // (the old order's parent and legs), so terminal orders are never scanned.
  const related: Order[] = Object.values(state.orders);
  for (const id of [old.parentId, ...old.legIds]) {
    const o =
      id === null || Object.hasOwn(state.orders, id) ? undefined : state.terminalOrders.get(id);
    if (o !== undefined) related.push(o);
  }
  for (const original of related) {
    let o = changed.get(original.id) ?? original;
    if (o.parentId === d.orderId) o = { ...o, parentId: d.newOrder.id };
    if (o.legIds.includes(d.orderId)) {
      o = { ...o, legIds: o.legIds.map((id) => (id === d.orderId ? d.newOrder.id : id)) };
    }
    if (o !== (changed.get(original.id) ?? original)) changed.set(o.id, o);
  }
  return {
    ...state,
    ...withOrders(state, [...changed.values()]),
    clientOrderIds: state.clientOrderIds.set(d.newOrder.clientOrderId, d.newOrder.id),
    updatedAt: d.at,
  };
}
