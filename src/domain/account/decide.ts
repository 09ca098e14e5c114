import type { Dec } from '../decimal.ts';
import { DomainError } from '../errors.ts';
import { assertId, isValidClientOrderId } from '../ids.ts';
import { dec, fmt, parseCashAmount, parseNonNegativeCash } from '../money.ts';
import { rejectionMessage } from '../rejections.ts';
import { EventBatch, type Decision } from './batch.ts';
import { decideCorporateAction } from './corporate-actions.ts';
import type { AccountCommand, ReplaceOrder } from './commands.ts';
import type { AccountEvent } from './events.ts';
import {
  expiryDue,
  favourableWaterMark,
  isWorkingNow,
  planFill,
  stopHit,
  trailingStopFor,
  triggerSourcePrice,
} from './execution.ts';
import { cancelWithCascade, emitFill, expireWithCascade, fillIfPossible } from './lifecycle.ts';
import { isMultiLegParent, isOpen, isStopType, type Order } from './order.ts';
import { fillMultiLegIfPossible } from './multi-leg.ts';
import { exerciseOption, settleExpiredOption } from './option-lifecycle.ts';
import { checkedOptionOrder, placeOrder } from './place-order.ts';
import { optionPriceOrReject } from './option-rules.ts';
import { checkRiskLimitSettings } from './risk-limits.ts';
import {
  admission,
  assertQuoteFor,
  checkCombination,
  checkFractional,
  preTradeChecks,
  priceOrReject,
  quantityOrReject,
  reject,
  Rejection,
  trailPercentOrReject,
} from './rules.ts';
import { mergeSettings, type AccountSettings, type SettingsPatch } from './settings.ts';
import { openOrders, remainingQty, withdrawableCash, type AccountState } from './state.ts';
import { isOrderIdUsed, orderById, orderIdOfClientOrderId } from './order-lookup.ts';

/**
 * The account decider: what happens when `command` meets `state`. Pure. Order rejections
 * are `OrderRejected` events; commands that make no sense for the account (bad amounts,
 * unknown orders, an account opened twice, engine commands that no longer apply) throw a
 * {@link DomainError} with a stable code. Returns no events for an idempotent repeat.
 */
export function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  return decideAndFold(command, state).events;
}

/**
 * {@link decide}, also answering the state the events fold to (the decider folds them as it
 * goes, so later steps of a decision see earlier events): `state` is exactly
 * `events.reduce(evolve, state)`.
 */
