/**
 * Corporate actions applied to an account: stock splits (positions, average prices and open
 * orders adjusted on the ex-date) and cash dividends (holders at the start of the ex-date
 * accrue the dividend; it is paid in cash on the pay date — short positions are charged it).
 *
 * The commands come from a process that follows the corporate-action calendar (the market's
 * reference data); like every command they carry what the decision needs and the decider
 * re-validates. Each action applies to an account at most once (`state.corporateActions`,
 * by action id), so a process may send it again after a restart without effect.
 *
 * "Held at the start of the ex-date" is exact: the account's trading day (`trading-day.ts`)
 * keeps the positions it started the day with, so an action applied during its ex-date after
 * the account traded sees what it held before. An action arriving after a later day began in
 * the account cannot know that any more and is refused (`corporate_action_not_applicable`).
 */
import { Dec } from '../decimal.ts';
import { DomainError } from '../errors.ts';
import { assertId } from '../ids.ts';
import { isValidEquitySymbol } from '../instrument.ts';
import { dec, fmt, parseDecimal, roundCents, type DecimalString } from '../money.ts';
import { roundToTick } from '../price.ts';
import { tradingDateOf } from '../trading-day.ts';
import { EventBatch, type Decision } from './batch.ts';
import type { DomainCommand } from './commands.ts';
import type { DomainEvent } from './events.ts';
import { trailingStopFor } from './execution.ts';
import { isOpen, type Order } from './order.ts';
import type { AccountState, Position } from './state.ts';
import { daySplit, startHoldings } from './trading-day.ts';

// ─── commands ───────────────────────────────────────────────────────────────────────────────

/** A split of `symbol` effective at the start of `exDate`: `newShares` for every `oldShares`. */
export type ApplyStockSplit = DomainCommand<
  'ApplyStockSplit',
  {
    readonly actionId: string;
    readonly symbol: string;
    /** `YYYY-MM-DD` (New York). */
    readonly exDate: string;
    /** 2-for-1 is `newShares: 2, oldShares: 1`; a 1-for-10 reverse split is `1, 10`. */
    readonly newShares: number;
    readonly oldShares: number;
    readonly at: string;
  }
>;

/** A cash dividend: holders at the start of `exDate` are owed `amountPerShare`, paid on `payDate`. */
export type AccrueDividend = DomainCommand<
  'AccrueDividend',
  {
    readonly actionId: string;
    readonly symbol: string;
    readonly exDate: string;
    readonly payDate: string;
    readonly amountPerShare: DecimalString;
    readonly at: string;
  }
>;

/** Pays an accrued dividend (on or after its pay date). */
export type PayDividend = DomainCommand<
  'PayDividend',
  { readonly actionId: string; readonly at: string }
>;

export type CorporateActionCommand = ApplyStockSplit | AccrueDividend | PayDividend;

// ─── events ─────────────────────────────────────────────────────────────────────────────────

/** An open order as a split left it (prices divided, quantities multiplied by the ratio). */
export interface SplitOrderAdjustment {
  readonly orderId: string;
  readonly qty: DecimalString;
  readonly filledQty: DecimalString;
  readonly limitPrice: DecimalString | null;
  readonly stopPrice: DecimalString | null;
  readonly trailPrice: DecimalString | null;
  readonly hwm: DecimalString | null;
  readonly reservePrice: DecimalString | null;
}

export type StockSplitApplied = DomainEvent<
  'StockSplitApplied',
  {
    readonly actionId: string;
    readonly symbol: string;
    readonly exDate: string;
    readonly newShares: number;
    readonly oldShares: number;
    /** The position before and after (cost basis unchanged, so the average price divides). */
    readonly position: {
      readonly qtyBefore: DecimalString;
      readonly qty: DecimalString;
      readonly costBasis: DecimalString;
    } | null;
    readonly orders: readonly SplitOrderAdjustment[];
    readonly at: string;
  }
>;

export type DividendAccrued = DomainEvent<
  'DividendAccrued',
  {
    readonly actionId: string;
    readonly symbol: string;
    readonly exDate: string;
    readonly payDate: string;
    /** Signed shares held at the start of the ex-date (negative: a short pays the dividend). */
    readonly qty: DecimalString;
    readonly amountPerShare: DecimalString;
    /** qty × amountPerShare, in cents (negative for a short). */
    readonly amount: DecimalString;
    readonly at: string;
  }
