import { dec, fmt, type DecimalString } from '../money.ts';
import { tradingDateOf, weekdaysBefore } from '../trading-day.ts';
import type { AccountEvent } from './events.ts';
import type { AccountState, Position } from './state.ts';

/**
 * What the account looked like when its current New York trading day began, and what the day
 * has done since: the base of the day's P&L (the daily-loss limit) and of the day-trade count
 * (the pattern-day-trader rule). Rolled over by the first event of a new trading date, so it is
 * re-derivable from the stream like everything else.
 */
export interface TradingDay {
  /** New York civil date `YYYY-MM-DD`. */
  readonly date: string;
  readonly startCash: DecimalString;
  /** Positions at the start of the day (shared with the state they were taken from). */
  readonly startPositions: Readonly<Record<string, Position>>;
  /** Deposits − withdrawals during the day (money moved in, not earned). */
  readonly flows: DecimalString;
  /** Symbols with an opening fill today: closing them again today is a day trade. */
  readonly opened: readonly string[];
  /** Latched by the first `daily_loss_limit_reached` rejection of the day. */
  readonly lossLimitReached: boolean;
  /** Splits applied during the day to symbols it started with (see {@link startHoldings}). */
  readonly splits?: readonly {
    readonly symbol: string;
    readonly exDate: string;
    readonly ratio: string;
  }[];
}

/** One day trade: an order that closed, on the same trading day, a position opened that day. */
export interface DayTrade {
  readonly date: string;
  readonly symbol: string;
  readonly orderId: string;
}

/** Day trades older than this many weekdays are forgotten (the rule looks back five sessions). */
const DAY_TRADE_MEMORY_WEEKDAYS = 10;

/** A trading day starting now from `state`. */
function freshDay(state: AccountState, date: string): TradingDay {
  return {
    date,
    startCash: state.cash,
    startPositions: state.positions,
    flows: '0',
    opened: [],
    lossLimitReached: false,
  };
}

/** The account's trading day for `date`: the tracked one, or one starting now. */
export function tradingDayFor(state: AccountState, date: string): TradingDay {
  return state.day !== undefined && state.day.date === date ? state.day : freshDay(state, date);
}

/** The trading date of an event (every account event carries its instant as `at`). */
function eventDate(event: AccountEvent): string {
  return tradingDateOf(event.data.at);
}

/** Starts a new trading day when `event` belongs to a later date than the tracked one. */
export function rollTradingDay(state: AccountState, event: AccountEvent): AccountState {
  if (state.status !== 'open') return state;
  const date = eventDate(event);
  if (state.day?.date === date) return state;
  return { ...state, day: freshDay(state, date) };
}

/**
 * Day bookkeeping after `event` took `before` to `after`: money flows, opening fills, day
 * trades and the daily-loss latch. `before` is already rolled to the event's date.
 */
export function trackTradingDay(
  before: AccountState,
  after: AccountState,
  event: AccountEvent,
): AccountState {
  switch (event.type) {
    case 'AccountReset':
      return { ...after, day: freshDay(after, eventDate(event)) };
    case 'CashDeposited':
    case 'CashWithdrawn': {
      const day = before.day;
      if (day === undefined) return after;
      const amount = dec(event.data.amount);
      const flows = dec(day.flows);
      return {
        ...after,
        day: {
          ...day,
          flows: fmt(event.type === 'CashDeposited' ? flows.plus(amount) : flows.minus(amount)),
        },
      };
    }
    case 'OrderRejected':
      if (event.data.reason !== 'daily_loss_limit_reached' || before.day === undefined) {
        return after;
      }
      return { ...after, day: { ...before.day, lossLimitReached: true } };
    case 'OrderFilled':
      return afterFill(before, after, event.data);
    default:
      return after;
  }
}

function afterFill(
  before: AccountState,
  after: AccountState,
  fill: Extract<AccountEvent, { type: 'OrderFilled' }>['data'],
): AccountState {
  const day = before.day;
  if (day === undefined || after === before) return after;
  const q0 = dec(before.positions[fill.symbol]?.qty ?? '0');
  const q1 = dec(fill.position.qty);
  const crossed = !q0.isZero() && !q1.isZero() && q0.isNegative() !== q1.isNegative();
  const opens = q1.abs().gt(q0.abs()) || crossed;
  const closes = !q0.isZero() && (crossed || q1.abs().lt(q0.abs()));
  let next: AccountState = after;
  if (
    closes &&
    day.opened.includes(fill.symbol) &&
    !(before.dayTrades ?? []).some((t) => t.orderId === fill.orderId && t.date === day.date)
  ) {
    const keepFrom = weekdaysBefore(day.date, DAY_TRADE_MEMORY_WEEKDAYS);
    next = {
      ...next,
      dayTrades: [
        ...(before.dayTrades ?? []).filter((t) => t.date >= keepFrom),
        { date: day.date, symbol: fill.symbol, orderId: fill.orderId },
      ],
    };
  }
  if (opens && !day.opened.includes(fill.symbol)) {
    next = { ...next, day: { ...day, opened: [...day.opened, fill.symbol] } };
  }
  return next;
}

/**
 * The day's starting positions in today's terms. A split applied during the day multiplies
 * the shares it started with: always for `shares` (what the account was entitled to), and for
 * `previous_close` only when the split went ex before today — a split going ex today leaves
 * the previous close unsplit, so the unsplit shares value the day's start.
 */
export function startHoldings(
  day: TradingDay,
  basis: 'shares' | 'previous_close',
): Readonly<Record<string, Position>> {
  const splits = day.splits ?? [];
  if (splits.length === 0) return day.startPositions;
  const out: Record<string, Position> = { ...day.startPositions };
  for (const split of splits) {
    const p = out[split.symbol];
    if (p === undefined || (basis === 'previous_close' && split.exDate >= day.date)) continue;
    out[split.symbol] = { ...p, qty: fmt(dec(p.qty).times(dec(split.ratio))) };
  }
  return out;
}

/** Records a split applied during the day to a symbol the day started with. */
export function daySplit(
  day: TradingDay | undefined,
  split: { readonly symbol: string; readonly exDate: string; readonly ratio: string },
): TradingDay | undefined {
  if (day?.startPositions[split.symbol] === undefined) return day;
  return { ...day, splits: [...(day.splits ?? []), split] };
}

/** Day trades made on or after `fromDate` (`YYYY-MM-DD`). */
export function dayTradesSince(state: AccountState, fromDate: string): number {
  return (state.dayTrades ?? []).filter((t) => t.date >= fromDate).length;
}