export function decideAndFold(command: AccountCommand, state: AccountState): Decision {
  if (command.type === 'OpenAccount') return openAccount(command.data, state);
  if (state.status !== 'open') {
    throw new DomainError('account_not_open', 'the account has not been opened');
  }
  switch (command.type) {
    case 'Deposit': {
      const amount = parseCashAmount(command.data.amount);
      return EventBatch.of(state, [
        {
          type: 'CashDeposited',
          data: {
            amount,
            cashAfter: fmt(dec(state.cash).plus(dec(amount))),
            reason: 'deposit',
            reference: command.data.reference ?? null,
            at: command.data.at,
          },
        },
      ]);
    }
    case 'Withdraw': {
      const amount = parseCashAmount(command.data.amount);
      const available = withdrawableCash(state);
      if (dec(amount).gt(available)) {
        throw new DomainError(
          'insufficient_funds',
          `only ${fmt(available)} can be withdrawn (cash less reserved buying power)`,
          'amount',
        );
      }
      return EventBatch.of(state, [
        {
          type: 'CashWithdrawn',
          data: {
            amount,
            cashAfter: fmt(dec(state.cash).minus(dec(amount))),
            reference: command.data.reference ?? null,
            at: command.data.at,
          },
        },
      ]);
    }
    case 'UpdateSettings': {
      const settings = validSettings(mergeSettings(state.settings, command.data.settings));
      const hasShorts = Object.values(state.positions).some((p) => dec(p.qty).isNegative());
      if (settings.accountType === 'cash' && hasShorts) {
        throw new DomainError(
          'invalid_command',
          'close short positions before switching to a cash account',
          'settings',
        );
      }
      return EventBatch.of(state, [
        { type: 'AccountSettingsUpdated', data: { settings, at: command.data.at } },
      ]);
    }
    case 'PlaceOrder':
      return placeOrder(command.data, state);
    case 'CancelOrder': {
      const order = mustFind(state, command.data.orderId);
      if (!isOpen(order)) {
        throw new DomainError(
          'order_not_cancelable',
          `order ${order.id} is ${order.status}`,
          'orderId',
        );
      }
      if (order.legRole === 'option_leg') {
        throw new DomainError(
          'order_not_cancelable',
          `order ${order.id} is a leg of multi-leg order ${order.parentId ?? ''}: cancel that order`,
          'orderId',
        );
      }
      const batch = new EventBatch(state);
      cancelWithCascade(batch, order.id, 'user', command.data.at);
      return batch;
    }
    case 'CancelAllOrders': {
      const batch = new EventBatch(state);
      const only = command.data.assetClass;
      for (const order of openOrders(state)) {
        const assetClass = order.instrument.kind === 'option' ? 'us_option' : 'us_equity';
        if (only !== undefined && assetClass !== only) continue;
        batch.emit({
          type: 'OrderCanceled',
          data: { orderId: order.id, reason: 'cancel_all', at: command.data.at },
        });
      }
      return batch;
    }
    case 'ReplaceOrder':
      return replaceOrder(command.data, state);
    case 'TriggerOrder': {
      const { market } = command.data;
      const order = mustFind(state, command.data.orderId);
      assertQuoteFor(order.symbol, market);
      if (command.data.fillId !== undefined) assertId(command.data.fillId, 'fillId');
      const quote = market.quote;
      const price =
        quote === undefined
          ? undefined
          : triggerSourcePrice(order, quote, state.settings.stopTriggerSource);
      if (
        !isStopType(order.type) ||
        order.triggered ||
        !isWorkingNow(order, market) ||
        quote === undefined ||
        price === undefined ||
        !stopHit(order, price)
      ) {
        throw new DomainError(
          'order_not_triggerable',
          `order ${order.id} cannot trigger on this quote`,
          'orderId',
        );
      }
      const batch = new EventBatch(state);
      batch.emit({
        type: 'OrderTriggered',
        data: {
          orderId: order.id,
          stopPrice: order.stopPrice ?? fmt(price),
          triggerPrice: fmt(price),
          triggerSource: state.settings.stopTriggerSource,
          quote,
          at: market.now,
        },
      });
      if (command.data.fillId !== undefined)
        fillIfPossible(batch, order.id, command.data.fillId, market);
      return batch;
    }
    case 'FillOrder': {
      const { market, fillId } = command.data;
      const order = mustFind(state, command.data.orderId);
      assertId(fillId, 'fillId');
      assertQuoteFor(order.symbol, market);
      if (isMultiLegParent(order)) {
        const batch = new EventBatch(state);
        if (!fillMultiLegIfPossible(batch, order.id, fillId, market)) {
          throw new DomainError(
            'order_not_fillable',
            `multi-leg order ${order.id} (${order.status}) cannot fill now: every leg must fill at once within the net limit`,
            'orderId',
          );
        }
        return batch;
      }
      const plan = planFill(order, state.settings, market);
      if (plan === undefined) {
        throw new DomainError(
          'order_not_fillable',
          `order ${order.id} (${order.status}) cannot fill now`,
          'orderId',
        );
      }
      const batch = new EventBatch(state);
      emitFill(batch, order, plan, fillId, market);
      return batch;
    }
    case 'ExpireOrder': {
      const order = mustFind(state, command.data.orderId);
      const reason = expiryDue(order, command.data.market);
      if (reason === undefined) {
        throw new DomainError(
          'order_not_expirable',
          `order ${order.id} (${order.timeInForce}, ${order.status}) is not due to expire`,
          'orderId',
        );
      }
      const batch = new EventBatch(state);
      expireWithCascade(batch, order.id, reason, command.data.market.now);
      return batch;
    }
    case 'UpdateWaterMark': {
      const { market } = command.data;
      const order = mustFind(state, command.data.orderId);
      assertQuoteFor(order.symbol, market);
      const quote = market.quote;
      if (
        order.type !== 'trailing_stop' ||
        order.triggered ||
        !isWorkingNow(order, market) ||
        quote === undefined
      ) {
        throw new DomainError(
          'water_mark_not_applicable',
          `order ${order.id} has no live water mark`,
          'orderId',
        );
      }
      const price = triggerSourcePrice(order, quote, state.settings.stopTriggerSource);
      const next = price === undefined ? undefined : favourableWaterMark(order, price);
      if (next === undefined) return EventBatch.of(state, []);
      return EventBatch.of(state, [
        {
          type: 'OrderWaterMarkUpdated',
          data: {
            orderId: order.id,
            hwm: fmt(next),
            stopPrice: fmt(trailingStopFor(order, next)),
            quote,
            at: market.now,
          },
        },
      ]);
    }
    case 'ExerciseOption':
      return exerciseOption(command.data, state);
    case 'SettleExpiredOption':
      return settleExpiredOption(command.data, state);
    case 'ResetAccount': {
      const initialCash = parseNonNegativeCash(command.data.initialCash, 'initialCash');
      const settings = validSettings(mergeSettings(state.settings, command.data.settings));
      const batch = new EventBatch(state);
      for (const order of openOrders(state)) {
        batch.emit({
          type: 'OrderCanceled',
          data: { orderId: order.id, reason: 'account_reset', at: command.data.at },
        });
      }
      batch.emit({ type: 'AccountReset', data: { initialCash, settings, at: command.data.at } });
      return batch;
    }
    case 'ApplyStockSplit':
    case 'AccrueDividend':
    case 'PayDividend':
      return decideCorporateAction(command, state);
  }
}

