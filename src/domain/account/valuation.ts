import { Dec } from '../decimal.ts';
import { multiplierOf } from '../instrument.ts';
import type { MarketContext } from '../market.ts';
import { dec } from '../money.ts';
import { tradingDateOf } from '../trading-day.ts';
import type { AccountState, Position } from './state.ts';
import { startHoldings, tradingDayFor } from './trading-day.ts';

/**
 * The account at market, as far as the command's `MarketContext` tells: holdings are valued
 * at `market.marks` (the order's own symbol also at the mid of `market.quote`), and at cost
 * where no mark is known — so without marks every figure here falls back to the decider's
 * at-cost view (`state.ts`). Exact decimals throughout.
 */

/** The per-unit price a symbol is marked at, when the command says. */
export function markPrice(symbol: string, market: MarketContext): Dec | undefined {
  const mark = market.marks?.[symbol];
  if (mark !== undefined) return dec(mark.price);
  const quote = market.quote;
  if (quote === undefined || quote.symbol !== symbol) return undefined;
  const bid = dec(quote.bid);
  const ask = dec(quote.ask);
  if (bid.gt(0) && ask.gt(0)) return bid.plus(ask).dividedBy(2);
  const last = dec(quote.last);
  return last.gt(0) ? last : undefined;
}

/** Signed value of a position now: qty × mark × multiplier, or its cost basis without a mark. */
export function positionValue(position: Position, market: MarketContext): Dec {
  const price = markPrice(position.symbol, market);
  if (price === undefined) return dec(position.costBasis);
  return dec(position.qty).times(price).times(multiplierOf(position.instrument));
}

/** Signed value of a position at the previous close, or its cost basis when that is unknown. */
function previousValue(position: Position, market: MarketContext): Dec {
  const close = market.marks?.[position.symbol]?.previousClose;
  if (close === undefined) return dec(position.costBasis);
  return dec(position.qty).times(dec(close)).times(multiplierOf(position.instrument));
}

/** Cash + Σ position values. */
export function equityAtMarket(state: AccountState, market: MarketContext): Dec {
  let equity = dec(state.cash);
  for (const p of Object.values(state.positions)) equity = equity.plus(positionValue(p, market));
  return equity;
}

/** Σ signed position values (long − short). */
export function netExposureAtMarket(state: AccountState, market: MarketContext): Dec {
  let net = new Dec(0);
  for (const p of Object.values(state.positions)) net = net.plus(positionValue(p, market));
  return net;
}

/** Σ |position values|. */
export function grossExposureAtMarket(state: AccountState, market: MarketContext): Dec {
  let gross = new Dec(0);
  for (const p of Object.values(state.positions))
    gross = gross.plus(positionValue(p, market).abs());
  return gross;
}

/** The day so far: P&L since the trading day began and equity at its start. */
export interface DayResult {
  readonly date: string;
  /** Equity now − equity at the start of the day − deposits + withdrawals of the day. */
  readonly pnl: Dec;
  /** Cash at the start of the day + its positions at the previous close. */
  readonly startEquity: Dec;
  readonly lossLimitReached: boolean;
}

/**
 * The trading day of `market.now`. Positions held since before the day are valued from the
 * previous close, the rest from their cost; without marks the P&L is what the day realized
 * less its charges (the at-cost view).
 */
export function dayResult(state: AccountState, market: MarketContext): DayResult {
  const date = tradingDateOf(market.now);
  const day = tradingDayFor(state, date);
  let startEquity = dec(day.startCash);
  for (const p of Object.values(startHoldings(day, 'previous_close'))) {
    startEquity = startEquity.plus(previousValue(p, market));
  }
  const pnl = equityAtMarket(state, market).minus(startEquity).minus(dec(day.flows));
  return { date, pnl, startEquity, lossLimitReached: day.lossLimitReached };
}
