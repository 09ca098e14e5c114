import { Dec } from '../decimal.ts';
import { dec, fmt } from '../money.ts';
import type { OrderFilled } from './events.ts';
import type { Order } from './order.ts';

/**
 * The parent of a multi-leg order after one of its legs filled. The parent keeps, per leg, the
 * parent units that leg has filled; its own filled quantity is the least of them (legs fill
 * together, so after the last leg of a fill they agree), and its notional is the signed sum
 * of the legs' (debits positive), so `filledNotional / filledQty` is the net price per unit —
 * negative for a credit. Needs only the parent and the fill: legs that already ended may be
 * gone from a pruned state.
 */
export function rollUpMultiLeg(parent: Order, leg: Order, fill: OrderFilled['data']): Order {
  const ratio = dec(leg.ratioQty ?? '1');
  const legsFilled = { ...parent.legsFilled, [leg.id]: fmt(dec(leg.filledQty).dividedBy(ratio)) };
  let filled: Dec | undefined;
  for (const id of parent.legIds) {
    const units = dec(legsFilled[id] ?? '0');
    filled = filled === undefined || units.lt(filled) ? units : filled;
  }
  const filledQty = filled ?? new Dec(0);
  const signed = dec(fill.qty).times(dec(fill.price));
  const filledNotional = dec(parent.filledNotional).plus(
    fill.side === 'buy' ? signed : signed.negated(),
  );
  const done = filledQty.eq(dec(parent.qty));
  return {
    ...parent,
    legsFilled,
    filledQty: fmt(filledQty),
    filledNotional: fmt(filledNotional),
    status: done ? 'filled' : filledQty.gt(0) ? 'partially_filled' : parent.status,
    filledAt: done ? fill.at : parent.filledAt,
    updatedAt: fill.at,
  };
}