function openAccount(
  d: Extract<AccountCommand, { type: 'OpenAccount' }>['data'],
  state: AccountState,
): Decision {
  if (state.status !== 'none') {
    throw new DomainError(
      'account_already_open',
      `account ${state.accountId ?? ''} is already open`,
    );
  }
  assertId(d.accountId, 'accountId');
  assertId(d.ownerId, 'ownerId');
  if (d.name.trim() === '')
    throw new DomainError('invalid_command', 'name must not be empty', 'name');
  const initialCash = parseNonNegativeCash(d.initialCash, 'initialCash');
  const settings = validSettings(mergeSettings(state.settings, d.settings));
  const events: AccountEvent[] = [
    {
      type: 'AccountOpened',
      data: {
        accountId: d.accountId,
        ownerId: d.ownerId,
        name: d.name.trim(),
        settings,
        at: d.at,
      },
    },
  ];
  if (dec(initialCash).gt(0)) {
    events.push({
      type: 'CashDeposited',
      data: {
        amount: initialCash,
        cashAfter: initialCash,
        reason: 'initial',
        reference: null,
        at: d.at,
      },
    });
  }
  return EventBatch.of(state, events);
}

function mustFind(state: AccountState, orderId: string): Order {
  const order = orderById(state, orderId);
  if (order === undefined)
    throw new DomainError('order_not_found', `no order ${orderId} in this account`, 'orderId');
  return order;
}

/**
 * Replaces an open order with a new one (new id; the old becomes `replaced`). A partially
 * filled order is replaced for its unfilled quantity unless a new quantity is given. The
 * replacement passes the same checks as a new order, with the old order's reservation and
 * shares released; if it fails, an `OrderRejected` names the old order in `replaces` and the
 * old order keeps working.
 */