>;

export type DividendPaid = DomainEvent<
  'DividendPaid',
  {
    readonly actionId: string;
    readonly symbol: string;
    readonly exDate: string;
    readonly payDate: string;
    readonly qty: DecimalString;
    readonly amountPerShare: DecimalString;
    /** Signed change of cash. */
    readonly amount: DecimalString;
    readonly cashAfter: DecimalString;
    readonly at: string;
  }
>;

export type CorporateActionEvent = StockSplitApplied | DividendAccrued | DividendPaid;

/** What the account remembers of an action (idempotency, dividends receivable). */
export type CorporateActionRecord =
  | { readonly kind: 'split'; readonly symbol: string; readonly exDate: string }
  | {
      readonly kind: 'dividend';
      readonly status: 'accrued' | 'paid';
      readonly symbol: string;
      readonly exDate: string;
      readonly payDate: string;
      readonly qty: DecimalString;
      readonly amountPerShare: DecimalString;
      readonly amount: DecimalString;
    };

// ─── decisions ──────────────────────────────────────────────────────────────────────────────

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function assertDate(value: string, field: string): void {
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T12:00:00Z`))) {
    throw new DomainError('invalid_command', `${field} must be a YYYY-MM-DD date`, field);
  }
}

function assertSymbol(symbol: string): void {
  if (!isValidEquitySymbol(symbol)) {
    throw new DomainError('invalid_command', `"${symbol}" is not an equity symbol`, 'symbol');
  }
}

/**
 * The positions the account held at the start of `exDate`, or a refusal when the account
 * has moved on to a later trading day (what it held then is no longer known).
 */
function holdingsAtStartOf(
  state: AccountState,
  exDate: string,
  at: string,
): AccountState['positions'] {
  const today = tradingDateOf(at);
  if (today < exDate) {
    throw new DomainError(
      'corporate_action_not_applicable',
      `the action is effective on ${exDate}, not before`,
      'exDate',
    );
  }
  const day = state.day;
  if (day === undefined || day.date < exDate) return state.positions;
  if (day.date === exDate) return startHoldings(day, 'shares');
  throw new DomainError(
    'corporate_action_not_applicable',
    `the account traded on ${day.date}, after the ex-date ${exDate}: the holdings at the ex-date are no longer known`,
    'exDate',
  );
}

/** Decides a corporate-action command. */
export function decideCorporateAction(
  command: CorporateActionCommand,
  state: AccountState,
): Decision {
  switch (command.type) {
    case 'ApplyStockSplit':
      return applySplit(command.data, state);
    case 'AccrueDividend':
      return accrueDividend(command.data, state);
    case 'PayDividend':
      return payDividend(command.data, state);
  }
}

function applySplit(d: ApplyStockSplit['data'], state: AccountState): Decision {
  assertId(d.actionId, 'actionId');
  assertSymbol(d.symbol);
  assertDate(d.exDate, 'exDate');
  for (const [field, n] of [
    ['newShares', d.newShares],
    ['oldShares', d.oldShares],
  ] as const) {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new DomainError('invalid_command', `${field} must be a positive whole number`, field);
    }
  }
  if (d.newShares === d.oldShares) {
    throw new DomainError('invalid_command', 'a split changes the share count', 'newShares');
  }
  if (state.corporateActions?.[d.actionId] !== undefined) return EventBatch.of(state, []);
  const held = holdingsAtStartOf(state, d.exDate, d.at);
  const ratio = new Dec(d.newShares).dividedBy(d.oldShares);
  const position = splitPosition(state.positions[d.symbol], held[d.symbol], ratio);
  const orders = Object.values(state.orders)
    .filter(
      (o) =>
        isOpen(o) &&
        o.symbol === d.symbol &&
        o.instrument.kind === 'equity' &&
        tradingDateOf(o.createdAt) < d.exDate,
    )
    .map((o) => splitOrder(o, ratio));
  if (position === null && orders.length === 0) return EventBatch.of(state, []);
  return EventBatch.of(state, [
    {
      type: 'StockSplitApplied',
      data: {
        actionId: d.actionId,
        symbol: d.symbol,
        exDate: d.exDate,
        newShares: d.newShares,
        oldShares: d.oldShares,
        position,
        orders,
        at: d.at,
      },
    },
  ]);
}

/**
 * Only the shares held before the ex-date become `ratio` times as many; shares traded during
 * the ex-date already traded at split-adjusted prices. The cost basis does not change.
 */
function splitPosition(
  now: Position | undefined,
  atStart: Position | undefined,
  ratio: Dec,
): StockSplitApplied['data']['position'] {
  const before = dec(atStart?.qty ?? '0');
  if (before.isZero()) return null;
  const current = dec(now?.qty ?? '0');
  const qty = current.plus(before.times(ratio.minus(1)));
  return { qtyBefore: fmt(current), qty: fmt(qty), costBasis: now?.costBasis ?? '0' };
}

/**
 * An open order after a split: quantities × ratio, prices ÷ ratio rounded onto the tick grid
 * so the order is never more aggressive than before (FINRA Rule 5330's direction): buy limits
 * and sell stops down, sell limits and buy stops up.
 */
function splitOrder(order: Order, ratio: Dec): SplitOrderAdjustment {
  const buy = order.side === 'buy';
  const scale = (
    value: DecimalString | null,
    direction: 'up' | 'down' | 'nearest',
  ): DecimalString | null =>
    value === null ? null : fmt(roundToTick(dec(value).dividedBy(ratio), direction));
  const limitPrice = scale(order.limitPrice, buy ? 'down' : 'up');
  const trailPrice = scale(order.trailPrice, 'down');
  const hwm = scale(order.hwm, 'nearest');
  let stopPrice = scale(order.stopPrice, buy ? 'up' : 'down');
  if (order.type === 'trailing_stop' && hwm !== null) {
    stopPrice = fmt(trailingStopFor({ ...order, trailPrice }, dec(hwm)));
  }
  const reservePrice =
    order.reservePrice === null
      ? null
      : limitPrice !== null
        ? limitPrice
        : fmt(dec(order.reservePrice).dividedBy(ratio).toDecimalPlaces(9, Dec.ROUND_CEIL));
  return {
    orderId: order.id,
    qty: fmt(dec(order.qty).times(ratio)),
    filledQty: fmt(dec(order.filledQty).times(ratio)),
    limitPrice,
    stopPrice,
    trailPrice,
    hwm,
    reservePrice,
  };
}

function accrueDividend(d: AccrueDividend['data'], state: AccountState): Decision {
  assertId(d.actionId, 'actionId');
  assertSymbol(d.symbol);
  assertDate(d.exDate, 'exDate');
  assertDate(d.payDate, 'payDate');
  if (d.payDate < d.exDate) {
    throw new DomainError('invalid_command', 'payDate must not be before exDate', 'payDate');
  }
  let perShare: Dec;
  try {
    perShare = parseDecimal(d.amountPerShare, 'amountPerShare');
  } catch {
    throw new DomainError('invalid_command', 'amountPerShare must be a decimal', 'amountPerShare');
  }
  if (perShare.lte(0)) {
    throw new DomainError('invalid_command', 'amountPerShare must be positive', 'amountPerShare');
  }
  if (state.corporateActions?.[d.actionId] !== undefined) return EventBatch.of(state, []);
  const qty = dec(holdingsAtStartOf(state, d.exDate, d.at)[d.symbol]?.qty ?? '0');
  if (qty.isZero()) return EventBatch.of(state, []);
  return EventBatch.of(state, [
    {
      type: 'DividendAccrued',
      data: {
        actionId: d.actionId,
        symbol: d.symbol,
        exDate: d.exDate,
        payDate: d.payDate,
        qty: fmt(qty),
        amountPerShare: fmt(perShare),
        amount: fmt(roundCents(qty.times(perShare))),
        at: d.at,
      },
    },
  ]);
}

function payDividend(d: PayDividend['data'], state: AccountState): Decision {
  assertId(d.actionId, 'actionId');
  const record = state.corporateActions?.[d.actionId];
  if (record?.kind !== 'dividend' || record.status !== 'accrued') return EventBatch.of(state, []);
  if (tradingDateOf(d.at) < record.payDate) {
    throw new DomainError(
      'corporate_action_not_applicable',
      `the dividend is payable on ${record.payDate}, not before`,
      'actionId',
    );
  }
  return EventBatch.of(state, [
    {
      type: 'DividendPaid',
      data: {
        actionId: d.actionId,
        symbol: record.symbol,
        exDate: record.exDate,
        payDate: record.payDate,
        qty: record.qty,
        amountPerShare: record.amountPerShare,
        amount: record.amount,
        cashAfter: fmt(dec(state.cash).plus(dec(record.amount))),
        at: d.at,
      },
    },
  ]);
}

// ─── evolve ─────────────────────────────────────────────────────────────────────────────────

/** Applies a corporate-action event (total, like `evolve`). */
export function evolveCorporateAction(
  state: AccountState,
  event: CorporateActionEvent,
): AccountState {
  const actions = state.corporateActions ?? {};
  switch (event.type) {
    case 'StockSplitApplied': {
      const d = event.data;
      if (actions[d.actionId] !== undefined) return state;
      const previous = state.positions[d.symbol];
      const { [d.symbol]: _held, ...others } = state.positions;
      const positions: Record<string, Position> =
        d.position === null ? { ...state.positions } : others;
      if (d.position !== null) {
        if (!dec(d.position.qty).isZero()) {
          positions[d.symbol] = {
            symbol: d.symbol,
            instrument: previous?.instrument ?? { kind: 'equity', symbol: d.symbol },
            qty: d.position.qty,
            costBasis: d.position.costBasis,
            realizedPnl: previous?.realizedPnl ?? '0',
          };
        }
      }
      const orders = { ...state.orders };
      for (const change of d.orders) {
        const order = orders[change.orderId];
        if (order === undefined || !isOpen(order)) continue;
        orders[change.orderId] = {
          ...order,
          qty: change.qty,
          filledQty: change.filledQty,
          limitPrice: change.limitPrice,
          stopPrice: change.stopPrice,
          trailPrice: change.trailPrice,
          hwm: change.hwm,
          reservePrice: change.reservePrice,
          updatedAt: d.at,
        };
      }
      return {
        ...state,
        positions,
        orders,
        day: daySplit(state.day, {
          symbol: d.symbol,
          exDate: d.exDate,
          ratio: fmt(new Dec(d.newShares).dividedBy(d.oldShares)),
        }),
        corporateActions: {
          ...actions,
          [d.actionId]: { kind: 'split', symbol: d.symbol, exDate: d.exDate },
        },
        updatedAt: d.at,
      };
    }
    case 'DividendAccrued': {
      const d = event.data;
      if (actions[d.actionId] !== undefined) return state;
      return {
        ...state,
        corporateActions: {
          ...actions,
          [d.actionId]: {
            kind: 'dividend',
            status: 'accrued',
            symbol: d.symbol,
            exDate: d.exDate,
            payDate: d.payDate,
            qty: d.qty,
            amountPerShare: d.amountPerShare,
            amount: d.amount,
          },
        },
        updatedAt: d.at,
      };
    }
    case 'DividendPaid': {
      const d = event.data;
      const record = actions[d.actionId];
      if (record?.kind !== 'dividend' || record.status !== 'accrued') return state;
      return {
        ...state,
        cash: fmt(dec(state.cash).plus(dec(d.amount))),
        dividends: fmt(dec(state.dividends ?? '0').plus(dec(d.amount))),
        corporateActions: { ...actions, [d.actionId]: { ...record, status: 'paid' } },
        updatedAt: d.at,
      };
    }
  }
}

/** Dividends accrued and not paid yet (a receivable; not in cash or equity until paid). */
export function dividendsReceivable(state: AccountState): Dec {
  let sum = new Dec(0);
  for (const record of Object.values(state.corporateActions ?? {})) {
    if (record.kind === 'dividend' && record.status === 'accrued')
      sum = sum.plus(dec(record.amount));
  }
  return sum;
}
