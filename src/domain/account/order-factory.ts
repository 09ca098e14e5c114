import { instrumentKey } from '../instrument.ts';
import type { Order } from './order.ts';

/** Builds an order record with every optional field empty; callers fill in what applies. */
export function blankOrder(
  fields: Pick<
    Order,
    'id' | 'clientOrderId' | 'instrument' | 'side' | 'type' | 'timeInForce' | 'qty'
  > &
    Partial<Order> & { readonly createdAt: string },
): Order {
  return {
    symbol: instrumentKey(fields.instrument),
    orderClass: 'simple',
    filledQty: '0',
    filledNotional: '0',
    limitPrice: null,
    stopPrice: null,
    trailPrice: null,
    trailPercent: null,
    hwm: null,
    triggered: false,
    extendedHours: false,
    status: 'new',
    parentId: null,
    legIds: [],
    ocoGroupId: null,
    legRole: null,
    reservePrice: null,
    replaces: null,
    replacedBy: null,
    updatedAt: fields.createdAt,
    triggeredAt: null,
    filledAt: null,
    canceledAt: null,
    expiredAt: null,
    replacedAt: null,
    ...fields,
  };
}