function replaceOrder(d: ReplaceOrder['data'], state: AccountState): Decision {
  const { market, changes } = d;
  const old = mustFind(state, d.orderId);
  if (!isOpen(old))
    throw new DomainError('order_not_replaceable', `order ${old.id} is ${old.status}`, 'orderId');
  if (old.orderClass === 'mleg') {
    throw new DomainError(
      'order_not_replaceable',
      `multi-leg orders cannot be replaced: cancel order ${old.parentId ?? old.id} and place a new one`,
      'orderId',
    );
  }
  assertId(d.newOrderId, 'newOrderId');
  if (d.fillId !== undefined) assertId(d.fillId, 'fillId');
  if (isOrderIdUsed(state, d.newOrderId)) {
    throw new DomainError(
      'duplicate_order_id',
      `order id ${d.newOrderId} is already used`,
      'newOrderId',
    );
  }
  const clientOrderId = changes.clientOrderId ?? d.newOrderId;
  if (!isValidClientOrderId(clientOrderId)) {
    throw new DomainError(
      'invalid_command',
      'clientOrderId must be 1–128 printable characters',
      'clientOrderId',
    );
  }
  const usedBy = orderIdOfClientOrderId(state, clientOrderId);
  if (usedBy !== undefined) {
    throw new DomainError(
      'duplicate_client_order_id',
      `client order id ${clientOrderId} is already used`,
      'clientOrderId',
    );
  }
  assertQuoteFor(old.symbol, market);

  let replacement: Order;
  try {
    replacement = buildReplacement(old, d, clientOrderId, state);
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    return EventBatch.of(state, [
      {
        type: 'OrderRejected',
        data: {
          orderId: d.newOrderId,
          clientOrderId,
          symbol: old.symbol,
          reason: error.reason,
          message: rejectionMessage(error.reason),
          replaces: old.id,
          request: null,
          at: market.now,
        },
      },
    ]);
  }
  const batch = new EventBatch(state);
  batch.emit({
    type: 'OrderReplaced',
    data: { orderId: old.id, replacedBy: replacement.id, newOrder: replacement, at: market.now },
  });
  const placed = orderById(batch.state, replacement.id);
  if (
    d.fillId !== undefined &&
    placed?.status === 'new' &&
    (placed.type === 'market' || placed.type === 'limit' || placed.triggered)
  ) {
    fillIfPossible(batch, placed.id, d.fillId, market);
    const after = orderById(batch.state, placed.id);
    if (after !== undefined && after.timeInForce === 'ioc' && isOpen(after)) {
      cancelWithCascade(batch, after.id, 'ioc_remainder', market.now);
    }
  }
  return batch;
}

function buildReplacement(
  old: Order,
  d: ReplaceOrder['data'],
  clientOrderId: string,
  state: AccountState,
): Order {
  const { changes, market } = d;
  const qty = changes.qty === undefined ? remainingQty(old) : quantityOrReject(changes.qty);
  let order: Order = {
    ...old,
    id: d.newOrderId,
    clientOrderId,
    qty: fmt(qty),
    filledQty: '0',
    filledNotional: '0',
    timeInForce: changes.timeInForce ?? old.timeInForce,
    replaces: old.id,
    replacedBy: null,
    reservePrice: null,
    createdAt: market.now,
    updatedAt: market.now,
    filledAt: null,
    canceledAt: null,
    expiredAt: null,
    replacedAt: null,
  };
  if (changes.limitPrice !== undefined) {
    if (old.type !== 'limit' && old.type !== 'stop_limit') reject('invalid_price');
    const limit =
      old.instrument.kind === 'option'
        ? optionPriceOrReject(changes.limitPrice)
        : priceOrReject(changes.limitPrice);
    order = { ...order, limitPrice: fmt(limit) };
  }
  if (changes.stopPrice !== undefined) {
    if (old.type !== 'stop' && old.type !== 'stop_limit') reject('invalid_price');
    order = { ...order, stopPrice: fmt(priceOrReject(changes.stopPrice)) };
  }
  if (changes.trail !== undefined) {
    if (old.type !== 'trailing_stop') reject('invalid_trail');
    order =
      old.trailPrice !== null
        ? { ...order, trailPrice: fmt(priceOrReject(changes.trail)) }
        : { ...order, trailPercent: fmt(trailPercentOrReject(changes.trail)) };
    if (order.hwm !== null)
      order = { ...order, stopPrice: fmt(trailingStopFor(order, dec(order.hwm))) };
  }
  checkCombination(order.type, order.timeInForce, order.orderClass, order.extendedHours);
  checkFractional(order, state.settings, market);
  if (old.status === 'held') return { ...order, status: 'held' };
  order = { ...order, status: admission(order, market, true) };
  if (order.instrument.kind === 'option') {
    const intent = old.positionIntent === undefined ? {} : { positionIntent: old.positionIntent };
    return checkedOptionOrder(order, order.instrument, intent, state, market, old.id);
  }
  return { ...order, reservePrice: preTradeChecks(order, state, market, old.id) };
}

