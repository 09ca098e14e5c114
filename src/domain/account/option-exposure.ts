/**
 * The account's option holdings as the collateral rules see them (`options/collateral.ts`):
 * open positions, optionally with the open option orders as if they filled, and the shares
 * that can cover short calls. Kept free of `state.ts` so both can use it.
 */
import { Dec } from '../decimal.ts';
import { contractOf } from '../options/contract.ts';
import { optionRequirement, type OptionExposure, type Requirement } from '../options/collateral.ts';
import { dec } from '../money.ts';
import { isMultiLegParent, isOpen, type Order } from './order.ts';
import type { AccountState } from './state.ts';
import { orderById } from './order-lookup.ts';

/** An open order's unfilled quantity. */
function unfilled(order: Order): Dec {
  return dec(order.qty).minus(dec(order.filledQty));
}

/** True for an order (or the leg of one) that `excludeOrderId` names. */
function excluded(order: Order, excludeOrderId: string | undefined): boolean {
  return (
    excludeOrderId !== undefined &&
    (order.id === excludeOrderId || order.parentId === excludeOrderId)
  );
}

/** Option positions, and with `withOpenOrders` every open option order as if it filled. */
export function optionExposures(
  state: AccountState,
  withOpenOrders: boolean,
  excludeOrderId?: string,
): OptionExposure[] {
  const out: OptionExposure[] = [];
  for (const p of Object.values(state.positions)) {
    if (p.instrument.kind !== 'option') continue;
    const c = contractOf(p.instrument);
    if (c === undefined) continue;
    out.push({
      underlying: c.underlying,
      right: c.right,
      strike: dec(c.strike),
      expiration: c.expiration,
      qty: dec(p.qty),
      multiplier: c.multiplier,
    });
  }
  if (!withOpenOrders) return out;
  for (const o of Object.values(state.orders)) {
    if (o.instrument.kind !== 'option' || !isOpen(o) || isMultiLegParent(o)) continue;
    if (excluded(o, excludeOrderId)) continue;
    const c = contractOf(o.instrument);
    if (c === undefined) continue;
    const rest = unfilled(o);
    out.push({
      underlying: c.underlying,
      right: c.right,
      strike: dec(c.strike),
      expiration: c.expiration,
      qty: o.side === 'buy' ? rest : rest.negated(),
      multiplier: c.multiplier,
    });
  }
  return out;
}

/** True when the account holds or is working any option. */
export function hasOptionExposure(state: AccountState): boolean {
  for (const p of Object.values(state.positions)) if (p.instrument.kind === 'option') return true;
  for (const o of Object.values(state.orders)) {
    if (o.instrument.kind === 'option' && isOpen(o)) return true;
  }
  return false;
}

/**
 * Long shares of `symbol` not promised to open sell orders (an OCO group counts once, held
 * bracket legs not at all): what a stock sell or a covered call may use.
 */
export function sharesFree(state: AccountState, symbol: string, excludeOrderId?: string): Dec {
  const groups = new Map<string, Dec>();
  // An order being replaced frees its whole OCO group: its replacement rejoins that group.
  const excludedOrder = excludeOrderId === undefined ? undefined : orderById(state, excludeOrderId);
  const excludedKey =
    excludedOrder === undefined ? undefined : (excludedOrder.ocoGroupId ?? excludedOrder.id);
  for (const o of Object.values(state.orders)) {
    if (o.symbol !== symbol || o.side !== 'sell' || !isOpen(o) || isMultiLegParent(o)) continue;
    // Held bracket legs do not count until they go live; multi-leg legs count at once.
    if (o.status === 'held' && o.legRole !== 'option_leg') continue;
    const key = o.ocoGroupId ?? o.id;
    if (key === excludedKey || (excludeOrderId !== undefined && o.parentId === excludeOrderId))
      continue;
    const rem = unfilled(o);
    const prev = groups.get(key);
    groups.set(key, prev === undefined || rem.gt(prev) ? rem : prev);
  }
  const promised = [...groups.values()].reduce((s, q) => s.plus(q), new Dec(0));
  const position = state.positions[symbol];
  const held = position === undefined ? new Dec(0) : dec(position.qty);
  return (held.gt(0) ? held : new Dec(0)).minus(promised);
}

/** The requirement of option positions (what `buyingPower` holds back for them). */
export function positionRequirement(state: AccountState): Requirement {
  return optionRequirement(optionExposures(state, false), (u) => sharesFree(state, u));
}

/** The requirement with open option orders as if they filled (what covers shares must stay for). */
export function workingRequirement(state: AccountState, excludeOrderId?: string): Requirement {
  return optionRequirement(optionExposures(state, true, excludeOrderId), (u) =>
    sharesFree(state, u, excludeOrderId),
  );
}