/** Rejects settings that would make the fill model or buying power meaningless. */
function validSettings(settings: AccountSettings): AccountSettings {
  const check = (value: string, field: string, ok: (d: Dec) => boolean): void => {
    let parsed: Dec;
    try {
      parsed = dec(value);
    } catch {
      throw new DomainError('invalid_value', `${field} must be a decimal`, field);
    }
    if (!ok(parsed))
      throw new DomainError('invalid_value', `${field} is out of range: ${value}`, field);
  };
  const nonNegative = (x: Dec): boolean => x.gte(0);
  check(settings.marginMultiplier, 'settings.marginMultiplier', (x) => x.gte(1) && x.lte(4));
  check(settings.marketOrderBuffer, 'settings.marketOrderBuffer', (x) => x.gte(0) && x.lt(1));
  const fm = settings.fillModel;
  check(fm.maxParticipation, 'settings.fillModel.maxParticipation', (x) => x.gt(0) && x.lte(1));
  const slip = fm.slippage;
  if (slip.kind === 'fixed_bps') check(slip.bps, 'settings.fillModel.slippage.bps', nonNegative);
  if (slip.kind === 'spread_fraction')
    check(slip.fraction, 'settings.fillModel.slippage.fraction', nonNegative);
  if (slip.kind === 'volume_participation') {
    check(slip.impactBps, 'settings.fillModel.slippage.impactBps', nonNegative);
  }
  const c = fm.commission;
  if (c.kind === 'per_order') check(c.amount, 'settings.fillModel.commission.amount', nonNegative);
  if (c.kind === 'per_share') {
    check(c.perShare, 'settings.fillModel.commission.perShare', nonNegative);
    if (c.minimum !== null) check(c.minimum, 'settings.fillModel.commission.minimum', nonNegative);
    if (c.maximum !== null) check(c.maximum, 'settings.fillModel.commission.maximum', nonNegative);
  }
  const f = fm.regulatoryFees;
  check(f.secFeeRate, 'settings.fillModel.regulatoryFees.secFeeRate', nonNegative);
  check(f.tafPerShare, 'settings.fillModel.regulatoryFees.tafPerShare', nonNegative);
  check(f.tafMaxPerTrade, 'settings.fillModel.regulatoryFees.tafMaxPerTrade', nonNegative);
  checkRiskLimitSettings(settings.limits);
  const level: unknown = settings.optionsLevel;
  if (level !== undefined && level !== 1 && level !== 2 && level !== 3) {
    throw new DomainError(
      'invalid_value',
      'settings.optionsLevel must be 1, 2 or 3',
      'settings.optionsLevel',
    );
  }
  return settings;
}

/** Settings an account would get from a patch (validated), for previews and the API. */
export function resolveSettings(
  base: AccountSettings,
  patch: SettingsPatch | undefined,
): AccountSettings {
  return validSettings(mergeSettings(base, patch));
}
